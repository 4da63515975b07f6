import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { serve } from './serve-config.ts';

/* --global-auth-* and --no-auth-locations (ingress-nginx's ConfigMap keys of the same names). */

describe('--global-auth-url and the other --global-auth-* flags', () => {
  it('without --global-auth-url: no global auth, whatever the others say (as ingress-nginx)', () => {
    expect(serve([]).annotationDefaults.globalAuth).toBeUndefined();
    expect(serve(['--global-auth-method', 'POST']).annotationDefaults.globalAuth).toBeUndefined();
  });

  it('read with the auth-* annotations\' parser: the policy every route without its own auth gets', () => {
    const auth = serve([
      '--global-auth-url', 'https://auth.example.com/oauth2/auth', '--global-auth-signin', 'https://auth.example.com/oauth2/start?rd=$escaped_request_uri',
      '--global-auth-response-headers', 'X-Auth-Request-User, X-Auth-Request-Email', '--global-auth-method', 'GET', '--global-auth-always-set-cookie', 'true',
    ]).annotationDefaults.globalAuth;
    expect(auth).toMatchObject({
      kind: 'external-auth', url: 'https://auth.example.com/oauth2/auth', method: 'GET', signin: 'https://auth.example.com/oauth2/start?rd=$escaped_request_uri',
      responseHeaders: ['x-auth-request-user', 'x-auth-request-email'], alwaysSetCookie: true, signinRedirectParam: 'rd',
    });
  });

  it('a value the annotation refuses stops the start, naming the flag', () => {
    expect(() => serve(['--global-auth-url', 'auth-service'])).toThrow(ConfigError);
    expect(() => serve(['--global-auth-url', 'auth-service'])).toThrow('invalid value for --global-auth-url: "auth-service" is not an http:// or https:// URL with a host');
    expect(() => serve(['--global-auth-url', 'http://a/', '--global-auth-method', 'get'])).toThrow('invalid value for --global-auth-method: "get" is not one of GET, HEAD');
  });

  it('--no-auth-locations: ingress-nginx\'s default, a list, or none', () => {
    expect(serve([]).annotationDefaults.noAuthLocations).toEqual(['/.well-known/acme-challenge']);
    expect(serve(['--no-auth-locations', '/healthz,/public']).annotationDefaults.noAuthLocations).toEqual(['/healthz', '/public']);
    expect(serve(['--no-auth-locations=']).annotationDefaults.noAuthLocations).toEqual([]);
  });
});
