import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { serve } from './serve-config.ts';

/* --public-http-port / --public-https-port: the ports clients connect to (X-Forwarded-Port, use-port-in-redirects). */

describe('--public-http-port and --public-https-port', () => {
  it('absent: the listeners\' own ports count (X-Forwarded-Port as listened; use-port-in-redirects names --https-port)', () => {
    const c = serve(['--https-port', '9443']);
    expect([c.publicHttpPort, c.publicHttpsPort]).toEqual([undefined, undefined]);
    expect(c.annotationDefaults.httpsPort).toBe(9443);
  });

  it('given: the ports clients use, and the one use-port-in-redirects names', () => {
    const c = serve(['--public-http-port', '80', '--public-https-port=443']);
    expect([c.publicHttpPort, c.publicHttpsPort]).toEqual([80, 443]);
    expect(c.annotationDefaults.httpsPort).toBe(443);
  });

  it.each([['--public-http-port', '0'], ['--public-https-port', '70000'], ['--public-https-port', 'https']])('%s %s stops the start, naming the flag', (flag, value) => {
    expect(() => serve([flag, value])).toThrow(ConfigError);
    expect(() => serve([flag, value])).toThrow(`--${flag.slice(2)}`);
  });
});
