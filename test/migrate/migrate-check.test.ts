import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PIER = fileURLToPath(new URL('../../bin/pier.js', import.meta.url));
const LIST = fileURLToPath(new URL('../fixtures/migrate-check-list.yaml', import.meta.url));

function pier(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [PIER, 'migrate-check', ...args], { input, encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/*
 * `pier migrate-check`, as a user runs it before switching ingressClassName: `kubectl get ing
 * -A -o yaml | pier migrate-check -`, or a directory of manifests.
 */
describe('pier migrate-check', () => {
  it('reads a kubectl List from stdin and says per Ingress and annotation what Pier will do', () => {
    const r = pier(['-'], readFileSync(LIST, 'utf8'));
    expect(r.code).toBe(1); // one Ingress will not be served
    expect(r.out).toContain('prod/admin: will NOT be served');
    expect(r.out).toMatch(/BLOCKS {2}nginx\.ingress\.kubernetes\.io\/configuration-snippet — annotation .* is refused: Pier never evaluates configuration text/);
    expect(r.out).toContain('ok      nginx.ingress.kubernetes.io/satisfy — Satisfy');
    expect(r.out).toContain('ok      nginx.ingress.kubernetes.io/whitelist-source-range');
    expect(r.out).toContain('prod/shop: will be served');
    expect(r.out).toContain('ok      nginx.ingress.kubernetes.io/rewrite-target');
    expect(r.out).toContain('no-op   nginx.ingress.kubernetes.io/proxy-buffering');
    expect(r.out).toMatch(/ignored nginx\.ingress\.kubernetes\.io\/enable-opentelemetry — .*not supported/);
    expect(r.out).not.toContain('kubectl.kubernetes.io');
    expect(r.out).toContain('2 Ingresses checked: 1 will be served, 1 will not.');
  });

  it('reads a directory; exit 0 when everything will be served; an invalid value names the annotation', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pier-migrate-'));
    try {
      const ing = (name: string, annotations: string) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: ${name}, namespace: default, annotations: { ${annotations} } }
spec: { rules: [{ host: a.test, http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: a, port: { number: 80 } } } }] } }] }
`;
      writeFileSync(join(dir, 'ok.yaml'), ing('fine', 'nginx.ingress.kubernetes.io/ssl-redirect: "false"'));
      expect(pier([dir]).code).toBe(0);
      writeFileSync(join(dir, 'bad.yaml'), ing('bad', 'nginx.ingress.kubernetes.io/proxy-read-timeout: "1m30"'));
      const r = pier([dir]);
      expect(r.code).toBe(1);
      expect(r.out).toContain('BLOCKS  nginx.ingress.kubernetes.io/proxy-read-timeout — annotation nginx.ingress.kubernetes.io/proxy-read-timeout: "1m30" is not a number of seconds (like "60")');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a bad ssl-ciphers is "ignored" (the Ingress is served with the controller\'s ciphers), a good one "ok"', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pier-migrate-'));
    try {
      writeFileSync(join(dir, 'tls.yaml'), `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: tls, namespace: default, annotations: { nginx.ingress.kubernetes.io/ssl-ciphers: "NOT-A-CIPHER", nginx.ingress.kubernetes.io/ssl-prefer-server-ciphers: "false" } }
spec: { rules: [{ host: a.test, http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: a, port: { number: 80 } } } }] } }] }
`);
      const r = pier([dir]);
      expect(r.code).toBe(0);
      expect(r.out).toContain('default/tls: will be served');
      expect(r.out).toContain('ignored nginx.ingress.kubernetes.io/ssl-ciphers — annotation nginx.ingress.kubernetes.io/ssl-ciphers: "NOT-A-CIPHER" names no cipher OpenSSL knows');
      expect(r.out).toContain('ok      nginx.ingress.kubernetes.io/ssl-prefer-server-ciphers — TLS ciphers');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a path that does not exist: exit 2 with one line', () => {
    const r = pier(['/nonexistent/dir']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^pier: cannot read \/nonexistent\/dir: .*\n$/);
  });
});
