import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { serve } from './serve-config.ts';

/* The flags that take true|false (ingress-nginx's ConfigMap ssl-redirect and force-ssl-redirect, its --update-status). */

describe('--ssl-redirect and --force-ssl-redirect (ingress-nginx\'s ConfigMap keys)', () => {
  it('default as ingress-nginx: ssl-redirect on, force-ssl-redirect off', () => {
    expect(serve([]).annotationDefaults).toEqual({ sslRedirect: true, forceSslRedirect: false, httpsPort: 8443, redirectCode: 308, noTlsRedirectLocations: ['/.well-known/acme-challenge'], noAuthLocations: ['/.well-known/acme-challenge'] });
  });

  it.each([
    { args: ['--ssl-redirect', 'false'], want: { sslRedirect: false, forceSslRedirect: false, httpsPort: 8443, redirectCode: 308, noTlsRedirectLocations: ['/.well-known/acme-challenge'], noAuthLocations: ['/.well-known/acme-challenge'] } },
    { args: ['--ssl-redirect=off'], want: { sslRedirect: false, forceSslRedirect: false, httpsPort: 8443, redirectCode: 308, noTlsRedirectLocations: ['/.well-known/acme-challenge'], noAuthLocations: ['/.well-known/acme-challenge'] } },
    { args: ['--force-ssl-redirect', 'true'], want: { sslRedirect: true, forceSslRedirect: true, httpsPort: 8443, redirectCode: 308, noTlsRedirectLocations: ['/.well-known/acme-challenge'], noAuthLocations: ['/.well-known/acme-challenge'] } },
    { args: ['--ssl-redirect', 'false', '--force-ssl-redirect', '1'], want: { sslRedirect: false, forceSslRedirect: true, httpsPort: 8443, redirectCode: 308, noTlsRedirectLocations: ['/.well-known/acme-challenge'], noAuthLocations: ['/.well-known/acme-challenge'] } },
  ])('$args', ({ args, want }) => {
    expect(serve(args).annotationDefaults).toEqual(want);
  });

  it('read from PIER_SSL_REDIRECT (ingress-nginx ConfigMap values are strings: "false")', () => {
    expect(serve([], { PIER_SSL_REDIRECT: 'false' }).annotationDefaults.sslRedirect).toBe(false);
  });

  it('anything but a boolean stops the start, naming the flag', () => {
    expect(() => serve(['--force-ssl-redirect', 'always'])).toThrow(ConfigError);
    expect(() => serve(['--force-ssl-redirect', 'always'])).toThrow('invalid value for --force-ssl-redirect: "always" (expected true or false)');
  });
});

describe('--update-status (ingress-nginx\'s flag)', () => {
  it('true by default; --update-status=false as ingress-nginx spells it', () => {
    expect(serve([]).updateStatus).toBe(true);
    expect(serve(['--update-status=false']).updateStatus).toBe(false);
    expect(() => serve(['--update-status=never'])).toThrow('invalid value for --update-status: "never" (expected true or false)');
  });
});
