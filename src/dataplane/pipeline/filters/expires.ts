import type { AccessLogPolicy, ExpiresPolicy } from '../../../routing/policies.ts';
import type { RequestFilter } from '../admission.ts';
import { removeHeader } from './header-lists.ts';
import { equalsLower } from '../../ascii-case.ts';

/** The statuses nginx's `expires` (and `add_header` without `always`) applies to. */
const EXPIRES_STATUSES = new Set([200, 201, 204, 206, 301, 302, 303, 304, 307, 308]);
const EPOCH = 'Thu, 01 Jan 1970 00:00:01 GMT';
/** nginx `expires max`. */
const MAX_EXPIRES = 'Thu, 31 Dec 2037 23:55:55 GMT';
const MAX_AGE = 315_360_000;

/** The HTTP date of now + seconds, recomputed at most once a second per distinct offset. */
function dateIn(seconds: number, memo: { at: number; text: string }): string {
  const now = Math.floor(Date.now() / 1000);
  if (memo.at !== now) {
    memo.at = now;
    memo.text = new Date((now + seconds) * 1000).toUTCString();
  }
  return memo.text;
}

/**
 * `pier.dev/expires` (nginx `expires`) and `pier.dev/cache-control-extra`, as nginx 1.22
 * does it (observed): on the statuses above only, `Expires` replaces the upstream's and the
 * upstream's Cache-Control headers are replaced by one (`max-age=N`; `no-cache` for a
 * negative time and `epoch`; `max-age=315360000` for `max`). `off` leaves both alone. The
 * extra directives are appended to the Cache-Control left (or make one). The hook runs on
 * Pier's own answers and cache hits of the route too, as nginx's headers filter does.
 */
export function expiresFilter(policy: ExpiresPolicy): RequestFilter {
  const memo = { at: -1, text: '' };
  const { mode, seconds, extra } = policy;
  const cacheControl = mode === 'max' ? `max-age=${MAX_AGE}` : mode === 'epoch' || seconds < 0 ? 'no-cache' : `max-age=${seconds}`;
  const hook = (status: number, headers: string[]) => {
    if (!EXPIRES_STATUSES.has(status)) return;
    if (mode !== 'off') {
      removeHeader(headers, 'expires');
      removeHeader(headers, 'cache-control');
      headers.push('expires', mode === 'max' ? MAX_EXPIRES : mode === 'epoch' ? EPOCH : dateIn(seconds, memo), 'cache-control', extra === undefined ? cacheControl : `${cacheControl}, ${extra}`);
    } else if (extra !== undefined) appendCacheControl(headers, extra);
  };
  return (a) => {
    a.onResponse(hook);
    return true;
  };
}

/** Appends `extra` to the last Cache-Control of the list, or adds one. */
function appendCacheControl(headers: string[], extra: string): void {
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    if (headers[i]!.length === 13 && equalsLower(headers[i]!, 'cache-control')) {
      headers[i + 1] = headers[i + 1] === '' ? extra : `${headers[i + 1]}, ${extra}`;
      return;
    }
  }
  headers.push('cache-control', extra);
}

/** `enable-access-log: "false"`: no access line for the route's responses. */
export function accessLogOffFilter(_policy: AccessLogPolicy): RequestFilter {
  return (a) => {
    a.res.onFinish = a.res.onFinish?.unlogged;
    return true;
  };
}
