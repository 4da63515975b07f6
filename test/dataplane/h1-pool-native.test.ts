import { createHash, randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { buildConnector } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { h1Pool, headDone, rawPeer, Recorder, send } from './h1-pool-helpers.ts';
import { closeAll, sleep, startBackend } from './helpers.ts';

afterEach(closeAll);

/** undici's connector, keeping every socket it makes (to see who reads them). */
function recordingConnector(sockets: Socket[]): buildConnector.connector {
  const connect = buildConnector({});
  return (options, callback) =>
    connect(options, (err, socket) => {
      if (socket !== null) sockets.push(socket as Socket);
      (callback as (e: Error | null, s: unknown) => void)(err, socket);
    });
}

/*
 * H1Connection lets node's native parser read the socket (no 'data' events): these pin the
 * paths that leave that mode in the middle of a native read.
 */
describe('H1Pool on natively read connections', () => {
  it('survives 400 upstream 101 hand-offs in a row with bytes after the head (the parser is not closed under its own read)', async () => {
    const peer = await rawPeer((socket, received) => {
      // Head and early bytes in one write: one native read carries both.
      if (headDone(received) && !received.includes('ping')) socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\nEARLY');
      else if (received.endsWith('ping')) socket.write('pong');
    });
    const p = h1Pool(peer.port);
    for (let i = 0; i < 400; i++) {
      const out = await send(p, { upgrade: 'test' });
      expect(out.calls).toEqual(['onConnect', 'onUpgrade:101']);
      const socket = out.upgraded!;
      let got = '';
      socket.on('data', (c: Buffer) => (got += c.toString()));
      socket.resume();
      socket.write('ping');
      for (let k = 0; k < 300 && got !== 'EARLYpong'; k++) await sleep(1);
      expect(got, `upgrade ${i}`).toBe('EARLYpong');
      socket.destroy();
    }
    expect(p.connections).toBe(0);
    expect(peer.accepted()).toBe(400);
  }, 30_000);

  it('a slow handler pauses a natively read connection mid-body: 10 MiB arrive intact; once free it reads natively again and is reused', async () => {
    const payload = randomBytes(10 * 1024 * 1024);
    const sockets = new Set<unknown>();
    const backend = await startBackend('big', (req, res) => {
      sockets.add(req.socket);
      req.resume();
      if (req.url === '/small') return void res.end('ok');
      res.setHeader('content-length', payload.length);
      res.end(payload);
    });
    const upstream: Socket[] = [];
    const p = h1Pool(backend.port, { connect: recordingConnector(upstream) });
    expect((await send(p, { path: '/small' })).body.toString()).toBe('ok');
    // Read natively: no 'data' listener.
    expect(upstream.map((s) => s.listenerCount('data'))).toEqual([0]);
    const recorder = new Recorder();
    let received = 0;
    let holds = 0;
    let held = false;
    let deliveredWhileHeld = 0;
    recorder.hold = (c) => {
      received += c.length;
      if (held) deliveredWhileHeld += c.length;
      // Hold back at about every 512 KiB, from inside the read that delivered the chunk.
      if (received % (512 * 1024) >= c.length) return true;
      holds++;
      held = true;
      setTimeout(() => {
        held = false;
        recorder.resume!();
      }, 5);
      return false;
    };
    const out = await send(p, {}, recorder);
    expect(out.completed).toBe(true);
    expect(holds).toBeGreaterThanOrEqual(10);
    expect(deliveredWhileHeld).toBe(0);
    expect(createHash('sha256').update(out.body).digest('hex')).toBe(createHash('sha256').update(payload).digest('hex'));
    // Free again with nothing buffered: back to native reads, and it carries the next request.
    expect(upstream.map((s) => s.listenerCount('data'))).toEqual([0]);
    expect((await send(p, { path: '/small' })).body.toString()).toBe('ok');
    expect(sockets.size).toBe(1);
    expect(upstream).toHaveLength(1);
  }, 20_000);

  it('a handler throwing inside a native read fails its request (no uncaught exception); the pool carries on', async () => {
    const backend = await startBackend('ok', (req, res) => {
      req.resume();
      res.end('hello');
    });
    const p = h1Pool(backend.port);
    const recorder = new Recorder();
    recorder.hold = () => {
      throw new Error('handler broke');
    };
    const out = await send(p, {}, recorder);
    expect(out.error?.message).toBe('handler broke');
    expect(out.completed).toBe(false);
    expect((await send(p)).body.toString()).toBe('hello');
  });
});
