import { ingressHostError } from '../k8s-names.ts';
import type { AnnotationReader } from './annotation-reader.ts';
import type { IngressSettings } from './ingress-settings.ts';

/** ingress-nginx's ValidateServerName (IsValidRegex): letters, digits, `- . _ ~ / :` and regex characters. */
const SERVER_NAME = /^[-._~a-zA-Z0-9/:^$[\](){}*+?|&=\\]*$/;

/**
 * `server-alias`, as ingress-nginx's alias parser: a comma-separated list of server names,
 * each trimmed, empty items skipped, de-duplicated and sorted (lower-cased first: host names
 * compare without case). A name with a character ingress-nginx refuses rejects the Ingress.
 * Pier serves the names its router matches: exact DNS names and single-label `*.domain`
 * wildcards; other nginx forms (regular expressions `~...`, `www.example.*`, `.example.com`,
 * IP addresses) are left out with a Normal problem naming the annotation, and the rest apply.
 * The aliases become virtual hosts in server-aliases.ts.
 */
export function parseServerAlias(r: AnnotationReader, s: IngressSettings): void {
  const value = r.string('server-alias');
  if (value === undefined || value === '') return;
  const names = new Map<string, string>(); // lower-case → as written (for messages)
  for (const item of value.split(',')) {
    const name = item.trim();
    if (name === '') continue;
    if (!SERVER_NAME.test(name)) {
      r.fail('server-alias', `has an invalid server name "${name}" (letters, digits, "-", ".", "*" and regular expression characters only)`);
      return;
    }
    if (!names.has(name.toLowerCase())) names.set(name.toLowerCase(), name);
  }
  const aliases: string[] = [];
  for (const name of [...names.keys()].sort()) {
    const why = unsupported(name);
    if (why === undefined) aliases.push(name);
    else r.notice('server-alias', `"${names.get(name)}" ignored: ${why}; the other aliases apply`);
  }
  if (aliases.length > 0) s.serverAliases = aliases;
}

function unsupported(name: string): string | undefined {
  if (name.startsWith('~')) return 'regular expression server names are not supported (only exact names and *.domain)';
  return ingressHostError(name) === undefined ? undefined : 'Pier serves only exact DNS names and single-label *.domain wildcards as aliases';
}
