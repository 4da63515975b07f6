import type { UpstreamPool, UpstreamRequest } from '../../src/dataplane/upstream/upstream-handler.ts';
import type { BackendPolicy } from '../../src/routing/route-table.ts';
import { DEFAULT_POLICY } from '../../src/routing/route-table.ts';

/** What one try through a pool gave: an answer, or the error it failed with. */
export interface PoolAnswer {
  readonly status: number;
  readonly statusText: string;
  readonly headers: string[];
  readonly body: Buffer;
  readonly error: (Error & { code?: string }) | null;
  /** Whether onHeaders came before the error. */
  readonly answered: boolean;
}

/** Sends one request through `pool` with a tiny collecting handler (the contract's callbacks). */
export function send(pool: UpstreamPool, request: Partial<UpstreamRequest> & { path: string }, options: { holdMs?: number } = {}): Promise<PoolAnswer> {
  return new Promise((resolve) => {
    let status = 0;
    let statusText = '';
    let headers: string[] = [];
    const chunks: Buffer[] = [];
    let answered = false;
    let done = false;
    const finish = (error: Error | null): void => {
      if (done) return;
      done = true;
      resolve({ status, statusText, headers, body: Buffer.concat(chunks), error, answered });
    };
    pool.dispatch({ method: 'GET', headers: ['host', 'localhost'], body: null, ...request }, {
      onConnect: () => {},
      onHeaders: (s, h, resume, text) => {
        status = s;
        statusText = text;
        headers = h as unknown as string[];
        answered = true;
        if (options.holdMs !== undefined) {
          // Hold the response back once (backpressure), then take it again.
          setTimeout(resume, options.holdMs);
          return false;
        }
        return true;
      },
      onData: (chunk) => {
        chunks.push(Buffer.from(chunk));
        return true;
      },
      onComplete: () => finish(null),
      onError: (err) => finish(err),
    });
  });
}

/** The value of header `name` (case-insensitive) in a flat list, all values joined by ', '. */
export function header(headers: readonly string[], name: string): string | undefined {
  const values: string[] = [];
  for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() === name) values.push(headers[i + 1]!);
  return values.length === 0 ? undefined : values.join(', ');
}

/** A FastCGI BackendPolicy with the given overrides. */
export function fastcgiPolicy(overrides: Partial<BackendPolicy> = {}): BackendPolicy {
  return {
    ...DEFAULT_POLICY,
    protocol: 'FastCGI',
    timeouts: { connectMs: 2_000, sendMs: 10_000, readMs: 10_000 },
    ...overrides,
  };
}
