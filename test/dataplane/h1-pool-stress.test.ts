import { afterEach, describe, expect, it } from 'vitest';
import { h1Pool, rawPeer, Recorder, send } from './h1-pool-helpers.ts';
import { closeAll } from './helpers.ts';

afterEach(closeAll);

/** How the peer answers a request, chosen by its path (`/<behaviour>/<n>`). */
const BEHAVIOURS: Record<string, string | null> = {
  ok: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
  chunked: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n',
  interim: 'HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
  garbage: 'HTTP/1.1 abc\r\n\r\n',
  'cut-body': 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nok',
  'close-before-head': null,
};
const NAMES = Object.keys(BEHAVIOURS);

describe('H1Pool under mixed failures', () => {
  it('every dispatch ends in exactly one onComplete or onError; nothing leaks; close() resolves', async () => {
    // Answers each complete request head in the connection's stream once, by its path.
    const answered = new WeakMap<object, number>();
    const peer = await rawPeer((socket, received) => {
      const heads = received.split('\r\n\r\n').slice(0, -1);
      for (let k = answered.get(socket) ?? 0; k < heads.length; k++) {
        answered.set(socket, k + 1);
        const name = /^GET \/([a-z-]+)\//.exec(heads[k]!)?.[1] ?? 'garbage';
        const wire = BEHAVIOURS[name];
        if (wire === null || wire === undefined) return void socket.destroy();
        if (name === 'cut-body') return void socket.end(wire);
        socket.write(wire);
      }
    });
    const p = h1Pool(peer.port, { headersTimeout: 2_000, bodyTimeout: 2_000 });
    const expected: Record<string, 'complete' | 'error'> = {
      ok: 'complete', chunked: 'complete', interim: 'complete', garbage: 'error', 'cut-body': 'error', 'close-before-head': 'error',
    };
    let seq = 0;
    const outcomes: { name: string; calls: string[]; aborted: boolean }[] = [];
    const worker = async (): Promise<void> => {
      for (let i = 0; i < 25; i++) {
        const n = seq++;
        const name = NAMES[(n * 7) % NAMES.length]!;
        const recorder = new Recorder();
        // Every 5th request is aborted by its handler on the first body byte.
        const aborting = n % 5 === 0;
        if (aborting) recorder.hold = () => (recorder.abort!(new Error('handler gave up')), true);
        const out = await send(p, { path: `/${name}/${n}` }, recorder);
        outcomes.push({ name, calls: out.calls, aborted: aborting && out.error?.message === 'handler gave up' });
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(outcomes).toHaveLength(200);
    for (const o of outcomes) {
      const terminal = o.calls.filter((c) => c === 'onComplete' || c === 'onError');
      expect(terminal, `${o.name}: ${o.calls.join(',')}`).toHaveLength(1);
      if (!o.aborted) expect(terminal[0], `${o.name}: ${o.calls.join(',')}`).toBe(expected[o.name] === 'complete' ? 'onComplete' : 'onError');
    }
    await p.close();
    expect(p.connections).toBe(0);
  }, 20_000);
});
