import { Pool } from 'undici';
import type { PoolFactory } from './pool-registry.ts';

/**
 * The upstream fallback on public APIs: undici's own Pool for each endpoint, behind the same
 * Dispatcher contract H1Pool implements (dispatch with undici's handler callbacks), fed the same
 * Pool.Options (poolOptions). For a Node without the llhttp binding H1Pool parses with
 * (node-internals.ts); it costs CPU per request (bench/results/optimizations.md §3), not
 * behaviour: test/dataplane/upstream-fallback.test.ts runs proxy behaviour through it.
 */
export const undiciPoolFactory: PoolFactory = (origin, options) => new Pool(origin, options);
