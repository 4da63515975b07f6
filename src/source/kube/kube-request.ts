import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError } from '../../errors.ts';

/** A non-2xx answer of the API server; `statusCode` is what ListWatch checks for 410. */
export class KubeStatusError extends KubeApiError {
  readonly statusCode: number;
  constructor(statusCode: number, message: string) {
    super(message);
    this.name = 'KubeStatusError';
    this.statusCode = statusCode;
  }
}

/** The HTTP status of an error from either the raw requests here or the generated client. */
export function httpStatusOf(err: unknown): number | undefined {
  const e = err as { statusCode?: unknown; code?: unknown } | undefined;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  if (typeof e?.code === 'number') return e.code;
  return undefined;
}

/**
 * GETs `path` and returns the parsed JSON exactly as the API server sent it.
 *
 * Why not the generated list functions: they run the body through ObjectSerializer, which
 * turns timestamps into Date objects and drops fields it has no model for, while watch events
 * arrive as raw JSON. Listing raw keeps both paths identical (plain objects of
 * source/objects.ts, `creationTimestamp` as the RFC 3339 string the server wrote). The client's
 * own authentication and TLS settings still apply (`applyToHTTPSOptions`).
 *
 * `timeoutMs` bounds the whole exchange (connect, head and body), not only idle time: a server
 * that accepts the connection and never answers, or trickles bytes, fails the request instead
 * of blocking its informer, which then retries through its backoff. `signal` abandons it.
 */
export async function getJson(kc: KubeConfig, path: string, query: Readonly<Record<string, string | undefined>> = {}, timeoutMs = 30_000, signal?: AbortSignal): Promise<unknown> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeApiError('the kubeconfig has no current cluster');
  const url = new URL(cluster.server.replace(/\/+$/, '') + path);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
  const opts: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const transport = url.protocol === 'https:' ? https : http;
  const agent = opts.agent as http.Agent | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    signal?.throwIfAborted();
    return await new Promise((resolve, reject) => {
      const req = transport.request(url, { method: 'GET', agent, auth: opts.auth, headers: { ...opts.headers, accept: 'application/json' }, signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) return reject(new KubeStatusError(status, `GET ${url.pathname}: HTTP ${status}: ${statusMessage(text)}`));
          try {
            resolve(JSON.parse(text));
          } catch (err) {
            reject(new KubeApiError(`GET ${url.pathname}: invalid JSON`, { cause: err }));
          }
        });
      });
      timer = setTimeout(() => {
        const err = new KubeApiError(`GET ${url.pathname}: no complete answer within ${timeoutMs} ms`);
        reject(err);
        req.destroy(err);
      }, timeoutMs);
      req.on('error', reject);
      req.end();
    });
  } finally {
    clearTimeout(timer);
    agent?.destroy();
  }
}

function statusMessage(text: string): string {
  try {
    const status = JSON.parse(text) as { message?: unknown };
    if (typeof status.message === 'string') return status.message;
  } catch {
    // not a Status object: fall through to the raw text
  }
  return text.slice(0, 200);
}
