import type { RouteTable } from '../routing/route-table.ts';
import type { Problem } from './problem.ts';
import type { SnapshotIndex, TranslateOptions } from './snapshot.ts';
import { readTlsSecret } from './tls-secret.ts';

/**
 * `--default-ssl-certificate NS/NAME` (ingress-nginx's flag): the `kubernetes.io/tls` Secret
 * served to TLS clients whose SNI name matches no Ingress host with a certificate, and to
 * clients that send no SNI. It goes into the table like any certificate (under its
 * `namespace/name` key, `defaultCertificate` naming it), so a renewed Secret is picked up on
 * the next table without a restart. A missing or invalid Secret is reported as a problem about
 * the Secret, and the self-signed fallback certificate stays in use.
 */
export function applyDefaultSslCertificate(index: SnapshotIndex, table: RouteTable, options: TranslateOptions): { table: RouteTable; problems: Problem[] } {
  const ref = options.defaultSslCertificate;
  if (ref === undefined) return { table, problems: [] };
  const key = `${ref.namespace}/${ref.name}`;
  const result = readTlsSecret(index.secret(ref.namespace, ref.name));
  if (!result.ok) {
    const message = `--default-ssl-certificate: TLS Secret ${key} ${result.why}: clients with an unknown or no SNI name get Pier's self-signed certificate`;
    return { table, problems: [{ kind: 'Secret', namespace: ref.namespace, name: ref.name, reason: result.reason, message, severity: 'Warning' }] };
  }
  // Keys stay in sorted order, as tls-hosts.ts inserts them, so equal input serializes equally.
  const certificates = Object.fromEntries(Object.entries({ ...table.certificates, [key]: result.certificate }).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { table: { ...table, certificates, defaultCertificate: key }, problems: [] };
}
