import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/translate/snapshot.ts';
import { translate } from '../../src/translate/translate.ts';
import { OPTIONS } from './builders.ts';
import { loadSnapshot } from './load-fixture.ts';

/*
 * A bad object never breaks the table: translate() must not throw whatever JSON a manifest holds.
 * Each fixture is mutated with fixed seeds — three fields anywhere in its objects replaced by
 * values of other JSON types — and must still translate.
 */

const FIXTURES = readdirSync(new URL('../fixtures/translate/', import.meta.url))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.slice(0, -'.yaml'.length))
  .sort();

const ODD_VALUES: unknown[] = [null, 0, -1, 70000, 'x', '', true, [], {}, [null], [{}], { a: 1 }];
const MUTATIONS_PER_FIXTURE = 60;

/** Park-Miller LCG: enough randomness to pick fields, fixed by the seed. */
function random(seed: number): () => number {
  let s = seed % 2147483647 || 1;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

/**
 * Every [container, key] pair below `value`. An object's metadata itself, its name and its
 * namespace are left alone: the sources guarantee those (parse-manifest refuses objects without).
 */
function slots(value: unknown, out: [Record<string, unknown>, string][] = [], metadata = false): [Record<string, unknown>, string][] {
  if (typeof value !== 'object' || value === null) return out;
  for (const [key, child] of Object.entries(value)) {
    const fixed = key === 'metadata' || (metadata && (key === 'name' || key === 'namespace'));
    if (!fixed) out.push([value as Record<string, unknown>, key]);
    slots(child, out, key === 'metadata');
  }
  return out;
}

function mutate(snapshot: Snapshot, rnd: () => number): Snapshot {
  const copy = structuredClone(snapshot) as unknown as Record<string, unknown[]>;
  const objects = Object.values(copy).flat();
  const candidates = objects.flatMap((o) => slots(o).filter(([, key]) => key !== 'kind'));
  for (let n = 0; n < 3 && candidates.length > 0; n++) {
    const [container, key] = candidates[Math.floor(rnd() * candidates.length)]!;
    container[key] = ODD_VALUES[Math.floor(rnd() * ODD_VALUES.length)];
  }
  return copy as unknown as Snapshot;
}

describe('translate never throws on malformed objects', () => {
  it.each(FIXTURES)(`%s: ${MUTATIONS_PER_FIXTURE} mutated copies translate`, (name) => {
    const snapshot = loadSnapshot(name);
    for (let seed = 1; seed <= MUTATIONS_PER_FIXTURE; seed++) {
      const mutated = mutate(snapshot, random(seed));
      let result;
      try {
        result = translate(mutated, OPTIONS);
      } catch (error) {
        throw new Error(`seed ${seed}: ${String(error)}\n${JSON.stringify(mutated)}`, { cause: error });
      }
      expect(Array.isArray(result.table.virtualHosts) && Array.isArray(result.problems)).toBe(true);
    }
  });
});
