import { describe, expect, it } from 'vitest';
import { helpText, parseCommandLine, type PierConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';

/** `pier serve ARGS` with ENV, parsed; the config (fails the test on `help`). */
function serve(args: readonly string[], env: NodeJS.ProcessEnv = {}): PierConfig {
  const result = parseCommandLine(['serve', ...args], env);
  if (result.command !== 'serve') throw new Error('expected serve');
  return result.config;
}

type DurationField = 'keepaliveTimeoutMs' | 'clientHeaderTimeoutMs' | 'clientBodyTimeoutMs';

/** The client connection timeouts: flag, config field, default in ms. */
const CLIENT_TIMEOUTS: readonly { flag: string; field: DurationField; defaultMs: number }[] = [
  { flag: 'keepalive-timeout', field: 'keepaliveTimeoutMs', defaultMs: 75_000 },
  { flag: 'client-header-timeout', field: 'clientHeaderTimeoutMs', defaultMs: 60_000 },
  { flag: 'client-body-timeout', field: 'clientBodyTimeoutMs', defaultMs: 60_000 },
];

describe('client timeout flags', () => {
  it.each(CLIENT_TIMEOUTS)('--$flag defaults to $defaultMs ms', ({ field, defaultMs }) => {
    expect(serve([])[field]).toBe(defaultMs);
  });

  it.each(CLIENT_TIMEOUTS)('--$flag takes a duration from the flag, then from PIER_*, with units', ({ flag, field }) => {
    const env = { [`PIER_${flag.toUpperCase().replaceAll('-', '_')}`]: '2m' };
    expect(serve([`--${flag}`, '300ms'])[field]).toBe(300);
    expect(serve([`--${flag}=15`])[field]).toBe(15_000);
    expect(serve([], env)[field]).toBe(120_000);
    expect(serve([`--${flag}`, '1.5s'], env)[field]).toBe(1_500);
  });

  it.each(CLIENT_TIMEOUTS.flatMap(({ flag }) => [
    { flag, value: 'soon', expected: 'a duration such as 500ms, 30s or 5m' },
    { flag, value: '30x', expected: 'a duration such as 500ms, 30s or 5m' },
    { flag, value: '-1s', expected: 'a duration of 0 or more, such as 500ms, 30s or 5m' },
    { flag, value: '25h', expected: 'at most 24h' },
    // No "off" for the two 408 timeouts (0 would refuse every connection at once).
    ...(flag === 'keepalive-timeout' ? [] : [{ flag, value: '0s', expected: 'more than 0' }]),
  ]))('--$flag $value is refused with a clear error', ({ flag, value, expected }) => {
    const parse = () => serve([`--${flag}=${value}`]);
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(`invalid value for --${flag}: "${value}" (expected ${expected})`);
  });

  it('--help names the nginx directive and the 408 of each new flag', () => {
    const help = helpText();
    expect(help).toMatch(/--client-header-timeout DURATION .*408.*client_header_timeout.*\[default: 60s\]/);
    expect(help).toMatch(/--client-body-timeout DURATION .*408.*client_body_timeout.*\[default: 60s\]/);
  });
});
