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

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
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
