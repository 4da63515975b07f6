import { CoreV1Api, NetworkingV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { PierConfig } from '../config.ts';
import { httpStatusOf } from '../source/kube/kube-request.ts';
import { displayName, type Ingress, type ObjectRef } from '../source/objects.ts';
import { isOurIngress, LEGACY_CLASS_ANNOTATION } from '../translate/ingress-class.ts';
import { indexSnapshot, type Snapshot, type SnapshotIndex } from '../translate/snapshot.ts';
import { LeaderElector, type LeaderElectionTimings } from './leader-election.ts';
import { publishedAddresses, sameAddresses, type Address } from './load-balancer-addresses.ts';
import { podIdentity, podNamespace } from './pod-identity.ts';
import { UpstreamStatusSync } from './upstream-status-writer.ts';

export interface StatusWriterOptions {
  readonly kubeConfig: KubeConfig;
  readonly config: PierConfig;
  readonly logger: Logger;
  /** Lease timings and identity; defaults: 15/10/2 s, POD_NAME or hostname_pid, the pod's namespace. */
  readonly election?: Partial<LeaderElectionTimings> & { readonly identity?: string; readonly namespace?: string };
  /** While leading, status is re-checked this often even without changes (default 60 s). */
  readonly resyncMs?: number;
  /** Called on every leadership change (after the writer itself reacted). */
  readonly onLeadershipChange?: (leading: boolean) => void;
}

/** The handle main.ts keeps: feed it every built snapshot; only the leader writes. */
export interface StatusWriter {
  /**
   * Call after each translate with the snapshot it read. `served` lists the Ingresses that are
   * ours; when omitted they are derived with the class rules (translate/ingress-class.ts).
   */
  update(snapshot: Snapshot, served?: readonly ObjectRef[]): void;
  isLeader(): boolean;
  /** Stops writing and releases the lease. */
  stop(): Promise<void>;
}

/**
 * Starts leader election on the `--election-id` Lease and, while leading, keeps
 * `status.loadBalancer.ingress` of every served Ingress equal to the published addresses
 * (`--publish-status-address`, else the `--publish-service` load balancer):
 *
 * - writes through the status subresource, only when the addresses differ;
 * - clears the addresses of an Ingress it no longer serves when it wrote them itself, or when
 *   they are exactly ours (written by a previous leader) — unless the Ingress now belongs to
 *   another controller's class: those are never touched;
 * - stops writing the moment leadership is lost (a write already sent may still land);
 * - also keeps every Upstream's status conditions current (upstream-status-writer.ts);
 * - with `--update-status=false` writes no Ingress status at all, Upstream status still.
 */
export function startStatusWriter(options: StatusWriterOptions): StatusWriter {
  const sync = new StatusSync(options);
  const elector = new LeaderElector({
    ...options.election,
    kubeConfig: options.kubeConfig,
    namespace: options.election?.namespace ?? podNamespace(),
    name: options.config.electionId,
    identity: options.election?.identity ?? podIdentity(),
    logger: options.logger,
    onStartedLeading: () => {
      sync.setLeading(true);
      options.onLeadershipChange?.(true);
    },
    onStoppedLeading: () => {
      sync.setLeading(false);
      options.onLeadershipChange?.(false);
    },
  });
  elector.start();
  return {
    update: (snapshot, served) => sync.update(snapshot, served),
    isLeader: () => elector.isLeader(),
    async stop() {
      sync.setLeading(false);
      await elector.stop();
      await sync.idle();
    },
  };
}

class StatusSync {
  readonly #options: StatusWriterOptions;
  readonly #networking: NetworkingV1Api;
  readonly #core: CoreV1Api;
  readonly #upstreams: UpstreamStatusSync;
  /** Ingresses (ns/name) whose status this process set to our addresses. */
  readonly #written = new Set<string>();
  /** resourceVersion each Ingress had when we last wrote it: a stale snapshot is not rewritten. */
  readonly #writtenAt = new Map<string, string>();
  #leading = false;
  #snapshot: Snapshot | undefined;
  #served: readonly ObjectRef[] | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #warnedNothingToPublish = false;

  constructor(options: StatusWriterOptions) {
    this.#options = options;
    this.#networking = options.kubeConfig.makeApiClient(NetworkingV1Api);
    this.#core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.#upstreams = new UpstreamStatusSync(options.kubeConfig, options.logger);
  }

  update(snapshot: Snapshot, served: readonly ObjectRef[] | undefined): void {
    this.#snapshot = snapshot;
    this.#served = served;
    this.#kick();
  }

  setLeading(leading: boolean): void {
    this.#leading = leading;
    clearTimeout(this.#timer);
    if (leading) this.#kick();
  }

  async idle(): Promise<void> {
    await this.#running;
  }

  /** One sync at a time; a request during a sync runs one more afterwards. */
  #kick(): void {
    if (!this.#leading) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    const sync = this.#sync().catch((err: unknown) => this.#options.logger.error({ err }, 'status sync failed'));
    this.#running = sync.finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        this.#kick();
      } else if (this.#leading) {
        clearTimeout(this.#timer);
        this.#timer = setTimeout(() => this.#kick(), this.#options.resyncMs ?? 60_000);
      }
    });
  }

  async #sync(): Promise<void> {
    const snapshot = this.#snapshot;
    if (!snapshot) return;
    const index = indexSnapshot(snapshot);
    // --update-status=false (ingress-nginx's flag): Ingress status is someone else's to write.
    if (this.#options.config.updateStatus) await this.#syncIngresses(snapshot, index);
    await this.#upstreams.sync(index, () => this.#leading);
  }

  async #syncIngresses(snapshot: Snapshot, index: SnapshotIndex): Promise<void> {
    let addresses: Address[] | undefined;
    try {
      addresses = await publishedAddresses(this.#options.config, this.#core);
    } catch (err) {
      this.#options.logger.warn({ err: (err as Error).message, service: this.#options.config.publishService }, 'cannot read the publish service; Ingress status unchanged');
      return;
    }
    if (!addresses) return this.#nothingToPublish();
    const served = this.#servedKeys(snapshot, index);
    for (const ingress of snapshot.ingresses) {
      if (!this.#leading) return;
      const key = displayName({ namespace: ingress.metadata.namespace, name: ingress.metadata.name });
      if (served.has(key)) {
        if (!sameAddresses(ingress.status?.loadBalancer?.ingress, addresses)) await this.#write(ingress, key, addresses);
      } else if (this.#mayClear(ingress, key, addresses, index)) {
        await this.#write(ingress, key, []);
      }
    }
  }

  /** Not served: clear what we wrote, or exactly our addresses, never another controller's. */
  #mayClear(ingress: Ingress, key: string, addresses: readonly Address[], index: SnapshotIndex): boolean {
    const current = ingress.status?.loadBalancer?.ingress ?? [];
    if (current.length === 0 || isForeign(ingress, index, this.#options.config)) return false;
    return this.#written.has(key) || (addresses.length > 0 && sameAddresses(current, addresses));
  }

  #servedKeys(snapshot: Snapshot, index: SnapshotIndex): Set<string> {
    if (this.#served) return new Set(this.#served.filter((r) => r.kind === 'Ingress').map(displayName));
    const { config } = this.#options;
    const options = { ingressClass: config.ingressClass, controllerName: config.controllerName, watchIngressWithoutClass: config.watchIngressWithoutClass };
    return new Set(snapshot.ingresses.filter((i) => isOurIngress(i, index, options)).map((i) => displayName({ namespace: i.metadata.namespace, name: i.metadata.name })));
  }

  async #write(ingress: Ingress, key: string, addresses: readonly Address[]): Promise<void> {
    const rv = ingress.metadata.resourceVersion;
    const wanted = JSON.stringify(addresses);
    // Our own status writes do not trigger rebuilds, so the snapshot can stay at the version we
    // wrote against: do not write the same addresses for the same version twice.
    if (this.#writtenAt.get(key) === `${rv} ${wanted}`) return;
    const { name, namespace = '' } = ingress.metadata;
    try {
      const changed = await this.#replaceStatus(ingress, addresses);
      this.#writtenAt.set(key, `${rv} ${wanted}`);
      if (addresses.length > 0) this.#written.add(key);
      else this.#written.delete(key);
      if (changed) this.#options.logger.info({ ingress: key, addresses }, addresses.length > 0 ? 'ingress status updated' : 'ingress status cleared');
    } catch (err) {
      const status = httpStatusOf(err);
      if (status !== 404) this.#options.logger.warn({ ingress: `${namespace}/${name}`, status, err: (err as Error).message }, 'ingress status update failed');
    }
  }

  /**
   * Writes the status against the snapshot's version. A 409 means the object changed since —
   * typically a write by us or by the previous leader, which the snapshot does not show because
   * status changes do not trigger rebuilds: re-read it and write only if it still differs.
   * Returns whether anything was written.
   */
  async #replaceStatus(ingress: Ingress, addresses: readonly Address[]): Promise<boolean> {
    const { name, namespace = '' } = ingress.metadata;
    try {
      await this.#patchStatus(name, namespace, ingress.metadata.resourceVersion, addresses);
      return true;
    } catch (err) {
      if (httpStatusOf(err) !== 409) throw err;
    }
    const latest = (await this.#networking.readNamespacedIngress({ name, namespace })) as unknown as Ingress;
    if (sameAddresses(latest.status?.loadBalancer?.ingress, addresses)) return false;
    await this.#patchStatus(name, namespace, latest.metadata.resourceVersion, addresses);
    return true;
  }

  /**
   * A JSON merge patch of `status.loadBalancer.ingress` alone, conditional on `resourceVersion`
   * (a stale one is a 409, as a PUT's would be). Not a PUT of the stored object: the store keeps
   * objects slimmed (source/slim-object.ts), and the Ingress status subresource takes labels and
   * annotations from the request, so a PUT would delete every annotation Pier does not read.
   */
  #patchStatus(name: string, namespace: string, resourceVersion: string | undefined, addresses: readonly Address[]): Promise<unknown> {
    const body = { metadata: { resourceVersion }, status: { loadBalancer: { ingress: addresses.length > 0 ? addresses : null } } };
    return this.#networking.patchNamespacedIngressStatus({ name, namespace, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  }

  #nothingToPublish(): void {
    if (this.#warnedNothingToPublish) return;
    this.#warnedNothingToPublish = true;
    this.#options.logger.info('neither --publish-service nor --publish-status-address is set: Ingress status is not written');
  }
}

/** Claimed by another controller: a class (or legacy annotation) that is not ours. */
function isForeign(ingress: Ingress, index: SnapshotIndex, config: PierConfig): boolean {
  const className = ingress.spec?.ingressClassName;
  if (className) {
    const ingressClass = index.ingressClass(className);
    return ingressClass ? ingressClass.spec?.controller !== config.controllerName : className !== config.ingressClass;
  }
  const legacy = ingress.metadata.annotations?.[LEGACY_CLASS_ANNOTATION];
  return legacy !== undefined && legacy !== config.ingressClass;
}
