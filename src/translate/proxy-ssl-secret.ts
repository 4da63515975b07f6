import type { Ingress } from '../source/objects.ts';
import type { BackendTls } from '../routing/route-table.ts';
import type { ProxySslSettings } from './annotations/proxy-ssl.ts';
import { problemAbout, type Problem } from './problem.ts';
import { isCertificate, isKeyOf, secretText } from './secret-data.ts';
import type { SnapshotIndex } from './snapshot.ts';

/** The backend TLS the proxy-ssl-* annotations give, or why the backend cannot be used. */
export type ProxySslResult =
  | { readonly tls: BackendTls; readonly problems: readonly Problem[] }
  | { readonly unavailable: string; readonly problems: readonly Problem[] };

/**
 * Reads `proxy-ssl-secret` (Opaque or kubernetes.io/tls, in the Ingress's namespace only: a
 * cross-namespace Secret is refused, as ingress-nginx does by default) into the backend's TLS:
 * `tls.crt` + `tls.key` become the client certificate Pier presents, `ca.crt` the CAs the
 * backend is verified against with `proxy-ssl-verify: on`. A Secret that is missing, elsewhere,
 * or holds neither a key pair nor a CA makes the backend unavailable: its requests get 503
 * (ingress-nginx denies the location). Reading through `index` records the Secret as a
 * dependency, so a Secret that appears or changes later re-resolves the backend.
 */
export function resolveProxySsl(index: SnapshotIndex, ingress: Ingress, settings: ProxySslSettings): ProxySslResult {
  const namespace = ingress.metadata.namespace ?? '';
  const slash = settings.secret.indexOf('/');
  const secretNs = slash < 0 ? namespace : settings.secret.slice(0, slash);
  const name = slash < 0 ? settings.secret : settings.secret.slice(slash + 1);
  const deny = (reason: string, why: string): ProxySslResult => ({
    unavailable: reason,
    problems: [problemAbout(ingress, reason, `proxy-ssl-secret ${settings.secret} ${why}: requests get 503`)],
  });
  if (secretNs !== namespace) return deny('ProxySSLSecretRefused', 'is in another namespace (not allowed, as in ingress-nginx)');
  const secret = index.secret(namespace, name);
  if (secret === undefined) return deny('ProxySSLSecretNotFound', 'does not exist (Pier reads Secrets of type Opaque or kubernetes.io/tls)');
  const certPem = secretText(secret, 'tls.crt');
  const keyPem = secretText(secret, 'tls.key');
  const caPem = secretText(secret, 'ca.crt');
  if ((certPem === undefined) !== (keyPem === undefined)) return deny('InvalidProxySSLSecret', 'has only one of tls.crt and tls.key');
  if (certPem !== undefined && !isKeyOf(certPem, keyPem!)) return deny('InvalidProxySSLSecret', 'has a tls.crt and tls.key that are not a PEM certificate and its private key');
  if (caPem !== undefined && !isCertificate(caPem)) return deny('InvalidProxySSLSecret', 'has no PEM certificate under ca.crt');
  if (certPem === undefined && caPem === undefined) return deny('InvalidProxySSLSecret', 'has neither tls.crt and tls.key nor ca.crt');
  const problems: Problem[] = [];
  if (settings.verify && caPem === undefined) {
    problems.push(problemAbout(ingress, 'ProxySSLWithoutCA', `proxy-ssl-verify is on but proxy-ssl-secret ${settings.secret} has no ca.crt: the backend is verified against the system CAs`, 'Normal'));
  }
  const tls: BackendTls = {
    ...(settings.name === undefined ? {} : { serverName: settings.name }),
    ...(settings.serverName ? {} : { sni: false as const }),
    ...(caPem === undefined ? {} : { caPem }),
    verify: settings.verify,
    ...(settings.verify ? { verifyDepth: settings.verifyDepth } : {}),
    ...(certPem === undefined ? {} : { certPem, keyPem: keyPem! }),
    ...(settings.ciphers === undefined ? {} : { ciphers: settings.ciphers }),
    ...(settings.minVersion === undefined ? {} : { minVersion: settings.minVersion, maxVersion: settings.maxVersion! }),
  };
  return { tls, problems };
}
