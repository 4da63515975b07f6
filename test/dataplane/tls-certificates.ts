import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Certificate } from '../../src/routing/route-table.ts';

/**
 * A self-signed test certificate for `cn` listing `sans` as DNS names, made with the openssl
 * CLI (EC P-256: fast), as a user would make one for a kubernetes.io/tls Secret.
 */
export function makeCertificate(cn: string, sans: readonly string[] = [cn]): Certificate {
  const dir = mkdtempSync(join(tmpdir(), 'pier-tls-'));
  try {
    const key = join(dir, 'tls.key');
    const crt = join(dir, 'tls.crt');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', `/CN=${cn}`, '-addext', `subjectAltName=${sans.map((s) => `DNS:${s}`).join(',')}`,
      '-keyout', key, '-out', crt,
    ], { stdio: 'ignore' });
    return { certPem: readFileSync(crt, 'utf8'), keyPem: readFileSync(key, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A kubernetes.io/tls Secret manifest (YAML) holding `cert`. */
export function tlsSecretYaml(namespace: string, name: string, cert: Certificate): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return [
    'apiVersion: v1', 'kind: Secret', `metadata: { name: ${name}, namespace: ${namespace} }`, 'type: kubernetes.io/tls',
    'data:', `  tls.crt: ${b64(cert.certPem)}`, `  tls.key: ${b64(cert.keyPem)}`, '',
  ].join('\n');
}
