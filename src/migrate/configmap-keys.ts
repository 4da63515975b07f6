import type { ConfigMapKey } from './configmap-key.ts';
import { LOG_KEYS } from './configmap-keys-logs.ts';
import { NGINX_KEYS } from './configmap-keys-nginx.ts';
import { PROXY_KEYS } from './configmap-keys-proxy.ts';
import { SECURITY_KEYS } from './configmap-keys-security.ts';
import { TLS_KEYS } from './configmap-keys-tls.ts';

/**
 * Every key of ingress-nginx's controller ConfigMap (`controller.config`) and what Pier does
 * with it: the one table that `pier migrate-check` judges a ConfigMap with and MIGRATING.md's
 * generated list is rendered from (`npm run render-configmap`). Its keys are exactly those of
 * test/fixtures/ingress-nginx-configmap-keys.txt (scripts/ingress-nginx-configmap-keys.ts
 * derives that list from ingress-nginx's repository), sorted by name.
 */
export const CONFIGMAP_KEYS: readonly ConfigMapKey[] = [...PROXY_KEYS, ...TLS_KEYS, ...LOG_KEYS, ...SECURITY_KEYS, ...NGINX_KEYS]
  .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

const BY_KEY = new Map(CONFIGMAP_KEYS.map((k) => [k.key, k]));

/** The table's row for `key`; undefined for a key ingress-nginx does not read. */
export function configMapKey(key: string): ConfigMapKey | undefined {
  return BY_KEY.get(key);
}
