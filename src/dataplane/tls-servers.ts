import { createServer, type Server, type TlsOptions } from 'node:tls';
import type { Certificate, TlsVersion } from '../routing/route-table.ts';

/** The HTTPS listener's controller-wide TLS terms: `--ssl-protocols` and `--ssl-ciphers`. */
export interface ServerTlsSettings {
  readonly minVersion: TlsVersion;
  readonly maxVersion: TlsVersion;
  /** OpenSSL cipher list (TLS 1.2 and below; `TLS_` names: TLS 1.3 suites). */
  readonly ciphers: string;
}

/** The cipher terms one tls.Server handshakes with (host-ciphers.ts chooses one per server name). */
export interface CipherPolicy {
  /** Identifies the terms: equal policies have equal keys. */
  readonly key: string;
  /** OpenSSL cipher list; undefined: Node's default list. */
  readonly ciphers: string | undefined;
  /** The server's order of ciphers wins over the client's (nginx ssl_prefer_server_ciphers). */
  readonly honorCipherOrder: boolean;
}

/** The policy's key: its terms, in one string. */
export function cipherPolicyKey(ciphers: string | undefined, honorCipherOrder: boolean): string {
  return `${honorCipherOrder ? 'server' : 'client'}:${ciphers ?? ''}`;
}

interface Member {
  readonly server: Server;
  readonly policy: CipherPolicy;
}

/**
 * The tls.Servers that run the HTTPS listener's handshakes: `main`, with the controller-wide
 * cipher policy, and one more per other policy some host asks for (`ssl-ciphers`,
 * `ssl-prefer-server-ciphers`), made when first needed and dropped when no host needs it.
 *
 * Why several servers: node:tls applies the cipher list, the order preference and the TLS
 * versions of the server's own context only. The context an SNICallback returns contributes its
 * certificate, key, chain and client CAs and nothing else (Node's TLSWrap copies those into the
 * connection; OpenSSL has already taken the rest from the server's context), so a host's ciphers
 * must be chosen before the handshake, by choosing the server (tls-listener.ts reads the
 * ClientHello's server name first).
 *
 * Every server shares the certificate callback, ALPN choice and TLS versions; each has its own
 * session ticket keys and session cache, so a session resumes only under the policy that
 * made it. The others re-emit their `secureConnection` on `main`, which is what the HTTP
 * fronts listen to; `wire` is called on each server as it is made (errors, handshake tracking).
 */
export class TlsServers {
  readonly main: Server;
  readonly #common: TlsOptions;
  readonly #wire: (server: Server) => void;
  readonly #mainMember: Member;
  #extras = new Map<string, Member>();
  #certificate: Certificate;
  #requestCert = false;

  constructor(certificate: Certificate, common: TlsOptions, policy: CipherPolicy, wire: (server: Server) => void) {
    this.#common = common;
    this.#wire = wire;
    this.#certificate = certificate;
    this.main = this.#make(policy);
    this.#mainMember = { server: this.main, policy };
  }

  /** The server for `policy`; undefined: `main`. */
  serverFor(policy: CipherPolicy | undefined): Server {
    if (policy === undefined) return this.main;
    const found = this.#extras.get(policy.key);
    if (found !== undefined) return found.server;
    const server = this.#make(policy);
    server.on('secureConnection', (socket) => this.main.emit('secureConnection', socket));
    this.#extras.set(policy.key, { server, policy });
    return server;
  }

  /** Drops the servers of policies no host has any more (handshakes they run finish as they are). */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.#extras.keys()) if (!keys.has(key)) this.#extras.delete(key);
  }

  /** How many servers there are, `main` included. */
  get size(): number {
    return this.#extras.size + 1;
  }

  /** Whether handshakes ask for a client certificate (some host checks them: auth-tls-secret);
   * never refused in the handshake, the host's route filters judge (as nginx's). */
  set requestCert(on: boolean) {
    this.#requestCert = on;
    for (const { server } of this.#members()) setRequestCert(server, on);
  }

  /** Gives every server `certificate` for clients that send no SNI (SniCertificates' default). */
  setDefaultCertificate(certificate: Certificate): void {
    this.#certificate = certificate;
    // setSecureContext replaces every option of the context: the policy's are given again.
    for (const { server, policy } of this.#members()) server.setSecureContext(this.#contextOptions(policy));
  }

  #make(policy: CipherPolicy): Server {
    const server = createServer({ ...this.#common, ...this.#contextOptions(policy) });
    setRequestCert(server, this.#requestCert);
    this.#wire(server);
    return server;
  }

  #contextOptions(policy: CipherPolicy): TlsOptions {
    const { minVersion, maxVersion } = this.#common;
    return {
      cert: this.#certificate.certPem, key: this.#certificate.keyPem, honorCipherOrder: policy.honorCipherOrder,
      ...(policy.ciphers === undefined ? {} : { ciphers: policy.ciphers }),
      ...(minVersion === undefined ? {} : { minVersion }), ...(maxVersion === undefined ? {} : { maxVersion }),
    };
  }

  #members(): Member[] {
    return [this.#mainMember, ...this.#extras.values()];
  }
}

/** tls.Server reads these two fields for each new connection (no public setter). */
function setRequestCert(server: Server, on: boolean): void {
  const fields = server as Server & { requestCert: boolean; rejectUnauthorized: boolean };
  fields.requestCert = on;
  fields.rejectUnauthorized = false;
}
