import type { Backend } from '../../routing/route-table.ts';
import type { Balancer } from './balancer.ts';
import type { BalancerOptions } from './base-balancer.ts';
import { BaseBalancer } from './base-balancer.ts';
import { ConsistentHashBalancer } from './consistent-hash-balancer.ts';
import { IPHashBalancer } from './ip-hash-balancer.ts';
import { LeastConnectionsBalancer } from './least-connections-balancer.ts';
import { RandomTwoChoicesBalancer } from './random-two-choices-balancer.ts';
import { RoundRobinBalancer } from './round-robin-balancer.ts';

/**
 * The balancer for a backend's algorithm. `previous` is the balancer this backend had in the
 * table being replaced: passive-health state of servers present in both (same host:port)
 * carries over, so a swap neither revives a dead server early nor forgets its failures.
 * In-flight counts do not carry over: requests started on `previous` finish on it.
 * `options` injects the clock and random source (tests).
 */
export function createBalancer(backend: Backend, previous?: Balancer, options?: BalancerOptions): BaseBalancer {
  const balancer = construct(backend, options);
  if (previous instanceof BaseBalancer) {
    balancer.health.carryOver(previous.health, backend.policy.healthCheck !== undefined);
  }
  return balancer;
}

function construct(backend: Backend, options?: BalancerOptions): BaseBalancer {
  switch (backend.policy.algorithm) {
    case 'LeastConnections':
      return new LeastConnectionsBalancer(backend, options);
    case 'IPHash':
      return new IPHashBalancer(backend, options);
    case 'ConsistentHash':
      return new ConsistentHashBalancer(backend, options);
    case 'Random':
      return new RandomTwoChoicesBalancer(backend, options);
    case 'RoundRobin':
    default:
      return new RoundRobinBalancer(backend, options);
  }
}
