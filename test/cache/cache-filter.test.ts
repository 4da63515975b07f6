import { describe, expect, it } from 'vitest';
import { cacheFilter } from '../../src/dataplane/cache/cache-filter.ts';
import type { WorkerCache } from '../../src/dataplane/cache/cache-store.ts';
import type { Admission } from '../../src/dataplane/pipeline/admission.ts';
import type { CachePolicy } from '../../src/routing/policies.ts';

const policy: CachePolicy = { kind: 'cache', key: '$scheme://$host$request_uri', valid: [], statusHeader: true };
/** A cache that fails the test if the filter touches it. */
const untouchable = new Proxy({}, { get: (_t, p) => (p === 'countersOf' ? () => ({ hits: 0, misses: 0, hitBytes: 0, storedBytes: 0 }) : () => { throw new Error(`cache.${String(p)} used`); }) }) as unknown as WorkerCache;

describe('cache filter: what it leaves alone', () => {
  it('an Upgrade (WebSocket) request passes untouched: tunnels are never cached', () => {
    const a = { upgrade: true, proceed: undefined, req: { method: 'GET', url: '/ws', rawHeaders: [] } } as unknown as Admission;
    expect(cacheFilter(policy, untouchable, 'default/ws')(a)).toBe(true);
  });

  it('without a cache in the dataplane, every request passes', () => {
    const a = { upgrade: false, proceed: () => {}, req: { method: 'GET', url: '/', rawHeaders: [] } } as unknown as Admission;
    expect(cacheFilter(policy, undefined, 'default/x')(a)).toBe(true);
  });
});
