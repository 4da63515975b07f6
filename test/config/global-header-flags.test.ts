import { describe, expect, it } from 'vitest';
import { helpText } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';
import { serve } from './serve-config.ts';

describe('--proxy-set-headers and --add-headers', () => {
  it('are off by default; take NAMESPACE/NAME from the flag or PIER_*', () => {
    expect([serve([]).proxySetHeaders, serve([]).addHeaders]).toEqual([undefined, undefined]);
    expect(serve(['--proxy-set-headers', 'ingress-nginx/custom-headers', '--add-headers=ingress-nginx/response-headers'])).toMatchObject({
      proxySetHeaders: { namespace: 'ingress-nginx', name: 'custom-headers' },
      addHeaders: { namespace: 'ingress-nginx', name: 'response-headers' },
    });
    expect(serve([], { PIER_ADD_HEADERS: 'a/b', PIER_PROXY_SET_HEADERS: 'c/d' })).toMatchObject({ addHeaders: { namespace: 'a', name: 'b' }, proxySetHeaders: { namespace: 'c', name: 'd' } });
  });

  it.each([
    [['--proxy-set-headers', 'custom-headers'], 'invalid value for --proxy-set-headers: "custom-headers" (expected NAMESPACE/NAME)'],
    [['--add-headers', 'Ingress/Headers'], 'invalid value for --add-headers: "Ingress/Headers" (expected NAMESPACE/NAME)'],
    [['--add-headers', 'a/b/c'], 'invalid value for --add-headers: "a/b/c" (expected NAMESPACE/NAME)'],
  ])('refuses a malformed value at start, naming the flag: %j', (args, message) => {
    const parse = () => serve(args);
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(message);
  });

  it('with --watch-namespace, a ConfigMap outside it is refused at start (Pier would never see it); inside it is fine', () => {
    const outside = () => serve(['--watch-namespace', 'shop', '--proxy-set-headers', 'ingress-nginx/custom-headers']);
    expect(outside).toThrow(ConfigError);
    expect(outside).toThrow('--proxy-set-headers names ConfigMap ingress-nginx/custom-headers, outside --watch-namespace shop, where Pier reads nothing (put the ConfigMap in shop)');
    expect(() => serve(['--add-headers', 'ingress-nginx/h'], { PIER_WATCH_NAMESPACE: 'shop' })).toThrow('--add-headers names ConfigMap ingress-nginx/h, outside PIER_WATCH_NAMESPACE (--watch-namespace) shop');
    expect(serve(['--watch-namespace', 'shop', '--add-headers', 'shop/h']).addHeaders).toEqual({ namespace: 'shop', name: 'h' });
  });

  it('are listed in --help with their placeholder', () => {
    expect(helpText()).toMatch(/--proxy-set-headers NS\/NAME +ConfigMap whose entries are headers set on every request to every backend/);
    expect(helpText()).toMatch(/--add-headers NS\/NAME +ConfigMap whose entries are headers set on every response to clients/);
  });
});
