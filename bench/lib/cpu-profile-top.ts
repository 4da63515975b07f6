/**
 * Self time per function from V8 `.cpuprofile` files (what `node --cpu-prof` writes): the
 * sampled time attributed to the frame on top of the stack, summed by function and location.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  /** Monotonic clock, µs (CLOCK_MONOTONIC on Linux, as process.hrtime). */
  readonly startTime?: number;
}

/** One function's share of the sampled time. */
export interface SelfTime {
  readonly name: string;
  /** file:line, shortened to the part after node_modules/ or the repository root. */
  readonly location: string;
  readonly selfMs: number;
  readonly share: number;
}

function shortUrl(url: string): string {
  if (url === '') return '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const src = url.search(/\/(src|bench|test)\//);
  return src >= 0 ? url.slice(src + 1) : url.replace(/^file:\/\//, '');
}

/** Sums self time over `profiles` and returns the `limit` largest entries. */
export function topSelfTime(profiles: readonly CpuProfile[], limit = 10): SelfTime[] {
  const totals = new Map<string, { name: string; location: string; us: number }>();
  let all = 0;
  for (const profile of profiles) {
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    profile.samples.forEach((id, i) => {
      const frame = byId.get(id)?.callFrame;
      const us = profile.timeDeltas[i] ?? 0;
      if (!frame) return;
      all += us;
      const location = frame.url === '' ? '(native)' : `${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
      const name = frame.functionName || '(anonymous)';
      const key = `${name}\0${location}`;
      const entry = totals.get(key) ?? { name, location, us: 0 };
      entry.us += us;
      totals.set(key, entry);
    });
  }
  return [...totals.values()].sort((a, b) => b.us - a.us).slice(0, limit)
    .map((e) => ({ name: e.name, location: e.location, selfMs: e.us / 1000, share: all > 0 ? e.us / all : 0 }));
}

/** Reads every `*.cpuprofile` in `dir`. */
export function readProfiles(dir: string): CpuProfile[] {
  return readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile);
}

/** One layer's share of the busy (non-idle) sampled time. */
export interface LayerTime {
  readonly layer: string;
  readonly selfMs: number;
  readonly share: number;
}

/** Which layer a frame belongs to: the question "is it Pier, undici, node:http or the kernel?". */
function layerOf(frame: ProfileNode['callFrame']): string {
  const url = frame.url;
  if (url === '') return frame.functionName.startsWith('write') ? `syscall: ${frame.functionName}` : `native: ${frame.functionName}`;
  if (url.includes('node_modules/undici/')) return 'undici (JS)';
  if (url.startsWith('wasm://')) return 'undici llhttp (wasm)';
  if (/\/(src)\//.test(url)) return 'Pier (src/)';
  if (url.includes('/bench/peers/')) return 'bench peer (JS, with the native llhttp it calls)';
  if (url.startsWith('node:internal/http2/')) return 'node:http2';
  if (/^node:(_http_|internal\/http)/.test(url)) return 'node:http';
  if (/^node:(internal\/streams|stream)/.test(url)) return 'node streams';
  if (/^node:(net|internal\/stream_base_commons)/.test(url)) return 'node:net';
  if (/^node:(internal\/)?(timers|process\/task_queues|events|internal\/async)/.test(url)) return 'node events, ticks, timers';
  if (/^node:internal\/(modules|bootstrap|deps\/amaro)/.test(url)) return 'startup (module loading)';
  return url.startsWith('node:') ? 'node (other)' : 'other';
}

/** Self time per layer over `profiles`, idle excluded, largest first. */
export function selfTimeByLayer(profiles: readonly CpuProfile[]): LayerTime[] {
  const totals = new Map<string, number>();
  let busy = 0;
  for (const profile of profiles) {
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    profile.samples.forEach((id, i) => {
      const frame = byId.get(id)?.callFrame;
      if (!frame || frame.functionName === '(idle)') return;
      const us = profile.timeDeltas[i] ?? 0;
      busy += us;
      const layer = layerOf(frame);
      totals.set(layer, (totals.get(layer) ?? 0) + us);
    });
  }
  return [...totals].sort((a, b) => b[1] - a[1]).map(([layer, us]) => ({ layer, selfMs: us / 1000, share: busy > 0 ? us / busy : 0 }));
}
