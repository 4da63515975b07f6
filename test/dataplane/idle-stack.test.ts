import { describe, expect, it } from 'vitest';
import { IdleStack, type StackedConnection } from '../../src/dataplane/upstream/idle-stack.ts';

/** A connection as a pool sees it: open until its 'close' is handled (`pool.close(conn)`). */
class FakeConnection implements StackedConnection {
  free = true;
  stacked = false;
  destroyed = false;
  readonly name: string;
  readonly freedAt: number;
  readonly ttlOk: boolean;
  constructor(name: string, freedAt = 0, ttlOk = true) {
    this.name = name;
    this.freedAt = freedAt;
    this.ttlOk = ttlOk;
  }
  reusable(): boolean {
    return this.free && this.ttlOk;
  }
  destroy(): void {
    this.free = false;
    this.destroyed = true;
  }
}

function pool(maxIdle = Infinity) {
  const open = new Set<FakeConnection>();
  const stack = new IdleStack(open, maxIdle);
  return {
    stack,
    open: (...conns: FakeConnection[]) => conns.forEach((c) => open.add(c)),
    /** The socket's 'close' reached the pool. */
    close: (conn: FakeConnection) => {
      open.delete(conn);
      stack.closed(conn);
    },
  };
}

describe('IdleStack', () => {
  it('hands out the most recently freed connection first, and closes unfit ones on the way', () => {
    const p = pool();
    const [a, b, c] = [new FakeConnection('a'), new FakeConnection('b', 0, false), new FakeConnection('c')];
    p.open(a, b, c);
    p.stack.push(a);
    p.stack.push(c);
    p.stack.push(b);
    expect(p.stack.take(false)?.name).toBe('c'); // b is past its time to live: closed
    expect(b.destroyed).toBe(true);
    expect(p.stack.take(false)?.name).toBe('a');
    expect(p.stack.take(false)).toBeNull();
    expect(p.stack.idle).toBe(0);
  });

  it('keeps at most maxIdle: one more closes the least recently used', () => {
    const p = pool(2);
    const conns = ['a', 'b', 'c'].map((n) => new FakeConnection(n));
    p.open(...conns);
    for (const c of conns) p.stack.push(c);
    expect(conns.map((c) => c.destroyed)).toEqual([true, false, false]);
    expect([p.stack.free, p.stack.idle]).toEqual([2, 2]);
  });

  it('uncounts a connection destroyed on the stack whether its close is handled before or after it is passed over', () => {
    const p = pool(3);
    const [a, b, c] = ['a', 'b', 'c'].map((n) => new FakeConnection(n));
    p.open(a!, b!, c!);
    p.stack.push(a!);
    p.stack.push(b!);
    p.stack.push(c!);
    c!.destroy(); // close not handled yet: take() walks past it
    b!.destroy();
    p.close(b!); // close handled while still stacked
    expect(p.stack.take(false)?.name).toBe('a');
    p.close(c!);
    expect(p.stack.idle).toBe(0);
    // The count did not drift: three more free connections all stay (maxIdle 3).
    const more = ['d', 'e', 'f'].map((n) => new FakeConnection(n));
    p.open(...more);
    for (const m of more) p.stack.push(m);
    expect(more.some((m) => m.destroyed)).toBe(false);
  });

  it('after a keepalive race closes every free connection idle as long; compacts when most entries are dead', () => {
    const p = pool();
    const conns = Array.from({ length: 80 }, (_, i) => new FakeConnection(`c${i}`, i));
    p.open(...conns);
    for (const c of conns) p.stack.push(c);
    p.stack.crossed(59);
    expect(conns.filter((c) => c.destroyed)).toHaveLength(60);
    for (const c of conns.slice(0, 60)) p.close(c);
    expect([p.stack.free, p.stack.idle]).toEqual([20, 20]);
    const taken: string[] = [];
    for (let c = p.stack.take(false); c !== null; c = p.stack.take(false)) taken.push(c.name);
    expect(taken).toEqual(conns.slice(60).reverse().map((c) => c.name));
  });

  it('closeAll closes the free connections; clear only forgets them', () => {
    const p = pool();
    const [a, b] = [new FakeConnection('a'), new FakeConnection('b')];
    p.open(a, b);
    p.stack.push(a);
    p.stack.closeAll();
    expect([a.destroyed, a.stacked, p.stack.idle]).toEqual([true, false, 0]);
    p.stack.push(b);
    p.stack.clear();
    expect([b.destroyed, b.stacked, p.stack.take(false)]).toEqual([false, false, null]);
  });
});
