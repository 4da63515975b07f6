import { describe, expect, it } from 'vitest';
import { RestartBackoff } from '../../src/supervisor/restart-backoff.ts';

describe('RestartBackoff', () => {
  it.each([
    { name: 'a stable worker restarts at once', uptimes: [60_000, 60_000], want: [0, 0] },
    { name: 'quick crashes double the delay', uptimes: [50, 50, 50, 50], want: [100, 200, 400, 800] },
    { name: 'the delay is capped', uptimes: Array(10).fill(50), want: [100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000] },
    { name: 'a stable run resets the sequence', uptimes: [50, 50, 10_000, 50], want: [100, 200, 0, 100] },
  ])('$name', ({ uptimes, want }) => {
    const backoff = new RestartBackoff();
    expect(uptimes.map((u: number) => backoff.next(u))).toEqual(want);
  });
});
