import { describe, expect, it } from 'vitest';
import type { Policy } from '../../src/routing/policies.ts';
import type { Ingress } from '../../src/source/objects.ts';
import { DEFAULT_COMPRESSION_TYPES } from '../../src/translate/annotations/compression.ts';
import { CORS_DEFAULTS } from '../../src/translate/annotations/cors.ts';
import type { RateLimitSettings } from '../../src/translate/annotations/ingress-settings.ts';
import { parseAnnotations } from '../../src/translate/annotations/parse-annotations.ts';

const N = 'nginx.ingress.kubernetes.io/';
const P = 'pier.dev/';

function ingress(annotations: Record<string, string>): Ingress {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: 'default', annotations }, spec: {} } as Ingress;
}

/** The parse of `annotations`: settings of interest, and the Warning messages (invalid values). */
function parse(annotations: Record<string, string>) {
  const parsed = parseAnnotations(ingress(annotations));
  const errors = parsed.problems.filter((p) => p.severity !== 'Normal').map((p) => p.message);
  const of = <K extends Policy['kind']>(kind: K) => parsed.settings.policies.filter((p): p is Extract<Policy, { kind: K }> => p.kind === kind);
  return { rateLimit: parsed.settings.rateLimit, cors: of('cors'), compression: of('compression'), limitRate: of('limit-rate'), errors, rejected: parsed.rejected, notes: parsed.problems.filter((p) => p.severity === 'Normal').map((p) => p.message) };
}

const rl = (over: Partial<RateLimitSettings>): RateLimitSettings => ({ rps: 0, rpm: 0, connections: 0, burstMultiplier: 5, allow: [], ...over });

describe('rate limit annotations', () => {
  const valid: [string, Record<string, string>, RateLimitSettings | undefined][] = [
    ['none', {}, undefined],
    ['limit-rps', { [N + 'limit-rps']: '10' }, rl({ rps: 10 })],
    ['limit-rpm', { [N + 'limit-rpm']: '600' }, rl({ rpm: 600 })],
    ['limit-connections', { [N + 'limit-connections']: '3' }, rl({ connections: 3 })],
    ['all, multiplier 2', { [N + 'limit-rps']: '5', [N + 'limit-rpm']: '100', [N + 'limit-connections']: '2', [N + 'limit-burst-multiplier']: '2' }, rl({ rps: 5, rpm: 100, connections: 2, burstMultiplier: 2 })],
    ['multiplier 0 (burst 0)', { [N + 'limit-rps']: '5', [N + 'limit-burst-multiplier']: '0' }, rl({ rps: 5, burstMultiplier: 0 })],
    ['0 = no limit', { [N + 'limit-rps']: '0', [N + 'limit-allowlist']: '10.0.0.0/8' }, undefined],
    ['allowlist: IPs and CIDRs, sorted', { [N + 'limit-rps']: '1', [N + 'limit-allowlist']: '192.168.0.7, 10.0.0.0/8,fd00::/8' }, rl({ rps: 1, allow: ['10.0.0.0/8', '192.168.0.7/32', 'fd00::/8'] })],
    ['limit-whitelist (alias)', { [N + 'limit-rps']: '1', [N + 'limit-whitelist']: '10.1.2.3' }, rl({ rps: 1, allow: ['10.1.2.3/32'] })],
    ['limit-allowlist wins over limit-whitelist', { [N + 'limit-rps']: '1', [N + 'limit-allowlist']: '10.0.0.1', [N + 'limit-whitelist']: '10.0.0.2' }, rl({ rps: 1, allow: ['10.0.0.1/32'] })],
    ['pier.dev wins over nginx', { [N + 'limit-rps']: '1', [P + 'limit-rps']: '7' }, rl({ rps: 7 })],
    ['pier.dev/limit-req-status-code', { [N + 'limit-rps']: '1', [P + 'limit-req-status-code']: '429' }, rl({ rps: 1, status: 429 })],
    ['pier.dev/limit-conn-status-code', { [N + 'limit-connections']: '1', [P + 'limit-conn-status-code']: '429' }, rl({ connections: 1, connStatus: 429 })],
  ];
  it.each(valid)('%s', (_name, annotations, want) => {
    const got = parse(annotations);
    expect(got.errors).toEqual([]);
    expect(got.rateLimit).toEqual(want);
  });

  const invalid: [string, Record<string, string>, string][] = [
    ['rps not a number', { [N + 'limit-rps']: 'ten' }, `annotation ${N}limit-rps: "ten" is not a whole number`],
    ['rps negative', { [N + 'limit-rps']: '-1' }, `annotation ${N}limit-rps: "-1" must be between 0 and 1000000`],
    ['rpm fraction', { [N + 'limit-rpm']: '1.5' }, `annotation ${N}limit-rpm: "1.5" is not a whole number`],
    ['connections too big', { [P + 'limit-connections']: '1000001' }, `annotation ${P}limit-connections: "1000001" must be between 0 and 1000000`],
    ['multiplier', { [N + 'limit-rps']: '1', [N + 'limit-burst-multiplier']: 'x5' }, `annotation ${N}limit-burst-multiplier: "x5" is not a whole number`],
    ['allowlist entry', { [N + 'limit-rps']: '1', [N + 'limit-allowlist']: '10.0.0.0/8, example.com' }, `annotation ${N}limit-allowlist: "10.0.0.0/8, example.com" has "example.com", which is not an IP address or CIDR (like 10.0.0.0/8, 192.168.1.7, fd00::/8)`],
    ['allowlist prefix', { [N + 'limit-rps']: '1', [N + 'limit-whitelist']: '10.0.0.0/33' }, `annotation ${N}limit-whitelist: "10.0.0.0/33" has "10.0.0.0/33", which is not an IP address or CIDR (like 10.0.0.0/8, 192.168.1.7, fd00::/8)`],
    ['allowlist empty entry', { [N + 'limit-rps']: '1', [N + 'limit-allowlist']: '10.0.0.1,' }, `annotation ${N}limit-allowlist: "10.0.0.1," has "", which is not an IP address or CIDR (like 10.0.0.0/8, 192.168.1.7, fd00::/8)`],
    ['status code range', { [N + 'limit-rps']: '1', [P + 'limit-req-status-code']: '200' }, `annotation ${P}limit-req-status-code: "200" must be between 400 and 599`],
  ];
  it.each(invalid)('%s', (_name, annotations, message) => {
    const got = parse(annotations);
    expect(got.errors).toEqual([`Ingress skipped: ${message}`]);
    expect(got.rejected).toBe(true);
  });

  it('limit-req-status-code under the nginx prefix is not Pier\'s to read (ConfigMap-wide in ingress-nginx)', () => {
    const got = parse({ [N + 'limit-rps']: '1', [N + 'limit-req-status-code']: '429' });
    expect(got.rateLimit).toEqual(rl({ rps: 1 }));
    expect(got.notes).toEqual([`annotation ${N}limit-req-status-code is not known to Pier and is ignored`]);
  });

  it('limit-rate and limit-rate-after: a limit-rate policy, no note', () => {
    const got = parse({ [N + 'limit-rate']: '100', [N + 'limit-rate-after']: '1' });
    expect(got.rejected).toBe(false);
    expect(got.notes).toEqual([]);
    expect(got.limitRate).toEqual([{ kind: 'limit-rate', bytesPerSecond: 102_400, afterBytes: 1024 }]);
  });
});

describe('CORS annotations', () => {
  const base = { methods: CORS_DEFAULTS.methods, headers: CORS_DEFAULTS.headers, exposeHeaders: '', credentials: true, maxAge: 1_728_000 };
  const valid: [string, Record<string, string>, Policy[]][] = [
    ['off by default', { [N + 'cors-allow-origin']: 'https://a.com' }, []],
    ['defaults', { [N + 'enable-cors']: 'true' }, [{ kind: 'cors', origins: ['*'], ...base }]],
    ['origin list with wildcard, port, null', { [N + 'enable-cors']: 'true', [N + 'cors-allow-origin']: 'https://origin-site.com:4443, http://*.origin-site.com, myprotocol://example.org:1199, null' },
      [{ kind: 'cors', origins: ['https://origin-site.com:4443', 'http://*.origin-site.com', 'myprotocol://example.org:1199', 'null'], ...base }]],
    ['a * in the list makes it *', { [N + 'enable-cors']: 'true', [N + 'cors-allow-origin']: 'https://a.com, *' }, [{ kind: 'cors', origins: ['*'], ...base }]],
    ['all options', {
      [N + 'enable-cors']: 'true', [N + 'cors-allow-methods']: 'PUT, GET, POST, OPTIONS', [N + 'cors-allow-headers']: 'X-Forwarded-For, X-app123-XPTO',
      [N + 'cors-expose-headers']: '*, X-CustomResponseHeader', [N + 'cors-allow-credentials']: 'false', [N + 'cors-max-age']: '600',
    }, [{ kind: 'cors', origins: ['*'], methods: 'PUT, GET, POST, OPTIONS', headers: 'X-Forwarded-For, X-app123-XPTO', exposeHeaders: '*, X-CustomResponseHeader', credentials: false, maxAge: 600 }]],
  ];
  it.each(valid)('%s', (_name, annotations, want) => {
    const got = parse(annotations);
    expect(got.errors).toEqual([]);
    expect(got.cors).toEqual(want);
  });

  const invalid: [string, Record<string, string>, string][] = [
    ['enable-cors', { [N + 'enable-cors']: 'yes' }, `annotation ${N}enable-cors: "yes" is not a boolean (use "true" or "false")`],
    ['origin without scheme', { [N + 'enable-cors']: 'true', [N + 'cors-allow-origin']: 'https://a.com, b.com' }, `annotation ${N}cors-allow-origin: "https://a.com, b.com" has "b.com", which is not an origin (scheme://host[:port], scheme://*.host[:port], null or *)`],
    ['origin with a path', { [N + 'enable-cors']: 'true', [N + 'cors-allow-origin']: 'https://a.com/x' }, `annotation ${N}cors-allow-origin: "https://a.com/x" has "https://a.com/x", which is not an origin (scheme://host[:port], scheme://*.host[:port], null or *)`],
    ['methods', { [N + 'cors-allow-methods']: 'GET, $request_method' }, `annotation ${N}cors-allow-methods: "GET, $request_method" may list only methods (letters) separated by commas`],
    ['headers', { [N + 'cors-allow-headers']: 'X-A; X-B' }, `annotation ${N}cors-allow-headers: "X-A; X-B" may list only header names (letters, digits, - and _) separated by commas`],
    ['expose headers', { [N + 'cors-expose-headers']: 'X-A,,X-B' }, `annotation ${N}cors-expose-headers: "X-A,,X-B" may list only header names (letters, digits, -, _ and *) separated by commas`],
    ['credentials', { [N + 'cors-allow-credentials']: 'maybe' }, `annotation ${N}cors-allow-credentials: "maybe" is not a boolean (use "true" or "false")`],
    ['max age', { [N + 'cors-max-age']: '-1' }, `annotation ${N}cors-max-age: "-1" must be between 0 and 2147483647`],
  ];
  it.each(invalid)('%s', (_name, annotations, message) => {
    const got = parse(annotations);
    expect(got.errors).toEqual([`Ingress skipped: ${message}`]);
  });

  it('a long method list is checked in linear time (ingress-nginx\'s regex backtracks exponentially)', () => {
    const started = performance.now();
    const got = parse({ [N + 'cors-allow-methods']: `${'GET'.repeat(5_000)}!` });
    expect(got.errors).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('compression annotations', () => {
  const base = { kind: 'compression', minLength: 256, types: DEFAULT_COMPRESSION_TYPES };
  const valid: [string, Record<string, string>, Policy[]][] = [
    ['none', {}, []],
    ['gzip,br,zstd', { [P + 'compression']: 'gzip,br,zstd' }, [{ ...base, codings: ['gzip', 'br', 'zstd'] } as Policy]],
    ['spaces, case, duplicates', { [P + 'compression']: 'ZSTD  gzip, zstd' }, [{ ...base, codings: ['zstd', 'gzip'] } as Policy]],
    ['off', { [P + 'compression']: 'off' }, []],
    ['min length and types', { [P + 'compression']: 'br', [P + 'compression-min-length']: '1024', [P + 'compression-types']: 'text/css, Application/JSON' },
      [{ kind: 'compression', codings: ['br'], minLength: 1024, types: ['text/css', 'application/json'] }]],
    ['any type', { [P + 'compression']: 'gzip', [P + 'compression-types']: '*' }, [{ ...base, codings: ['gzip'], types: ['*'] } as Policy]],
  ];
  it.each(valid)('%s', (_name, annotations, want) => {
    const got = parse(annotations);
    expect(got.errors).toEqual([]);
    expect(got.compression).toEqual(want);
  });

  const invalid: [string, Record<string, string>, string][] = [
    ['unknown coding', { [P + 'compression']: 'gzip,deflate' }, `annotation ${P}compression: "gzip,deflate" has "deflate", which is not one of gzip, br, zstd`],
    ['empty', { [P + 'compression']: ' ' }, `annotation ${P}compression: "" lists no coding (use gzip, br, zstd, or off)`],
    ['min length', { [P + 'compression']: 'gzip', [P + 'compression-min-length']: '1k' }, `annotation ${P}compression-min-length: "1k" is not a whole number`],
    ['types', { [P + 'compression']: 'gzip', [P + 'compression-types']: 'text/css;q=1' }, `annotation ${P}compression-types: "text/css;q=1" has "text/css;q=1", which is not a media type (like text/css) or *`],
  ];
  it.each(invalid)('%s', (_name, annotations, message) => {
    const got = parse(annotations);
    expect(got.errors).toEqual([`Ingress skipped: ${message}`]);
  });

  it('is Pier\'s own: the nginx prefix is unknown', () => {
    const got = parse({ [N + 'compression']: 'gzip' });
    expect(got.compression).toEqual([]);
    expect(got.notes).toEqual([`annotation ${N}compression is not known to Pier and is ignored`]);
  });
});

describe('compression annotations over the controller\'s --compression (ingress-nginx\'s use-gzip)', () => {
  const controller = { kind: 'compression', codings: ['gzip'], minLength: 256, types: ['application/json', 'text/html'] } as const;
  const defaults = { sslRedirect: true, forceSslRedirect: false, compression: controller };
  const compression = (annotations: Record<string, string>) => {
    const parsed = parseAnnotations(ingress(annotations), undefined, defaults);
    expect(parsed.problems.filter((p) => p.severity !== 'Normal')).toEqual([]);
    return parsed.settings.policies.filter((p) => p.kind === 'compression');
  };

  it.each([
    ['no annotation at all: the controller\'s', {}, [controller]],
    ['other annotations only: the controller\'s', { [N + 'enable-cors']: 'true' }, [controller]],
    ['pier.dev/compression: off: none', { [P + 'compression']: 'off' }, []],
    ['own codings: the controller\'s length and types', { [P + 'compression']: 'br' }, [{ ...controller, codings: ['br'] }]],
    ['own min length only: the controller\'s codings and types', { [P + 'compression-min-length']: '1024' }, [{ ...controller, minLength: 1024 }]],
  ] as const)('%s', (_name, annotations, want) => {
    expect(compression(annotations)).toEqual(want);
  });
});
