import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { RawClient, backendOf, closeAll, onCleanup, startBackend, startDataplane, tableFor } from './helpers.ts';

afterEach(closeAll);

const MiB = 1024 * 1024;

describe('streaming', () => {
  it('streams a 50 MiB body both ways without buffering it', async () => {
    let backendFirstChunkAt = 0;
    let backendBytes = 0;
    const backend = await startBackend('echo', (req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      req.on('data', (chunk: Buffer) => {
        if (backendFirstChunkAt === 0) backendFirstChunkAt = performance.now();
        backendBytes += chunk.length;
      });
      req.pipe(res); // echo: the response streams while the request still arrives
    });
    const { port } = await startDataplane(tableFor('', [backendOf('echo', [backend])]));

    const total = 50 * MiB;
    const chunk = Buffer.alloc(64 * 1024, 7);
    const sent = createHash('sha256');
    const received = createHash('sha256');
    let clientFinishedAt = 0;
    let clientFirstResponseByteAt = 0;
    let receivedBytes = 0;
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/upload', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        res.on('data', (d: Buffer) => {
          if (clientFirstResponseByteAt === 0) clientFirstResponseByteAt = performance.now();
          receivedBytes += d.length;
          received.update(d);
        });
        res.on('end', resolve);
        res.on('error', reject);
      });
      req.on('error', reject);
      let written = 0;
      const pump = (): void => {
        while (written < total) {
          sent.update(chunk);
          written += chunk.length;
          if (!req.write(chunk)) {
            req.once('drain', pump);
            return;
          }
        }
        clientFinishedAt = performance.now();
        req.end();
      };
      pump();
    });
    expect(backendBytes).toBe(total);
    expect(receivedBytes).toBe(total);
    expect(received.digest('hex')).toBe(sent.digest('hex'));
    // Streaming, not buffering: the backend saw data, and the client got echoed data back,
    // before the client had finished sending.
    expect(backendFirstChunkAt).toBeGreaterThan(0);
    expect(backendFirstChunkAt).toBeLessThan(clientFinishedAt);
    expect(clientFirstResponseByteAt).toBeLessThan(clientFinishedAt);
  }, 60_000);
});

describe('upgrade', () => {
  it('tunnels a WebSocket-style upgrade and pipes bytes both ways', async () => {
    const backend = await startBackend('ws');
    backend.server.on('upgrade', (req, socket, head) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nX-Up: 1\r\n\r\n');
      if (head.length > 0) socket.write(head);
      socket.pipe(socket); // echo
    });
    const { port, dp } = await startDataplane(tableFor('foo.com', [backendOf('ws', [backend])]));
    const socket = connect(port, '127.0.0.1');
    onCleanup(() => {
      socket.destroy();
    });
    let data = '';
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.write('GET /chat HTTP/1.1\r\nHost: foo.com\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n');
    const deadline = Date.now() + 3000;
    while (!data.includes('\r\n\r\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(data).toMatch(/^HTTP\/1\.1 101 /);
    expect(data.toLowerCase()).toContain('upgrade: websocket');
    data = '';
    socket.write('ping-1');
    while (!data.includes('ping-1') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(data).toBe('ping-1');
    expect(dp.stats.upgrades).toBe(1);
    const seen = backend.seen;
    expect(seen).toHaveLength(0); // upgrade requests do not reach the 'request' handler
  });

  it('relays a refused upgrade and closes', async () => {
    const backend = await startBackend('no-ws', (req, res) => {
      res.writeHead(403, { 'content-length': '9' });
      res.end('forbidden');
    });
    backend.server.on('upgrade', (req, socket) => {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\n\r\nforbidden');
    });
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('no-ws', [backend])]));
    const client = await RawClient.open(port);
    client.send('GET /chat HTTP/1.1\r\nHost: foo.com\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    const res = await client.response();
    expect(res.status).toBe(403);
    expect(res.body).toBe('forbidden');
    expect(await client.waitClosed(2000)).toBe(true);
  });
});
