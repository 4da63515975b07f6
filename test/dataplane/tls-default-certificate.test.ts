import { createSecureContext } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { DEFAULT_CERTIFICATE_SAN, DEFAULT_CERTIFICATE_SUBJECT, generateDefaultCertificate } from '../../src/dataplane/default-certificate.ts';

describe('generateDefaultCertificate (hand-written DER)', () => {
  it('is a self-signed X.509 v3 certificate that node and openssl parse, matching its key', () => {
    const now = Date.UTC(2026, 0, 15);
    const { certPem, keyPem } = generateDefaultCertificate(now);
    const cert = new X509Certificate(certPem);
    expect(cert.subject).toContain(`CN=${DEFAULT_CERTIFICATE_SUBJECT}`);
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.subjectAltName).toBe(`DNS:${DEFAULT_CERTIFICATE_SAN}`);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
    expect(new Date(cert.validFrom).getTime()).toBe(now - 86_400_000);
    expect(new Date(cert.validTo).getTime()).toBe(now + 3650 * 86_400_000);
    const text = execFileSync('openssl', ['x509', '-noout', '-text'], { input: certPem }).toString();
    expect(text).toContain('Version: 3 (0x2)');
    expect(text).toContain('ecdsa-with-SHA256');
  });

  it('switches to GeneralizedTime after 2049 (RFC 5280)', () => {
    const cert = new X509Certificate(generateDefaultCertificate(Date.UTC(2045, 5, 1)).certPem);
    expect(new Date(cert.validTo).getUTCFullYear()).toBe(2055);
  });

  it('gives each call a fresh key and serial', () => {
    const a = new X509Certificate(generateDefaultCertificate().certPem);
    const b = new X509Certificate(generateDefaultCertificate().certPem);
    expect(a.serialNumber).not.toBe(b.serialNumber);
    expect(a.fingerprint256).not.toBe(b.fingerprint256);
  });

  // Regression: 1 certificate in ~330 had a serial starting 0x00 then < 0x80, a non-minimal
  // DER INTEGER that OpenSSL refuses ("illegal padding"), so a worker could fail at start.
  it.each([[0x00, 0x10], [0x00, 0x80], [0x80, 0x00], [0xff, 0xff]])('encodes a serial starting %d, %d as valid DER', (b0, b1) => {
    const random = (size: number) => Buffer.concat([Buffer.from([b0, b1]), Buffer.alloc(size - 2, 7)]);
    const cert = generateDefaultCertificate(Date.now(), random);
    expect(() => new X509Certificate(cert.certPem)).not.toThrow();
    expect(() => createSecureContext({ cert: cert.certPem, key: cert.keyPem })).not.toThrow();
  });
});
