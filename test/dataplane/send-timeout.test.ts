import { createServer as createNetServer, connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, type BackendPolicy } from '../../src/routing/route-table.ts';
import { backendOf, closeAll, closeNet, onCleanup, sleep, startBackend, startDataplane, tableFor } from './helpers.ts';

afterEach(closeAll);

const SEND_MS = 300;
const withSendTimeout: BackendPolicy = { ...DEFAULT_POLICY, timeouts: { ...DEFAULT_POLICY.timeouts, sendMs: SEND_MS } };

/** A raw backend that accepts and never reads (an upstream stuck on a full receive window);
 * `head`, if given, is written at once (an early response while the body still arrives). */
async function startStuckBackend(head?: string) {
  const sockets = new Set<Socket>();
  const server = createNetServer({ pauseOnConnect: true }, (socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    if (head !== undefined) socket.write(head);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => closeNet(server, sockets));
  return { host: '127.0.0.1', port: (server.address() as AddressInfo).port };
}

interface Upload {
  /** What the client received before the connection closed (or the bound passed). */
  readonly received: string;
  readonly closed: boolean;
  /** ms from the moment the upload stalled to the connection's close. */
  readonly closedAfterStallMs: number;
}

/**
 * Streams a chunked upload as fast as the proxy takes it, until the connection closes (or 10 s,
 * or 512 MiB: bounds). The upload stalls once the backend's and the proxy's buffers are full.
 */
async function upload(port: number): Promise<Upload> {
  const socket = connect(port, '127.0.0.1');
  onCleanup(() => {
    socket.destroy();
  });
  let received = '';
  let closed = false;
  let stalledAt = 0;
  let closedAt = 0;
  socket.on('data', (d) => (received += d.toString('latin1')));
  socket.on('error', () => {});
  socket.on('close', () => {
    closed = true;
    closedAt = performance.now();
  });
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  socket.write('POST /upload HTTP/1.1\r\nHost: foo.com\r\nTransfer-Encoding: chunked\r\n\r\n');
  const chunk = Buffer.concat([Buffer.from('10000\r\n'), Buffer.alloc(0x10000, 97), Buffer.from('\r\n')]);
  const deadline = Date.now() + 10_000;
  let sent = 0;
  while (!closed && Date.now() < deadline && sent < 512 * 1024 * 1024) {
    if (socket.write(chunk)) {
      sent += chunk.length;
      continue;
    }
    stalledAt = performance.now();
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 100);
      socket.once('drain', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
  return { received, closed, closedAfterStallMs: closedAt - stalledAt };
}

describe('send timeout (timeouts.sendMs, nginx proxy_send_timeout)', () => {
  it('answers 504 and closes when the upstream takes no body for sendMs', async () => {
    const stuck = await startStuckBackend();
    const { port, dp } = await startDataplane(tableFor('foo.com', [backendOf('stuck', [stuck], withSendTimeout)]));
    const result = await upload(port);
    expect(result.closed).toBe(true);
    expect(result.received).toMatch(/^HTTP\/1\.1 504 /);
    expect(result.received.toLowerCase()).toContain('connection: close');
    // Stalled from the client's view only after the proxy's own buffers filled, so the close
    // follows the stall by at most about sendMs.
    expect(result.closedAfterStallMs).toBeLessThan(SEND_MS + 1_000);
    expect(dp.stats.errors[504]).toBe(1);
  });

  it('cuts a response already under way when the upstream stops taking the body', async () => {
    const stuck = await startStuckBackend('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nearly\r\n');
    const { port, dp } = await startDataplane(tableFor('foo.com', [backendOf('stuck', [stuck], withSendTimeout)]));
    const result = await upload(port);
    expect(result.closed).toBe(true);
    expect(result.received).toMatch(/^HTTP\/1\.1 200 /);
    expect(result.received).not.toContain('0\r\n\r\n'); // never a complete chunked body
    expect(dp.stats.upstreamAborts).toBe(1);
  });

  it('does not charge a slow client to the upstream: pauses longer than sendMs between chunks are fine', async () => {
    const backend = await startBackend('reader', (req, res) => {
      let bytes = 0;
      req.on('data', (d: Buffer) => (bytes += d.length));
      req.on('end', () => res.end(`got ${bytes}`));
    });
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('reader', [backend], withSendTimeout)]));
    const socket = connect(port, '127.0.0.1');
    onCleanup(() => {
      socket.destroy();
    });
    let received = '';
    socket.on('data', (d) => (received += d.toString('latin1')));
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write('POST /slow HTTP/1.1\r\nHost: foo.com\r\nTransfer-Encoding: chunked\r\n\r\n');
    for (let i = 0; i < 3; i++) {
      socket.write('3\r\nabc\r\n');
      await sleep(SEND_MS * 2);
    }
    socket.write('0\r\n\r\n');
    const deadline = Date.now() + 3_000;
    while (!received.includes('got 9') && Date.now() < deadline) await sleep(20);
    expect(received).toMatch(/^HTTP\/1\.1 200 /);
    expect(received).toContain('got 9');
  });
});
