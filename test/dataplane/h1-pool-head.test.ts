import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyFailure } from '../../src/dataplane/upstream/upstream-failure.ts';
import { h1Pool, rawPeer, send } from './h1-pool-helpers.ts';
import { RawClient, backendOf, closeAll, sleep, startBackend, startDataplane, tableFor } from './helpers.ts';

afterEach(closeAll);

/** When a broken upstream sends the body of its HEAD response anyway. */
type Stray = 'with the head' | 'while idle' | 'before the next answer';

const HEAD_ANSWER = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n';
const STRAY = 'hello';

/**
 * A raw upstream that answers HEAD with a Content-Length: 5 head and then sends those 5 bytes
 * anyway (`stray` says when), and answers GET with `own answer <path>`.
 */
async function brokenHeadPeer(stray: Stray) {
  const handled = new Map<Socket, number>();
  const pending = new Set<Socket>();
  return rawPeer((socket, received) => {
    const heads = received.split('\r\n\r\n').slice(0, -1);
    for (let i = handled.get(socket) ?? 0; i < heads.length; i++) {
      const [method, path] = heads[i]!.split(' ');
      if (method === 'HEAD') {
        if (stray === 'with the head') socket.write(HEAD_ANSWER + STRAY);
        else socket.write(HEAD_ANSWER);
        if (stray === 'while idle') setTimeout(() => socket.writable && socket.write(STRAY), 50);
        if (stray === 'before the next answer') pending.add(socket);
        continue;
      }
      const body = `own answer ${path}`;
      const answer = `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
      socket.write(pending.delete(socket) ? STRAY + answer : answer);
    }
    handled.set(socket, heads.length);
  });
}

describe('H1Pool and HEAD (nginx keeps the upstream connection)', () => {
  it('two HEADs in a row go over one upstream connection', async () => {
    const backend = await startBackend('head', (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-length': '5' }).end(req.method === 'HEAD' ? undefined : 'hello');
    });
    const p = h1Pool(backend.port);
    for (let i = 0; i < 2; i++) {
      const out = await send(p, { method: 'HEAD' });
      expect(out).toMatchObject({ status: 200, completed: true });
      expect(out.body.length).toBe(0);
    }
    expect((await send(p)).body.toString()).toBe('hello');
    expect(backend.connections).toBe(1);
    expect(backend.seen.map((r) => [r.method, r.headers.connection])).toEqual([['HEAD', 'keep-alive'], ['HEAD', 'keep-alive'], ['GET', 'keep-alive']]);
  });

  // The stray bytes are never read as an answer: the connection that got them closes, and the
  // request after the HEAD gets its own response from a fresh connection.
  it.each<{ stray: Stray }>([{ stray: 'with the head' }, { stray: 'while idle' }])('a body sent after a HEAD response $stray closes that connection', async ({ stray }) => {
    const peer = await brokenHeadPeer(stray);
    const p = h1Pool(peer.port);
    const head = await send(p, { method: 'HEAD' });
    expect(head).toMatchObject({ status: 200, completed: true });
    expect(head.body.length).toBe(0);
    for (let i = 0; i < 100 && p.free > 0; i++) await sleep(10);
    expect(p.free).toBe(0);
    const next = await send(p, { path: '/next' });
    expect(next.error).toBeNull();
    expect(next.body.toString()).toBe('own answer /next');
    expect(peer.accepted()).toBe(2);
  });

  it('a body sent after a HEAD response, arriving on the next request: that try fails as a reset (never the stray bytes as its answer), the connection closes', async () => {
    const peer = await brokenHeadPeer('before the next answer');
    const p = h1Pool(peer.port);
    expect((await send(p, { method: 'HEAD' })).status).toBe(200);
    expect(p.free).toBe(1); // kept: nothing stray has come yet
    const caught = await send(p, { path: '/caught' });
    expect(caught.status).toBe(0);
    expect(caught.calls).toEqual(['onConnect', 'onError']);
    expect(caught.error?.code).toBe('UND_ERR_SOCKET');
    expect(classifyFailure(caught.error)).toBe('reset');
    const next = await send(p, { path: '/next' });
    expect(next.body.toString()).toBe('own answer /next');
    expect(peer.accepted()).toBe(2);
  });

  it('through the proxy: the GET after such a HEAD is retried on a fresh connection and gets its own answer', async () => {
    const peer = await brokenHeadPeer('before the next answer');
    const { port, dp } = await startDataplane(tableFor('foo.com', [backendOf('broken', [{ host: '127.0.0.1', port: peer.port }])]));
    const client = await RawClient.open(port);
    client.send('HEAD /h HTTP/1.1\r\nHost: foo.com\r\n\r\n');
    const head = await client.response(5_000, true);
    expect(head).toMatchObject({ status: 200, body: '' });
    expect(head.headers['content-length']).toBe('5');
    const get = await client.get('foo.com', '/mine');
    expect(get).toMatchObject({ status: 200, body: 'own answer /mine' });
    expect(dp.stats.retries).toBe(1);
    expect(peer.accepted()).toBe(2);
  });

  it('through the proxy: two HEADs on one client connection use one upstream connection', async () => {
    const backend = await startBackend('head', (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-length': '9' }).end(req.method === 'HEAD' ? undefined : 'backend=a');
    });
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('head', [backend])]));
    const client = await RawClient.open(port);
    for (let i = 0; i < 2; i++) {
      client.send('HEAD / HTTP/1.1\r\nHost: foo.com\r\n\r\n');
      expect(await client.response(5_000, true)).toMatchObject({ status: 200, body: '' });
    }
    expect((await client.get('foo.com')).body).toBe('backend=a');
    expect(backend.connections).toBe(1);
  });
});
