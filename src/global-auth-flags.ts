import { FlagReader } from './annotation-flags.ts';
import { ConfigError } from './errors.ts';
import type { ExternalAuthPolicy } from './routing/policies.ts';
import { NGINX_PREFIX } from './translate/annotations/annotation-reader.ts';
import { parseExternalAuth } from './translate/annotations/external-auth.ts';
import { emptySettings } from './translate/annotations/ingress-settings.ts';

/**
 * ingress-nginx's ConfigMap keys for external auth on every location (global-auth-url and the
 * rest): each is the `auth-*` annotation of the same name without `global-`, read with that
 * annotation's parser.
 */
export const GLOBAL_AUTH_FLAGS = [
  'global-auth-url', 'global-auth-method', 'global-auth-signin', 'global-auth-signin-redirect-param', 'global-auth-response-headers',
  'global-auth-request-redirect', 'global-auth-cache-key', 'global-auth-cache-duration', 'global-auth-always-set-cookie',
] as const;

/** One of those flags. */
export type GlobalAuthFlag = (typeof GLOBAL_AUTH_FLAGS)[number];

/**
 * The external auth every route gets unless its Ingress sets its own `auth-url` or
 * `enable-global-auth: "false"` (ingress-nginx's shouldApplyGlobalAuth: the global settings
 * replace the location's as a whole, never field by field). Undefined without
 * `--global-auth-url`; a value the annotation would refuse stops the start, naming the flag.
 * The other flags matter only with it, as in ingress-nginx.
 */
export function globalAuthPolicy(label: (flag: GlobalAuthFlag) => string, value: (flag: GlobalAuthFlag) => string | undefined): ExternalAuthPolicy | undefined {
  const url = value('global-auth-url')?.trim();
  if (url === undefined || url === '') return undefined;
  const annotations: Record<string, string> = {};
  for (const flag of GLOBAL_AUTH_FLAGS) {
    const text = value(flag)?.trim();
    if (text !== undefined && text !== '') annotations[NGINX_PREFIX + flag.slice('global-'.length)] = text;
  }
  const reader = new FlagReader(annotations, (name) => label(`global-${name}` as GlobalAuthFlag));
  const settings = emptySettings();
  parseExternalAuth(reader, settings);
  if (reader.errors.length > 0) throw new ConfigError(reader.errors[0]!);
  return settings.policies.find((p): p is ExternalAuthPolicy => p.kind === 'external-auth');
}
