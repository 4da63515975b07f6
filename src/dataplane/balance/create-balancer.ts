import type { Backend } from '../../routing/route-table.ts';
import type { Balancer } from './balancer.ts';

/**
 * The balancer for a backend's algorithm. `previous` is the balancer this backend had in the
 * table being replaced: passive-health state of servers present in both carries over.
 *
 * Placeholder (plain round robin, no health) until dataplane/balance lands (issue 5).
 */
export function createBalancer(backend: Backend, _previous?: Balancer): Balancer {
  const n = backend.servers.length;
  let next = 0;
  return {
    pick(_ctx, tried) {
      for (let i = 0; i < n; i++) {
        const index = (next + i) % n;
        if (!tried?.has(index)) {
          next = (index + 1) % n;
          return index;
        }
      }
      return -1;
    },
    started() {},
    finished() {},
    failed() {},
    succeeded() {},
  };
}
