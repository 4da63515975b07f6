import { displayName, type Ingress, type KubeObject } from '../source/objects.ts';
import { NGINX_PREFIX, PIER_PREFIX } from '../translate/annotations/annotation-reader.ts';
import { familyOf } from '../translate/annotations/annotation-table.ts';
import { parseAnnotations } from '../translate/annotations/parse-annotations.ts';
import { validateIngress } from '../translate/validate-ingress.ts';

/** What Pier will do with one annotation of one Ingress. */
export interface AnnotationVerdict {
  readonly key: string;
  /** works: applied as ingress-nginx does; no-op: accepted, no effect; ignored: served without
   * it; blocks: the Ingress is not served because of it. */
  readonly verdict: 'works' | 'no-op' | 'ignored' | 'blocks';
  readonly why: string;
}

/** One Ingress's migration report. */
export interface IngressReport {
  readonly ingress: string;
  /** Pier would serve it (its class aside). */
  readonly served: boolean;
  readonly annotations: readonly AnnotationVerdict[];
  /** Spec errors that skip it whatever its annotations. */
  readonly specErrors: readonly string[];
}

/**
 * The report `pier migrate-check` prints: for every Ingress (of any class: the point is to check
 * ingress-nginx's before switching `ingressClassName`), each `nginx.ingress.kubernetes.io/` and
 * `pier.dev/` annotation with what Pier will do with it, using the same parser that serves.
 */
export function migrationReport(objects: readonly KubeObject[]): IngressReport[] {
  const ingresses = objects.filter((o): o is Ingress => o.kind === 'Ingress');
  return ingresses.map(reportOf).sort((a, b) => (a.ingress < b.ingress ? -1 : a.ingress > b.ingress ? 1 : 0));
}

function reportOf(ingress: Ingress): IngressReport {
  const parsed = parseAnnotations(ingress);
  const specErrors = validateIngress(ingress);
  const annotations: AnnotationVerdict[] = [];
  for (const key of Object.keys(ingress.metadata.annotations ?? {}).sort()) {
    const prefix = key.startsWith(PIER_PREFIX) ? PIER_PREFIX : key.startsWith(NGINX_PREFIX) ? NGINX_PREFIX : undefined;
    if (prefix === undefined) continue;
    const problem = parsed.problems.find((p) => p.message.includes(`annotation ${key}:`) || p.message.includes(`annotation ${key} `));
    const family = familyOf(key.slice(prefix.length));
    // A Warning blocks, except a bad value the controller's setting replaces (IgnoredAnnotation).
    if (problem !== undefined && problem.severity === 'Warning' && problem.reason !== 'IgnoredAnnotation') annotations.push({ key, verdict: 'blocks', why: problem.message.replace(/^Ingress skipped: /, '') });
    else if (problem !== undefined) annotations.push({ key, verdict: 'ignored', why: problem.message });
    else if (family?.status === 'no-op') annotations.push({ key, verdict: 'no-op', why: family.note });
    else annotations.push({ key, verdict: 'works', why: family?.title ?? '' });
  }
  return { ingress: displayName({ namespace: ingress.metadata.namespace, name: ingress.metadata.name }), served: !parsed.rejected && specErrors.length === 0, annotations, specErrors };
}

const MARK: Readonly<Record<AnnotationVerdict['verdict'], string>> = { works: 'ok     ', 'no-op': 'no-op  ', ignored: 'ignored', blocks: 'BLOCKS ' };

/** The report as text: one block per Ingress, then a summary line. */
export function formatReport(reports: readonly IngressReport[]): string {
  const lines: string[] = [];
  for (const r of reports) {
    lines.push(`${r.ingress}: ${r.served ? 'will be served' : 'will NOT be served'}`);
    for (const e of r.specErrors) lines.push(`  BLOCKS  spec: ${e}`);
    for (const a of r.annotations) lines.push(`  ${MARK[a.verdict]} ${a.key}${a.why === '' ? '' : ` — ${a.why}`}`);
  }
  const blocked = reports.filter((r) => !r.served).length;
  lines.push('', `${reports.length} Ingresses checked: ${reports.length - blocked} will be served, ${blocked} will not.`);
  return lines.join('\n');
}
