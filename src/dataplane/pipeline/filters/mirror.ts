import { Agent, buildConnector, type Dispatcher } from 'undici';
import type { MirrorPolicy } from '../../../routing/policies.ts';
import type { Admission, RequestFilter } from '../admission.ts';
import { MirrorBody } from './mirror-body.ts';
import { compileVariables, type Expand } from './nginx-variables.ts';

/** Mirror requests one worker keeps in flight at most; a request beyond is not mirrored. */
export const MAX_MIRRORS_IN_FLIGHT = 256;
/** Of a mirror's answer, this much is read (and dropped) before its connection is cut. */
const MAX_ANSWER_READ = 64 * 1024;

/** Client headers not copied to the mirror: hop-by-hop, the body's framing (Pier sets it for
 * the body it sends), and Host (the mirror's own), as nginx's proxy module leaves them out. */
const NOT_COPIED = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect',
  'http2-settings', 'content-length', 'host',
]);

let inFlight = 0;

/**
 * Connections to mirrors: one undici Agent per connect timeout, shared by every route and
 * table so keepalive connections outlive table swaps. As nginx's mirror location
 * (proxy_ssl_verify off), an https mirror's certificate is not verified.
 */
const agents = new Map<number, Agent>();
function agentFor(connectMs: number): Agent {
  let agent = agents.get(connectMs);
  if (agent === undefined) {
    agent = new Agent({ keepAliveTimeout: 60_000, connect: buildConnector({ timeout: connectMs, rejectUnauthorized: false }) });
    agents.set(connectMs, agent);
  }
  return agent;
}

/**
 * `mirror-target` (ingress-nginx's mirror, nginx's mirror module): every request that reaches
 * this filter is also sent to the mirror, fire and forget: the client's method, its headers
 * (less hop-by-hop ones) with `Host: <mirror-host>`, to the target's path with its variables
 * filled in (the request's own URI when the target has no path), and with `requestBody` the
 * body, copied chunk by chunk as it streams to the real upstream (MirrorBody).
 *
 * Unlike nginx, whose main request waits for the whole body to be read first and keeps the
 * client connection until the mirror subrequest ends, nothing here ever waits for the mirror:
 * the filter returns at once, the mirror's answer is read and dropped, and a mirror that is
 * slow, down or failing only costs its own request. Bounds, per worker: at most
 * MAX_MIRRORS_IN_FLIGHT mirror requests (more are dropped, not queued), each given the Ingress's
 * proxy-read-timeout in all, and a copy of the body at most MAX_MIRROR_BUFFERED bytes ahead of
 * the mirror. Results are counted (DataplaneStats.mirrors: pier_mirror_requests_total), never
 * logged per request. A route without this policy has no such filter and pays nothing.
 */
export function mirrorFilter(policy: MirrorPolicy): RequestFilter {
  const path = policy.path === '' ? undefined : compileVariables(policy.path);
  const agent = agentFor(policy.connectTimeoutMs);
  return (a) => {
    sendMirror(policy, a, path, agent);
    return true;
  };
}

function sendMirror(policy: MirrorPolicy, a: Admission, path: Expand | undefined, agent: Dispatcher): void {
  const counts = a.stats.mirrors;
  if (inFlight >= MAX_MIRRORS_IN_FLIGHT) {
    counts.dropped++;
    return;
  }
  const req = a.req;
  let target = path === undefined ? req.url : path(a);
  if (target.charCodeAt(0) !== 47 /* / */) target = `/${target}`;
  const headers: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (!NOT_COPIED.has(raw[i]!.toLowerCase())) headers.push(raw[i]!, raw[i + 1]!);
  headers.push('host', policy.host);
  let body: MirrorBody | null = null;
  if (policy.requestBody && req.body !== null && req.facts.hasBody && !a.upgrade) {
    body = new MirrorBody(req.body);
    if (req.facts.contentLength >= 0) headers.push('content-length', String(req.facts.contentLength));
    a.onDone(cutBody(body));
  }
  inFlight++;
  let pending: Promise<Dispatcher.ResponseData>;
  try {
    pending = agent.request({
      origin: policy.origin, path: target, method: req.method as Dispatcher.HttpMethod, headers, body,
      headersTimeout: policy.timeoutMs, bodyTimeout: policy.timeoutMs, signal: AbortSignal.timeout(policy.timeoutMs),
    });
  } catch (err) {
    pending = Promise.reject(err as Error);
  }
  pending
    .then((res) => res.body.dump({ limit: MAX_ANSWER_READ }))
    .then(() => { counts.sent++; }, () => { if (body?.dropped === true) counts.dropped++; else counts.failed++; })
    .finally(() => { inFlight--; });
}

function cutBody(body: MirrorBody): () => void {
  return () => body.cut();
}
