import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPier, waitFor, type PierProcess } from '../helpers/pier-process.ts';
import { INGRESS_CLASS_YAML, ingressYaml, serviceYaml } from './manifests.ts';

/**
 * WebSocket-style upgrades through the real binary: the 101 is relayed, bytes flow both ways,
 * and a routing change does not disturb an established tunnel.
 */
describe('Upgrade tunnels through pier serve', () => {
  let dir: string;
  let backend: Server;
  let port: number;
  let pier: PierProcess;
  const tunnels = new Set<Socket>();

  beforeAll(async () => {
    backend = createServer((_req, res) => res.end('plain\n'));
    backend.on('upgrade', (req, socket: Socket) => {
      tunnels.add(socket);
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers.upgrade}\r\nConnection: Upgrade\r\n\r\n`);
      socket.on('data', (d) => socket.write(`echo:${d.toString()}`));
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.6', r));
    port = (backend.address() as { port: number }).port;
    dir = await mkdtemp(join(tmpdir(), 'pier-ws-'));
    await writeFile(join(dir, 'all.yaml'), [INGRESS_CLASS_YAML, serviceYaml('ws', [{ host: '127.0.0.6', port }]), ingressYaml('ws', 'ws.example', [{ path: '/', service: 'ws' }])].join('---\n'));
    pier = await startPier(['--manifests', dir, '--workers', '1']);
  });

  afterAll(async () => {
    await pier?.stop();
    for (const s of tunnels) s.destroy();
    await new Promise((r) => backend?.close(r));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('relays the 101 and bytes both ways, and survives a routing change', async () => {
    const client = connect(pier.httpPort, '127.0.0.1');
    let received = '';
    client.on('data', (d) => (received += d.toString()));
    await new Promise((r) => client.once('connect', r));
    client.write('GET /chat HTTP/1.1\r\nHost: ws.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    await waitFor(() => received.includes('\r\n\r\n'), 5_000, '101 response');
    expect(received).toMatch(/^HTTP\/1\.1 101/);
    client.write('hello');
    await waitFor(() => received.includes('echo:hello'), 5_000, 'echo through the tunnel');

    // A routing change (the host now goes nowhere) must not cut the established tunnel.
    const tmp = join(dir, '.all.yaml.tmp');
    await writeFile(tmp, [INGRESS_CLASS_YAML, serviceYaml('ws', [{ host: '127.0.0.6', port }])].join('---\n'));
    await rename(tmp, join(dir, 'all.yaml'));
    await waitFor(async () => (await fetch(`http://127.0.0.1:${pier.httpPort}/`, { headers: { host: 'ws.example' } })).status === 404, 5_000, 'route removed');
    client.write('again');
    await waitFor(() => received.includes('echo:again'), 5_000, 'tunnel still open after the swap');

    // Regression: a client's FIN left the tunnel half-open (the backend never closes on its
    // own), and SIGTERM then waited the whole --shutdown-timeout for it.
    const [upstream] = tunnels;
    client.end();
    await waitFor(() => upstream!.destroyed || upstream!.readableEnded, 5_000, 'backend side of the tunnel closed');
    const stopped = Date.now();
    expect(await pier.stop()).toBe(0);
    expect(Date.now() - stopped).toBeLessThan(10_000); // --shutdown-timeout is 30 s
  });
});
