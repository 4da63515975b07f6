import { createHash } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { Certificate, RouteTable, VirtualHost } from '../routing/route-table.ts';
import type { TableDelta } from '../routing/table-delta.ts';

interface CachedContext {
  readonly certificate: Certificate;
  readonly context: SecureContext;
  /** The client CA bundle the context verifies client certificates with (`auth-tls-secret`). */
  readonly caPem?: string;
}

/** What one update() did: contexts built, reused from the previous table, and refused. */
export interface SniUpdate {
  readonly built: number;
  readonly reused: number;
  /** Certificate keys OpenSSL refused (their hosts fall back to the default certificate). */
  readonly failed: readonly string[];
  /** Some host asks for client certificates: the server must request them (tls-listener.ts). */
  readonly requestCert: boolean;
}

/**
 * Chooses the TLS certificate for a handshake by SNI server name, from the table in force:
 * the VirtualHost of exactly that name, then the single-label wildcard `*.rest` (as the
 * router matches hosts), else the default certificate. A name matching a VirtualHost without
 * `tls` also gets the wildcard's certificate if one covers it.
 *
 * The default certificate is the table's `defaultCertificate` (--default-ssl-certificate) when
 * it names a usable certificate, else the fallback given at construction (the worker's
 * self-signed one). Clients sending no SNI never reach the SNI callback: they get the server's
 * own context, so a change of default is handed to `onDefaultChange` (tls-listener.ts calls
 * setSecureContext of every tls.Server with it: tls-servers.ts). Of a context returned here
 * node:tls uses the certificate, key, chain and client CAs only: TLS versions and ciphers are
 * the tls.Server's (host-ciphers.ts chooses the server).
 *
 * SecureContexts are built in update(), once per table swap, never per handshake, and cached
 * by certificate key: a certificate whose PEMs did not change keeps its context (building one
 * parses the key, which costs far more than a handshake's lookup). Handshakes already running
 * keep the context they got; established connections are not affected by a swap at all.
 */
export class SniCertificates {
  readonly #fallback: Certificate;
  readonly #fallbackContext: SecureContext;
  readonly #onDefaultChange: ((certificate: Certificate) => void) | undefined;
  #defaultContext: SecureContext;
  /** The table certificate in use as the default; undefined while the fallback is. */
  #defaultCertificate: Certificate | undefined;
  #cache = new Map<string, CachedContext>();
  #byHost = new Map<string, SecureContext>();
  /** Hosts that check client certificates (auth-tls-secret). */
  #clientCertHosts = new Set<string>();

  constructor(fallback: Certificate, onDefaultChange?: (certificate: Certificate) => void) {
    this.#fallback = fallback;
    this.#fallbackContext = contextOf(fallback);
    this.#defaultContext = this.#fallbackContext;
    this.#onDefaultChange = onDefaultChange;
  }

  /** The context for unknown server names (and, through the server, for no SNI). */
  get defaultContext(): SecureContext {
    return this.#defaultContext;
  }

  /** Rebuilds the host → context map for `table`, reusing unchanged contexts. */
  update(table: RouteTable): SniUpdate {
    const cache = new Map<string, CachedContext>();
    const failed: string[] = [];
    let built = 0;
    let reused = 0;
    for (const [key, certificate] of Object.entries(table.certificates ?? {})) {
      const previous = this.#cache.get(key);
      if (previous && previous.certificate.certPem === certificate.certPem && previous.certificate.keyPem === certificate.keyPem) {
        cache.set(key, previous);
        reused++;
        continue;
      }
      try {
        cache.set(key, { certificate, context: contextOf(certificate) });
        built++;
      } catch {
        failed.push(key); // never log the error: OpenSSL messages may quote the input
      }
    }
    const previous = this.#cache;
    this.#cache = cache;
    this.#byHost = new Map();
    this.#clientCertHosts = new Set();
    const tally = { built, failed };
    for (const vhost of table.virtualHosts) this.#addHost(vhost, table, tally, previous);
    this.#updateDefault(table.defaultCertificate === undefined ? undefined : cache.get(table.defaultCertificate));
    return { built: tally.built, reused, failed, requestCert: this.#clientCertHosts.size > 0 };
  }

  /**
   * Follows `delta`, which led to `table`: a change of certificates or of the default one
   * rebuilds as update() does (reusing unchanged contexts); a change of hosts only looks at
   * the hosts it names. Undefined when the delta changes nothing TLS depends on.
   */
  change(table: RouteTable, delta: TableDelta): SniUpdate | undefined {
    const hosts = delta.virtualHosts;
    if (delta.certificates !== undefined || delta.defaultCertificate !== undefined || hosts.whole === true) return this.update(table);
    if (hosts.upsert.length === 0 && hosts.remove.length === 0) return undefined;
    for (const host of [...hosts.remove, ...hosts.upsert.map((v) => v.host)]) {
      this.#byHost.delete(host);
      this.#clientCertHosts.delete(host);
    }
    const tally = { built: 0, failed: [] as string[] };
    for (const vhost of hosts.upsert) this.#addHost(vhost, table, tally, this.#cache);
    return { built: tally.built, reused: 0, failed: tally.failed, requestCert: this.#clientCertHosts.size > 0 };
  }

  /** Gives `vhost` its context from the cached certificates (a host checking client
   * certificates gets one of its own: found in `previous`, the cache before this update, or built). */
  #addHost(vhost: VirtualHost, table: RouteTable, tally: { built: number; failed: string[] }, previous: ReadonlyMap<string, CachedContext>): void {
    if (vhost.host === '') return;
    const cache = this.#cache;
    const caPem = clientCaOf(vhost);
    if (caPem === undefined) {
      const cached = vhost.tls === undefined ? undefined : cache.get(vhost.tls);
      if (cached) this.#byHost.set(vhost.host, cached.context);
      return;
    }
    // A host that checks client certificates gets its own context: its certificate (or the
    // default one) plus the CA bundle, cached by both.
    this.#clientCertHosts.add(vhost.host);
    const fallback = (table.defaultCertificate === undefined ? undefined : cache.get(table.defaultCertificate)?.certificate) ?? this.#fallback;
    const certificate = (vhost.tls === undefined ? undefined : cache.get(vhost.tls)?.certificate) ?? fallback;
    const key = `${vhost.tls ?? ''}#ca:${createHash('sha256').update(caPem).digest('hex')}`;
    let cached = cache.get(key) ?? previous.get(key);
    if (cached === undefined || cached.certificate.certPem !== certificate.certPem || cached.certificate.keyPem !== certificate.keyPem) {
      try {
        cached = { certificate, caPem, context: createSecureContext({ cert: certificate.certPem, key: certificate.keyPem, ca: caPem }) };
        tally.built++;
      } catch {
        tally.failed.push(vhost.tls ?? vhost.host);
        return; // the host keeps no context of its own: its filter then refuses every request (no verified certificate)
      }
    }
    cache.set(key, cached);
    this.#byHost.set(vhost.host, cached.context);
  }

  /** Switches the default when the table's choice changed (an unchanged certificate keeps its cache entry, so identity says it). */
  #updateDefault(chosen: CachedContext | undefined): void {
    if (chosen?.certificate === this.#defaultCertificate) return;
    this.#defaultCertificate = chosen?.certificate;
    this.#defaultContext = chosen?.context ?? this.#fallbackContext;
    this.#onDefaultChange?.(chosen?.certificate ?? this.#fallback);
  }

  /** The context for a handshake naming `servername` (any case, optional trailing dot). */
  contextFor(servername: string): SecureContext {
    let name = servername.toLowerCase();
    if (name.endsWith('.')) name = name.slice(0, -1);
    const exact = this.#byHost.get(name);
    if (exact) return exact;
    const dot = name.indexOf('.');
    if (dot > 0) {
      const wildcard = this.#byHost.get(`*${name.slice(dot)}`);
      if (wildcard) return wildcard;
    }
    return this.#defaultContext;
  }

  /** For `tls.createServer({ SNICallback })`. */
  readonly sniCallback = (servername: string, callback: (err: Error | null, ctx?: SecureContext) => void): void => {
    callback(null, this.contextFor(servername));
  };
}

function contextOf(certificate: Certificate): SecureContext {
  return createSecureContext({ cert: certificate.certPem, key: certificate.keyPem });
}

/** The CA bundle of the host's client certificate policy (ingress-nginx: one per server). */
function clientCaOf(vhost: VirtualHost): string | undefined {
  for (const route of vhost.routes) {
    for (const policy of route.policies ?? []) if (policy.kind === 'client-cert' && policy.verify !== 'off') return policy.caPem;
  }
  return undefined;
}
