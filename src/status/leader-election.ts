import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { httpStatusOf } from '../source/kube/kube-request.ts';

/** client-go's defaults (and ingress-nginx's): lease 15 s, renew deadline 10 s, retry 2 s. */
export interface LeaderElectionTimings {
  /** How long a holder's claim stands without renewal, as seen by the others. */
  readonly leaseDurationMs: number;
  /** The leader gives up if it could not renew for this long. Must be below leaseDurationMs. */
  readonly renewDeadlineMs: number;
  /** Interval between attempts to acquire or renew. */
  readonly retryPeriodMs: number;
}

export const DEFAULT_TIMINGS: LeaderElectionTimings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

export interface LeaderElectorOptions extends Partial<LeaderElectionTimings> {
  readonly kubeConfig: KubeConfig;
  /** The Lease: `--election-id` in the pod's namespace. */
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly logger: Logger;
  readonly onStartedLeading?: () => void;
  readonly onStoppedLeading?: () => void;
}

type Attempt = 'leading' | 'held-by-other' | 'failed';

/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection package does
 * it (the JavaScript client has no leader election of its own):
 *
 * - Every retryPeriod: read the Lease; create it if absent; take it over if its holder is empty
 *   or its claim expired; renew it if we hold it. Writes carry the resourceVersion read, so two
 *   candidates racing for an expired lease cannot both win (409 Conflict for the loser).
 * - Expiry is judged by the local clock from when this process last saw the record change, not
 *   by the holder's renewTime, so clock skew between nodes does not matter.
 * - The leader steps down when it could not renew within renewDeadline, or at once when the
 *   Lease names another holder; it then stays a candidate.
 * - stop() releases the lease (holder emptied) so a successor takes over without waiting for
 *   the expiry; a crashed leader is replaced after leaseDuration.
 */
export class LeaderElector {
  readonly #options: LeaderElectorOptions;
  readonly #timings: LeaderElectionTimings;
  readonly #api: CoordinationV1Api;
  #leading = false;
  #stopped = true;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #observed = '';
  #observedAt = 0;
  #lastRenew = 0;
  #lease: V1Lease | undefined;
  /** Our last write holds the lease (also when stop() came before we called ourselves leader). */
  #holding = false;

  constructor(options: LeaderElectorOptions) {
    this.#options = options;
    this.#timings = {
      leaseDurationMs: options.leaseDurationMs ?? DEFAULT_TIMINGS.leaseDurationMs,
      renewDeadlineMs: options.renewDeadlineMs ?? DEFAULT_TIMINGS.renewDeadlineMs,
      retryPeriodMs: options.retryPeriodMs ?? DEFAULT_TIMINGS.retryPeriodMs,
    };
    this.#api = options.kubeConfig.makeApiClient(CoordinationV1Api);
  }

  isLeader(): boolean {
    return this.#leading;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#tick();
  }

  /** Stops campaigning; with `release` (default) a held lease is handed back at once. */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    this.#setLeading(false);
    if (this.#holding && (options.release ?? true)) await this.#release();
    this.#holding = false;
  }

  #tick(): void {
    this.#running = this.#attempt().then((result) => {
      if (this.#stopped) return;
      if (result === 'leading') this.#setLeading(true);
      else if (this.#leading && (result === 'held-by-other' || Date.now() - this.#lastRenew > this.#timings.renewDeadlineMs)) this.#setLeading(false);
      this.#timer = setTimeout(() => this.#tick(), this.#timings.retryPeriodMs);
    });
  }

  async #attempt(): Promise<Attempt> {
    const { namespace, name } = this.#options;
    try {
      const lease = await this.#read();
      const now = Date.now();
      if (!lease) {
        this.#lease = await this.#api.createNamespacedLease({ namespace, body: this.#claim(undefined, now) });
        return this.#renewed(now);
      }
      const spec = lease.spec ?? {};
      const record = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.leaseDurationSeconds]);
      if (record !== this.#observed) {
        this.#observed = record;
        this.#observedAt = now;
      }
      const holder = spec.holderIdentity ?? '';
      const claimMs = (spec.leaseDurationSeconds ?? this.#timings.leaseDurationMs / 1000) * 1000;
      if (holder !== '' && holder !== this.#options.identity && now < this.#observedAt + claimMs) {
        this.#holding = false;
        return 'held-by-other';
      }
      this.#lease = await this.#api.replaceNamespacedLease({ name, namespace, body: this.#claim(lease, now) });
      return this.#renewed(now);
    } catch (err) {
      const status = httpStatusOf(err);
      if (status !== 409) this.#options.logger.warn({ lease: `${namespace}/${name}`, status, err: (err as Error).message }, 'leader election: lease update failed');
      return 'failed';
    }
  }

  async #read(): Promise<V1Lease | undefined> {
    try {
      return await this.#api.readNamespacedLease({ name: this.#options.name, namespace: this.#options.namespace });
    } catch (err) {
      if (httpStatusOf(err) === 404) return undefined;
      throw err;
    }
  }

  #renewed(now: number): Attempt {
    this.#lastRenew = now;
    this.#holding = true;
    return 'leading';
  }

  /** The Lease as we want it: held by us, renewed now; acquireTime/transitions move on takeover. */
  #claim(current: V1Lease | undefined, now: number): V1Lease {
    const spec = current?.spec ?? {};
    const takeover = spec.holderIdentity !== this.#options.identity;
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.#options.name, namespace: this.#options.namespace, resourceVersion: current?.metadata?.resourceVersion },
      spec: {
        holderIdentity: this.#options.identity,
        leaseDurationSeconds: Math.max(1, Math.round(this.#timings.leaseDurationMs / 1000)),
        acquireTime: (takeover ? microTime(now) : spec.acquireTime) as never,
        renewTime: microTime(now) as never,
        leaseTransitions: (spec.leaseTransitions ?? 0) + (takeover && current ? 1 : 0),
      },
    };
  }

  async #release(): Promise<void> {
    const lease = this.#lease;
    if (!lease?.spec) return;
    const now = Date.now();
    const body: V1Lease = { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(now) as never } };
    try {
      await this.#api.replaceNamespacedLease({ name: this.#options.name, namespace: this.#options.namespace, body });
    } catch (err) {
      this.#options.logger.warn({ err: (err as Error).message }, 'leader election: releasing the lease failed; it expires on its own');
    }
  }

  #setLeading(leading: boolean): void {
    if (leading === this.#leading) return;
    this.#leading = leading;
    const { logger, identity, namespace, name } = this.#options;
    logger.info({ identity, lease: `${namespace}/${name}` }, leading ? 'became the leader' : 'stopped leading');
    if (leading) this.#options.onStartedLeading?.();
    else this.#options.onStoppedLeading?.();
  }
}

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits (the server rejects three). */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
