import { afterEach, describe, expect, it } from 'vitest';
import { H1Pool } from '../../src/dataplane/upstream/h1-pool.ts';
import { LazyPool } from '../../src/dataplane/upstream/lazy-pool.ts';
import type { UpstreamPool } from '../../src/dataplane/upstream/upstream-handler.ts';
import { send } from './h1-pool-helpers.ts';
import { closeAll, onCleanup, sleep, startBackend } from './helpers.ts';

afterEach(closeAll);

/** A LazyPool over a real H1Pool to a node:http backend; `made` is the H1Pool once created. */
async function lazyH1(): Promise<{ lazy: LazyPool; made: () => H1Pool | undefined }> {
  const backend = await startBackend('lazy', (req, res) => {
    req.resume();
    res.end('ok');
  });
  let pool: H1Pool | undefined;
  const lazy = new LazyPool(() => (pool = new H1Pool(`http://127.0.0.1:${backend.port}`, { connections: null, pipelining: 1 })) as unknown as UpstreamPool);
  onCleanup(() => lazy.destroy());
  return { lazy, made: () => pool };
}

describe('LazyPool events', () => {
  it("relays 'disconnect' (with the pool's Error) only once someone listens, also when the listener comes after the pool was made", async () => {
    const { lazy, made } = await lazyH1();
    await send(lazy as never);
    // Nobody listens on the handle: the pool has no 'disconnect' listener, so it builds no Error.
    expect(made()!.listenerCount('disconnect')).toBe(0);
    const seen: unknown[] = [];
    lazy.on('disconnect', (_origin: unknown, _targets: unknown, err: unknown) => seen.push(err));
    expect(made()!.listenerCount('disconnect')).toBe(1);
    await send(lazy as never, { reset: true });
    for (let i = 0; i < 100 && seen.length === 0; i++) await sleep(10);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(Error);
  });

  it("a listener already there when the pool is made gets 'disconnect' too", async () => {
    const { lazy } = await lazyH1();
    const seen: unknown[] = [];
    lazy.on('disconnect', (_o: unknown, _t: unknown, err: unknown) => seen.push(err));
    await send(lazy as never, { reset: true });
    for (let i = 0; i < 100 && seen.length === 0; i++) await sleep(10);
    expect(seen).toHaveLength(1);
  });
});
