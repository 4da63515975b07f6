/**
 * The routing table: the only thing the control plane hands the dataplane. Plain, readonly,
 * JSON-serializable data (it crosses process boundaries over IPC) with no Kubernetes types.
 * A table is never patched: each publish is a new table. Consecutive tables share the objects
 * of the hosts, backends and certificates that did not change, so what crosses to a worker
 * that holds the previous one is only the difference (table-delta.ts), from which the worker
 * rebuilds an equal table.
 *
 * Ordering (applied by translate/, relied on by tests, irrelevant to the matcher):
 * virtualHosts by host (the any-host entry `''` last); routes Exact before Prefix, then longer
 * path first, then path; backends by id.
 */

import type { Policy } from './policies.ts';

/**
 * Exact and Prefix as Ingress v1 defines them. Regex: ingress-nginx's `use-regex` /
 * `rewrite-target` hosts, where every path of the host is a case-insensitive regular
 * expression anchored at the start (`location ~* "^<path>"`), tried longest path first.
 */
export type PathType = 'Exact' | 'Prefix' | 'Regex';

export interface Route {
  /** Exact: the literal path. Prefix: normalized, no trailing slash except the root `/`. */
  readonly path: string;
  readonly pathType: PathType;
  /** Id of an entry in `RouteTable.backends`. */
  readonly backend: string;
  /** `namespace/name` of the Ingress this route came from (for logs and debugging). */
  readonly origin: string;
  /** What the route's annotations ask (policies.ts), in filter order; absent when none. */
  readonly policies?: readonly Policy[];
}

export interface VirtualHost {
  /** Lower-case `foo.com`, a single-label wildcard `*.foo.com`, or `''` for any host. */
  readonly host: string;
  readonly routes: readonly Route[];
  /** Name of the TLS certificate (`RouteTable.certificates` key) for this host, if any. */
  readonly tls?: string;
  /** `ssl-ciphers`: the OpenSSL cipher list of TLS handshakes naming this host, instead of
   * `--ssl-ciphers` (ingress-nginx: ssl_ciphers in the host's server block). TLS 1.2 and below;
   * `TLS_` names in it choose the TLS 1.3 suites too. Absent: the controller's list. */
  readonly sslCiphers?: string;
  /** `ssl-prefer-server-ciphers`: true, the list's order wins over the client's; false, the
   * client's does. Absent: the controller's choice (server order, as ingress-nginx's). */
  readonly sslPreferServerCiphers?: boolean;
  /** `false` (`pier.dev/http2: "false"`): clients of this host are not offered HTTP/2 (ALPN
   * `http/1.1` only for its server name) and its requests on an HTTP/2 connection are
   * answered 421, so a client that coalesced them retries on HTTP/1.1. Absent: HTTP/2 on. */
  readonly http2?: false;
  /** `ssl-passthrough`: id of the backend (in `RouteTable.backends`) that TLS connections whose
   * server name is exactly this host are relayed to undeciphered, with `--enable-ssl-passthrough`
   * (dataplane/passthrough/). Absent: Pier terminates TLS for the host. */
  readonly passthrough?: string;
}

export type Algorithm = 'RoundRobin' | 'LeastConnections' | 'IPHash' | 'ConsistentHash' | 'Random';
export type RetryCondition = 'connect-failure' | 'reset' | 'timeout' | '500' | '502' | '503' | '504' | '403' | '404' | '429';

export interface HashKey {
  /** RequestURI: the path and query sent upstream (nginx `$request_uri`). */
  readonly source: 'Header' | 'Cookie' | 'ClientAddress' | 'RequestURI';
  /** Header or cookie name (lower-case for headers). */
  readonly name?: string;
}

export interface UpstreamServer {
  /** IP address or DNS name; or `unix:/path/to.sock` (FastCGI only, port 0). */
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  readonly backup: boolean;
  /** Failures within failTimeoutMs that mark the server down for failTimeoutMs; 0 disables. */
  readonly maxFails: number;
  readonly failTimeoutMs: number;
}

/**
 * How a backend is reached. Plain Service backends get `DEFAULT_POLICY`; an `Upstream`
 * resource (pier.dev/v1alpha1) sets every field explicitly.
 */
export interface BackendPolicy {
  readonly algorithm: Algorithm;
  readonly hashKey?: HashKey;
  /** HTTP/HTTPS: HTTP/1.1 (HTTPS speaks HTTP/2 instead when `tls.alpn` is `h2`). H2C: HTTP/2
   * in the clear, prior knowledge. GRPC / GRPCS: gRPC over h2c / over TLS (ALPN h2); the
   * upstream side is the same HTTP/2 client as H2C / HTTPS+h2. FastCGI: see `fastcgi`. */
  readonly protocol: 'HTTP' | 'HTTPS' | 'H2C' | 'GRPC' | 'GRPCS' | 'FastCGI';
  /** FastCGI's CGI settings (protocol FastCGI only; absent: FASTCGI_DEFAULTS). */
  readonly fastcgi?: FastcgiPolicy;
  /** TLS to the servers (HTTPS, GRPCS). Absent: verified against the system CAs. */
  readonly tls?: BackendTls;
  /** nginx meanings: connect = establishing the connection; send = between two writes of the
   * request; read = between two reads of the response (including the wait for its head). */
  readonly timeouts: { readonly connectMs: number; readonly sendMs: number; readonly readMs: number };
  readonly keepalive: {
    /** 0 disables upstream keepalive; any other value enables it. Idle connections are bounded
     * by idleTimeoutMs and timeMs, not by count; concurrent connections are never capped. */
    readonly connections: number;
    /** Requests per connection before it is closed. 0 = unlimited. */
    readonly requests: number;
    /** Maximum connection age. 0 = unlimited. */
    readonly timeMs: number;
    /** Close idle connections after this long (a backend's `Keep-Alive: timeout=` lowers it). */
    readonly idleTimeoutMs: number;
  };
  readonly retries: {
    /** Additional tries after the first (0 = no retry). */
    readonly attempts: number;
    readonly on: readonly RetryCondition[];
    readonly nonIdempotent: boolean;
    /** No new try once this long passed since the first (nginx proxy_next_upstream_timeout); absent = none. */
    readonly timeoutMs?: number;
  };
  readonly healthCheck?: {
    readonly path: string;
    readonly intervalMs: number;
    readonly timeoutMs: number;
    readonly healthyThreshold: number;
    readonly unhealthyThreshold: number;
    /** Set (the empty string included): the check is the gRPC health protocol
     * (grpc.health.v1.Health/Check for this service) instead of `GET path`. HTTP/2 only. */
    readonly grpcService?: string;
  };
  /** HTTP/2 connections to the servers (H2C, GRPC, GRPCS, HTTPS with `tls.alpn: h2`);
   * absent: no PINGs, 128 streams at once per connection. */
  readonly http2?: {
    /** A PING on each connection this often; one unanswered when the next is due closes the
     * connection. 0: none. */
    readonly pingIntervalMs: number;
    /** Streams at once per connection (the server's own limit lowers it). */
    readonly maxConcurrentStreams: number;
  };
}

/** A TLS protocol version Node can speak (node:tls SecureVersion). */
export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

/**
 * TLS to a backend's servers (dataplane/upstream/upstream-tls.ts turns it into node:tls
 * options, once per pool): the Upstream resource's spec.tls, or the proxy-ssl-* annotations.
 */
export interface BackendTls {
  /** The name the server's certificate is checked against and, unless `sni` is false, sent as
   * SNI. Absent: the server's DNS name (an IP address is sent no SNI and checked as an address). */
  readonly serverName?: string;
  /** false: `serverName` is not sent as SNI, only checked (proxy-ssl-server-name off). */
  readonly sni?: false;
  /** CA bundle (PEM) the certificate is verified against; absent: the system CAs. */
  readonly caPem?: string;
  /** false: any certificate is accepted (the connection is still encrypted). */
  readonly verify: boolean;
  /** At most this many CA certificates above the server's in the verified chain (nginx
   * proxy_ssl_verify_depth); absent: no limit. */
  readonly verifyDepth?: number;
  /** Client certificate and key (PEM) Pier presents to the server (mutual TLS). */
  readonly certPem?: string;
  readonly keyPem?: string;
  /** OpenSSL cipher list (TLS 1.2 and below; TLS 1.3 suites by their TLS_ names). */
  readonly ciphers?: string;
  readonly minVersion?: TlsVersion;
  readonly maxVersion?: TlsVersion;
  /** 'h2' makes an HTTPS backend HTTP/2. */
  readonly alpn?: 'h2';
}

/**
 * How a FastCGI backend maps a request to CGI/1.1 parameters (nginx `root`, `fastcgi_index`,
 * `fastcgi_split_path_info`, `fastcgi_param`). Plain text only: nothing is evaluated.
 */
export interface FastcgiPolicy {
  readonly documentRoot: string;
  readonly index: string;
  /** SCRIPT_FILENAME for every request (a front controller such as /app/public/index.php). */
  readonly scriptFilename?: string;
  /** The extension ending SCRIPT_NAME when PATH_INFO follows: `.php` splits `/index.php/foo`
   * as nginx's `^(.+?\.php)(/.*)$`; '' turns splitting off. */
  readonly splitPathInfo: string;
  /** Extra parameters in order; each replaces a built-in parameter of the same name. */
  readonly params: readonly { readonly name: string; readonly value: string }[];
}

export interface Backend {
  /** Stable id: `service:<ns>/<name>:<port>` or `upstream:<ns>/<name>`. */
  readonly id: string;
  readonly servers: readonly UpstreamServer[];
  readonly policy: BackendPolicy;
  /**
   * Set when the backend cannot serve (missing Service, no ready endpoint, ...): requests get
   * 503. A short reason code, never shown to clients verbatim beyond the status line.
   */
  readonly unavailable?: string;
}

export interface Certificate {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface RouteTable {
  readonly virtualHosts: readonly VirtualHost[];
  /** Backend id serving requests that match no rule; absent → 404. */
  readonly defaultBackend?: string;
  readonly backends: readonly Backend[];
  /** Keyed by `namespace/secretName`. */
  readonly certificates?: Readonly<Record<string, Certificate>>;
  /** Key in `certificates` served when the SNI name matches no host, or there is none
   * (--default-ssl-certificate); absent → the worker's self-signed certificate. */
  readonly defaultCertificate?: string;
  /** `--proxy-set-headers`: headers set on every request sent to a backend, flat
   * `[name, value, ...]`, names lower-case, in name order. A value may hold nginx variables
   * (filled in per request); an empty one removes the client's header of that name. A route's
   * own request header edits apply after these. Absent: none. */
  readonly proxySetHeaders?: readonly string[];
  /** `--add-headers`: headers set on every response to a client (the backend's of the same
   * name replaced), in the same form; a route's own response header edits apply after these.
   * Absent: none. */
  readonly addHeaders?: readonly string[];
}

export const EMPTY_TABLE: RouteTable = { virtualHosts: [], backends: [] };

/** What a Service backend gets: the behaviour of nginx's upstream defaults, made explicit.
 * The controller-wide flags replace its timeouts and keepalive (BackendDefaults). */
export const DEFAULT_POLICY: BackendPolicy = {
  algorithm: 'RoundRobin',
  protocol: 'HTTP',
  timeouts: { connectMs: 5_000, sendMs: 60_000, readMs: 60_000 },
  keepalive: { connections: 64, requests: 10_000, timeMs: 3_600_000, idleTimeoutMs: 60_000 },
  retries: { attempts: 2, on: ['connect-failure', 'reset'], nonIdempotent: false },
};

export const DEFAULT_SERVER_LIMITS = { weight: 1, backup: false, maxFails: 1, failTimeoutMs: 10_000 } as const;

/**
 * The part of a Service backend's policy that controller-wide flags set: ingress-nginx's
 * ConfigMap keys `proxy-connect-timeout`, `proxy-send-timeout`, `proxy-read-timeout` and
 * `upstream-keepalive-*` (`--proxy-*-timeout`, `--upstream-keepalive-*`).
 */
export type BackendDefaults = Pick<BackendPolicy, 'timeouts' | 'keepalive'>;
