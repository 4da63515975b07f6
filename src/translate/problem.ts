/**
 * A problem found in an input object: reported (log line, Kubernetes Event, status) and the
 * object — or the part of it that is wrong — skipped. Never fatal to the rest of the table.
 */
export interface Problem {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  /** Stable, CamelCase, usable as a Kubernetes Event reason (e.g. `ServiceNotFound`). */
  readonly reason: string;
  /** One human sentence saying what is wrong and what Pier did about it. */
  readonly message: string;
  /** `Warning` skips something; `Normal` is informational (e.g. a conflict resolved). */
  readonly severity?: 'Warning' | 'Normal';
}

/** A problem about `obj` (an object or an ObjectRef); `Warning` unless said otherwise. */
export function problemAbout(
  obj: { readonly kind: string; readonly metadata: { readonly namespace?: string; readonly name: string } },
  reason: string,
  message: string,
  severity: 'Warning' | 'Normal' = 'Warning',
): Problem {
  return { kind: obj.kind, namespace: obj.metadata.namespace ?? '', name: obj.metadata.name, reason, message, severity };
}
