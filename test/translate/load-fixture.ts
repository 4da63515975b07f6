import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../src/source/objects.ts';
import type { Snapshot } from '../../src/translate/snapshot.ts';

const FIXTURES = new URL('../fixtures/translate/', import.meta.url);

const FIELD_OF_KIND: Record<string, keyof Snapshot> = {
  IngressClass: 'ingressClasses',
  Ingress: 'ingresses',
  Service: 'services',
  EndpointSlice: 'endpointSlices',
  Secret: 'secrets',
  ConfigMap: 'configMaps',
  Upstream: 'upstreams',
};

/** Reads `test/fixtures/translate/<name>.yaml` (multi-document YAML) into a Snapshot. */
export function loadSnapshot(name: string): Snapshot {
  const text = readFileSync(new URL(`${name}.yaml`, FIXTURES), 'utf8');
  const buckets: Record<keyof Snapshot, KubeObject[]> = {
    ingressClasses: [], ingresses: [], services: [], endpointSlices: [], secrets: [], configMaps: [], upstreams: [],
  };
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${name}.yaml: ${doc.errors[0]!.message}`);
    const obj = doc.toJS() as KubeObject | null;
    if (!obj) continue;
    const field = FIELD_OF_KIND[obj.kind];
    if (!field) throw new Error(`${name}.yaml: unexpected kind ${obj.kind}`);
    buckets[field].push(obj);
  }
  return buckets as unknown as Snapshot;
}
