import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { PierConfig } from '../../config.ts';
import { NamespaceGate } from '../namespace-gate.ts';
import type { Source, SourceEvent, SourceListener } from '../source.ts';
import type { BackoffOptions } from './backoff.ts';
import { KindInformer } from './kind-informer.ts';
import { loadKubeConfig } from './load-kube-config.ts';
import { NAMESPACE_RESOURCE, WATCHED_RESOURCES } from './watched-resources.ts';

/** Test and tuning hooks; production uses the defaults. */
export interface KubeSourceOptions {
  /** Default: in-cluster config, else KUBECONFIG (loadKubeConfig). */
  readonly kubeConfig?: KubeConfig;
  readonly backoff?: BackoffOptions;
  /** How often an absent CRD is looked for again (default 60 s). */
  readonly absentRetryMs?: number;
  readonly watchTimeoutSeconds?: number;
  readonly minWatchIntervalMs?: number;
  /** Bound of each list page's request (default 30 s). */
  readonly listTimeoutMs?: number;
  /** How long a watch may wait for its response head (default 30 s). */
  readonly watchHeadTimeoutMs?: number;
}

/**
 * The cluster source: one informer per watched kind (WATCHED_RESOURCES), all namespaces or
 * `config.watchNamespace` for namespaced kinds; with `config.watchNamespaceSelector` also one for
 * Namespaces, and Ingresses and Upstreams pass a NamespaceGate. Emits `synced` once, after every
 * informer has delivered its first list (an absent CRD counts as an empty list), so nothing is
 * built from a partial view of the cluster.
 */
export function createKubeSource(config: PierConfig, logger: Logger, options: KubeSourceOptions = {}): Source {
  let informers: KindInformer[] = [];
  return {
    async start(listener: SourceListener): Promise<void> {
      const kubeConfig = options.kubeConfig ?? loadKubeConfig();
      const selector = config.watchNamespaceSelector;
      const safe = safeEmitter(listener, logger);
      const emit = selector ? new NamespaceGate(selector, safe).listener : safe;
      const resources = selector ? [...WATCHED_RESOURCES, NAMESPACE_RESOURCE] : WATCHED_RESOURCES;
      let pending = resources.length;
      const onListed = () => {
        if (--pending === 0) emit({ type: 'synced' });
      };
      informers = resources.map((resource) => new KindInformer({
        kubeConfig, resource, namespace: config.watchNamespace, emit, onListed, logger,
        backoff: options.backoff, absentRetryMs: options.absentRetryMs,
        watchTimeoutSeconds: options.watchTimeoutSeconds, minWatchIntervalMs: options.minWatchIntervalMs,
        listTimeoutMs: options.listTimeoutMs, watchHeadTimeoutMs: options.watchHeadTimeoutMs,
      }));
      logger.info({ server: kubeConfig.getCurrentCluster()?.server, namespace: config.watchNamespace ?? '(all)', namespaceSelector: selector?.text }, 'watching the Kubernetes API');
      await Promise.all(informers.map((i) => i.start()));
    },
    async stop(): Promise<void> {
      await Promise.all(informers.map((i) => i.stop()));
      informers = [];
    },
  };
}

/** A throwing listener must not break an informer's callback chain (ListWatch has no guard). */
function safeEmitter(listener: SourceListener, logger: Logger): (event: SourceEvent) => void {
  return (event) => {
    try {
      listener(event);
    } catch (err) {
      logger.error({ err, event: event.type }, 'source listener failed');
    }
  };
}
