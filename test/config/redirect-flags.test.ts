import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { serve } from './serve-config.ts';

/* --http-redirect-code and --no-tls-redirect-locations (ingress-nginx's ConfigMap keys of the same names). */

describe('--http-redirect-code and --no-tls-redirect-locations', () => {
  it('default as ingress-nginx: 308, and ACME challenges never redirected', () => {
    expect(serve([]).annotationDefaults).toMatchObject({ redirectCode: 308, noTlsRedirectLocations: ['/.well-known/acme-challenge'] });
  });

  it.each(['301', '302', '307', '308'])('--http-redirect-code %s', (code) => {
    expect(serve(['--http-redirect-code', code]).annotationDefaults.redirectCode).toBe(Number(code));
  });

  it('another code stops the start, naming the flag', () => {
    expect(() => serve(['--http-redirect-code', '303'])).toThrow(ConfigError);
    expect(() => serve(['--http-redirect-code', '303'])).toThrow('invalid value for --http-redirect-code: "303" (expected 301, 302, 307 or 308)');
  });

  it('--no-tls-redirect-locations: a list of path prefixes; empty: none', () => {
    expect(serve(['--no-tls-redirect-locations', '/.well-known/acme-challenge, /healthz']).annotationDefaults.noTlsRedirectLocations).toEqual(['/.well-known/acme-challenge', '/healthz']);
    expect(serve(['--no-tls-redirect-locations=']).annotationDefaults.noTlsRedirectLocations).toEqual([]);
  });
});
