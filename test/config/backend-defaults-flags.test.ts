import { describe, expect, it } from 'vitest';
import { helpText } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';
import { DEFAULT_POLICY } from '../../src/routing/route-table.ts';
import { serve } from './serve-config.ts';

/** Where each flag lands in PierConfig.backendDefaults. */
const FIELDS = {
  'proxy-connect-timeout': (c: ReturnType<typeof serve>) => c.backendDefaults.timeouts.connectMs,
  'proxy-send-timeout': (c: ReturnType<typeof serve>) => c.backendDefaults.timeouts.sendMs,
  'proxy-read-timeout': (c: ReturnType<typeof serve>) => c.backendDefaults.timeouts.readMs,
  'upstream-keepalive-connections': (c: ReturnType<typeof serve>) => c.backendDefaults.keepalive.connections,
  'upstream-keepalive-requests': (c: ReturnType<typeof serve>) => c.backendDefaults.keepalive.requests,
  'upstream-keepalive-time': (c: ReturnType<typeof serve>) => c.backendDefaults.keepalive.timeMs,
  'upstream-keepalive-timeout': (c: ReturnType<typeof serve>) => c.backendDefaults.keepalive.idleTimeoutMs,
} as const;
type Flag = keyof typeof FIELDS;

describe('--proxy-*-timeout and --upstream-keepalive-* (ingress-nginx\'s ConfigMap keys)', () => {
  it('defaults are exactly DEFAULT_POLICY\'s timeouts and keepalive', () => {
    expect(serve([]).backendDefaults).toEqual({ timeouts: DEFAULT_POLICY.timeouts, keepalive: DEFAULT_POLICY.keepalive });
  });

  it.each([
    // ingress-nginx's ConfigMap forms: whole seconds for the timeouts and keepalive-timeout.
    { flag: 'proxy-connect-timeout', value: '10', want: 10_000 },
    { flag: 'proxy-send-timeout', value: '120', want: 120_000 },
    { flag: 'proxy-read-timeout', value: '3600', want: 3_600_000 },
    { flag: 'upstream-keepalive-timeout', value: '30', want: 30_000 },
    { flag: 'upstream-keepalive-connections', value: '320', want: 320 },
    { flag: 'upstream-keepalive-requests', value: '1000', want: 1000 },
    // nginx times, as ingress-nginx writes upstream-keepalive-time into nginx.conf verbatim.
    { flag: 'upstream-keepalive-time', value: '2h', want: 7_200_000 },
    { flag: 'upstream-keepalive-time', value: '1h30m', want: 5_400_000 },
    { flag: 'upstream-keepalive-time', value: '1d', want: 86_400_000 },
    { flag: 'upstream-keepalive-time', value: '600', want: 600_000 },
    // Pier's duration forms.
    { flag: 'proxy-connect-timeout', value: '500ms', want: 500 },
    { flag: 'proxy-read-timeout', value: '1.5s', want: 1_500 },
    { flag: 'proxy-send-timeout', value: '2m', want: 120_000 },
    { flag: 'upstream-keepalive-time', value: '1.5h', want: 5_400_000 },
    { flag: 'upstream-keepalive-timeout', value: '90s', want: 90_000 },
    // 0 idle connections: upstream keepalive off, as ingress-nginx.
    { flag: 'upstream-keepalive-connections', value: '0', want: 0 },
  ] as { flag: Flag; value: string; want: number }[])('--$flag $value → $want', ({ flag, value, want }) => {
    expect(FIELDS[flag](serve([`--${flag}`, value]))).toBe(want);
    expect(FIELDS[flag](serve([], { [`PIER_${flag.toUpperCase().replaceAll('-', '_')}`]: value }))).toBe(want);
  });

  it('the flag wins over its PIER_* variable, and one flag leaves the others at their defaults', () => {
    const config = serve(['--proxy-read-timeout', '5'], { PIER_PROXY_READ_TIMEOUT: '7' });
    expect(config.backendDefaults).toEqual({ timeouts: { ...DEFAULT_POLICY.timeouts, readMs: 5_000 }, keepalive: DEFAULT_POLICY.keepalive });
  });

  const DURATION = 'a duration such as 500ms, 30s or 5m';
  it.each([
    { flag: 'proxy-connect-timeout', value: '5x', expected: DURATION },
    { flag: 'proxy-connect-timeout', value: '0', expected: 'more than 0' },
    { flag: 'proxy-send-timeout', value: '-1', expected: 'a duration of 0 or more, such as 500ms, 30s or 5m' },
    { flag: 'proxy-read-timeout', value: '0s', expected: 'more than 0' },
    { flag: 'proxy-read-timeout', value: '25h', expected: 'at most 24h' },
    { flag: 'proxy-read-timeout', value: '1m30s', expected: DURATION },
    { flag: 'upstream-keepalive-timeout', value: '0', expected: 'more than 0' },
    { flag: 'upstream-keepalive-timeout', value: 'long', expected: DURATION },
    { flag: 'upstream-keepalive-time', value: '0', expected: 'more than 0' },
    { flag: 'upstream-keepalive-time', value: '2d', expected: 'at most 24h' },
    { flag: 'upstream-keepalive-time', value: '1hour', expected: DURATION },
    { flag: 'upstream-keepalive-connections', value: '-1', expected: 'a whole number from 0 to 1,000,000 (0 turns upstream keepalive off)' },
    { flag: 'upstream-keepalive-connections', value: 'many', expected: 'a whole number from 0 to 1,000,000 (0 turns upstream keepalive off)' },
    { flag: 'upstream-keepalive-connections', value: '1000001', expected: 'a whole number from 0 to 1,000,000 (0 turns upstream keepalive off)' },
    { flag: 'upstream-keepalive-requests', value: '0', expected: 'a whole number from 1 to 1,000,000' },
    { flag: 'upstream-keepalive-requests', value: '1e4', expected: 'a whole number from 1 to 1,000,000' },
  ])('--$flag $value is refused naming the flag', ({ flag, value, expected }) => {
    const parse = () => serve([`--${flag}=${value}`]);
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(`invalid value for --${flag}: "${value}" (expected ${expected})`);
  });

  it('a bad value from the environment names the variable and the flag', () => {
    expect(() => serve([], { PIER_UPSTREAM_KEEPALIVE_TIME: 'soon' }))
      .toThrow(`invalid value for PIER_UPSTREAM_KEEPALIVE_TIME (--upstream-keepalive-time): "soon" (expected ${DURATION})`);
  });

  it('--help lists each with its default and variable', () => {
    const help = helpText();
    for (const [flag, dflt] of [['proxy-connect-timeout', '5s'], ['proxy-send-timeout', '60s'], ['proxy-read-timeout', '60s'], ['upstream-keepalive-connections', '64'],
      ['upstream-keepalive-requests', '10000'], ['upstream-keepalive-time', '1h'], ['upstream-keepalive-timeout', '60s']]) {
      expect(help).toMatch(new RegExp(`--${flag} (DURATION|N) .*\\[default: ${dflt}\\]  \\(PIER_${flag!.toUpperCase().replaceAll('-', '_')}\\)`));
    }
  });
});
