import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { Secret } from '../source/objects.ts';
import type { Certificate } from '../routing/route-table.ts';

/** The Secret type Ingress `spec.tls` must name. */
export const TLS_SECRET_TYPE = 'kubernetes.io/tls';

/** A usable certificate, or why the Secret is not one (`reason` is a Problem reason). */
export type TlsSecretResult =
  | { readonly ok: true; readonly certificate: Certificate }
  | { readonly ok: false; readonly reason: 'TLSSecretNotFound' | 'InvalidTLSSecret'; readonly why: string };

/*
 * Parsing a key and checking it against its certificate costs ~0.1-1 ms (RSA), and translate()
 * runs on every change of anything: results are remembered per Secret object. The store
 * replaces an object when it changes and never mutates one, so an object's result cannot go
 * stale, and a WeakMap lets a removed Secret's entry go with it. A cache of a pure function,
 * so translate stays pure.
 */
const checked = new WeakMap<Secret, TlsSecretResult>();

/**
 * Checks a `kubernetes.io/tls` Secret the way the dataplane will use it: `tls.crt` and `tls.key`
 * base64 PEM that node:crypto parses, and a key that belongs to the (first) certificate.
 * `why` never contains key material, nor parser messages (OpenSSL errors can quote input):
 * only which field is wrong.
 *
 * Not found also covers a Secret of another type in cluster mode: the store keeps only
 * kubernetes.io/tls Secrets, so the message says so.
 */
export function readTlsSecret(secret: Secret | undefined): TlsSecretResult {
  if (secret === undefined) {
    return { ok: false, reason: 'TLSSecretNotFound', why: `does not exist (Pier reads only Secrets of type ${TLS_SECRET_TYPE} and Opaque)` };
  }
  let result = checked.get(secret);
  if (result === undefined) {
    result = check(secret);
    checked.set(secret, result);
  }
  return result;
}

function check(secret: Secret): TlsSecretResult {
  if (secret.type !== TLS_SECRET_TYPE) {
    return invalid(`has type ${JSON.stringify(String(secret.type ?? 'Opaque'))}, not ${TLS_SECRET_TYPE}`);
  }
  const certPem = decodeField(secret, 'tls.crt');
  const keyPem = decodeField(secret, 'tls.key');
  if (certPem === undefined) return invalid('has no base64 tls.crt');
  if (keyPem === undefined) return invalid('has no base64 tls.key');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    return invalid('has a tls.crt that is not a PEM X.509 certificate');
  }
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    return invalid('has a tls.key that is not an unencrypted PEM private key');
  }
  if (!cert.checkPrivateKey(key)) return invalid('has a tls.key that does not match its tls.crt');
  return { ok: true, certificate: { certPem, keyPem } };
}

function invalid(why: string): TlsSecretResult {
  return { ok: false, reason: 'InvalidTLSSecret', why };
}

const BASE64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

function decodeField(secret: Secret, field: string): string | undefined {
  const value = (secret.data as Record<string, unknown> | undefined)?.[field];
  if (typeof value !== 'string' || value === '' || !BASE64.test(value)) return undefined;
  return Buffer.from(value, 'base64').toString('utf8');
}
