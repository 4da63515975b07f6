import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FcgiPool } from '../../src/dataplane/upstream/fastcgi/fcgi-pool.ts';
import { fastcgiSettings } from '../../src/dataplane/upstream/fastcgi/fastcgi-settings.ts';
import { endOfStream, FCGI_END_REQUEST, FCGI_STDIN, FCGI_STDOUT, recordHeader, streamRecords } from '../../src/dataplane/upstream/fastcgi/fcgi-records.ts';
import type { UpstreamHandler } from '../../src/dataplane/upstream/upstream-handler.ts';
import { DEFAULT_POLICY } from '../../src/routing/route-table.ts';
import { closeAll, closeNet, onCleanup, sleep } from '../dataplane/helpers.ts';
import { fastcgiPolicy, send } from './pool-client.ts';

afterEach(closeAll);

const END_OF_STDIN = endOfStream(FCGI_STDIN);
const ANSWER = Buffer.concat([
  ...streamRecords(FCGI_STDOUT, Buffer.from('Status: 200 OK\r\nContent-Type: text/plain\r\n\r\nok')),
  endOfStream(FCGI_STDOUT), recordHeader(FCGI_END_REQUEST, 8), Buffer.alloc(8),
]);

/** A FastCGI application on raw TCP that answers each request (at the end of its STDIN) with
 * "ok", or, while `drop()` says so, closes the connection unanswered. */
async function rawApplication(drop: () => boolean): Promise<{ port: number; accepted: () => number }> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      let end: number;
      while ((end = pending.indexOf(END_OF_STDIN)) >= 0) {
        pending = pending.subarray(end + END_OF_STDIN.length);
        if (drop()) {
          socket.destroy();
          return;
        }
        socket.write(ANSWER);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => closeNet(server, sockets));
  return { port: (server.address() as AddressInfo).port, accepted: () => accepted };
}

describe('FastCGI pool idle accounting', () => {
  it('connections closed but not yet gone when a retry walks past them leave the idle count: keepalive N keeps holding N', async () => {
    let dropping = false;
    const app = await rawApplication(() => {
      const now = dropping;
      dropping = false;
      return now;
    });
    const policy = fastcgiPolicy({
      keepalive: { ...DEFAULT_POLICY.keepalive, connections: 3 },
      fastcgi: { documentRoot: '/srv', index: 'index.php', splitPathInfo: '.php', params: [] },
    });
    const pool = new FcgiPool({ host: '127.0.0.1', port: app.port }, fastcgiSettings(policy));
    onCleanup(() => pool.destroy());
    const get = () => send(pool, { path: '/a.php' });
    await Promise.all([get(), get(), get()]);
    expect(pool.free).toBe(3);
    // The most recently freed connection is closed unanswered: the older free ones are dropped
    // (idle-close race) and the retry, dispatched at once, walks past them before their sockets
    // report 'close'.
    dropping = true;
    const retried = new Promise<{ body: Buffer; error: Error | null }>((resolve) => {
      const handler: UpstreamHandler = {
        onConnect: () => {},
        onHeaders: () => true,
        onData: () => true,
        onComplete: () => {},
        onError: () => void get().then(resolve),
      };
      pool.dispatch({ method: 'GET', path: '/a.php', headers: ['host', 'localhost'], body: null }, handler);
    });
    const answer = await retried;
    expect(answer.error).toBeNull();
    expect(answer.body.toString()).toBe('ok');
    for (let i = 0; i < 50 && pool.connections > 1; i++) await sleep(10);
    expect(pool.connections).toBe(1);
    await Promise.all([get(), get()]);
    expect(pool.free).toBe(2);
    await Promise.all([get(), get()]);
    expect(pool.free).toBe(2);
    expect(app.accepted()).toBe(5);
  });
});
