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
 * only: no IP address, so a check against 127.0.0.1 fails), serverAuth, signed by that CA; with
 * `intermediate`, signed by an intermediate CA the root signed (certPem then holds the server's
 * certificate and the intermediate's, as a server sends its chain).
 */
export function makeServerPki(caName: string, dnsNames: readonly string[], intermediate = false): ServerPki {
  const dir = mkdtempSync(join(tmpdir(), 'pier-server-pki-'));
  const f = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    openssl('req', '-x509', ...ec, '-days', '2', '-subj', `/CN=${caName}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-keyout', f('ca.key'), '-out', f('ca.crt'));
    let signer = 'ca';
    if (intermediate) {
      openssl('req', ...ec, '-subj', `/CN=${caName} Intermediate`, '-keyout', f('int.key'), '-out', f('int.csr'));
      writeFileSync(f('int.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n');
      openssl('x509', '-req', '-in', f('int.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f('int.ext'), '-out', f('int.crt'));
      signer = 'int';
    }
    openssl('req', ...ec, '-subj', `/CN=${dnsNames[0]}`, '-keyout', f('server.key'), '-out', f('server.csr'));
    writeFileSync(f('ext'), `extendedKeyUsage=serverAuth\nsubjectAltName=${dnsNames.map((n) => `DNS:${n}`).join(',')}\n`);
    openssl('x509', '-req', '-in', f('server.csr'), '-CA', f(`${signer}.crt`), '-CAkey', f(`${signer}.key`), '-CAcreateserial', '-days', '2', '-extfile', f('ext'), '-out', f('server.crt'));
    const chain = readFileSync(f('server.crt'), 'utf8') + (intermediate ? readFileSync(f('int.crt'), 'utf8') : '');
    return { caPem: readFileSync(f('ca.crt'), 'utf8'), certPem: chain, keyPem: readFileSync(f('server.key'), 'utf8') };
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
