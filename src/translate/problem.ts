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
