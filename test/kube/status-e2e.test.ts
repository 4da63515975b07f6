import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEchoBackend, type EchoBackend } from '../helpers/echo-backend.ts';
import { startPier, waitFor, type PierProcess } from '../helpers/pier-process.ts';
import { FakeApiServer, type Obj, type RecordedRequest } from './fake-api-server.ts';
import { ingress } from './kube-test-helpers.ts';

/**
 * Status end to end: two real `pier serve` processes against one fake API server. Only the
 * leader writes Ingress status and Events; when it shuts down (releasing the Lease) the other
 * takes over. Each process gets its own kubeconfig token, so every request is attributable.
 */
describe('status with two Pier processes', () => {
  let api: FakeApiServer;
  let web: EchoBackend;
  let a: PierProcess;
  let b: PierProcess | undefined;
  const statusPuts = (token: string) => api.requests.filter((r: RecordedRequest) => (r.method === 'PUT' || r.method === 'PATCH') && r.path.endsWith('/status') && r.token === token);
  /** Status writes that changed something (a 409 on a stale version changes nothing). */
  const statusWrites = (token: string) => statusPuts(token).filter((r) => r.status === 200);
  const addressOf = (name: string) => JSON.stringify((api.get('Ingress', 'default', name) as { status?: { loadBalancer?: { ingress?: unknown } } } | undefined)?.status?.loadBalancer?.ingress);
  const holder = () => (api.get('Lease', 'pier-system', 'pier-leader') as { spec?: { holderIdentity?: string } } | undefined)?.spec?.holderIdentity;
  const pier = (name: string) => startPier(['--workers', '1', '--publish-status-address', '10.9.8.7'], {
    env: { KUBECONFIG: api.writeKubeConfig(name), KUBERNETES_SERVICE_HOST: '', POD_NAME: name, POD_NAMESPACE: 'pier-system' },
  });
  const OURS = '[{"ip":"10.9.8.7"}]';

  beforeAll(async () => {
    api = await FakeApiServer.start();
    web = await startEchoBackend('web', '127.0.0.2');
    api.apply({ kind: 'IngressClass', metadata: { name: 'pier' }, spec: { controller: 'pier.dev/ingress-controller' } });
    api.apply({ kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } });
    api.apply({ kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { ports: [{ name: 'http', port: 80 }] } });
    api.apply({
      kind: 'EndpointSlice', metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4', ports: [{ name: 'http', port: web.port }], endpoints: [{ addresses: [web.host], conditions: { ready: true } }],
    } as Obj);
    api.apply(ingress('default', 'first', 'pier', 'first.example'));
    api.apply(ingress('default', 'theirs', 'nginx', 'theirs.example'));
    a = await pier('pier-a');
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await web?.close();
    await api?.close();
  });

  it('the leader writes status on our Ingresses only and serves traffic', async () => {
    await waitFor(() => addressOf('first') === OURS, 10_000, 'status of first');
    expect(holder()).toBe('pier-a');
    expect(addressOf('theirs')).toBeUndefined();
    const res = await request(`http://127.0.0.1:${a.httpPort}/`, { headers: { host: 'first.example' } });
    await res.body.text();
    expect(res.headers['x-backend']).toBe('web');
  });

  it('the second process serves traffic but writes nothing while it is not the leader', async () => {
    b = await pier('pier-b');
    api.apply(ingress('default', 'second', 'pier', 'second.example'));
    api.apply({ ...ingress('default', 'broken', 'pier', 'broken.example'), spec: { ingressClassName: 'pier', rules: [{ host: 'broken.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'missing', port: { number: 80 } } } }] } }] } });
    await waitFor(() => addressOf('second') === OURS, 10_000, 'status of second');
    await waitFor(() => api.list('Event').some((e) => (e.involvedObject as { name?: string }).name === 'broken'), 10_000, 'event on broken');
    // The leader's status write says nothing of when pier-b's own watch delivered the Ingress:
    // ask pier-b until it serves it (bounded), as a client would.
    const second = b;
    await waitFor(async () => {
      const res = await request(`http://127.0.0.1:${second.httpPort}/`, { headers: { host: 'second.example' } });
      await res.body.text();
      return res.headers['x-backend'] === 'web';
    }, 10_000, 'pier-b serves second.example');
    expect(statusPuts('pier-b')).toEqual([]);
    expect(api.requests.filter((r) => r.path.endsWith('/events') && r.token === 'pier-b')).toEqual([]);
    expect(holder()).toBe('pier-a');
  });

  it('hands over: after the leader stops, the other takes the Lease and writes', async () => {
    await a.stop();
    await waitFor(() => holder() === 'pier-b', 10_000, 'pier-b holds the lease');
    api.apply(ingress('default', 'third', 'pier', 'third.example'));
    await waitFor(() => addressOf('third') === OURS, 10_000, 'status of third');
    // What the old leader wrote is left alone: only the new Ingress is written by the new leader.
    expect(statusWrites('pier-b').map((r) => r.path)).toEqual(['/apis/networking.k8s.io/v1/namespaces/default/ingresses/third/status']);
    expect(addressOf('theirs')).toBeUndefined();
  });
});
