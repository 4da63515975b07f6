import { X509Certificate } from 'node:crypto';
import type { RouteTable } from '../routing/route-table.ts';

/** One served certificate: the host it is served for, its Secret, when it expires (Unix seconds). */
export interface CertificateExpiry {
  readonly host: string;
  readonly secret: string;
  readonly expiresAt: number;
}

/** The host label of the default certificate (`--default-ssl-certificate`): nginx's catch-all name. */
export const DEFAULT_CERTIFICATE_HOST = '_';

/**
 * When each certificate of the table in force expires (`notAfter` of its first, leaf,
 * certificate), for `pier_ssl_certificate_expiry_seconds{host,secret}` (ingress-nginx's
 * ssl_expire_time_seconds: seconds since 1970, compared with `time()` in alerts). Each PEM is
 * parsed once, when it first appears; one that does not parse is left out (the dataplane
 * refuses it too and serves the default certificate).
 */
export class CertificateExpiries {
  #byPem = new Map<string, number>();
  #current: CertificateExpiry[] = [];
  #table: RouteTable | undefined;
  #readFrom: RouteTable | undefined;

  /** A new table is in force: read at the next scrape (publishes can come many times per scrape). */
  update(table: RouteTable): void {
    this.#table = table;
  }

  #read(table: RouteTable): void {
    const certificates = table.certificates ?? {};
    const seen = new Map<string, number>();
    const expiry = (secret: string): number => {
      const pem = certificates[secret]?.certPem;
      if (pem === undefined) return NaN;
      const known = seen.get(pem) ?? this.#byPem.get(pem) ?? notAfter(pem);
      seen.set(pem, known);
      return known;
    };
    const out: CertificateExpiry[] = [];
    for (const vhost of table.virtualHosts) {
      if (vhost.tls === undefined) continue;
      const expiresAt = expiry(vhost.tls);
      if (!Number.isNaN(expiresAt)) out.push({ host: vhost.host, secret: vhost.tls, expiresAt });
    }
    if (table.defaultCertificate !== undefined) {
      const expiresAt = expiry(table.defaultCertificate);
      if (!Number.isNaN(expiresAt)) out.push({ host: DEFAULT_CERTIFICATE_HOST, secret: table.defaultCertificate, expiresAt });
    }
    this.#byPem = seen;
    this.#current = out;
  }

  get current(): readonly CertificateExpiry[] {
    const table = this.#table;
    if (table !== undefined && table !== this.#readFrom) {
      this.#read(table);
      this.#readFrom = table;
    }
    return this.#current;
  }
}

function notAfter(pem: string): number {
  try {
    return Math.floor(Date.parse(new X509Certificate(pem).validTo) / 1000);
  } catch {
    return NaN;
  }
}
