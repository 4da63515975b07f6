import type { Logger } from '../observe/logger.ts';
import { indexSnapshot, type Snapshot } from '../translate/snapshot.ts';
import { computeUpstreamStatus, type UpstreamStatus } from '../translate/upstream-status.ts';

/** The fields of one status log line (what `kubectl get upstreams` would show in cluster mode). */
export interface UpstreamStatusLine {
  readonly kind: 'Upstream';
  readonly namespace: string | undefined;
  readonly name: string;
  readonly accepted: boolean;
  readonly ready: boolean;
  readonly readyEndpoints: number;
  readonly totalEndpoints: number;
  /** Of the first false condition (Accepted before Ready); absent when both are true. */
  readonly reason?: string;
  readonly message?: string;
}

/**
 * Manifest mode has no API server to write Upstream status to, so it logs it instead: after
 * each build, one line per Upstream whose computed status (computeUpstreamStatus, the same one
 * the leader writes in cluster mode) differs from the previous build's; nothing for the rest, so
 * an edit elsewhere in the directory does not repeat every Upstream. The first build logs every
 * Upstream. A deleted Upstream is forgotten (re-created, it is logged again).
 *
 * observedGeneration is left out of the comparison: manifests rarely carry a generation, and a
 * spec edit that changes no condition or count is not news an operator needs.
 */
export class ManifestStatusLog {
  readonly #logger: Logger;
  /** Last logged status per `namespace/name`, as a comparable string. */
  #last = new Map<string, string>();

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** The Controller's `onBuilt` hook (manifest mode): logs what changed; returns those lines. */
  onBuilt(snapshot: Snapshot): readonly UpstreamStatusLine[] {
    if (snapshot.upstreams.length === 0 && this.#last.size === 0) return [];
    const index = indexSnapshot(snapshot);
    const next = new Map<string, string>();
    const lines: UpstreamStatusLine[] = [];
    for (const upstream of snapshot.upstreams) {
      const { namespace, name } = upstream.metadata;
      const key = `${namespace ?? ''}/${name}`;
      const status = computeUpstreamStatus(index, upstream);
      const comparable = comparableStatus(status);
      next.set(key, comparable);
      if (this.#last.get(key) === comparable) continue;
      const line = statusLine(namespace, name, status);
      lines.push(line);
      if (line.accepted && line.ready) this.#logger.info(line, 'upstream status');
      else this.#logger.warn(line, 'upstream status');
    }
    this.#last = next;
    return lines;
  }
}

function comparableStatus(status: UpstreamStatus): string {
  return JSON.stringify([status.readyEndpoints, status.totalEndpoints, status.conditions.map((c) => [c.type, c.status, c.reason, c.message])]);
}

/** Log fields for one Upstream; `namespace` undefined when empty, as logProblem does. */
export function statusLine(namespace: string | undefined, name: string, status: UpstreamStatus): UpstreamStatusLine {
  const [accepted, ready] = status.conditions;
  const failed = accepted.status === 'False' ? accepted : ready.status === 'False' ? ready : undefined;
  return {
    kind: 'Upstream',
    namespace: namespace || undefined,
    name,
    accepted: accepted.status === 'True',
    ready: ready.status === 'True',
    readyEndpoints: status.readyEndpoints,
    totalEndpoints: status.totalEndpoints,
    ...(failed ? { reason: failed.reason, message: failed.message } : {}),
  };
}
