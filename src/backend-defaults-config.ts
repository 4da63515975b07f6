import { aboveZero, parseCount, parseDuration, parseIdleConnections, parseNginxDuration } from './config-values.ts';
import type { BackendDefaults } from './routing/route-table.ts';

/** The flags BackendDefaults is read from (ingress-nginx's ConfigMap keys, same names). */
export type BackendDefaultsFlag =
  | 'proxy-connect-timeout' | 'proxy-send-timeout' | 'proxy-read-timeout'
  | 'upstream-keepalive-connections' | 'upstream-keepalive-requests' | 'upstream-keepalive-time' | 'upstream-keepalive-timeout';

/**
 * `--proxy-*-timeout` and `--upstream-keepalive-*`: the timeouts and keepalive of every Service
 * backend. Each takes ingress-nginx's ConfigMap value (timeouts and keepalive-timeout in whole
 * seconds, keepalive-time an nginx time such as `1h`) or a Pier duration (`500ms`, `2m`). A
 * timeout of 0 is refused: nginx would time out at once, and Pier's policies read 0 as "none";
 * the same for `upstream-keepalive-time` and `-requests` (0 is "unlimited" in Pier's policy but
 * "no reuse" in nginx). `upstream-keepalive-connections 0` turns upstream keepalive off, as in
 * ingress-nginx (requests go with `Connection: close`).
 * `label` names the flag (or the variable) as the user wrote it; `value` is its text or default.
 */
export function backendDefaultsConfig(label: (flag: BackendDefaultsFlag) => string, value: (flag: BackendDefaultsFlag) => string): BackendDefaults {
  const timeout = (flag: BackendDefaultsFlag) => aboveZero(label(flag), value(flag), parseDuration(label(flag), value(flag)));
  return {
    timeouts: { connectMs: timeout('proxy-connect-timeout'), sendMs: timeout('proxy-send-timeout'), readMs: timeout('proxy-read-timeout') },
    keepalive: {
      connections: parseIdleConnections(label('upstream-keepalive-connections'), value('upstream-keepalive-connections')),
      requests: parseCount(label('upstream-keepalive-requests'), value('upstream-keepalive-requests')),
      timeMs: aboveZero(label('upstream-keepalive-time'), value('upstream-keepalive-time'), parseNginxDuration(label('upstream-keepalive-time'), value('upstream-keepalive-time'))),
      idleTimeoutMs: timeout('upstream-keepalive-timeout'),
    },
  };
}
