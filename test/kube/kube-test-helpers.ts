/** Shared pieces of the Kubernetes-mode tests: fixtures, a recording listener, polling. */
import { pino, type Logger } from 'pino';
import { parseCommandLine, type PierConfig } from '../../src/config.ts';
import type { SourceEvent } from '../../src/source/source.ts';
import type { Obj } from './fake-api-server.ts';

export const silentLogger: Logger = pino({ level: 'silent' });

/** Defaults of `pier serve`, with overrides. */
export function testConfig(overrides: Partial<PierConfig> = {}): PierConfig {
  const cli = parseCommandLine(['serve'], {});
  if (cli.command !== 'serve') throw new Error('unreachable');
  return { ...cli.config, ...overrides };
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually<T>(check: () => T | undefined | false, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Records source events and folds them into the state a store would hold. */
export class EventLog {
  readonly events: SourceEvent[] = [];
  readonly state = new Map<string, SourceEvent & { type: 'upsert' }>();
  readonly listener = (event: SourceEvent): void => {
    this.events.push(event);
    if (event.type === 'upsert') this.state.set(keyOf(event.object.kind, event.object.metadata.namespace, event.object.metadata.name), event);
    if (event.type === 'remove') this.state.delete(keyOf(event.ref.kind, event.ref.namespace, event.ref.name));
  };

  get synced(): boolean {
    return this.events.some((e) => e.type === 'synced');
  }

  /** `kind ns/name@rv` of every object held, sorted. */
  stateSummary(): string[] {
    return [...this.state.values()].map((e) => summary(e.object as unknown as Obj)).sort();
  }

  /** How many upserts carried exactly this kind/namespace/name/resourceVersion. */
  upsertsOf(kind: string, namespace: string | undefined, name: string, rv?: string): number {
    return this.events.filter((e) => e.type === 'upsert' && e.object.kind === kind && (e.object.metadata.namespace ?? '') === (namespace ?? '')
      && e.object.metadata.name === name && (rv === undefined || e.object.metadata.resourceVersion === rv)).length;
  }

  removesOf(kind: string, namespace: string | undefined, name: string): number {
    return this.events.filter((e) => e.type === 'remove' && e.ref.kind === kind && e.ref.namespace === (namespace ?? '') && e.ref.name === name).length;
  }
}

export function keyOf(kind: string, namespace: string | undefined, name: string): string {
  return `${kind} ${namespace ? namespace + '/' : ''}${name}`;
}

export function summary(o: Obj): string {
  return `${keyOf(o.kind!, o.metadata.namespace, o.metadata.name)}@${String(o.metadata.resourceVersion)}`;
}

/** One object of each watched kind in `namespace`, as a user would apply them. */
export function objectsOfEachKind(namespace = 'default', suffix = ''): Obj[] {
  return [
    { kind: 'IngressClass', metadata: { name: `pier${suffix}` }, spec: { controller: 'pier.dev/ingress-controller' } },
    ingress(namespace, `web${suffix}`, 'pier'),
    { kind: 'Service', metadata: { name: `web${suffix}`, namespace }, spec: { ports: [{ name: 'http', port: 80 }] } },
    {
      kind: 'EndpointSlice', metadata: { name: `web${suffix}-abc`, namespace, labels: { 'kubernetes.io/service-name': `web${suffix}` } },
      addressType: 'IPv4', endpoints: [{ addresses: ['127.0.0.2'], conditions: { ready: true } }], ports: [{ name: 'http', port: 8080 }],
    },
    { kind: 'Secret', metadata: { name: `tls${suffix}`, namespace }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'Y3J0', 'tls.key': 'a2V5' } },
    { kind: 'ConfigMap', metadata: { name: `headers${suffix}`, namespace }, data: { 'X-Frame-Options': 'DENY' } },
    { kind: 'Upstream', metadata: { name: `up${suffix}`, namespace }, spec: { servers: [{ address: '127.0.0.3', port: 80 }] } },
  ];
}

export function ingress(namespace: string, name: string, className?: string, host = 'web.example.com'): Obj {
  return {
    kind: 'Ingress',
    metadata: { name, namespace },
    spec: {
      ...(className ? { ingressClassName: className } : {}),
      rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
    },
  };
}
