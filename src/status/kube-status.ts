import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { PierConfig } from '../config.ts';
import { loadKubeConfig } from '../source/kube/load-kube-config.ts';
import type { Problem } from '../translate/problem.ts';
import type { Snapshot } from '../translate/snapshot.ts';
import { createEventRecorder } from './event-recorder.ts';
import type { LeaderElectionTimings } from './leader-election.ts';
import { podIdentity } from './pod-identity.ts';
import { startStatusWriter } from './status-writer.ts';

export interface KubeStatusOptions {
  readonly kubeConfig?: KubeConfig;
  readonly election?: Partial<LeaderElectionTimings> & { readonly identity?: string; readonly namespace?: string };
  readonly resyncMs?: number;
  readonly eventWindowMs?: number;
}

/** Everything Kubernetes mode writes back to the cluster, behind one leader election. */
export interface KubeStatus {
  /** The Controller's `onBuilt` hook: Ingress status from the snapshot, Events from the problems. */
  onBuilt(snapshot: Snapshot, result: { readonly problems: readonly Problem[] }): void;
  isLeader(): boolean;
  /** Stops writing and releases the lease (call on shutdown, before exiting). */
  stop(): Promise<void>;
}

/**
 * Starts the status writer (leader election + Ingress status) and the leader-only event
 * recorder. main.ts wiring, in Kubernetes mode only:
 *
 *   const status = config.manifests === undefined ? startKubeStatus(config, logger.child({ component: 'status' })) : undefined;
 *   new Controller({ ..., onBuilt: (snapshot, result) => status?.onBuilt(snapshot, result) });
 *   // on shutdown: await status?.stop();
 *
 * A replica that becomes leader posts the problems of the latest build at once, so nothing is
 * lost while no one led.
 */
export function startKubeStatus(config: PierConfig, logger: Logger, options: KubeStatusOptions = {}): KubeStatus {
  const kubeConfig = options.kubeConfig ?? loadKubeConfig();
  const identity = options.election?.identity ?? podIdentity();
  let latestProblems: readonly Problem[] = [];
  const writer = startStatusWriter({
    kubeConfig, config, logger, resyncMs: options.resyncMs,
    election: { ...options.election, identity },
    onLeadershipChange: (leading) => {
      if (leading) events.record(latestProblems);
    },
  });
  const events = createEventRecorder({
    kubeConfig, logger, controllerName: config.controllerName, identity,
    windowMs: options.eventWindowMs, isLeader: () => writer.isLeader(),
  });
  return {
    onBuilt(snapshot, result) {
      latestProblems = result.problems;
      writer.update(snapshot);
      events.record(result.problems);
    },
    isLeader: () => writer.isLeader(),
    async stop() {
      await writer.stop();
      await events.flush();
    },
  };
}
