import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A CA and a server certificate it signed, made with the openssl CLI (EC P-256). */
export interface ServerPki {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/**
 * Makes a CA named `caName` and a server certificate for `dnsNames` (subjectAltName DNS entries
 * only: no IP address, so a check against 127.0.0.1 fails), serverAuth, signed by that CA.
 */
export function makeServerPki(caName: string, dnsNames: readonly string[]): ServerPki {
  const dir = mkdtempSync(join(tmpdir(), 'pier-server-pki-'));
  const f = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  try {
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${caName}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-keyout', f('ca.key'), '-out', f('ca.crt'));
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${dnsNames[0]}`, '-keyout', f('server.key'), '-out', f('server.csr'));
    writeFileSync(f('ext'), `extendedKeyUsage=serverAuth\nsubjectAltName=${dnsNames.map((n) => `DNS:${n}`).join(',')}\n`);
    openssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f('ext'), '-out', f('server.crt'));
    return { caPem: readFileSync(f('ca.crt'), 'utf8'), certPem: readFileSync(f('server.crt'), 'utf8'), keyPem: readFileSync(f('server.key'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An Opaque Secret manifest (YAML) with `data` (values as text, base64-encoded here). */
export function opaqueSecretYaml(namespace: string, name: string, data: Readonly<Record<string, string>>): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return [
    'apiVersion: v1', 'kind: Secret', `metadata: { name: ${name}, namespace: ${namespace} }`, 'type: Opaque',
    'data:', ...Object.entries(data).map(([k, v]) => `  ${k}: ${b64(v)}`), '',
  ].join('\n');
}
