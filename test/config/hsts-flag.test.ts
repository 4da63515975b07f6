import { describe, expect, it } from 'vitest';
import { helpText } from '../../src/config.ts';
import { serve } from './serve-config.ts';
import { ConfigError } from '../../src/errors.ts';

describe('--hsts', () => {
  it.each([
    ['default: ingress-nginx\'s (one year, includeSubDomains, no preload)', [], {}, 'max-age=31536000; includeSubDomains'],
    ['off', ['--hsts', 'off'], {}, ''],
    ['false, from the environment', [], { PIER_HSTS: 'false' }, ''],
    ['max-age alone', ['--hsts', 'max-age=600'], {}, 'max-age=600'],
    ['any case and spacing, quoted seconds, written back as usual', ['--hsts', ' Max-Age = "63072000" ;INCLUDESUBDOMAINS; Preload '], {}, 'max-age=63072000; includeSubDomains; preload'],
    ['directives in any order', ['--hsts', 'preload; max-age=0'], {}, 'max-age=0; preload'],
    ['leading zeros dropped', ['--hsts', 'max-age=0060'], {}, 'max-age=60'],
    ['empty directives (a trailing ;) allowed', ['--hsts', 'max-age=60;;preload;'], {}, 'max-age=60; preload'],
  ] as const)('%s', (_name, args, env, want) => {
    expect(serve([...args], env).hsts).toBe(want);
  });

  it.each([
    ['no max-age', 'includeSubDomains'],
    ['max-age twice', 'max-age=1; max-age=2'],
    ['a directive twice', 'max-age=1; preload; preload'],
    ['not a number', 'max-age=soon'],
    ['negative', 'max-age=-1'],
    ['over 10 digits', 'max-age=12345678901'],
    ['an unknown directive', 'max-age=1; always'],
    ['empty', ''],
    ['a header line', 'max-age=1\r\nx-evil: 1'],
  ])('%s is refused', (_name, value) => {
    const parse = () => serve(['--hsts', value]);
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(`invalid value for --hsts: ${JSON.stringify(value)}`);
  });

  it('--help shows it with its default and PIER_HSTS', () => {
    expect(helpText()).toContain('--hsts VALUE|off');
    expect(helpText()).toContain('[default: max-age=31536000; includeSubDomains]  (PIER_HSTS)');
  });
});
