import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { serve } from './serve-config.ts';

/*
 * Flags named after ingress-nginx's ConfigMap keys that give an annotation its default
 * (proxy-cookie-domain, -path, proxy-redirect-from, -to, whitelist-/denylist-source-range,
 * custom-http-errors), and --block-cidrs. Their values are checked by the annotations' own
 * parsers, so a flag refuses what the annotation refuses, with its message.
 */

const BACKEND = ['--default-backend-service', 'errors/pages'];

describe('annotation flags (ingress-nginx\'s ConfigMap keys)', () => {
  it('none by default: Ingresses without annotations keep sharing settings without policies', () => {
    const config = serve([]);
    expect(config.annotationDefaults.annotations).toBeUndefined();
    expect(config.blockCidrs).toEqual([]);
  });

  it('each given value is kept by its annotation name, trimmed; empty ones are not given', () => {
    const config = serve([
      '--proxy-cookie-domain', ' .internal.svc example.com ', '--proxy-cookie-path', '/app /', '--proxy-redirect-from', 'http://internal/', '--proxy-redirect-to', 'https://example.com/',
      '--whitelist-source-range', '10.0.0.0/8, 192.168.1.7', '--denylist-source-range', '10.9.0.0/16', '--custom-http-errors', '404,503', '--proxy-cookie-path', '/app /', ...BACKEND,
    ], { PIER_DENYLIST_SOURCE_RANGE: '' });
    expect(config.annotationDefaults.annotations).toEqual({
      'proxy-cookie-domain': '.internal.svc example.com', 'proxy-cookie-path': '/app /', 'proxy-redirect-from': 'http://internal/', 'proxy-redirect-to': 'https://example.com/',
      'whitelist-source-range': '10.0.0.0/8, 192.168.1.7', 'denylist-source-range': '10.9.0.0/16', 'custom-http-errors': '404,503',
    });
    expect(serve(['--proxy-cookie-path', '  ']).annotationDefaults.annotations).toBeUndefined();
  });

  it('read from PIER_* variables too', () => {
    expect(serve([], { PIER_WHITELIST_SOURCE_RANGE: '10.0.0.0/8' }).annotationDefaults.annotations).toEqual({ 'whitelist-source-range': '10.0.0.0/8' });
    expect(serve([], { PIER_BLOCK_CIDRS: '10.1.2.3/8,::1' }).blockCidrs).toEqual(['10.0.0.0/8', '::1/128']);
  });

  it.each([
    [['--proxy-cookie-domain', 'a.example'], '--proxy-cookie-domain: "a.example" must be "off" or two values separated by a space'],
    [['--proxy-cookie-domain', 'a.example b;example'], '--proxy-cookie-domain: "a.example b;example" may contain only letters, digits and - . _ ~ / : in its domains'],
    [['--proxy-cookie-path', '~^/a /'], '--proxy-cookie-path: "~^/a /" is a regular expression (~)'],
    [['--proxy-redirect-from', 'http://$host/', '--proxy-redirect-to', '/'], '--proxy-redirect-from: "http://$host/" uses an nginx variable ($)'],
    [['--proxy-redirect-to', 'a b'], '--proxy-redirect-to: "a b" must be one value without spaces'],
    [['--whitelist-source-range', '10.0.0.0/8,example.com'], '--whitelist-source-range: "10.0.0.0/8,example.com" has "example.com", which is not an IP address or CIDR range'],
    [['--denylist-source-range', '10.0.0.0/33'], '--denylist-source-range: "10.0.0.0/33" has "10.0.0.0/33"'],
    [['--custom-http-errors', '404,200', ...BACKEND], '--custom-http-errors: "404,200" must be a comma-separated list of 4xx and 5xx status codes'],
  ])('%j stops the start with the annotation\'s message, naming the flag', (args, message) => {
    expect(() => serve(args)).toThrow(ConfigError);
    expect(() => serve(args)).toThrow(`invalid value for ${message}`);
  });

  it('a bad value from the environment names the variable and the flag', () => {
    expect(() => serve([], { PIER_WHITELIST_SOURCE_RANGE: 'nope' })).toThrow('invalid value for PIER_WHITELIST_SOURCE_RANGE (--whitelist-source-range): "nope" has "nope"');
  });

  it('--custom-http-errors needs --default-backend-service (the Service that answers them)', () => {
    expect(() => serve(['--custom-http-errors', '404'])).toThrow('--custom-http-errors needs --default-backend-service');
    expect(serve(['--custom-http-errors', '404', ...BACKEND]).annotationDefaults.annotations).toEqual({ 'custom-http-errors': '404' });
  });

  it('--block-cidrs: addresses and CIDRs, normalized; anything else stops the start naming it', () => {
    expect(serve(['--block-cidrs', '192.0.2.7, 10.1.2.3/8,2001:db8::/32']).blockCidrs).toEqual(['192.0.2.7/32', '10.0.0.0/8', '2001:db8::/32']);
    expect(() => serve(['--block-cidrs', '10.0.0.0/8,bad'])).toThrow('invalid value for --block-cidrs: "bad"');
  });
});
