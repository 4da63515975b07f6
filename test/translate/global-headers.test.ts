import { describe, expect, it } from 'vitest';
import type { ConfigMap } from '../../src/source/objects.ts';
import { EMPTY_SNAPSHOT, type Snapshot, type TranslateOptions } from '../../src/translate/snapshot.ts';
import { translate } from '../../src/translate/translate.ts';
import { OPTIONS, problem } from './builders.ts';

/*
 * --proxy-set-headers / --add-headers (ingress-nginx's ConfigMap keys proxy-set-headers and
 * add-headers): the named ConfigMap's entries become the table's header lists; a missing
 * ConfigMap or a bad entry is a Warning about the ConfigMap naming the flag, and the table gets
 * none of that ConfigMap's headers, while routes keep serving.
 */

const configMap = (name: string, data: Record<string, unknown>, namespace = 'ingress-nginx'): ConfigMap =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data } as unknown as ConfigMap);
const snapshot = (...configMaps: ConfigMap[]): Snapshot => ({ ...EMPTY_SNAPSHOT, configMaps });
const REQUEST = { namespace: 'ingress-nginx', name: 'custom-headers' };
const RESPONSE = { namespace: 'ingress-nginx', name: 'response-headers' };
const flags = (more: Partial<TranslateOptions>): TranslateOptions => ({ ...OPTIONS, ...more });

describe('--proxy-set-headers and --add-headers', () => {
  it('put the ConfigMaps\' entries into the table: names lower-case, in name order, values as written', () => {
    // ingress-nginx's docs/examples/customization/custom-headers/custom-headers.yaml
    const requestHeaders = configMap('custom-headers', { 'X-Using-Nginx-Controller': 'true', 'X-Different-Name': 'true', 'X-Request-Start': 't=${msec}' });
    const responseHeaders = configMap('response-headers', { 'X-Frame-Options': 'DENY', 'Content-Security-Policy': "default-src 'self'", 'X-Served-For': '$host' });
    const { table, problems } = translate(snapshot(requestHeaders, responseHeaders), flags({ proxySetHeaders: REQUEST, addHeaders: RESPONSE }));
    expect(table.proxySetHeaders).toEqual(['x-different-name', 'true', 'x-request-start', 't=${msec}', 'x-using-nginx-controller', 'true']);
    expect(table.addHeaders).toEqual(['content-security-policy', "default-src 'self'", 'x-frame-options', 'DENY', 'x-served-for', '$host']);
    expect(problems).toEqual([]);
  });

  it('keep an empty value (the header is then removed) and read a manifest\'s other YAML scalars as text', () => {
    const { table } = translate(snapshot(configMap('custom-headers', { 'X-Forwarded-Host': '', 'X-Flag': true, 'X-Count': 3 })), flags({ proxySetHeaders: REQUEST }));
    expect(table.proxySetHeaders).toEqual(['x-count', '3', 'x-flag', 'true', 'x-forwarded-host', '']);
  });

  it('without the flags, or with an empty ConfigMap, the table has no lists', () => {
    expect(translate(snapshot(configMap('custom-headers', { 'X-A': '1' })), OPTIONS).table).toEqual({ virtualHosts: [], backends: [] });
    const empty = translate(snapshot(configMap('custom-headers', {}), { ...configMap('response-headers', {}), data: undefined } as ConfigMap), flags({ proxySetHeaders: REQUEST, addHeaders: RESPONSE }));
    expect(empty).toEqual({ table: { virtualHosts: [], backends: [] }, problems: [] });
  });

  it('a missing ConfigMap is a Warning about it naming the flag; the other list still applies', () => {
    const { table, problems } = translate(snapshot(configMap('response-headers', { 'X-Frame-Options': 'DENY' })), flags({ proxySetHeaders: REQUEST, addHeaders: RESPONSE }));
    expect(table.proxySetHeaders).toBeUndefined();
    expect(table.addHeaders).toEqual(['x-frame-options', 'DENY']);
    expect(problems).toEqual([problem('ingress-nginx/custom-headers', 'ConfigMapNotFound', '--proxy-set-headers: ConfigMap ingress-nginx/custom-headers does not exist: none of its headers are set on requests to backends', 'Warning', 'ConfigMap')]);
  });

  const BAD: [string, Record<string, string>, 'request' | 'response', string][] = [
    ['a name that is not a token', { 'X Bad': '1' }, 'response', 'key "X Bad" is not a header name'],
    ['a control character in a value', { 'X-A': 'a\nb' }, 'response', 'key "X-A" has a control character in its value'],
    ['a framing header', { 'Content-Length': '0' }, 'response', 'key "Content-Length" may not set content-length (Pier owns framing and hop-by-hop headers)'],
    ['a hop-by-hop header', { Connection: 'close' }, 'request', 'key "Connection" may not set connection (Pier owns framing and hop-by-hop headers)'],
    ['Host on requests', { Host: 'internal' }, 'request', 'key "Host" may not set host (per Ingress, the upstream-vhost annotation does)'],
    ['one name twice', { 'X-A': '1', 'x-a': '2' }, 'response', 'key "x-a" names x-a twice (header names ignore case)'],
    ['a variable Pier does not know', { 'X-Upstream': '$upstream_addr' }, 'request', 'key "X-Upstream" uses $upstream_addr, which Pier does not know'],
  ];
  for (const [name, data, side, why] of BAD) {
    it(`${name}: a Warning, and none of the ConfigMap's headers`, () => {
      const ref = side === 'request' ? REQUEST : RESPONSE;
      const { table, problems } = translate(snapshot(configMap(ref.name, { 'X-Good': 'yes', ...data })), flags({ proxySetHeaders: REQUEST, addHeaders: RESPONSE }));
      expect(side === 'request' ? table.proxySetHeaders : table.addHeaders).toBeUndefined();
      const flag = side === 'request' ? '--proxy-set-headers' : '--add-headers';
      const goes = side === 'request' ? 'requests to backends' : 'responses to clients';
      const bad = problems.find((p) => p.name === ref.name)!;
      expect(bad).toMatchObject({ kind: 'ConfigMap', namespace: 'ingress-nginx', reason: 'InvalidHeaders', severity: 'Warning' });
      expect(bad.message).toContain(`${flag}: ConfigMap ingress-nginx/${ref.name} ${why}`);
      expect(bad.message).toMatch(new RegExp(`: none of its headers are set on ${goes}$`));
    });
  }

  it('Host may be set on responses; a known variable passes on either side', () => {
    const { table, problems } = translate(snapshot(configMap('response-headers', { Host: 'x', 'X-Path': '$request_uri' }), configMap('custom-headers', { 'X-Client': '$remote_addr', 'X-Cookie': '$cookie_session' })), flags({ proxySetHeaders: REQUEST, addHeaders: RESPONSE }));
    expect(problems).toEqual([]);
    expect(table.addHeaders).toEqual(['host', 'x', 'x-path', '$request_uri']);
    expect(table.proxySetHeaders).toEqual(['x-client', '$remote_addr', 'x-cookie', '$cookie_session']);
  });
});
