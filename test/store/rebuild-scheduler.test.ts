import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RebuildScheduler } from '../../src/store/rebuild-scheduler.ts';

describe('RebuildScheduler', () => {
  let builds: number[];
  let scheduler: RebuildScheduler;

  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    builds = [];
    scheduler = new RebuildScheduler({ holdoffMs: 100, maxDelayMs: 500, build: () => builds.push(Date.now()) });
  });

  afterEach(() => {
    scheduler.stop();
    vi.useRealTimers();
  });

  it('builds nothing before sync, however many changes', () => {
    for (let i = 0; i < 10; i++) {
      scheduler.changed();
      vi.advanceTimersByTime(200);
    }
    expect(builds).toEqual([]);
  });

  it('builds once, immediately, at sync (changes before it included)', () => {
    scheduler.changed();
    vi.advanceTimersByTime(1000);
    scheduler.markSynced();
    expect(builds).toEqual([1000]);
    vi.advanceTimersByTime(1000);
    expect(builds).toEqual([1000]);
  });

  it('builds at sync even when nothing changed', () => {
    scheduler.markSynced();
    expect(builds).toEqual([0]);
  });

  it('a second markSynced does not build again', () => {
    scheduler.markSynced();
    scheduler.markSynced();
    expect(builds).toEqual([0]);
  });

  it('waits the holdoff after the last change', () => {
    scheduler.markSynced();
    scheduler.changed();
    vi.advanceTimersByTime(60);
    scheduler.changed();
    vi.advanceTimersByTime(99);
    expect(builds).toEqual([0]);
    vi.advanceTimersByTime(1);
    expect(builds).toEqual([0, 160]);
  });

  it('caps the wait at maxDelay since the first unbuilt change', () => {
    scheduler.markSynced();
    // A change every 50 ms would postpone a pure holdoff forever.
    for (let t = 0; t < 1200; t += 50) {
      scheduler.changed();
      vi.advanceTimersByTime(50);
    }
    expect(builds).toEqual([0, 500, 1000]);
  });

  it('starts a fresh max-delay window after each build', () => {
    scheduler.markSynced();
    scheduler.changed();
    vi.advanceTimersByTime(100);
    expect(builds).toEqual([0, 100]);
    vi.advanceTimersByTime(1000);
    scheduler.changed();
    vi.advanceTimersByTime(100);
    expect(builds).toEqual([0, 100, 1200]);
  });

  it('stop cancels a pending build', () => {
    scheduler.markSynced();
    scheduler.changed();
    scheduler.stop();
    vi.advanceTimersByTime(1000);
    scheduler.changed();
    vi.advanceTimersByTime(1000);
    expect(builds).toEqual([0]);
  });

  it('uses injected timers', () => {
    let now = 0;
    const pending: { fn: () => void; at: number }[] = [];
    const own: number[] = [];
    const injected = new RebuildScheduler({
      holdoffMs: 10,
      maxDelayMs: 20,
      build: () => own.push(now),
      timers: { now: () => now, setTimeout: (fn, ms) => pending.push({ fn, at: now + ms }), clearTimeout: () => pending.shift() },
    });
    injected.markSynced();
    injected.changed();
    expect(pending).toEqual([{ fn: expect.any(Function), at: 10 }]);
    now = 10;
    pending.shift()?.fn();
    expect(own).toEqual([0, 10]);
  });
});
