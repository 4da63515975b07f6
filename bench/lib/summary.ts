/**
 * Measurements of the dataplane benchmark and their per-target summary (median, min, max over
 * rounds).
 */
import type { Variant } from './dataplane-options.ts';

/** One wrk run against one target. */
export interface Measurement {
  readonly target: string;
  readonly variant: Variant;
  readonly round: number;
  readonly requestsPerSecond: number;
  readonly p50Us: number;
  readonly p99Us: number;
  /** CPU time of the target's processes (user + system) divided by the requests served. */
  readonly cpuUsPerRequest: number;
  readonly errors: number;
  /** `burst` only: when the last connection was answered, ms. */
  readonly allMs?: number;
  /** `burst` only: SYNs dropped for a full accept queue (TcpExt ListenOverflows). */
  readonly listenOverflows?: number;
  /** The machine's 1-minute load average when this measurement ended. */
  readonly load1?: number;
}

/** Median and range of one quantity. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** A target's results in one variant. */
export interface TargetSummary {
  readonly target: string;
  readonly variant: Variant;
  readonly rounds: number;
  readonly requestsPerSecond: Spread;
  readonly p50Us: Spread;
  readonly p99Us: Spread;
  readonly cpuUsPerRequest: Spread;
  readonly errors: number;
  /** `burst` only (NaN otherwise). */
  readonly allMs: Spread;
  readonly listenOverflows: Spread;
}

/** Median (mean of the middle two for an even count), min and max. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { median: NaN, min: NaN, max: NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

/** Groups measurements by target and variant, in first-seen order. */
export function summarize(measurements: readonly Measurement[]): TargetSummary[] {
  const groups = new Map<string, Measurement[]>();
  for (const m of measurements) {
    const key = `${m.variant}\0${m.target}`;
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  return [...groups.values()].map((ms) => ({
    target: ms[0]!.target,
    variant: ms[0]!.variant,
    rounds: ms.length,
    requestsPerSecond: spread(ms.map((m) => m.requestsPerSecond)),
    p50Us: spread(ms.map((m) => m.p50Us)),
    p99Us: spread(ms.map((m) => m.p99Us)),
    cpuUsPerRequest: spread(ms.map((m) => m.cpuUsPerRequest)),
    errors: ms.reduce((s, m) => s + m.errors, 0),
    allMs: spread(ms.flatMap((m) => (m.allMs === undefined ? [] : [m.allMs]))),
    listenOverflows: spread(ms.flatMap((m) => (m.listenOverflows === undefined ? [] : [m.listenOverflows]))),
  }));
}

/** One target's CPU per request divided by another's, round by round (each round measures
 * every target within a minute or two, so the two share the machine's state), in one variant. */
export interface RoundRatio {
  readonly variant: Variant;
  readonly target: string;
  readonly reference: string;
  readonly rounds: number;
  readonly ratio: Spread;
}

/** `target` ÷ `reference` CPU µs/request per round, for every variant where both were measured. */
export function roundRatios(measurements: readonly Measurement[], target: string, reference: string): RoundRatio[] {
  const out: RoundRatio[] = [];
  for (const variant of new Set(measurements.map((m) => m.variant))) {
    const cpu = (id: string) => new Map(measurements.filter((m) => m.variant === variant && m.target === id).map((m) => [m.round, m.cpuUsPerRequest]));
    const [mine, theirs] = [cpu(target), cpu(reference)];
    const ratios = [...mine].flatMap(([round, us]) => (theirs.has(round) ? [us / theirs.get(round)!] : [])).filter(Number.isFinite);
    if (ratios.length > 0) out.push({ variant, target, reference, rounds: ratios.length, ratio: spread(ratios) });
  }
  return out;
}
