import type { NamespacedName } from '../config-values.ts';
import type { ConfigMap, KubeObject } from '../source/objects.ts';

/** The name of ingress-nginx's controller ConfigMap in its static manifests and in its chart
 * installed as release `ingress-nginx` (the chart's `<fullname>-controller`). */
export const DEFAULT_CONTROLLER_CONFIGMAP = 'ingress-nginx-controller';

/**
 * Whether `cm` is ingress-nginx's controller config (what `--configmap` named and the chart's
 * `controller.config` fills) rather than an application's ConfigMap in the same input:
 * - with `named` (migrate-check's `--configmap NS/NAME`, ingress-nginx's own flag, copied from
 *   its Deployment's args): exactly that one;
 * - else the default name, or the chart's labels (`app.kubernetes.io/name: ingress-nginx`,
 *   `app.kubernetes.io/component: controller`) on a name ending in `-controller`: the chart
 *   names it `<release>-ingress-nginx-controller` (or `<release>-controller` when the release
 *   name holds `ingress-nginx`), and gives the same labels to its `-tcp`, `-udp` and
 *   `-custom-*-headers` ConfigMaps, which the name tells apart.
 */
export function isControllerConfigMap(o: KubeObject, named?: NamespacedName): o is ConfigMap {
  if (o.kind !== 'ConfigMap') return false;
  const { name, namespace, labels } = o.metadata;
  if (named !== undefined) return name === named.name && namespace === named.namespace;
  if (name === DEFAULT_CONTROLLER_CONFIGMAP) return true;
  return labels?.['app.kubernetes.io/name'] === 'ingress-nginx' && labels['app.kubernetes.io/component'] === 'controller' && name.endsWith('-controller');
}
