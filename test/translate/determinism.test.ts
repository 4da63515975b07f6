import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { EndpointSlice, Service } from '../../src/source/objects.ts';
import type { Snapshot } from '../../src/translate/snapshot.ts';
import { translate } from '../../src/translate/translate.ts';
import { OPTIONS } from './builders.ts';
import { loadSnapshot } from './load-fixture.ts';
import { seeded as random } from '../helpers/seeded-random.ts';

/*
 * translate() must give the same output whatever order the store hands objects over in: every
 * fixture, shuffled with fixed seeds (objects of each kind, a Service's ports, a slice's ports
 * and endpoints), must translate to exactly the same JSON as the file order. Rule and path order
 * inside an Ingress is not shuffled: it decides duplicates within one Ingress, by design.
 */

const FIXTURES = readdirSync(new URL('../fixtures/translate/', import.meta.url))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.slice(0, -'.yaml'.length))
  .sort();

/** A shuffled copy; anything that is not a list (malformed fixtures have some) is returned as is. */
function shuffled<T>(list: readonly T[] | undefined, rnd: () => number): readonly T[] | undefined {
  if (!Array.isArray(list)) return list;
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function shuffleSnapshot(s: Snapshot, rnd: () => number): Snapshot {
  const service = (svc: Service): Service => ({ ...svc, spec: svc.spec && { ...svc.spec, ports: shuffled(svc.spec.ports, rnd) } });
  const slice = (es: EndpointSlice): EndpointSlice => ({ ...es, ports: shuffled(es.ports, rnd), endpoints: shuffled(es.endpoints, rnd) });
  return {
    ingressClasses: shuffled(s.ingressClasses, rnd)!,
    ingresses: shuffled(s.ingresses, rnd)!,
    services: shuffled(s.services.map(service), rnd)!,
    endpointSlices: shuffled(s.endpointSlices.map(slice), rnd)!,
    secrets: shuffled(s.secrets, rnd)!,
    upstreams: shuffled(s.upstreams, rnd)!,
  };
}

describe('translate is deterministic', () => {
  it('has fixtures to shuffle', () => {
    expect(FIXTURES.length).toBeGreaterThan(10);
  });

  it.each(FIXTURES)('%s: same output for 20 shuffled input orders', (name) => {
    const snapshot = loadSnapshot(name);
    const options = { ...OPTIONS, watchIngressWithoutClass: true };
    const want = JSON.stringify(translate(snapshot, options));
    for (let seed = 1; seed <= 20; seed++) {
      expect(JSON.stringify(translate(shuffleSnapshot(snapshot, random(seed)), options)), `seed ${seed}`).toBe(want);
    }
  });
});
