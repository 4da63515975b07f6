import { execFileSync } from 'node:child_process';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { waitFor } from '../helpers/pier-process.ts';

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** One HTTP/1.1 request to Pier on 127.0.0.1 (no keepalive), any Host. */
export function get(port: number, host: string, path = '/', headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { host, ...headers }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

/** A WebSocket upgrade (raw bytes, optionally after `prefix`, e.g. a PROXY header): the status line Pier answered. */
export async function upgrade(port: number, host: string, headers: Record<string, string> = {}, prefix = ''): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (d) => (received += d.toString('latin1')));
  socket.on('error', () => {});
  await new Promise((r) => socket.once('connect', r));
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.write(`${prefix}GET /ws HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`);
  try {
    await waitFor(() => received.includes('\r\n'), 5_000, 'upgrade answer');
  } finally {
    socket.destroy();
  }
  return received.slice(0, received.indexOf('\r\n'));
}

/**
 * Whether `tool` runs; if not, tries Debian's package once (`apt-get install -y <pkg>`). Returns
 * the reason it is still missing, for a test to print when it skips.
 */
export function ensureTool(tool: string, pkg: string): string | undefined {
  const has = () => {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  if (has()) return undefined;
  try {
    execFileSync('sh', ['-c', `apt-get install -y ${pkg} || (apt-get update && apt-get install -y ${pkg})`], { stdio: 'ignore', timeout: 180_000 });
  } catch {
    // reported below
  }
  return has() ? undefined : `${tool} is not installed and apt-get install -y ${pkg} failed`;
}
