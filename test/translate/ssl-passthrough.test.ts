import { describe, expect, it } from 'vitest';
import type { Ingress } from '../../src/source/objects.ts';
import { translate } from '../../src/translate/translate.ts';
import { A, OPTIONS, problem } from './builders.ts';
import { loadSnapshot } from './load-fixture.ts';

/*
 * ssl-passthrough as ingress-nginx resolves it per server: the target is the backend of the
 * host's `/` path, whichever Ingress serves it; the annotated Ingress's backends are reached
 * over HTTPS; a host without `/`, a wildcard host and the rules without host get none.
 */

const PASS = { 'nginx.ingress.kubernetes.io/ssl-passthrough': 'true' };
const HTTPS_A = `${A}#protocol=HTTPS`;

function ingress(name: string, host: string | undefined, paths: string[], annotations: Record<string, string> = {}): Ingress {
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace: 'default', annotations, creationTimestamp: `2020-01-0${name.length % 9 + 1}T00:00:00Z` },
    spec: { ingressClassName: 'pier', rules: [{ ...(host === undefined ? {} : { host }), http: { paths: paths.map((path) => ({ path, pathType: 'Prefix', backend: { service: { name: 'a', port: { number: 80 } } } })) } }] },
  } as Ingress;
}

function run(ingresses: Ingress[], enable = true) {
  const snapshot = loadSnapshot('server-alias');
  return translate({ ...snapshot, ingresses }, { ...OPTIONS, enableSslPassthrough: enable });
}

describe('translate: ssl-passthrough', () => {
  it('the host gets the backend of its / path as passthrough target, reached over HTTPS for plain requests', () => {
    const result = run([ingress('argocd', 'argocd.test', ['/'], PASS)]);
    const vhost = result.table.virtualHosts.find((v) => v.host === 'argocd.test')!;
    expect(vhost.passthrough).toBe(HTTPS_A);
    expect(vhost.routes.map((r) => r.backend)).toEqual([HTTPS_A]);
    expect(result.table.backends.find((b) => b.id === HTTPS_A)?.policy.protocol).toBe('HTTPS');
    expect(result.problems).toEqual([]);
  });

  it('without --enable-ssl-passthrough the host is not passed through and the Ingress is told', () => {
    const result = run([ingress('argocd', 'argocd.test', ['/'], PASS)], false);
    expect(result.table.virtualHosts.find((v) => v.host === 'argocd.test')!.passthrough).toBe(HTTPS_A);
    expect(result.problems).toEqual([problem('default/argocd', 'SSLPassthroughDisabled', 'ssl-passthrough has no effect on TLS: the controller runs without --enable-ssl-passthrough', 'Normal')]);
  });

  it('grpc backends stay gRPC, over TLS', () => {
    const result = run([ingress('g', 'g.test', ['/'], { ...PASS, 'nginx.ingress.kubernetes.io/backend-protocol': 'GRPC' })]);
    expect(result.table.virtualHosts[0]!.passthrough).toBe(`${A}#protocol=GRPCS`);
  });

  it('other paths are listed in a problem; the / of another Ingress of the host is the target', () => {
    const result = run([ingress('annotated', 'mix.test', ['/api', '/b'], PASS), ingress('root', 'mix.test', ['/'])]);
    const vhost = result.table.virtualHosts.find((v) => v.host === 'mix.test')!;
    expect(vhost.passthrough).toBe(A);
    expect(result.problems).toEqual([problem('default/annotated', 'SSLPassthroughPaths', 'paths /api, /b serve only plain HTTP', 'Normal')]);
  });

  it('no / path, a wildcard host, the rules without host: no passthrough, a problem each', () => {
    const result = run([ingress('noroot', 'noroot.test', ['/api'], PASS), ingress('wild', '*.wild.test', ['/'], PASS), ingress('any', undefined, ['/'], PASS)]);
    expect(result.table.virtualHosts.filter((v) => v.passthrough !== undefined)).toEqual([]);
    expect(result.problems).toEqual([
      problem('default/any', 'SSLPassthroughIgnored', 'the rules without host', 'Normal'),
      problem('default/noroot', 'SSLPassthroughIgnored', 'no Ingress serves its path /', 'Normal'),
      problem('default/wild', 'SSLPassthroughIgnored', 'host *.wild.test', 'Normal'),
    ]);
  });

  it('a server-alias of a passthrough host is terminated by Pier (the TLS proxy knows the host only)', () => {
    const result = run([ingress('argocd', 'argocd.test', ['/'], { ...PASS, 'nginx.ingress.kubernetes.io/server-alias': 'cd.test' })]);
    expect(result.table.virtualHosts.map((v) => [v.host, v.passthrough])).toEqual([['argocd.test', HTTPS_A], ['cd.test', undefined]]);
  });
});
