import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DownstreamResponse } from '../../src/dataplane/front/downstream.ts';
import { allowance, delayFor, minSlice } from '../../src/dataplane/pacing/pace.ts';
import { PacedBody } from '../../src/dataplane/pacing/paced-body.ts';

/*
 * nginx limit_rate / limit_rate_after arithmetic as a table, then PacedBody on a fake clock:
 * what reaches the client when, backpressure to the upstream, and no timer left behind.
 */

describe('pacing arithmetic', () => {
  const K = 1024;
  it.each([
    { name: 'the after bytes at once', elapsed: 0, rate: 100 * K, after: 100 * K, want: 100 * K },
    { name: 'then rate per second', elapsed: 1000, rate: 100 * K, after: 100 * K, want: 200 * K },
    { name: 'in milliseconds', elapsed: 250, rate: 1000, after: 0, want: 250 },
    { name: 'rounded down', elapsed: 1, rate: 999, after: 0, want: 0 },
    { name: 'a clock that went back counts as 0', elapsed: -5, rate: 1000, after: 7, want: 7 },
  ])('allowance: $name', ({ elapsed, rate, after, want }) => {
    expect(allowance(elapsed, rate, after)).toBe(want);
  });

  it.each([
    { name: 'within the after bytes: now', sent: 0, bytes: 100, elapsed: 0, rate: 10, after: 100, want: 0 },
    { name: 'one byte past them at 1000 B/s: 1 ms', sent: 100, bytes: 1, elapsed: 0, rate: 1000, after: 100, want: 1 },
    { name: '300 KB at 100 KB/s after 100 KB: due at 2 s', sent: 0, bytes: 300 * 1024, elapsed: 0, rate: 100 * 1024, after: 100 * 1024, want: 2000 },
    { name: 'time already spent counts', sent: 500, bytes: 500, elapsed: 600, rate: 1000, after: 0, want: 400 },
    { name: 'late: now', sent: 500, bytes: 500, elapsed: 1200, rate: 1000, after: 0, want: 0 },
  ])('delayFor: $name', ({ sent, bytes, elapsed, rate, after, want }) => {
    expect(delayFor(sent, bytes, elapsed, rate, after)).toBe(want);
  });

  it('minSlice: a twentieth of a second, between 1 byte and 16 KiB', () => {
    expect([minSlice(10), minSlice(2000), minSlice(100 * 1024 * 1024)]).toEqual([1, 100, 16_384]);
  });
});

/** The client side of a response: records bytes with the fake clock's time; `full` makes
 * writes return false. */
function fakeResponse() {
  const log: { at: number; bytes: number }[] = [];
  const state = { ended: false, full: false, trailers: undefined as readonly string[] | null | undefined };
  const res = {
    write(chunk: Buffer) {
      log.push({ at: performance.now(), bytes: chunk.length });
      return !state.full;
    },
    end(chunk?: Buffer, trailers?: readonly string[] | null) {
      if (chunk !== undefined) log.push({ at: performance.now(), bytes: chunk.length });
      state.ended = true;
      state.trailers = trailers;
    },
  } as unknown as DownstreamResponse;
  const sentBy = (ms: number, t0: number) => log.filter((e) => e.at - t0 <= ms).reduce((n, e) => n + e.bytes, 0);
  return { res, log, state, sentBy };
}

describe('PacedBody', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends the after bytes at once, then at most rate per second; holds the upstream meanwhile', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { res, state, sentBy } = fakeResponse();
    const t0 = performance.now();
    const body = new PacedBody(res, 10_000, 5_000);
    let resumed = 0;
    body.resume = () => resumed++;
    expect(body.write(Buffer.alloc(4_000))).toBe(true); // within the after bytes
    expect(body.write(Buffer.alloc(26_000))).toBe(false); // 25,000 bytes must wait 2.5 s
    body.end(['x-t', '1']);
    expect(sentBy(0, t0)).toBe(5_000);
    vi.advanceTimersByTime(1_000);
    expect(sentBy(1_000, t0)).toBeLessThanOrEqual(15_000);
    expect(sentBy(1_000, t0)).toBeGreaterThanOrEqual(14_500);
    expect(state.ended).toBe(false);
    vi.advanceTimersByTime(1_400);
    expect(state.ended).toBe(false);
    vi.advanceTimersByTime(200);
    expect(sentBy(2_600, t0)).toBe(30_000);
    expect(state.ended).toBe(true);
    expect(state.trailers).toEqual(['x-t', '1']);
    expect(resumed).toBe(0); // ended instead: the upstream had completed
    expect(vi.getTimerCount()).toBe(0);
  });

  it('resumes the upstream once its queued bytes are out', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { res } = fakeResponse();
    const body = new PacedBody(res, 1_000, 0);
    let resumed = 0;
    body.resume = () => resumed++;
    expect(body.write(Buffer.alloc(500))).toBe(false);
    vi.advanceTimersByTime(400);
    expect(resumed).toBe(0);
    vi.advanceTimersByTime(150);
    expect(resumed).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a full client stops the pacing until it drains; no timer runs meanwhile', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { res, state, log } = fakeResponse();
    const body = new PacedBody(res, 1_000, 100);
    state.full = true;
    expect(body.write(Buffer.alloc(300))).toBe(false);
    expect(log.map((e) => e.bytes)).toEqual([100]);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(5_000);
    state.full = false;
    body.clientDrained(); // 5 s of allowance: the rest goes at once
    expect(log.reduce((n, e) => n + e.bytes, 0)).toBe(300);
  });

  it('destroy (client gone, response cut) frees the timer and drops the queue', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { res, state, log } = fakeResponse();
    const body = new PacedBody(res, 1_000, 0);
    body.write(Buffer.alloc(10_000));
    body.end();
    expect(vi.getTimerCount()).toBe(1);
    body.destroy();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(20_000);
    expect(state.ended).toBe(false);
    expect(log.reduce((n, e) => n + e.bytes, 0)).toBe(0);
  });
});
