import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

const SERVICE_ACCOUNT_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** The pod's namespace: POD_NAMESPACE (downward API), else the service account's, else `default`. */
export function podNamespace(env: NodeJS.ProcessEnv = process.env, file = SERVICE_ACCOUNT_NAMESPACE): string {
  if (env.POD_NAMESPACE) return env.POD_NAMESPACE;
  try {
    const ns = readFileSync(file, 'utf8').trim();
    if (ns) return ns;
  } catch {
    // not running in a pod
  }
  return 'default';
}

/** Who holds the lease: POD_NAME, else hostname_pid (unique per process on a machine). */
export function podIdentity(env: NodeJS.ProcessEnv = process.env): string {
  return env.POD_NAME || `${hostname()}_${process.pid}`;
}
