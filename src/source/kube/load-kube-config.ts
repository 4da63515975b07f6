import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { StartupError } from '../../errors.ts';

/**
 * The cluster connection (ARCHITECTURE.md): the in-cluster service account when running in a
 * pod (KUBERNETES_SERVICE_HOST is set), else KUBECONFIG (first existing file of the list) or
 * ~/.kube/config, as kubectl finds them.
 *
 * Throws instead of letting the client library fall back to http://localhost:8080: that
 * fallback would make Pier retry a cluster that does not exist forever, never becoming ready.
 */
export function loadKubeConfig(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): KubeConfig {
  const kc = new KubeConfig();
  if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT) {
    try {
      kc.loadFromCluster();
    } catch (err) {
      throw new StartupError(`cannot load the pod's service account: ${(err as Error).message}`, 'check the pod\'s serviceAccountName and automountServiceAccountToken', { cause: err });
    }
    return kc;
  }
  const file = (env.KUBECONFIG ?? '').split(delimiter).find((f) => f !== '' && existsSync(f)) ?? join(home, '.kube', 'config');
  if (!existsSync(file)) {
    throw new StartupError(
      'no Kubernetes configuration: not running in a pod, and no kubeconfig in KUBECONFIG or ~/.kube/config',
      'point KUBECONFIG at a kubeconfig file, or run without a cluster with --manifests DIR',
    );
  }
  try {
    kc.loadFromFile(file);
  } catch (err) {
    throw new StartupError(`cannot load kubeconfig ${file}: ${(err as Error).message}`, 'check it with kubectl config view', { cause: err });
  }
  if (!kc.getCurrentCluster()) throw new StartupError(`kubeconfig ${file} has no current context with a cluster`, 'choose one with kubectl config use-context NAME');
  return kc;
}
