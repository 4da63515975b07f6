import { CoreV1Api, type CoreV1Event, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Problem } from '../translate/problem.ts';

export interface EventRecorderOptions {
  readonly kubeConfig: KubeConfig;
  readonly logger: Logger;
  /** `reportingController` of the Events (the controller name). */
  readonly controllerName: string;
  /** `reportingInstance`: this pod (POD_NAME or hostname_pid). */
  readonly identity: string;
  /** The same object+reason+message is posted at most once per window (default 10 min). */
  readonly windowMs?: number;
  /** Only post while this says true (default: always). main.ts passes the status writer's isLeader. */
  readonly isLeader?: () => boolean;
  /** Queue bound: problems beyond it are dropped (they come back with the next build). */
  readonly maxQueued?: number;
  readonly now?: () => number;
}

/** Turns translation problems into core/v1 Events on the objects they are about. */
export interface EventRecorder {
  /** Call after each translate with all its problems; already-posted ones are skipped. */
  record(problems: readonly Problem[]): void;
  /** Resolves once everything queued was sent (tests, shutdown). */
  flush(): Promise<void>;
}

const API_VERSIONS: Readonly<Record<string, string>> = {
  Ingress: 'networking.k8s.io/v1', IngressClass: 'networking.k8s.io/v1', Service: 'v1', Secret: 'v1', ConfigMap: 'v1',
  EndpointSlice: 'discovery.k8s.io/v1', Upstream: 'pier.dev/v1alpha1', CustomResourceDefinition: 'apiextensions.k8s.io/v1',
};

/**
 * Posts each Problem as an Event (reason, message, type Warning/Normal) on its object.
 *
 * Leader only (via `isLeader`): every replica translates the same objects into the same
 * problems, so N replicas would post every Event N times. Rebuilds repeat problems; an Event
 * for the same object, reason and message is posted at most once per `windowMs`, and failed
 * posts are logged, not retried (the next build after the window brings the problem back).
 * No count++ PATCH: a new Event per window is enough and needs no `patch` permission.
 */
export function createEventRecorder(options: EventRecorderOptions): EventRecorder {
  const api = options.kubeConfig.makeApiClient(CoreV1Api);
  const windowMs = options.windowMs ?? 10 * 60_000;
  const maxQueued = options.maxQueued ?? 100;
  const now = options.now ?? Date.now;
  const postedAt = new Map<string, number>();
  let queue: Promise<void> = Promise.resolve();
  let queued = 0;

  const post = async (problem: Problem): Promise<void> => {
    try {
      await api.createNamespacedEvent({ namespace: problem.namespace || 'default', body: toEvent(problem, options, now()) });
    } catch (err) {
      options.logger.warn({ kind: problem.kind, namespace: problem.namespace, name: problem.name, reason: problem.reason, err: (err as Error).message }, 'posting an event failed');
    } finally {
      queued--;
    }
  };

  return {
    record(problems) {
      if (options.isLeader && !options.isLeader()) return;
      const t = now();
      if (postedAt.size > 1000) for (const [k, at] of postedAt) if (t - at >= windowMs) postedAt.delete(k);
      for (const problem of problems) {
        const key = [problem.kind, problem.namespace, problem.name, problem.reason, problem.message].join('\u0000');
        const last = postedAt.get(key);
        if (last !== undefined && t - last < windowMs) continue;
        if (queued >= maxQueued) return;
        postedAt.set(key, t);
        queued++;
        queue = queue.then(() => post(problem));
      }
    },
    flush: () => queue,
  };
}

let sequence = 0;

function toEvent(problem: Problem, options: EventRecorderOptions, at: number): CoreV1Event {
  const time = new Date(at).toISOString().replace(/\.\d+Z$/, 'Z');
  const namespace = problem.namespace || 'default';
  // client-go names Events `<object>.<unix nanos in hex>`; a sequence keeps same-ms names apart.
  const unique = (BigInt(at) * 1_000_000n + BigInt(sequence++ % 1_000_000)).toString(16);
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${problem.name}.${unique}`, namespace },
    involvedObject: { kind: problem.kind, name: problem.name, namespace: problem.namespace || undefined, apiVersion: API_VERSIONS[problem.kind] },
    reason: problem.reason,
    message: problem.message.slice(0, 1024),
    type: problem.severity ?? 'Warning',
    count: 1,
    firstTimestamp: time as never,
    lastTimestamp: time as never,
    source: { component: 'pier' },
    reportingComponent: options.controllerName,
    reportingInstance: options.identity,
  };
}
