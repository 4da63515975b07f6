import { equalsLower as eq } from './ascii-case.ts';
import { isAuthority } from './authority.ts';

/**
 * What a trusted proxy (`--trusted-proxies`, ingress-nginx's `use-forwarded-headers`) says about
 * the client's own request: its X-Forwarded-Proto, X-Forwarded-Port and the first host of its
 * X-Forwarded-Host. ingress-nginx's lua_ingress.lua takes these as `$pass_access_scheme`,
 * `$pass_server_port` and `$best_http_host`: they are what the backend receives as
 * X-Forwarded-Proto / -Port / -Host and Host, and what ssl-redirect decides on. Behind a load
 * balancer that terminates TLS, the connection to Pier is plain HTTP while the client's was
 * HTTPS: reading the connection instead would send backends `X-Forwarded-Proto: http` and
 * make force-ssl-redirect redirect HTTPS clients forever.
 *
 * Only connections from a trusted proxy are read this way; anyone else's headers are replaced.
 * A plain connection whose PROXY header (`--proxy-protocol`) names the balancer's port 443 is
 * an HTTPS client's too (clientScheme).
 */
export interface ForwardedOrigin {
  proto: string | undefined;
  port: string | undefined;
  /** The first X-Forwarded-Host entry, when it is a valid `host[:port]`. */
  host: string | undefined;
}

/** The X-Forwarded-Proto / -Port / -Host of `raw` (first line of each; undefined when absent). */
export function forwardedOrigin(raw: readonly string[]): ForwardedOrigin {
  const out: ForwardedOrigin = { proto: undefined, port: undefined, host: undefined };
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 17) {
      if (out.proto === undefined && eq(name, 'x-forwarded-proto')) out.proto = nonEmpty(raw[i + 1]!);
    } else if (name.length === 16) {
      if (eq(name, 'x-forwarded-host')) out.host ??= firstHost(raw[i + 1]!);
      else if (eq(name, 'x-forwarded-port')) out.port ??= nonEmpty(raw[i + 1]!);
    }
  }
  return out;
}

/** `a.example, b.example` → `a.example` (as lua_ingress.lua's parse_x_forwarded_host); an entry
 * that is not `host[:port]` gives none (it would become the upstream's Host). */
export function firstHost(value: string): string | undefined {
  const comma = value.indexOf(',');
  const first = (comma < 0 ? value : value.slice(0, comma)).trim();
  return first !== '' && isAuthority(first) ? first : undefined;
}

function nonEmpty(value: string): string | undefined {
  const v = value.trim();
  return v === '' ? undefined : v;
}

/** What a connection says about the balancer in front of it. */
export interface ProxiedConnection {
  readonly trustedProxies?: unknown;
  readonly proxyDestinationPort?: string | undefined;
}

/** A trusted proxy's X-Forwarded-* for a request on `conn`; undefined when `conn` is not from
 * one of `--trusted-proxies` (anyone else's are replaced, never read). */
export function trustedOrigin(raw: readonly string[], conn: ProxiedConnection): ForwardedOrigin | undefined {
  return conn.trustedProxies === undefined ? undefined : forwardedOrigin(raw);
}

/**
 * The scheme the client used (`$pass_access_scheme`, lua_ingress.lua): `https` when the
 * connection's PROXY header says the client connected to the balancer's port 443 (TLS ended
 * there); else a trusted proxy's X-Forwarded-Proto (`origin`, from trustedOrigin); else `own`,
 * the connection's.
 */
export function clientScheme(conn: ProxiedConnection, own: string, origin: ForwardedOrigin | undefined): string {
  if (conn.proxyDestinationPort === '443') return 'https';
  return origin?.proto ?? own;
}

/** The port the client used (`$pass_port`): a trusted proxy's X-Forwarded-Port, else the
 * PROXY header's destination port, else `own`, the listener's. */
export function clientPort(conn: ProxiedConnection, own: string, origin: ForwardedOrigin | undefined): string {
  return origin?.port ?? conn.proxyDestinationPort ?? own;
}
