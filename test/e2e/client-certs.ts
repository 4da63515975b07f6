import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A CA and a client certificate it signed, made with the openssl CLI (EC P-256). */
export interface ClientPki {
  readonly caPem: string;
  readonly clientCertPem: string;
  readonly clientKeyPem: string;
}

/** Makes a CA named `caName` and a client certificate `CN=<clientName>,O=Pier Test` signed by it. */
export function makeClientPki(caName: string, clientName: string): ClientPki {
  const dir = mkdtempSync(join(tmpdir(), 'pier-pki-'));
  const f = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  try {
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${caName}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-keyout', f('ca.key'), '-out', f('ca.crt'));
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/O=Pier Test/CN=${clientName}`, '-keyout', f('client.key'), '-out', f('client.csr'));
    writeFileSync(f('ext'), 'extendedKeyUsage=clientAuth\n');
    openssl('x509', '-req', '-in', f('client.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f('ext'), '-out', f('client.crt'));
    return { caPem: readFileSync(f('ca.crt'), 'utf8'), clientCertPem: readFileSync(f('client.crt'), 'utf8'), clientKeyPem: readFileSync(f('client.key'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
