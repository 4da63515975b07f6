import { alone, hsts, same, trustedProxies } from './configmap-flags.ts';
import { goBool, isBool, isEmpty, isText, type ConfigMapKey } from './configmap-key.ts';

const HSTS = 'one --hsts value from hsts, hsts-max-age, hsts-include-subdomains and hsts-preload (their defaults for the keys not set): "max-age=31536000; includeSubDomains", or --hsts=off for hsts: "false"';
const SESSIONS = 'Node keeps TLS sessions per worker (300 s) and issues session tickets with keys random per worker';

/** TLS, HTTP/2 and the client address: ingress-nginx's ConfigMap keys for what happens before a
 * request is routed. */
export const TLS_KEYS: readonly ConfigMapKey[] = [
  { key: 'ssl-protocols', status: 'flag', flags: ['ssl-protocols'], convert: same('ssl-protocols'), example: 'TLSv1.3', note: '"TLSv1.2 TLSv1.3" → --ssl-protocols="TLSv1.2 TLSv1.3": one range without gaps; SSLv2 and SSLv3 are refused' },
  { key: 'ssl-ciphers', status: 'flag', flags: ['ssl-ciphers'], convert: same('ssl-ciphers'), example: 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256', note: 'the same OpenSSL list → --ssl-ciphers=...; a list OpenSSL knows no cipher of is refused' },
  { key: 'hsts', status: 'flag', flags: ['hsts'], convert: hsts, example: 'false', note: HSTS },
  { key: 'hsts-max-age', status: 'flag', flags: ['hsts'], convert: hsts, example: '63072000', note: HSTS },
  { key: 'hsts-include-subdomains', status: 'flag', flags: ['hsts'], convert: hsts, example: 'false', note: HSTS },
  { key: 'hsts-preload', status: 'flag', flags: ['hsts'], convert: hsts, example: 'true', note: HSTS },
  { key: 'ssl-ecdh-curve', status: 'unsupported', honours: isText('auto'), note: 'Pier leaves the ECDHE curves to OpenSSL\'s default, as "auto"; a list of curves is not carried over' },
  { key: 'ssl-dh-param', status: 'unsupported', honours: isEmpty, note: 'no DH parameters: the DHE ciphers stay unused (ECDHE ones serve every client that offers one), as in ingress-nginx without this key' },
  { key: 'ssl-early-data', status: 'always', honours: isBool(false), note: 'Pier accepts no TLS 1.3 early data (0-RTT), as "false": with "true" clients still make a full round trip first' },
  { key: 'ssl-session-cache', status: 'not-needed', note: SESSIONS },
  { key: 'ssl-session-cache-size', status: 'not-needed', note: SESSIONS },
  { key: 'ssl-session-timeout', status: 'not-needed', note: SESSIONS },
  { key: 'ssl-session-tickets', status: 'always', honours: isBool(true), note: 'Pier (Node) issues TLS session tickets, as "true"; "false", ingress-nginx\'s default, is not honoured' },
  { key: 'ssl-session-ticket-key', status: 'unsupported', honours: isEmpty, note: 'ticket keys are random per worker: a ticket from another worker or replica gets a full handshake instead of a resumed one' },
  { key: 'ssl-buffer-size', status: 'not-needed', note: 'the TLS record size is Node\'s' },
  { key: 'ssl-reject-handshake', status: 'unsupported', fails: true, honours: isBool(false), note: 'a TLS client naming no host or an unknown one gets the default certificate and is routed by its Host header; ingress-nginx refused its handshake' },
  { key: 'enable-ocsp', status: 'unsupported', honours: isBool(false), note: 'no OCSP stapling: clients check revocation themselves' },
  { key: 'proxy-ssl-location-only', status: 'not-needed', note: 'where nginx writes the proxy-ssl-* directives; Pier applies those annotations to their routes' },
  { key: 'http2-max-concurrent-streams', status: 'flag', flags: ['http2-max-concurrent-streams'], convert: same('http2-max-concurrent-streams'), example: '256', note: '"128" → --http2-max-concurrent-streams=128' },
  { key: 'http2-max-field-size', status: 'inert', note: 'deprecated by ingress-nginx; nginx ignores http2_max_field_size since 1.19.7 (large-client-header-buffers sets the limit)' },
  { key: 'http2-max-header-size', status: 'inert', note: 'deprecated by ingress-nginx; nginx ignores http2_max_header_size since 1.19.7 (large-client-header-buffers sets the limit)' },
  { key: 'http2-max-requests', status: 'inert', note: 'deprecated by ingress-nginx; nginx removed http2_max_requests in 1.19.7 (keep-alive-requests counts HTTP/2 requests)' },
  // The client address.
  { key: 'use-forwarded-headers', status: 'flag', flags: ['trusted-proxies'], convert: trustedProxies('use-forwarded-headers'), example: 'true', note: '"true" → --trusted-proxies=<proxy-real-ip-cidr>: X-Forwarded-For, -Proto, -Host and -Port are believed from those addresses only (ingress-nginx\'s default proxy-real-ip-cidr, 0.0.0.0/0, believed every IPv4 client)' },
  { key: 'enable-real-ip', status: 'flag', flags: ['trusted-proxies'], convert: trustedProxies('enable-real-ip'), example: 'true', note: '"true" → --trusted-proxies=<proxy-real-ip-cidr>; Pier then also takes X-Forwarded-Proto, -Host and -Port from them' },
  { key: 'proxy-real-ip-cidr', status: 'flag', flags: ['trusted-proxies'], convert: trustedProxies('proxy-real-ip-cidr'), example: '10.0.0.0/8,192.168.0.0/16', note: 'with use-forwarded-headers or enable-real-ip: the same comma-separated CIDRs → --trusted-proxies=10.0.0.0/8,...; alone it does nothing, as in ingress-nginx' },
  { key: 'use-proxy-protocol', status: 'flag', flags: ['proxy-protocol'], convert: alone('proxy-protocol'), example: 'true', note: '"true" → --proxy-protocol: every connection on the HTTP and HTTPS ports starts with a PROXY v1/v2 header' },
  { key: 'proxy-protocol-header-timeout', status: 'unsupported', note: 'Pier waits --client-header-timeout (60 s by default) for the PROXY header, not this' },
  { key: 'forwarded-for-header', status: 'flag', flags: ['forwarded-for-header'], convert: same('forwarded-for-header'), example: 'CF-Connecting-IP', note: 'the same name → --forwarded-for-header=CF-Connecting-IP: where --trusted-proxies name the client' },
  { key: 'forwarded-host-header', status: 'unsupported', fails: true, honours: isText('X-Forwarded-Host'), note: 'Pier reads the original host from X-Forwarded-Host only (from --trusted-proxies): another header does not decide Host and redirects' },
  { key: 'forwarded-for-proxy-protocol-header', status: 'not-needed', note: 'ingress-nginx\'s internal header between the PROXY protocol and use-forwarded-headers; Pier has none' },
  { key: 'compute-full-forwarded-for', status: 'always', honours: (v, d) => goBool(v) === true || goBool(d['use-forwarded-headers']) !== true, note: 'from --trusted-proxies, Pier sends the balancer\'s X-Forwarded-For plus the balancer\'s address, as "true" (backends take the right-most entries they trust); "false" with use-forwarded-headers sent the client address alone, which Pier does not' },
];
