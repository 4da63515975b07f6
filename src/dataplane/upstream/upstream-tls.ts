import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { checkServerIdentity, type ConnectionOptions, type PeerCertificate } from 'node:tls';
import type { BackendPolicy, BackendTls } from '../../routing/route-table.ts';
import { chainDepth } from '../certificate-chain.ts';

/** Whether a backend with `policy` is reached over TLS (HTTPS, GRPCS). */
export function overTls(policy: BackendPolicy): boolean {
  return policy.protocol === 'HTTPS' || policy.protocol === 'GRPCS';
}

/**
 * The node:tls options for connecting to one server of a TLS backend: the one place the HTTP/1.1
 * pools, the HTTP/2 client and both health probes take them from, so every connection to a
 * backend is verified, named and authenticated alike. Built once per pool (or probe), never per
 * request. `host` is the server's address, or undefined when the caller lets undici name a
 * DNS-named host itself (the health check Agent, shared by a backend's servers).
 *
 * - Verification: `tls.verify` (absent `tls`: on, against the system CAs), against `tls.caPem`.
 * - Name: the certificate is checked against `tls.serverName`, else the server's DNS name, else
 *   its IP address. SNI is that name, except that `tls.sni: false` sends none for an IP address
 *   (a DNS-named server is always sent its own name: undici names it so).
 * - `tls.verifyDepth`: a verified chain with more CA certificates above the server's is refused.
 * - Client certificate, ciphers and protocol range as node:tls takes them.
 */
export function upstreamTlsOptions(policy: BackendPolicy, host: string | undefined): ConnectionOptions {
  const tls = policy.tls;
  const dnsName = host !== undefined && isIP(host) === 0 ? host : undefined;
  const checkName = tls?.serverName ?? dnsName;
  // SNI never carries an IP address (RFC 6066): a name that is one is only checked.
  const named = tls?.sni === false ? dnsName : checkName;
  const sniName = named !== undefined && isIP(named) === 0 ? named : undefined;
  const depth = tls?.verifyDepth;
  // node checks against the SNI name (or the address); a name checked without being sent, or a
  // depth limit, needs its own check (node calls it only for a chain that verified).
  const ownCheck = (checkName !== undefined && checkName !== sniName) || depth !== undefined;
  return {
    rejectUnauthorized: tls?.verify ?? true,
    ...(sniName === undefined ? {} : { servername: sniName }),
    ...(tls?.caPem === undefined ? {} : { ca: tls.caPem }),
    ...(tls?.certPem === undefined ? {} : { cert: tls.certPem }),
    ...(tls?.keyPem === undefined ? {} : { key: tls.keyPem }),
    ...(tls?.ciphers === undefined ? {} : { ciphers: tls.ciphers }),
    ...(tls?.minVersion === undefined ? {} : { minVersion: tls.minVersion }),
    ...(tls?.maxVersion === undefined ? {} : { maxVersion: tls.maxVersion }),
    ...(ownCheck ? { checkServerIdentity: identityCheck(checkName, depth) } : {}),
  };
}

function identityCheck(name: string | undefined, depth: number | undefined): (hostname: string, cert: PeerCertificate) => Error | undefined {
  return (hostname, cert) => {
    if (depth !== undefined) {
      const found = chainDepth(cert);
      if (found > depth) return Object.assign(new Error(`certificate chain has ${found} CA certificates above the server's, more than the verify depth ${depth}`), { code: 'ERR_TLS_VERIFY_DEPTH' });
    }
    return checkServerIdentity(name ?? hostname, cert);
  };
}

/** A text that differs whenever any TLS setting does: part of the pools' keys. Key material is
 * hashed (cryptographically: two CAs or client keys sharing a key would share a pool), at swap
 * time only. '' without `tls`. */
export function tlsKey(tls: BackendTls | undefined): string {
  if (tls === undefined) return '';
  const parts = [
    tls.serverName ?? '', tls.sni === false ? 'nosni' : '', tls.verify ? 'v' : 'nv', tls.verifyDepth ?? '',
    digest(tls.caPem), digest(tls.certPem), digest(tls.keyPem), tls.ciphers ?? '', tls.minVersion ?? '', tls.maxVersion ?? '', tls.alpn ?? '',
  ];
  return `|tls:${parts.join(':')}`;
}

function digest(pem: string | undefined): string {
  return pem === undefined ? '' : createHash('sha256').update(pem).digest('base64url');
}
