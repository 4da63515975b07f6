import { KubeConfig } from '@kubernetes/client-node';

/**
 * The cluster connection (ARCHITECTURE.md): in-cluster service account when running in a pod
 * (KUBERNETES_SERVICE_HOST is set), else KUBECONFIG / ~/.kube/config as kubectl finds them.
 */
export function loadKubeConfig(env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new KubeConfig();
  if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}
