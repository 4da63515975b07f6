import { FASTCGI_DEFAULTS } from '../../../routing/fastcgi-defaults.ts';
import type { BackendPolicy } from '../../../routing/route-table.ts';

/** A FastCGI pool's settings, resolved once per pool from its BackendPolicy. */
export interface FastcgiSettings {
  /** DOCUMENT_ROOT, without a trailing slash (`/` stays `/`). */
  readonly documentRoot: string;
  /** Appended to a script name that ends with `/` (nginx `fastcgi_index`). */
  readonly index: string;
  /** SCRIPT_FILENAME for every request (a front controller); else documentRoot + SCRIPT_NAME. */
  readonly scriptFilename: string | undefined;
  /** The extension that ends SCRIPT_NAME when PATH_INFO follows (`.php`); '' turns splitting off. */
  readonly splitPathInfo: string;
  /** Extra parameters, flat `[name, value, ...]`; they replace built-in ones of the same name. */
  readonly params: readonly string[];
  /** Idle connections kept (nginx `keepalive N`); 0: FCGI_KEEP_CONN off, one request per connection. */
  readonly maxIdle: number;
  /** Requests per connection; the last one goes without FCGI_KEEP_CONN. 0: unlimited. */
  readonly maxRequests: number;
  /** Maximum connection age in ms; 0: unlimited. */
  readonly ttlMs: number;
  readonly idleMs: number;
  readonly connectMs: number;
  /** Between two reads, and the wait for the head once the request is sent (0: off). */
  readonly readMs: number;
  /** Largest CGI response header block accepted (nginx `fastcgi_buffer_size`, larger here). */
  readonly maxHeaderBytes: number;
}

const DEFAULT_IDLE_MS = 4_000;
const MAX_HEADER_BYTES = 32 * 1024;

/** BackendPolicy → FastcgiSettings. */
export function fastcgiSettings(policy: BackendPolicy): FastcgiSettings {
  const f = policy.fastcgi ?? FASTCGI_DEFAULTS;
  const k = policy.keepalive;
  const root = f.documentRoot.length > 1 && f.documentRoot.endsWith('/') ? f.documentRoot.slice(0, -1) : f.documentRoot;
  const params: string[] = [];
  for (const p of f.params) params.push(p.name, p.value);
  return {
    documentRoot: root,
    index: f.index,
    scriptFilename: f.scriptFilename,
    splitPathInfo: f.splitPathInfo,
    params,
    maxIdle: k.requests === 1 ? 0 : k.connections,
    maxRequests: k.requests,
    ttlMs: k.timeMs,
    idleMs: k.idleTimeoutMs > 0 ? k.idleTimeoutMs : DEFAULT_IDLE_MS,
    connectMs: policy.timeouts.connectMs,
    readMs: policy.timeouts.readMs,
    maxHeaderBytes: MAX_HEADER_BYTES,
  };
}
