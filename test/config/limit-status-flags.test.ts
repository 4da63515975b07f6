import { describe, expect, it } from 'vitest';
import { helpText } from '../../src/config.ts';
import { serve } from './serve-config.ts';
import { ConfigError } from '../../src/errors.ts';

describe('--limit-req-status-code / --limit-conn-status-code', () => {
  it.each([
    ['default 503 (ingress-nginx)', [], {}, 503, 503],
    ['flags', ['--limit-req-status-code', '429', '--limit-conn-status-code', '503'], {}, 429, 503],
    ['environment', [], { PIER_LIMIT_REQ_STATUS_CODE: '429', PIER_LIMIT_CONN_STATUS_CODE: '429' }, 429, 429],
    ['flag wins over environment', ['--limit-req-status-code', '503'], { PIER_LIMIT_REQ_STATUS_CODE: '429' }, 503, 503],
  ] as const)('%s', (_name, args, env, req, conn) => {
    const config = serve([...args], env);
    expect([config.limitReqStatusCode, config.limitConnStatusCode]).toEqual([req, conn]);
  });

  it.each([['limit-req-status-code', '200'], ['limit-req-status-code', '600'], ['limit-conn-status-code', 'busy'], ['limit-conn-status-code', '4290']])('--%s %s is refused', (flag, value) => {
    const parse = () => serve([`--${flag}`, value]);
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(`invalid value for --${flag}: "${value}" (expected a status code from 400 to 599)`);
  });

  it('--help lists both with their PIER_* names', () => {
    expect(helpText()).toContain('--limit-req-status-code CODE');
    expect(helpText()).toContain('(PIER_LIMIT_REQ_STATUS_CODE)');
    expect(helpText()).toContain('(PIER_LIMIT_CONN_STATUS_CODE)');
  });
});
