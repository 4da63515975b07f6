import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Http1Handler } from '../../src/dataplane/front/http1/http1-handler.ts';
import { Http1Server } from '../../src/dataplane/front/http1/http1-server.ts';
import { closeAll, onCleanup } from './helpers.ts';
import { rawTranscript } from './http1-raw.ts';

afterEach(closeAll);

/**
 * The per-request body limit hook (ProxyRequest.bodyLimit) that a per-route limit
 * (proxy-body-size) sets: a handler that sets it before reading the body gets the connection's
 * 413 past it, whatever the server-wide maxBodySize.
 */
async function serve(maxBodySize: number | undefined, routeLimit: number): Promise<number> {
  const handler: Http1Handler = {
    request(req, res) {
      req.bodyLimit = routeLimit;
      let bytes = 0;
      if (req.body === null) return void res.end();
      req.body.on('data', (d: Buffer) => (bytes += d.length));
      req.body.on('end', () => {
        const text = Buffer.from(`got ${bytes}`);
        res.writeHead(200, undefined, ['content-length', String(text.length)]);
        res.end(text);
      });
    },
    upgrade(_req, socket: Socket) {
      socket.destroy();
    },
    rejected() {},
  };
  const http = new Http1Server(handler, { maxBodySize });
  const server = createServer({ allowHalfOpen: true });
  http.listenOn(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onCleanup(() => {
    http.closeAll();
    return new Promise((r) => server.close(r));
  });
  return (server.address() as AddressInfo).port;
}

const chunked = (size: number) => `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${size.toString(16)}\r\n${'x'.repeat(size)}\r\n0\r\n\r\n`;

describe('ProxyRequest.bodyLimit (the per-route body size hook)', () => {
  it('a handler lowering it gets 413 and a close for a chunked body past it', async () => {
    const port = await serve(undefined, 10);
    const t = await rawTranscript(port, chunked(20));
    expect(t.closed).toBe(true);
    expect(t.text).toMatch(/^HTTP\/1\.1 413 /);
  });

  it('a body within a lowered limit is read whole', async () => {
    const port = await serve(undefined, 10);
    const t = await rawTranscript(port, chunked(10).replace('Host: a\r\n', 'Host: a\r\nConnection: close\r\n'));
    expect(t.text).toMatch(/^HTTP\/1\.1 200 [^]*got 10$/);
  });

  it('a handler raising it lets a chunked body past the server-wide limit through', async () => {
    const port = await serve(10, 100);
    const t = await rawTranscript(port, chunked(50).replace('Host: a\r\n', 'Host: a\r\nConnection: close\r\n'));
    expect(t.text).toMatch(/^HTTP\/1\.1 200 [^]*got 50$/);
  });

  it('a declared Content-Length is the handler\'s to judge once the route is known: raised, it is read', async () => {
    const port = await serve(10, 100);
    const t = await rawTranscript(port, `POST / HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: 11\r\n\r\n${'x'.repeat(11)}`);
    expect(t.text).toMatch(/^HTTP\/1\.1 200 [^]*got 11$/);
  });
});
