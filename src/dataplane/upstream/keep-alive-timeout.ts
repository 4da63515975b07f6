import { equalsLower } from '../ascii-case.ts';

/**
 * `Keep-Alive: timeout=N` in a response's flat header list, in ms, or -1 when absent (undici's
 * rule: the first `timeout=` of the first Keep-Alive header). The upstream announces how long it
 * keeps an idle connection; reusing one past that races its close. Runs on every keepalive
 * response, so names are compared in place (no lower-cased copy of each 10-letter name).
 */
export function keepAliveTimeoutMs(headers: readonly string[]): number {
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (name.length !== 10 || !equalsLower(name, 'keep-alive')) continue;
    const m = TIMEOUT.exec(headers[i + 1]!);
    return m === null ? -1 : Number(m[1]) * 1000;
  }
  return -1;
}

const TIMEOUT = /timeout=(\d+)/;
