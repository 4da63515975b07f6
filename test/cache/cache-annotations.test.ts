import { describe, expect, it } from 'vitest';
import type { Ingress } from '../../src/source/objects.ts';
import { parseAnnotations } from '../../src/translate/annotations/parse-annotations.ts';

const ingress = (annotations: Record<string, string>) =>
  ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'shop', namespace: 'web', annotations }, spec: {} }) as unknown as Ingress;

const BASE = { kind: 'cache', key: '$scheme://$host$request_uri', valid: [], statusHeader: true };

describe('cache annotations (parser)', () => {
  it.each([
    ['on alone', {}, BASE],
    ['a key, cache-valid, a bypass header, no status header', {
      'pier.dev/cache-key': '$host$uri$is_args$args', 'pier.dev/cache-valid': '200 302 10m, 404 1m, 5s', 'pier.dev/cache-bypass-header': 'X-NoCache', 'pier.dev/cache-status-header': 'false',
    }, {
      ...BASE, key: '$host$uri$is_args$args', valid: [{ statuses: [200, 302], seconds: 600 }, { statuses: [404], seconds: 60 }, { statuses: [200, 301, 302], seconds: 5 }], bypassHeader: 'x-nocache', statusHeader: false,
    }],
    ['cache-use-stale as nginx words', { 'pier.dev/cache-use-stale': 'error timeout updating http_503 http_500' }, {
      ...BASE, useStale: { error: true, timeout: true, updating: true, statuses: [500, 503] },
    }],
    ['invalid_header counts as error', { 'pier.dev/cache-use-stale': 'invalid_header' }, { ...BASE, useStale: { error: true, timeout: false, updating: false, statuses: [] } }],
    ['cache-use-stale off', { 'pier.dev/cache-use-stale': 'off' }, BASE],
    ['targeted fields, in order, lower-case', { 'pier.dev/cache-targeted-fields': 'Shop-Cache-Control, CDN-Cache-Control' }, { ...BASE, targetedFields: ['shop-cache-control', 'cdn-cache-control'] }],
  ])('%s', (_name, more, want) => {
    const { settings, problems } = parseAnnotations(ingress({ 'pier.dev/cache': 'on', ...more }));
    expect(problems).toEqual([]);
    expect(settings.policies).toEqual([want]);
  });

  it.each([
    ['pier.dev/cache', 'yes', 'annotation pier.dev/cache: "yes" is not one of on, off'],
    ['pier.dev/cache-key', '$host$nope', 'annotation pier.dev/cache-key: "$host$nope" uses $nope, which is not one of $scheme $host $request_uri $uri $args $is_args $request_method $http_<name> $cookie_<name>'],
    ['pier.dev/cache-valid', '200 soon', 'annotation pier.dev/cache-valid: "200 soon" has "200 soon", which does not end with an nginx time (like 10m)'],
    ['pier.dev/cache-use-stale', 'error http_418', 'annotation pier.dev/cache-use-stale: "error http_418" has "http_418", which is not one of error, timeout, invalid_header, updating, http_500, http_502, http_503, http_504, http_403, http_404, http_429 (or off alone)'],
    ['pier.dev/cache-targeted-fields', 'CDN-Cache-Control, a b', 'annotation pier.dev/cache-targeted-fields: "CDN-Cache-Control, a b" has "a b", which is not a header name'],
    ['pier.dev/cache-use-stale', 'off error', 'annotation pier.dev/cache-use-stale: "off error" has "off", which is not one of error, timeout, invalid_header, updating, http_500, http_502, http_503, http_504, http_403, http_404, http_429 (or off alone)'],
  ])('%s: %j is refused with a problem naming it', (key, value, message) => {
    const { problems, rejected } = parseAnnotations(ingress({ 'pier.dev/cache': 'on', [key]: value }));
    expect(rejected).toBe(true);
    expect(problems.map((p) => p.message)).toEqual([`Ingress skipped: ${message}`]);
  });
});
