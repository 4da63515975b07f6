import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LayeredMap } from '../../src/routing/layered-map.ts';

const KEYS = Array.from({ length: 40 }, (_, i) => `k${i}`);
const stepArb = fc.record({
  set: fc.array(fc.tuple(fc.constantFrom(...KEYS), fc.integer()), { maxLength: 30 }),
  remove: fc.array(fc.constantFrom(...KEYS), { maxLength: 30 }),
});

describe('LayeredMap', () => {
  it('behaves as a Map copied and changed at every step, and leaves each earlier version as it was', () => {
    fc.assert(fc.property(fc.array(stepArb, { maxLength: 60 }), (steps) => {
      let layered = new LayeredMap<string, number>();
      let model = new Map<string, number>();
      const versions: [LayeredMap<string, number>, Map<string, number>][] = [];
      for (const step of steps) {
        const set = new Map(step.set);
        layered = layered.with(set, step.remove);
        model = new Map(model);
        for (const key of step.remove) if (!set.has(key)) model.delete(key);
        for (const [key, value] of set) model.set(key, value);
        versions.push([layered, model]);
      }
      for (const [l, m] of versions) {
        expect(l.size).toBe(m.size);
        expect(new Map(l)).toEqual(m);
        expect([...l.values()].length).toBe(m.size);
        for (const key of KEYS) {
          expect(l.get(key)).toBe(m.get(key));
          expect(l.has(key)).toBe(m.has(key));
        }
      }
    }), { numRuns: 300 });
  });

  it('copies only its overlay while it is small, and folds it into a new base when it grows', () => {
    const base = new LayeredMap(new Map(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i])));
    let map = base;
    for (let i = 0; i < 3000; i++) map = map.with(new Map([[`k${i}`, -i]]));
    expect(map.size).toBe(100_000);
    expect(map.get('k2999')).toBe(-2999);
    expect(map.get('k3000')).toBe(3000);
    expect(base.get('k2999')).toBe(2999);
  });
});
