import { availableParallelism } from 'node:os';
import { isAbsolute } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from './errors.ts';
import {
  aboveZero, nonEmpty, parseBindAddress, parseBoolean, parseCount, parseDuration, parseList, parseNamespacedName, parsePort, parseQuantity, parseSize,
  invalid, parseHsts, type NamespacedName,
} from './config-values.ts';
import { normalizeCidr } from './translate/annotations/ip-access.ts';
import { backendDefaultsConfig } from './backend-defaults-config.ts';
import { annotationFlagValues } from './annotation-flags.ts';
import type { BackendDefaults } from './routing/route-table.ts';
import type { AnnotationDefaults } from './translate/annotations/parse-annotations.ts';
import { compressionConfig, DEFAULT_COMPRESSION, DEFAULT_COMPRESSION_MIN_LENGTH_FLAG, DEFAULT_COMPRESSION_TYPES_FLAG } from './compression-flags.ts';
import type { CompressionPolicy } from './routing/policies.ts';
import { LabelSelectorError, parseLabelSelector, type LabelSelector } from './source/label-selector.ts';
import { DEFAULT_SSL_CIPHERS, DEFAULT_SSL_PROTOCOLS, parseSslCiphers, parseSslProtocols, type TlsVersionRange } from './ssl-flags.ts';
import { globalAuthPolicy } from './global-auth-flags.ts';

/**
 * Every option Pier has, in one place: flags, their `PIER_*` environment equivalents,
 * defaults and validation. Precedence: flag, then environment, then default.
 */
export interface PierConfig {
  readonly manifests?: string;
  readonly bindAddress: string;
  readonly httpPort: number;
  readonly httpsPort: number;
  readonly healthPort: number;
  /** `--public-http-port` / `--public-https-port`: the ports clients connect to (X-Forwarded-Port). */
  readonly publicHttpPort?: number;
  readonly publicHttpsPort?: number;
  readonly workers: number;
  readonly ingressClass: string;
  readonly controllerName: string;
  readonly watchNamespace?: string;
  /** `--watch-namespace-selector`: only Ingresses and Upstreams of namespaces whose labels match (source/namespace-gate.ts). */
  readonly watchNamespaceSelector?: LabelSelector;
  readonly watchIngressWithoutClass: boolean;
  readonly shutdownTimeoutMs: number;
  readonly shutdownDelayMs: number;
  readonly keepaliveTimeoutMs: number;
  readonly keepaliveRequests: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS of the HTTP/2 front (nginx http2_max_concurrent_streams). */
  readonly http2MaxConcurrentStreams: number;
  readonly clientHeaderTimeoutMs: number;
  readonly clientBodyTimeoutMs: number;
  /** Bytes of a request head (request line and headers); past it 431. */
  readonly maxHeaderSize: number;
  /** Header lines in a request head; past it 431. */
  readonly maxHeaders: number;
  /** Bytes of a request body; past it 413. Infinity: no limit. */
  readonly maxBodySize: number;
  /** Listen backlog (the kernel caps it at net.core.somaxconn). */
  readonly backlog: number;
  readonly electionId: string;
  /** `--update-status`: the leader writes Ingress status (ingress-nginx's flag; default true). */
  readonly updateStatus: boolean;
  readonly publishService?: NamespacedName;
  /** ingress-nginx's --default-ssl-certificate: served for unknown SNI names and no SNI. */
  readonly defaultSslCertificate?: NamespacedName;
  /** ingress-nginx's --default-backend-service: answers requests no rule matches. */
  readonly defaultBackendService?: NamespacedName;
  readonly publishStatusAddress: readonly string[];
  readonly logLevel: LogLevel;
  /** `--access-log`: `stdout`, an absolute file path, or undefined (off). */
  readonly accessLog?: string;
  // Client address (access control): see clientAccessConfig.
  /** `--trusted-proxies`: normalized CIDRs whose X-Forwarded-For is believed. */
  readonly trustedProxies: readonly string[];
  /** `--forwarded-for-header`: where a trusted proxy names the client. */
  readonly forwardedForHeader: string;
  /** `--proxy-protocol`: every connection starts with a PROXY protocol (v1 or v2) header. */
  readonly proxyProtocol: boolean;
  /** Status of requests refused by limit-rps / limit-rpm (nginx limit_req_status). */
  readonly limitReqStatusCode: number;
  /** Status of requests refused by limit-connections (nginx limit_conn_status). */
  readonly limitConnStatusCode: number;
  /** The shared HTTP cache's byte bound (`pier.dev/cache`). */
  readonly cacheSize: number;
  /** Where its files live; default: a fresh directory under the OS temp dir. */
  readonly cacheDir?: string;
  /** `--force-public-http`: HTTP/1.1 on node:http and undici even where the lean layer can run. */
  readonly forcePublicHttp: boolean;
  /** `--hsts`: the Strict-Transport-Security value sent on HTTPS responses; '' for none (off). */
  readonly hsts: string;
  /** `--enable-ssl-passthrough`: TLS to `ssl-passthrough` hosts is relayed undeciphered. */
  readonly enableSslPassthrough: boolean;
  /** `--ssl-redirect`, `--force-ssl-redirect`, `--compression*`, `--proxy-cookie-domain` and
   * the other annotation flags (ingress-nginx's ConfigMap keys): what an Ingress without the
   * corresponding annotations gets. */
  readonly annotationDefaults: AnnotationDefaults;
  /** `--proxy-*-timeout`, `--upstream-keepalive-*` (ingress-nginx's ConfigMap keys): every Service
   * backend's timeouts and keepalive; an Ingress's annotations win over them. */
  readonly backendDefaults: BackendDefaults;
  /** `--block-cidrs` (ingress-nginx's ConfigMap key): normalized CIDRs whose requests get 403. */
  readonly blockCidrs: readonly string[];
  /** `--allow-backend-server-header`, `--hide-headers`: upstream response headers clients see. */
  readonly allowBackendServerHeader: boolean;
  /** `--enable-underscores-in-headers`: request headers named with `_` are forwarded. */
  readonly enableUnderscoresInHeaders: boolean;
  readonly hideHeaders: readonly string[];
  /** `--proxy-set-headers` / `--add-headers` (ingress-nginx's ConfigMap keys): ConfigMaps whose
   * entries are headers set on every request to a backend / every response to a client. */
  readonly proxySetHeaders?: NamespacedName;
  readonly addHeaders?: NamespacedName;
  /** `--ssl-protocols`: the TLS versions the HTTPS listener speaks (nginx ssl_protocols). */
  readonly sslProtocols: TlsVersionRange;
  /** `--ssl-ciphers`: the OpenSSL cipher list of its handshakes (nginx ssl_ciphers), unless a
   * host's ssl-ciphers annotation names another. */
  readonly sslCiphers: string;
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

type Kind = 'string' | 'boolean' | 'port' | 'count' | 'duration' | 'size' | 'quantity' | 'list';

interface OptionSpec {
  readonly kind: Kind;
  readonly help: string;
  readonly default?: string;
  /** What --help shows as the default when it is computed at start (e.g. from the CPUs). */
  readonly helpDefault?: string;
  readonly placeholder?: string;
  /** The value of the flag given alone, without one (`--access-log` → `stdout`). */
  readonly bare?: string;
}

/** The CLI contract (ARCHITECTURE.md). Order here is the order of `--help`. */
export const OPTIONS = {
  manifests: { kind: 'string', placeholder: 'DIR', help: 'Serve Ingress/Service/EndpointSlice/... objects from the YAML/JSON files in DIR (watched) instead of a cluster.' },
  'bind-address': { kind: 'string', placeholder: 'ADDR', default: '0.0.0.0', help: 'Address the HTTP, HTTPS and health listeners bind to.' },
  'http-port': { kind: 'port', default: '8080', help: 'Port of the HTTP listener.' },
  'https-port': { kind: 'port', default: '8443', help: 'Port of the HTTPS listener (TLS from Ingress spec.tls, certificate chosen by SNI).' },
  'health-port': { kind: 'port', default: '10254', help: 'Port of /healthz, /readyz and /metrics.' },
  'public-http-port': { kind: 'port', helpDefault: '--http-port', help: 'Port clients connect to for plain HTTP (the Service\'s 80 in front of 8080): the X-Forwarded-Port of those requests, as ingress-nginx, which listens on 80 itself.' },
  'public-https-port': { kind: 'port', helpDefault: '--https-port', help: 'Port clients connect to for HTTPS (the Service\'s 443 in front of 8443): the X-Forwarded-Port of those requests, and the port use-port-in-redirects puts in https redirects.' },
  workers: { kind: 'count', placeholder: 'N', helpDefault: 'number of CPUs', help: 'Dataplane worker processes.' },
  'ingress-class': { kind: 'string', placeholder: 'NAME', default: 'pier', help: 'Name of the IngressClass Pier serves.' },
  'controller-name': { kind: 'string', placeholder: 'NAME', default: 'pier.dev/ingress-controller', help: 'spec.controller value of IngressClasses Pier serves.' },
  'watch-namespace': { kind: 'string', placeholder: 'NS', help: 'Only watch namespaced objects in NS (default: all namespaces).' },
  'watch-namespace-selector': { kind: 'string', placeholder: 'SELECTOR', help: 'Only serve Ingresses (and Upstreams) of namespaces whose labels match this label selector (team=a,env in (prod,staging),!legacy), following label changes; as ingress-nginx\'s flag. Not with --watch-namespace.' },
  'watch-ingress-without-class': { kind: 'boolean', help: 'Also serve Ingresses that name no class, even if Pier\'s IngressClass is not the default.' },
  'shutdown-timeout': { kind: 'duration', default: '30s', help: 'Upper bound for draining connections on SIGTERM or worker recycle.' },
  'shutdown-delay': { kind: 'duration', default: '0s', help: 'On SIGTERM, keep serving this long first (while Kubernetes removes the pod from endpoints).' },
  'keepalive-timeout': { kind: 'duration', default: '75s', help: 'Close client connections idle this long (nginx keepalive_timeout).' },
  'keepalive-requests': { kind: 'count', default: '1000', help: 'Close a client connection after this many requests (nginx keepalive_requests).' },
  'http2-max-concurrent-streams': { kind: 'count', default: '128', help: 'Streams an HTTP/2 client may have open at once on one connection (nginx http2_max_concurrent_streams).' },
  'client-header-timeout': { kind: 'duration', default: '60s', help: 'Answer 408 and close when a request head takes longer than this to arrive (nginx client_header_timeout).' },
  'client-body-timeout': { kind: 'duration', default: '60s', help: 'Answer 408 and close when a request body stops arriving for this long (nginx client_body_timeout).' },
  'max-header-size': { kind: 'size', default: '16k', help: 'Answer 431 and close when a request head (request line and headers) is larger (nginx large_client_header_buffers).' },
  'max-headers': { kind: 'count', default: '100', help: 'Answer 431 and close when a request head has more header lines (Envoy max_headers_count; HAProxy tune.http.maxhdr).' },
  'max-body-size': { kind: 'size', default: '0', help: 'Answer 413 when a request body is larger; 0 = no limit (nginx client_max_body_size).' },
  backlog: { kind: 'count', default: '4096', help: 'Listen backlog of the HTTP and HTTPS listeners: connections the kernel queues before Pier accepts them (capped by net.core.somaxconn).' },
  // Service backends (ingress-nginx's ConfigMap keys): see backend-defaults-config.ts.
  'proxy-connect-timeout': { kind: 'duration', default: '5s', help: 'Give up connecting to a Service backend\'s server after this long (nginx proxy_connect_timeout; seconds or a duration). An Ingress\'s proxy-connect-timeout annotation wins. As ingress-nginx\'s ConfigMap key.' },
  'proxy-send-timeout': { kind: 'duration', default: '60s', help: 'Fail a request when a Service backend takes none of its body for this long (nginx proxy_send_timeout). An Ingress\'s proxy-send-timeout annotation wins. As ingress-nginx\'s ConfigMap key.' },
  'proxy-read-timeout': { kind: 'duration', default: '60s', help: 'Answer 504 when a Service backend sends nothing for this long, its response head included (nginx proxy_read_timeout). An Ingress\'s proxy-read-timeout annotation wins. As ingress-nginx\'s ConfigMap key.' },
  'upstream-keepalive-connections': { kind: 'count', default: '64', help: 'Idle connections to each Service backend server kept per worker for reuse (nginx keepalive; ingress-nginx\'s ConfigMap default is 320); 0 turns upstream keepalive off (Connection: close).' },
  'upstream-keepalive-requests': { kind: 'count', default: '10000', help: 'Close a connection to a Service backend after this many requests (nginx keepalive_requests). As ingress-nginx\'s ConfigMap key.' },
  'upstream-keepalive-time': { kind: 'duration', default: '1h', help: 'Close a connection to a Service backend once it is this old, after its request (nginx keepalive_time; nginx forms such as 1h30m too). As ingress-nginx\'s ConfigMap key.' },
  'upstream-keepalive-timeout': { kind: 'duration', default: '60s', help: 'Close a connection to a Service backend idle this long (nginx keepalive_timeout; a server\'s Keep-Alive: timeout= lowers it). As ingress-nginx\'s ConfigMap key.' },
  'update-status': { kind: 'string', placeholder: 'true|false', default: 'true', help: 'The elected leader writes the load balancer address into the status of the Ingresses Pier serves (ingress-nginx\'s --update-status); false: it leaves Ingress status alone (Upstream status and Events are still written).' },
  'election-id': { kind: 'string', placeholder: 'NAME', default: 'pier-leader', help: 'Name of the Lease used for leader election (status writes).' },
  'publish-service': { kind: 'string', placeholder: 'NS/NAME', help: 'Copy this Service\'s load balancer address into Ingress status.' },
  'default-ssl-certificate': { kind: 'string', placeholder: 'NS/NAME', help: 'kubernetes.io/tls Secret served to TLS clients whose SNI name matches no Ingress, or that send none (default: a self-signed certificate). As ingress-nginx.' },
  'default-backend-service': { kind: 'string', placeholder: 'NS/NAME', help: 'Service that answers requests no rule matches (default: 404); an Ingress spec.defaultBackend wins over it. As ingress-nginx.' },
  'publish-status-address': { kind: 'list', placeholder: 'ADDR,...', help: 'Write these addresses (IPs or hostnames) into Ingress status.' },
  'log-level': { kind: 'string', placeholder: 'LEVEL', default: 'info', help: `One of ${LOG_LEVELS.join(', ')}.` },
  'access-log': { kind: 'string', placeholder: 'stdout|FILE|off', default: 'off', bare: 'stdout', help: 'One JSON line per request (ingress-nginx\'s JSON log fields) to stdout or appended to FILE (an absolute path), written without blocking, whatever --log-level says; alone: stdout.' },
  // Client address (access control): see clientAccessConfig.
  'trusted-proxies': { kind: 'list', placeholder: 'CIDR,...', help: 'Proxies (load balancers) whose X-Forwarded-* headers are believed (ingress-nginx use-forwarded-headers): the right-most X-Forwarded-For address not in this list is the client (allow/deny lists, X-Real-IP; nginx real_ip_recursive), and their X-Forwarded-Proto/-Port/-Host reach backends and decide ssl-redirect.' },
  'forwarded-for-header': { kind: 'string', placeholder: 'NAME', default: 'X-Forwarded-For', help: 'The header in which --trusted-proxies name the client, read right to left as X-Forwarded-For is (ingress-nginx\'s ConfigMap key, nginx real_ip_header): CF-Connecting-IP behind Cloudflare, for example.' },
  'proxy-protocol': { kind: 'boolean', help: 'Every connection on the HTTP and HTTPS ports starts with a PROXY protocol v1/v2 header (a cloud load balancer sends it; ingress-nginx use-proxy-protocol); its source address is the client address, its destination port X-Forwarded-Port (443: the client spoke HTTPS to the balancer).' },
  'limit-req-status-code': { kind: 'string', placeholder: 'CODE', default: '503', help: 'Status answered to requests over limit-rps / limit-rpm (ingress-nginx\'s limit-req-status-code; 429 is the usual choice).' },
  'limit-conn-status-code': { kind: 'string', placeholder: 'CODE', default: '503', help: 'Status answered to requests over limit-connections (ingress-nginx\'s limit-conn-status-code).' },
  'cache-size': { kind: 'quantity', default: '256Mi', help: 'Bytes the shared HTTP cache (pier.dev/cache) may hold; least recently used entries go first.' },
  'cache-dir': { kind: 'string', placeholder: 'DIR', help: 'Directory of the shared HTTP cache\'s files (an emptyDir; default: a new directory under the OS temp dir); entries a previous run left are served again.' },
  compression: { kind: 'string', placeholder: 'CODINGS|off', default: DEFAULT_COMPRESSION, help: 'Compress responses of Ingresses without pier.dev/compression with these codings, in order of preference: gzip, br, zstd (ingress-nginx\'s use-gzip: gzip; enable-brotli: br); off: none.' },
  'compression-types': { kind: 'string', placeholder: 'TYPES', default: DEFAULT_COMPRESSION_TYPES_FLAG, helpDefault: 'ingress-nginx\'s gzip-types', help: 'Media types --compression compresses, separated by spaces (* = any); text/html always (ingress-nginx\'s gzip-types).' },
  'compression-min-length': { kind: 'string', placeholder: 'BYTES', default: DEFAULT_COMPRESSION_MIN_LENGTH_FLAG, help: 'Responses shorter than this are sent uncompressed (ingress-nginx\'s gzip-min-length).' },
  // ingress-nginx's ConfigMap keys that give annotations their default: see annotation-flags.ts.
  'proxy-cookie-domain': { kind: 'string', placeholder: 'FROM TO|off', help: 'Rewrite the domain of Set-Cookie from FROM to TO on every route, unless an Ingress\'s proxy-cookie-domain annotation says otherwise (ingress-nginx\'s ConfigMap key; nginx proxy_cookie_domain).' },
  'proxy-cookie-path': { kind: 'string', placeholder: 'FROM TO|off', help: 'Rewrite a Set-Cookie path starting with FROM to start with TO on every route, unless an Ingress\'s proxy-cookie-path annotation says otherwise (ingress-nginx\'s ConfigMap key; nginx proxy_cookie_path).' },
  'proxy-redirect-from': { kind: 'string', placeholder: 'TEXT|off', help: 'With --proxy-redirect-to: Location and Refresh headers starting with TEXT get it replaced on every route; an Ingress\'s proxy-redirect-from / -to annotation replaces its half (ingress-nginx\'s ConfigMap key; nginx proxy_redirect).' },
  'proxy-redirect-to': { kind: 'string', placeholder: 'TEXT|off', help: 'What --proxy-redirect-from is replaced by (ingress-nginx\'s ConfigMap key).' },
  'whitelist-source-range': { kind: 'string', placeholder: 'CIDR,...', help: 'Only these client addresses reach any route (403 for others), unless an Ingress\'s whitelist-source-range / allowlist-source-range annotation names its own list (ingress-nginx\'s ConfigMap key).' },
  'denylist-source-range': { kind: 'string', placeholder: 'CIDR,...', help: 'These client addresses get 403 on every route, unless an Ingress\'s denylist-source-range annotation names its own list (ingress-nginx\'s ConfigMap key).' },
  'enable-underscores-in-headers': { kind: 'boolean', help: 'Forward request headers whose names hold an underscore (ingress-nginx\'s ConfigMap key); by default they are dropped, as nginx ignores them: CGI-style backends cannot tell X_Real_IP from X-Real-IP.' },
  'allow-backend-server-header': { kind: 'boolean', help: 'Pass a backend\'s Server header on to clients (ingress-nginx\'s ConfigMap key); without it clients get none, as from ingress-nginx (server-tokens off).' },
  'hide-headers': { kind: 'list', placeholder: 'NAME,...', help: 'Backend response headers clients never get (ingress-nginx\'s ConfigMap hide-headers, nginx proxy_hide_header); X-Pad and X-Accel-* are never passed anyway.' },
  'global-auth-url': { kind: 'string', placeholder: 'URL', help: 'External auth for every route whose Ingress sets no auth-url and not enable-global-auth: "false" (ingress-nginx\'s ConfigMap global-auth-url; the auth-url annotation\'s forms and variables).' },
  'global-auth-method': { kind: 'string', placeholder: 'METHOD', help: 'With --global-auth-url: as the auth-method annotation.' },
  'global-auth-signin': { kind: 'string', placeholder: 'URL', help: 'With --global-auth-url: as the auth-signin annotation.' },
  'global-auth-signin-redirect-param': { kind: 'string', placeholder: 'NAME', help: 'With --global-auth-url: as the auth-signin-redirect-param annotation (default rd).' },
  'global-auth-response-headers': { kind: 'string', placeholder: 'NAME,...', help: 'With --global-auth-url: as the auth-response-headers annotation.' },
  'global-auth-request-redirect': { kind: 'string', placeholder: 'URL', help: 'With --global-auth-url: as the auth-request-redirect annotation.' },
  'global-auth-cache-key': { kind: 'string', placeholder: 'KEY', help: 'With --global-auth-url: as the auth-cache-key annotation.' },
  'global-auth-cache-duration': { kind: 'string', placeholder: 'DURATIONS', help: 'With --global-auth-url: as the auth-cache-duration annotation.' },
  'global-auth-always-set-cookie': { kind: 'string', placeholder: 'true|false', help: 'With --global-auth-url: as the auth-always-set-cookie annotation.' },
  'no-auth-locations': { kind: 'list', placeholder: 'PATH,...', default: '/.well-known/acme-challenge', help: 'Routes whose path starts with one of these get no external or basic auth (ingress-nginx\'s ConfigMap no-auth-locations and its default: cert-manager\'s HTTP-01 challenges); empty: none.' },
  'proxy-set-headers': { kind: 'string', placeholder: 'NS/NAME', help: 'ConfigMap whose entries are headers set on every request to every backend, replacing the client\'s (nginx proxy_set_header; values may use nginx variables such as $remote_addr; an empty value sends none). Changes apply without restart. As ingress-nginx\'s ConfigMap key.' },
  'add-headers': { kind: 'string', placeholder: 'NS/NAME', help: 'ConfigMap whose entries are headers set on every response to clients, replacing the backend\'s (nginx more_set_headers). Changes apply without restart. As ingress-nginx\'s ConfigMap key.' },
  'block-cidrs': { kind: 'list', placeholder: 'CIDR,...', help: 'These client addresses get 403 for every request, matched or not, before any Ingress\'s lists (ingress-nginx\'s ConfigMap key; nginx deny at http level).' },
  'custom-http-errors': { kind: 'string', placeholder: 'CODE,...', help: 'Answers with these statuses, from any route\'s backend or Pier, are replaced by the default backend\'s answer (needs --default-backend-service), unless an Ingress\'s custom-http-errors annotation lists its own (ingress-nginx\'s ConfigMap key).' },
  'ssl-redirect': { kind: 'string', placeholder: 'true|false', default: 'true', help: 'Hosts with a certificate answer plain HTTP with a 308 to https, unless an Ingress\'s ssl-redirect annotation says otherwise (ingress-nginx\'s ConfigMap ssl-redirect and its default); false: only Ingresses annotated ssl-redirect: "true" do.' },
  'force-ssl-redirect': { kind: 'string', placeholder: 'true|false', default: 'false', help: 'Every host answers plain HTTP with a 308 to https, certificate or not (TLS ended by a load balancer), unless an Ingress\'s force-ssl-redirect annotation says otherwise (ingress-nginx\'s ConfigMap force-ssl-redirect).' },
  'http-redirect-code': { kind: 'string', placeholder: 'CODE', default: '308', help: 'Status of ssl-redirect\'s and from-to-www-redirect\'s redirects: 301, 302, 307 or 308 (ingress-nginx\'s http-redirect-code).' },
  'no-tls-redirect-locations': { kind: 'list', placeholder: 'PATH,...', default: '/.well-known/acme-challenge', help: 'Routes whose path starts with one of these are never redirected to https, whatever ssl-redirect says (ingress-nginx\'s no-tls-redirect-locations and its default: cert-manager\'s HTTP-01 challenges stay plain HTTP); empty: none.' },
  hsts: { kind: 'string', placeholder: 'VALUE|off', default: 'max-age=31536000; includeSubDomains', help: 'Strict-Transport-Security sent on every HTTPS response, replacing an upstream\'s (max-age=SECONDS, then includeSubDomains and preload if wanted); off: none. ingress-nginx\'s hsts, hsts-max-age, hsts-include-subdomains and hsts-preload, with their defaults.' },
  'ssl-protocols': { kind: 'string', placeholder: 'VERSIONS', default: DEFAULT_SSL_PROTOCOLS, help: 'TLS versions the HTTPS listener speaks, separated by spaces, one range without gaps (TLSv1 to TLSv1.3; ingress-nginx\'s ssl-protocols and its default).' },
  'ssl-ciphers': { kind: 'string', placeholder: 'LIST', default: DEFAULT_SSL_CIPHERS, help: 'OpenSSL cipher list of TLS 1.2 and below, server order preferred (ingress-nginx\'s ssl-ciphers and its default); TLS 1.3 keeps its suites unless TLS_ names are listed. An Ingress\'s ssl-ciphers annotation replaces it for its hosts.' },
  'enable-ssl-passthrough': { kind: 'boolean', help: 'Honour the ssl-passthrough annotation: TLS connections whose server name (SNI) is such a host are relayed undeciphered to the backend of its / path (as ingress-nginx\'s flag); the others are terminated by Pier as usual.' },
  'force-public-http': { kind: 'boolean', help: 'Serve HTTP/1.1 through Node\'s public node:http and undici instead of Pier\'s lean layer, which uses Node internals (chosen by itself, with a warning, on a Node that lacks them; costs CPU per request).' },
} as const satisfies Record<string, OptionSpec>;

type OptionName = keyof typeof OPTIONS;

/** `--http-port` → `PIER_HTTP_PORT`. */
export function envName(option: string): string {
  return `PIER_${option.toUpperCase().replaceAll('-', '_')}`;
}

export function helpText(): string {
  const lines = ['Usage: pier serve [options]', '       pier --help | -h', '       pier --version', '', 'Options (each also read from the PIER_* environment variable shown):'];
  for (const [name, spec] of Object.entries(OPTIONS) as [OptionName, OptionSpec][]) {
    const flag = spec.kind === 'boolean' ? `--${name}` : `--${name} ${spec.placeholder ?? valuePlaceholder(spec.kind)}`;
    const shown = spec.helpDefault ?? spec.default;
    const dflt = shown !== undefined ? ` [default: ${shown}]` : '';
    lines.push(`  ${flag.padEnd(38)} ${spec.help}${dflt}  (${envName(name)})`);
  }
  lines.push(`  ${'-h, --help'.padEnd(38)} Show this help.`);
  lines.push(`  ${'--version'.padEnd(38)} Print Pier's version.`);
  lines.push('', 'Durations take a unit: 500ms, 30s, 5m, 1h (a bare number means seconds).');
  lines.push('Sizes are bytes, or take a unit: 16k, 1m, 1g (binary multiples, as nginx).');
  lines.push('BYTES (--cache-size) is a Kubernetes quantity: 4096, 512Ki, 256Mi, 1Gi, or decimal 100M; nginx\'s 10m, 1g are MiB, GiB.');
  return lines.join('\n');
}

function valuePlaceholder(kind: Kind): string {
  return { string: 'VALUE', boolean: '', port: 'PORT', count: 'N', duration: 'DURATION', size: 'SIZE', quantity: 'BYTES', list: 'A,B' }[kind];
}

export type CliCommand =
  | { readonly command: 'help' }
  | { readonly command: 'version' }
  | { readonly command: 'serve'; readonly config: PierConfig };

/** Parses `argv` (without node and script) and `env`; throws ConfigError on anything invalid. */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CliCommand {
  const parsed = parseFlags(argv);
  if (parsed.values.help) return { command: 'help' };
  if (parsed.values.version) return { command: 'version' };
  const [command, ...extra] = parsed.positionals;
  if (command === undefined || command === 'help') return { command: 'help' };
  if (command === 'version') return { command: 'version' };
  if (command !== 'serve') throw new ConfigError(`unknown command '${command}'; the commands are 'serve', 'migrate-check' and 'cache purge' (see 'pier --help')`);
  if (extra.length > 0) throw new ConfigError(`unexpected argument '${extra[0]}' (see 'pier --help')`);

  const fromFlag = (name: OptionName) => parsed.values[name] !== undefined;
  /** What an error calls the option: the flag, or the variable it came from and the flag. */
  const label = (name: OptionName) => (fromFlag(name) || (env[envName(name)] ?? '') === '' ? `--${name}` : `${envName(name)} (--${name})`);
  const raw = (name: OptionName): string | boolean | undefined => {
    if (fromFlag(name)) return parsed.values[name];
    const fromEnv = env[envName(name)];
    if (fromEnv !== undefined && fromEnv !== '') return OPTIONS[name].kind === 'boolean' ? parseBoolean(label(name), fromEnv) : fromEnv;
    return (OPTIONS[name] as OptionSpec).default;
  };
  const str = (name: OptionName) => raw(name) as string | undefined;
  const num = (name: OptionName) => parseNumber(name, label(name), str(name)!);
  const text = (name: OptionName) => nonEmpty(label(name), str(name));
  const ref = (name: OptionName) => (str(name) === undefined ? undefined : parseNamespacedName(label(name), str(name)!));

  const logLevel = str('log-level')!;
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw invalid(label('log-level'), logLevel, `one of ${LOG_LEVELS.join(', ')}`);
  const config: PierConfig = {
    manifests: text('manifests'),
    bindAddress: parseBindAddress(label('bind-address'), str('bind-address')!),
    httpPort: num('http-port'),
    httpsPort: num('https-port'),
    healthPort: num('health-port'),
    ...(str('public-http-port') === undefined ? {} : { publicHttpPort: aboveZero(label('public-http-port'), str('public-http-port')!, num('public-http-port')) }),
    ...(str('public-https-port') === undefined ? {} : { publicHttpsPort: aboveZero(label('public-https-port'), str('public-https-port')!, num('public-https-port')) }),
    workers: str('workers') === undefined ? availableParallelism() : num('workers'),
    ingressClass: text('ingress-class')!,
    controllerName: text('controller-name')!,
    watchNamespace: text('watch-namespace'),
    watchNamespaceSelector: namespaceSelector(label('watch-namespace-selector'), text('watch-namespace-selector'), str('watch-namespace') && label('watch-namespace')),
    watchIngressWithoutClass: raw('watch-ingress-without-class') === true,
    shutdownTimeoutMs: num('shutdown-timeout'),
    shutdownDelayMs: num('shutdown-delay'),
    keepaliveTimeoutMs: num('keepalive-timeout'),
    keepaliveRequests: num('keepalive-requests'),
    http2MaxConcurrentStreams: num('http2-max-concurrent-streams'),
    clientHeaderTimeoutMs: aboveZero(label('client-header-timeout'), str('client-header-timeout')!, num('client-header-timeout')),
    clientBodyTimeoutMs: aboveZero(label('client-body-timeout'), str('client-body-timeout')!, num('client-body-timeout')),
    maxHeaderSize: headerSize(label('max-header-size'), str('max-header-size')!, num('max-header-size')),
    maxHeaders: num('max-headers'),
    maxBodySize: num('max-body-size') === 0 ? Infinity : num('max-body-size'),
    backlog: num('backlog'),
    electionId: text('election-id')!,
    updateStatus: parseBoolean(label('update-status'), str('update-status')!),
    publishService: ref('publish-service'),
    defaultSslCertificate: ref('default-ssl-certificate'),
    defaultBackendService: ref('default-backend-service'),
    publishStatusAddress: parseList(str('publish-status-address')),
    logLevel: logLevel as LogLevel,
    accessLog: accessLogTarget(label('access-log'), str('access-log')!),
    ...clientAccessConfig(label('trusted-proxies'), str('trusted-proxies'), raw('proxy-protocol') === true),
    forwardedForHeader: headerName(label('forwarded-for-header'), str('forwarded-for-header')!),
    limitReqStatusCode: limitStatus(label('limit-req-status-code'), str('limit-req-status-code')!),
    limitConnStatusCode: limitStatus(label('limit-conn-status-code'), str('limit-conn-status-code')!),
    cacheSize: num('cache-size'),
    cacheDir: text('cache-dir'),
    forcePublicHttp: raw('force-public-http') === true,
    hsts: parseHsts(label('hsts'), str('hsts')!),
    annotationDefaults: {
      sslRedirect: parseBoolean(label('ssl-redirect'), str('ssl-redirect')!), forceSslRedirect: parseBoolean(label('force-ssl-redirect'), str('force-ssl-redirect')!),
      httpsPort: str('public-https-port') === undefined ? num('https-port') : num('public-https-port'),
      redirectCode: redirectCode(label('http-redirect-code'), str('http-redirect-code')!),
      noTlsRedirectLocations: parseList(str('no-tls-redirect-locations')),
      noAuthLocations: parseList(str('no-auth-locations')),
      ...present('globalAuth', globalAuthPolicy(label, str)),
      ...compressionDefault(compressionConfig(label, { codings: str('compression')!, types: str('compression-types')!, minLength: str('compression-min-length')! })),
      ...present('annotations', annotationFlagValues(label, str, str('default-backend-service') !== undefined)),
    },
    blockCidrs: cidrList(label('block-cidrs'), str('block-cidrs')),
    allowBackendServerHeader: raw('allow-backend-server-header') === true,
    enableUnderscoresInHeaders: raw('enable-underscores-in-headers') === true,
    hideHeaders: headerNames(label('hide-headers'), str('hide-headers')),
    ...present('proxySetHeaders', watchedRef(label('proxy-set-headers'), ref('proxy-set-headers'), str('watch-namespace') && label('watch-namespace'), text('watch-namespace'))),
    ...present('addHeaders', watchedRef(label('add-headers'), ref('add-headers'), str('watch-namespace') && label('watch-namespace'), text('watch-namespace'))),
    enableSslPassthrough: raw('enable-ssl-passthrough') === true,
    backendDefaults: backendDefaultsConfig(label, (name) => str(name)!),
    ...sslConfig(label('ssl-protocols'), str('ssl-protocols')!, label('ssl-ciphers'), str('ssl-ciphers')!),
  };
  const ports = [config.httpPort, config.httpsPort, config.healthPort];
  if (new Set(ports).size !== ports.length && !ports.includes(0)) {
    throw new ConfigError(`--http-port, --https-port and --health-port must differ (got ${ports.join(', ')})`);
  }
  return { command: 'serve', config };
}

/**
 * `--trusted-proxies` and `--proxy-protocol`: which address access control uses
 * (dataplane/client-address.ts). Each entry must be an address or CIDR (IPv4 or IPv6).
 */
function clientAccessConfig(label: string, trusted: string | undefined, proxyProtocol: boolean): { trustedProxies: string[]; proxyProtocol: boolean } {
  return { trustedProxies: cidrList(label, trusted), proxyProtocol };
}

/** A comma-separated list of addresses and CIDRs (IPv4 or IPv6), normalized (ip-access.ts). */
function cidrList(label: string, value: string | undefined): string[] {
  return parseList(value).map((entry) => normalizeCidr(entry) ?? throwError(invalid(label, entry, 'IP addresses or CIDR ranges such as 10.0.0.0/8,2001:db8::/32')));
}

function throwError(error: Error): never {
  throw error;
}

/** `--ssl-protocols` and `--ssl-ciphers` (ssl-flags.ts): the list is checked against the versions. */
function sslConfig(protocolsLabel: string, protocols: string, ciphersLabel: string, ciphers: string): { sslProtocols: TlsVersionRange; sslCiphers: string } {
  const sslProtocols = parseSslProtocols(protocolsLabel, protocols);
  return { sslProtocols, sslCiphers: parseSslCiphers(ciphersLabel, ciphers, sslProtocols) };
}

/** `--access-log`: stdout, off, or an absolute file path (true/false: the flag's former boolean form). */
function accessLogTarget(label: string, value: string): string | undefined {
  if (value === 'off' || value === 'false') return undefined;
  if (value === 'stdout' || value === 'true') return 'stdout';
  if (!isAbsolute(value)) throw invalid(label, value, 'stdout, off, or an absolute file path');
  return value;
}

/** `--watch-namespace-selector` (source/label-selector.ts); refused next to --watch-namespace, as ingress-nginx refuses it. */
function namespaceSelector(label: string, value: string | undefined, watchNamespace: string | undefined): LabelSelector | undefined {
  if (value === undefined) return undefined;
  if (watchNamespace) throw new ConfigError(`${label} and ${watchNamespace} exclude each other (as in ingress-nginx): give one namespace, or a selector of namespaces`);
  try {
    return parseLabelSelector(value);
  } catch (err) {
    if (!(err instanceof LabelSelectorError)) throw err;
    throw invalid(label, value, `a label selector such as team=a,env in (prod,staging),!legacy; ${err.message}`);
  }
}

/**
 * A ConfigMap reference Pier can see: with `--watch-namespace`, nothing outside that namespace
 * is read (in cluster and manifest mode alike; ingress-nginx's ConfigMap informer has the same
 * bound), so one elsewhere would never be found. Refused at start rather than a Warning on
 * every table.
 */
function watchedRef(label: string, ref: NamespacedName | undefined, watchLabel: string | undefined, watchNamespace: string | undefined): NamespacedName | undefined {
  if (ref === undefined || watchNamespace === undefined || ref.namespace === watchNamespace) return ref;
  throw new ConfigError(`${label} names ConfigMap ${ref.namespace}/${ref.name}, outside ${watchLabel} ${watchNamespace}, where Pier reads nothing (put the ConfigMap in ${watchNamespace})`);
}

/** nginx limit_req_status / limit_conn_status: 400..599. */
function limitStatus(label: string, value: string): number {
  if (!/^\d{3}$/.test(value) || Number(value) < 400 || Number(value) > 599) throw invalid(label, value, 'a status code from 400 to 599');
  return Number(value);
}

/** node:util parseArgs over Pier's options, its errors rewritten as one line naming the flag. */
function parseFlags(argv: readonly string[]) {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } };
  for (const [name, spec] of Object.entries(OPTIONS)) options[name] = { type: spec.kind === 'boolean' ? 'boolean' : 'string' };
  try {
    return parseArgs({ args: bareValues(joinDashValues(argv, options), options), options, allowPositionals: true, strict: true });
  } catch (err) {
    const { code, message } = err as Error & { code?: string };
    const flag = /'(-[^' ]+)/.exec(message)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      throw new ConfigError(`unknown option '${flag}' (see 'pier --help'; MIGRATING.md maps ingress-nginx's flags to Pier's)`);
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && / does not take an argument/.test(message)) {
      throw new ConfigError(`${flag} takes no value (give it alone to turn it on; leave it out for off)`);
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new ConfigError(`${flag} needs a value (see 'pier --help')`);
    throw new ConfigError(`${message.split('\n')[0]} (see 'pier --help')`);
  }
}

/**
 * `--keepalive-timeout -5s` → `--keepalive-timeout=-5s`, so that a value starting with a dash is
 * judged as a value (and refused with the option's own message) instead of parseArgs's
 * "argument is ambiguous". A following known option stays an option: `--manifests --workers 2`
 * is then "--manifests needs a value".
 */
function joinDashValues(argv: readonly string[], options: Record<string, { type: string; short?: string }>): string[] {
  const isOption = (arg: string) => arg === '-h' || arg === '--' || (arg.startsWith('--') && options[arg.slice(2).split('=')[0]!] !== undefined);
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const takesValue = arg.startsWith('--') && !arg.includes('=') && options[arg.slice(2)]?.type === 'string';
    if (takesValue && next !== undefined && next.startsWith('-') && !isOption(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/** `--access-log` given alone (last, or before another option) → `--access-log=stdout` (OptionSpec.bare). */
function bareValues(argv: readonly string[], options: Record<string, unknown>): string[] {
  return argv.map((arg, i) => {
    const spec = arg.startsWith('--') ? (OPTIONS as Record<string, OptionSpec>)[arg.slice(2)] : undefined;
    if (spec?.bare === undefined) return arg;
    const next = argv[i + 1];
    const alone = next === undefined || next === '-h' || next === '--' || (next.startsWith('--') && options[next.slice(2).split('=')[0]!] !== undefined);
    return alone ? `${arg}=${spec.bare}` : arg;
  });
}

function parseNumber(name: OptionName, label: string, value: string): number {
  const kind = OPTIONS[name].kind;
  if (kind === 'port') return parsePort(label, value);
  if (kind === 'count') return parseCount(label, value);
  if (kind === 'duration') return parseDuration(label, value);
  if (kind === 'size') return parseSize(label, value);
  if (kind === 'quantity') return parseQuantity(label, value);
  throw new Error(`option --${name} is not numeric`);
}

/** A head limit node's parser takes (llhttp counts it in a uint32), and that fits a request line. */
function headerSize(label: string, value: string, bytes: number): number {
  if (bytes < 1024 || bytes > 16 * 1024 * 1024) throw invalid(label, value, 'a size from 1k to 16m');
  return bytes;
}

/** RFC 9110 token: a header name. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** `--hide-headers`: header names. */
function headerNames(label: string, value: string | undefined): string[] {
  const names = parseList(value);
  const bad = names.find((n) => !HEADER_NAME.test(n));
  if (bad !== undefined) throw invalid(label, bad, 'header names separated by commas');
  return names;
}

/** `--forwarded-for-header`: one header name. */
function headerName(label: string, value: string): string {
  if (!HEADER_NAME.test(value)) throw invalid(label, value, 'a header name such as X-Forwarded-For or CF-Connecting-IP');
  return value;
}

/** `--http-redirect-code`: the codes ingress-nginx accepts (it falls back to 308 on others with
 * a warning; a flag stops the start instead, naming itself). */
function redirectCode(label: string, value: string): number {
  if (!['301', '302', '307', '308'].includes(value)) throw invalid(label, value, '301, 302, 307 or 308');
  return Number(value);
}

/** `compression` in AnnotationDefaults only when on (the field is optional, not undefined). */
function compressionDefault(policy: CompressionPolicy | undefined): { compression?: CompressionPolicy } {
  return present('compression', policy);
}

/** `{ [key]: value }`, or `{}` when undefined (optional fields stay absent, not undefined). */
function present<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
