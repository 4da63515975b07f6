/**
 * Options of `node bench/dataplane.ts`, from flags or BENCH_* environment variables (flags win),
 * validated in one place.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';

/** The load variants: response size, whether clients keep connections open, and a burst of
 * connections opened at once (connect-burst.ts). */
export const VARIANTS = ['100B', '1KiB', '100KiB', 'close', 'burst'] as const;
export type Variant = (typeof VARIANTS)[number];

export const TARGET_IDS = ['direct', 'nginx', 'haproxy', 'pier-1', 'pier-n', 'undici', 'fastify'] as const;

/** Targets only run when named: the layer experiments (bench/peers/lean-proxy.ts) and Pier from
 * other checkouts (BENCH_PIER_BASE / BENCH_PIER_AFTER, for before/after in one run). */
export const EXTRA_TARGET_IDS = ['pier-filters', 'pier-public', 'pier-access-log', 'pier-base', 'pier-after', 'lean', 'lean-consume', 'node-floor', 'lean-server', 'lean-client', 'dispatch'] as const;

/** Everything the dataplane benchmark can be told. */
export interface DataplaneOptions {
  readonly rounds: number;
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  /** Warm-up goes on, `warmupSeconds` at a time (at most 15 times), until the target has
   * served this many requests: Node targets optimise code and grow their young generation for
   * tens of thousands of requests, which a loaded machine takes much longer than 2 s to serve. */
  readonly warmupRequests: number;
  readonly connections: number;
  /** Connections opened at once in the `burst` variant. */
  readonly burstConnections: number;
  readonly targets: readonly string[];
  readonly variants: readonly Variant[];
  readonly pierWorkers: number;
  /** Directory for dataplane.md and dataplane.png. */
  readonly outDir: string;
  readonly install: boolean;
  /** When set, Pier's workers write V8 CPU profiles here (NODE_OPTIONS=--cpu-prof). */
  readonly cpuProfDir: string | undefined;
  /** Free text for the results header (e.g. "machine shared with running tests"). */
  readonly note: string;
  /** Print the parsed options and exit (for tests). */
  readonly parseOnly: boolean;
}

export const DATAPLANE_HELP = `node bench/dataplane.ts [options]      (env: BENCH_<OPTION>, e.g. BENCH_ROUNDS=1)
  --rounds N           rounds, targets alternate within each (3)
  --duration S         seconds of load per target per round (10)
  --warmup S           seconds of unmeasured load per target before round 1 of each variant (2)
  --warmup-requests N  repeat the warm-up (up to 15 times) until the target served N requests (50000)
  --connections N      wrk connections (64)
  --burst N            connections opened at once in the burst variant (2000)
  --targets LIST       comma list of ${TARGET_IDS.join(',')} (all);
                       also ${EXTRA_TARGET_IDS.join(',')} (only when named)
  --variants LIST      comma list of ${VARIANTS.join(',')} (all)
  --pier-workers N     workers for "Pier, N workers" (available parallelism)
  --out DIR            where dataplane.md / dataplane.png go (bench/results)
  --no-install         do not apt-get install missing tools
  --cpu-prof DIR       profile Pier's processes with --cpu-prof into DIR
  --note TEXT          a line for the results header
  --parse-only         print the options as JSON and exit`;

function positiveInt(name: string, text: string, min = 1): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got ${JSON.stringify(text)}`);
  return n;
}

function list<T extends string>(name: string, text: string, allowed: readonly T[]): T[] {
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.filter((i) => !(allowed as readonly string[]).includes(i));
  if (bad.length > 0 || items.length === 0) throw new Error(`--${name}: unknown ${bad.join(', ') || '(empty)'}; one of ${allowed.join(', ')}`);
  return items as T[];
}

/** Parses `argv` (without node and script) with `env` as fallback. Throws on invalid input. */
export function parseDataplaneOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): DataplaneOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      rounds: { type: 'string' }, duration: { type: 'string' }, warmup: { type: 'string' }, 'warmup-requests': { type: 'string' }, connections: { type: 'string' }, burst: { type: 'string' },
      targets: { type: 'string' }, variants: { type: 'string' }, 'pier-workers': { type: 'string' }, out: { type: 'string' },
      'no-install': { type: 'boolean' }, 'cpu-prof': { type: 'string' }, note: { type: 'string' }, 'parse-only': { type: 'boolean' },
    },
  });
  const pick = (name: string, fallback: string): string =>
    (values as Record<string, string | undefined>)[name] ?? env[`BENCH_${name.toUpperCase().replaceAll('-', '_')}`] ?? fallback;
  return {
    rounds: positiveInt('rounds', pick('rounds', '3')),
    durationSeconds: positiveInt('duration', pick('duration', '10')),
    warmupSeconds: positiveInt('warmup', pick('warmup', '2'), 0),
    warmupRequests: positiveInt('warmup-requests', pick('warmup-requests', '50000'), 0),
    connections: positiveInt('connections', pick('connections', '64')),
    burstConnections: positiveInt('burst', pick('burst', '2000')),
    targets: list('targets', pick('targets', TARGET_IDS.join(',')), [...TARGET_IDS, ...EXTRA_TARGET_IDS]),
    variants: list('variants', pick('variants', VARIANTS.join(',')), VARIANTS),
    pierWorkers: positiveInt('pier-workers', pick('pier-workers', String(availableParallelism()))),
    outDir: pick('out', new URL('../results', import.meta.url).pathname),
    install: values['no-install'] !== true && env.BENCH_NO_INSTALL === undefined,
    cpuProfDir: pick('cpu-prof', '') || undefined,
    note: pick('note', ''),
    parseOnly: values['parse-only'] === true,
  };
}
