import { describe, expect, it } from 'vitest';
import { helpText, parseCommandLine } from '../../src/config.ts';
import { serve } from './serve-config.ts';
import { ConfigError } from '../../src/errors.ts';

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

describe('request limit and listen flags', () => {
  it('defaults: 16 KiB head, 100 header lines, no body limit, backlog 4096', () => {
    expect(serve([])).toMatchObject({ maxHeaderSize: 16_384, maxHeaders: 100, maxBodySize: Infinity, backlog: 4096 });
  });

  it.each([
    { args: ['--max-header-size', '32k'], env: {}, want: { maxHeaderSize: 32_768 } },
    { args: ['--max-header-size=8192'], env: {}, want: { maxHeaderSize: 8_192 } },
    { args: [], env: { PIER_MAX_HEADER_SIZE: '64KiB' }, want: { maxHeaderSize: 65_536 } },
    { args: ['--max-headers', '50'], env: { PIER_MAX_HEADERS: '70' }, want: { maxHeaders: 50 } },
    { args: [], env: { PIER_MAX_HEADERS: '70' }, want: { maxHeaders: 70 } },
    { args: ['--max-body-size', '1m'], env: {}, want: { maxBodySize: 1_048_576 } },
    { args: [], env: { PIER_MAX_BODY_SIZE: '10M' }, want: { maxBodySize: 10_485_760 } },
    { args: ['--max-body-size', '0'], env: { PIER_MAX_BODY_SIZE: '1m' }, want: { maxBodySize: Infinity } },
    { args: ['--backlog', '1024'], env: {}, want: { backlog: 1024 } },
    { args: [], env: { PIER_BACKLOG: '8192' }, want: { backlog: 8192 } },
  ])('$args $env → $want', ({ args, env, want }) => {
    expect(serve(args, env)).toMatchObject(want);
  });

  it.each([
    { flag: 'max-header-size', value: 'big', expected: 'a size such as 1048576, 16k or 1m' },
    { flag: 'max-header-size', value: '512', expected: 'a size from 1k to 16m' },
    { flag: 'max-header-size', value: '1g', expected: 'a size from 1k to 16m' },
    { flag: 'max-body-size', value: '1x', expected: 'a size such as 1048576, 16k or 1m' },
    { flag: 'max-body-size', value: '-1', expected: 'a size such as 1048576, 16k or 1m' },
    { flag: 'max-headers', value: '0', expected: 'a whole number from 1 to 1,000,000' },
    { flag: 'backlog', value: '0', expected: 'a whole number from 1 to 1,000,000' },
  ])('--$flag $value is refused with a clear error', ({ flag, value, expected }) => {
    const parse = () => serve([`--${flag}=${value}`]);
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(`invalid value for --${flag}: "${value}" (expected ${expected})`);
  });

  it('--help shows each with its status and default', () => {
    const help = helpText();
    expect(help).toMatch(/--max-header-size SIZE .*431.*\[default: 16k\]/);
    expect(help).toMatch(/--max-headers N .*431.*\[default: 100\]/);
    expect(help).toMatch(/--max-body-size SIZE .*413.*0 = no limit.*\[default: 0\]/);
    expect(help).toMatch(/--backlog N .*somaxconn.*\[default: 4096\]/);
  });
});

describe('count flags', () => {
  it('--keepalive-requests takes 1 … 1,000,000', () => {
    expect(serve(['--keepalive-requests', '1']).keepaliveRequests).toBe(1);
    expect(serve(['--keepalive-requests=1000000']).keepaliveRequests).toBe(1_000_000);
  });

  // A newcomer's 10000000 was refused with "at least 1": the message must name both bounds.
  it.each([
    { flag: 'keepalive-requests', value: '10000000' },
    { flag: 'keepalive-requests', value: '0' },
    { flag: 'keepalive-requests', value: 'many' },
    { flag: 'workers', value: '1000001' },
  ])('--$flag $value is refused naming the real bounds', ({ flag, value }) => {
    const parse = () => serve([`--${flag}=${value}`]);
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(`invalid value for --${flag}: "${value}" (expected a whole number from 1 to 1,000,000)`);
  });
});

describe('--cache-size and --cache-dir', () => {
  it('default 256Mi and no directory; Kubernetes and decimal units; PIER_* values', () => {
    const serve = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
      const cli = parseCommandLine(['serve', ...argv], env);
      if (cli.command !== 'serve') throw new Error('not serve');
      return cli.config;
    };
    expect([serve([]).cacheSize, serve([]).cacheDir]).toEqual([256 * 1024 * 1024, undefined]);
    expect(serve(['--cache-size', '1Gi']).cacheSize).toBe(1024 ** 3);
    expect(serve(['--cache-size', '100M']).cacheSize).toBe(100_000_000);
    expect(serve(['--cache-size', '4096']).cacheSize).toBe(4096);
    expect(serve(['--cache-size', '2k']).cacheSize).toBe(2000);
    // nginx's max_size spellings, where Kubernetes has no byte unit: binary, as nginx reads them.
    expect(serve(['--cache-size', '10m']).cacheSize).toBe(10 * 1024 ** 2);
    expect(serve(['--cache-size', '1g']).cacheSize).toBe(1024 ** 3);
    expect(serve(['--cache-size', '512K']).cacheSize).toBe(512 * 1024);
    expect(serve([], { PIER_CACHE_SIZE: '512Ki', PIER_CACHE_DIR: '/cache' })).toMatchObject({ cacheSize: 512 * 1024, cacheDir: '/cache' });
    const expected = '(expected a size such as 256Mi, 1Gi, 100M or 1048576 (nginx\'s 10m and 1g are read as MiB and GiB))';
    expect(() => serve(['--cache-size', 'lots'])).toThrow(`invalid value for --cache-size: "lots" ${expected}`);
    expect(() => serve(['--cache-size', '1mi'])).toThrow(`invalid value for --cache-size: "1mi" ${expected}`);
    expect(() => serve(['--cache-size', '0'])).toThrow('invalid value for --cache-size: "0" (expected at least 1 byte)');
  });
});

describe('--access-log stdout|FILE|off', () => {
  it.each([
    { args: [], env: {}, want: undefined },
    { args: ['--access-log'], env: {}, want: 'stdout' },
    { args: ['--access-log', '--workers', '2'], env: {}, want: 'stdout' },
    { args: ['--access-log', 'stdout'], env: {}, want: 'stdout' },
    { args: ['--access-log=/var/log/pier/access.log'], env: {}, want: '/var/log/pier/access.log' },
    { args: ['--access-log', 'off'], env: { PIER_ACCESS_LOG: 'stdout' }, want: undefined },
    { args: [], env: { PIER_ACCESS_LOG: '/tmp/a.log' }, want: '/tmp/a.log' },
    // The flag's former boolean form (the chart's extraArgs access-log: true renders it alone).
    { args: [], env: { PIER_ACCESS_LOG: 'true' }, want: 'stdout' },
    { args: ['--access-log=false'], env: {}, want: undefined },
  ])('$args $env → $want', ({ args, env, want }) => {
    expect(serve(args, env).accessLog).toBe(want);
  });
});
