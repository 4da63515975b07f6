import type { Policy } from '../../routing/policies.ts';
import type { Route } from '../../routing/route-table.ts';
import type { BackendRuntime } from '../backend-runtime.ts';
import { cacheFilter } from '../cache/cache-filter.ts';
import type { WorkerCache } from '../cache/cache-store.ts';
import type { SelfAddress } from '../self-address.ts';
import type { Admission, RequestFilter } from './admission.ts';
import { basicAuthFilter } from './filters/basic-auth.ts';
import { bodySizeFilter } from './filters/body-size.ts';
import { canaryFilter } from './filters/canary.ts';
import { clientCertFilter } from './filters/client-cert.ts';
import { cookieAffinityFilter } from './filters/cookie-affinity.ts';
import { denyFilter } from './filters/deny.ts';
import { errorPagesFilter } from './filters/error-pages.ts';
import { accessLogOffFilter, expiresFilter } from './filters/expires.ts';
import { externalAuthFilter } from './filters/external-auth.ts';
import { fallbackBackendFilter } from './filters/fallback-backend.ts';
import type { GlobalHeaders } from './filters/global-headers.ts';
import { ipAccessFilter } from './filters/ip-access.ts';
import { mirrorFilter } from './filters/mirror.ts';
import { satisfyAnyFilter, type AccessControls } from './filters/satisfy-any.ts';
import { requestHeadersFilter, responseHeadersFilter } from './filters/header-edits.ts';
import { appRootFilter, hostRedirectFilter, httpsRedirectFilter, redirectFilter } from './filters/redirects.ts';
import { rewriteFilter } from './filters/rewrite.ts';
import { responseRewriteFilter } from './filters/response-rewrite.ts';
import { rateLimitFilter } from './filters/rate-limit.ts';
import { corsFilter } from './filters/cors.ts';
import { compressionFilter } from './filters/compression.ts';
import { limitRateFilter } from './filters/limit-rate.ts';
import type { Limiter } from '../limits/limiter.ts';
import { LocalLimiter } from '../limits/local-limiter.ts';

/** A route's filters, compiled once per table swap; run in order by runPipeline. */
export type RoutePipeline = readonly RequestFilter[];

/** What compiling a filter may need besides its policy: other backends of the table, the
 * worker's shared cache. */
export interface FilterContext {
  readonly resolve: (id: string) => BackendRuntime;
  readonly cache?: WorkerCache;
  /** Pier's own listeners and hosts (external auth to a host Pier serves; self-address.ts). */
  readonly self?: SelfAddress;
  /** Where rate-limit state lives (this worker, or leased from the primary). */
  readonly limiter?: Limiter;
  /** The table's `--proxy-set-headers` / `--add-headers`, which every route runs first. */
  readonly globalHeaders?: GlobalHeaders;
}

type Compiler<K extends Policy['kind']> = (policy: Extract<Policy, { kind: K }>, ctx: FilterContext, route: Route) => RequestFilter;

/**
 * Policy kind → filter compiler: the one table a new filter registers in. A kind missing here
 * (a policy a newer control plane sent) is skipped with no effect rather than failing a swap.
 */
const COMPILERS: { readonly [K in Policy['kind']]?: Compiler<K> } = {
  'host-redirect': hostRedirectFilter,
  'app-root': appRootFilter,
  redirect: redirectFilter,
  'https-redirect': httpsRedirectFilter,
  deny: denyFilter,
  'client-cert': clientCertFilter,
  'ip-access': ipAccessFilter,
  'basic-auth': basicAuthFilter,
  'external-auth': (p, ctx) => externalAuthFilter(p, ctx.self),
  'body-size': bodySizeFilter,
  canary: (p, ctx) => canaryFilter(p, ctx.resolve),
  'fallback-backend': (p, ctx) => fallbackBackendFilter(p, ctx.resolve),
  'cookie-affinity': cookieAffinityFilter,
  'error-pages': (p, ctx) => errorPagesFilter(p, ctx.resolve),
  rewrite: rewriteFilter,
  mirror: mirrorFilter,
  'request-headers': requestHeadersFilter,
  'response-headers': responseHeadersFilter,
  'response-rewrite': responseRewriteFilter,
  'rate-limit': (p, ctx) => rateLimitFilter(p, ctx.limiter ?? defaultLimiter()),
  cors: corsFilter,
  compression: compressionFilter,
  'limit-rate': limitRateFilter,
  expires: expiresFilter,
  'access-log-off': accessLogOffFilter,
  cache: (p, ctx, route) => cacheFilter(p, ctx.cache, route.origin),
};

let fallbackLimiter: Limiter | undefined;
/** A dataplane created without a limiter keeps rate-limit state in its own process. */
function defaultLimiter(): Limiter {
  return (fallbackLimiter ??= new LocalLimiter());
}

/**
 * Compiles `route.policies` (already in filter order) into its pipeline, after the table's
 * global headers filter when it has one; `route` undefined is the table's default backend,
 * which gets only that. Undefined when there is nothing to run: a route without policies in a
 * table without header lists costs one branch per request.
 */
export function compilePipeline(route: Route | undefined, ctx: FilterContext): RoutePipeline | undefined {
  if (route?.policies === undefined) return ctx.globalHeaders?.pipeline;
  const policies = route.policies;
  const filters: RequestFilter[] = ctx.globalHeaders === undefined ? [] : [ctx.globalHeaders.filter];
  // satisfy: any — the access controls become one filter, where the marker stands (before them).
  const anyOf = policies.some((p) => p.kind === 'satisfy-any');
  for (const policy of policies) {
    if (anyOf && ACCESS_KINDS.has(policy.kind)) {
      if (policy.kind === 'satisfy-any') filters.push(satisfyAnyFilter(accessControls(policies, ctx)));
      continue;
    }
    const compile = COMPILERS[policy.kind] as Compiler<typeof policy.kind> | undefined;
    if (compile !== undefined) filters.push(compile(policy as never, ctx, route));
  }
  return filters.length === 0 ? undefined : filters;
}

/** The policies nginx's `satisfy` combines (its access phase), and the marker itself. */
const ACCESS_KINDS: ReadonlySet<Policy['kind']> = new Set(['satisfy-any', 'ip-access', 'basic-auth', 'external-auth']);

function accessControls(policies: readonly Policy[], ctx: FilterContext): AccessControls {
  let controls: AccessControls = {};
  for (const p of policies) {
    if (p.kind === 'ip-access') controls = { ...controls, ip: p };
    else if (p.kind === 'basic-auth') controls = { ...controls, basic: p };
    else if (p.kind === 'external-auth') controls = { ...controls, external: externalAuthFilter(p, ctx.self) };
  }
  return controls;
}

/**
 * Runs the filters in order; false when one of them answered the request. While every filter
 * answers synchronously this is the plain loop (callers test `=== true`, so a route without an
 * async filter pays nothing more); from the first filter that returns a Promise on, the rest run
 * in runRest once it resolves, and the caller gets that Promise.
 */
export function runPipeline(pipeline: RoutePipeline, admission: Admission): boolean | Promise<boolean> {
  for (let i = 0; i < pipeline.length; i++) {
    const verdict = pipeline[i]!(admission);
    if (verdict === true) continue;
    if (verdict === false) return false;
    return runRest(pipeline, admission, i + 1, verdict);
  }
  return true;
}

async function runRest(pipeline: RoutePipeline, admission: Admission, from: number, pending: Promise<boolean>): Promise<boolean> {
  if (!(await pending)) return false;
  for (let i = from; i < pipeline.length; i++) {
    const verdict = pipeline[i]!(admission);
    if (!(verdict === true || (verdict !== false && await verdict))) return false;
  }
  return true;
}
