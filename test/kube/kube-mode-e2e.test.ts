import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEchoBackend, type EchoBackend } from '../helpers/echo-backend.ts';
import { startPier, waitFor, type PierProcess } from '../helpers/pier-process.ts';
import { FakeApiServer, type Obj, type RecordedRequest } from './fake-api-server.ts';

/**
 * Issue 4 end to end: the real `pier serve` process in Kubernetes mode (KUBECONFIG pointing at
 * the fake API server, the real client library), real backends, real HTTP requests.
 */
describe('pier serve against the Kubernetes API', () => {
  let api: FakeApiServer;
  let web: EchoBackend;
  let other: EchoBackend;
  let pier: PierProcess;

  const backendOf = async (host: string, path = '/') => {
    const res = await request(`http://127.0.0.1:${pier.httpPort}${path}`, { headers: { host } });
    await res.body.text();
    return res.statusCode === 200 ? String(res.headers['x-backend']) : res.statusCode;
  };
  const routesTo = (host: string, path: string, want: string | number, what: string) =>
    waitFor(async () => (await backendOf(host, path)) === want, 5000, `${host}${path} → ${want} (${what})`);

  const slice = (name: string, service: string, backend: EchoBackend): Obj => ({
    kind: 'EndpointSlice', metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4', ports: [{ name: 'http', port: backend.port }], endpoints: [{ addresses: [backend.host], conditions: { ready: true } }],
  });
  const service = (name: string): Obj => ({ kind: 'Service', metadata: { name, namespace: 'default' }, spec: { ports: [{ name: 'http', port: 80 }] } });
  const ingress = (name: string, host: string, path: string, backend: object): Obj => ({
    kind: 'Ingress', metadata: { name, namespace: 'default' },
    spec: { ingressClassName: 'pier', rules: [{ host, http: { paths: [{ path, pathType: 'Prefix', backend }] } }] },
  });
  const toService = (name: string) => ({ service: { name, port: { number: 80 } } });
  const isWatch = (r: RecordedRequest) => r.query.get('watch') === 'true';

  beforeAll(async () => {
    api = await FakeApiServer.start();
    web = await startEchoBackend('web', '127.0.0.2');
    other = await startEchoBackend('other', '127.0.0.3');
    api.apply({ kind: 'IngressClass', metadata: { name: 'pier' }, spec: { controller: 'pier.dev/ingress-controller' } });
    api.apply(service('web'));
    api.apply(slice('web-1', 'web', web));
    api.apply(ingress('site', 'shop.example', '/', toService('web')));
    pier = await startPier(['--workers', '1'], { env: { KUBECONFIG: api.kubeConfigPath, KUBERNETES_SERVICE_HOST: '' } });
  });

  afterAll(async () => {
    await pier?.stop();
    await Promise.all([web?.close(), other?.close()]);
    await api?.close();
  });

  it('is ready after the initial sync and routes what it listed', async () => {
    expect(await backendOf('shop.example')).toBe('web');
    const lists = api.requests.filter((r) => r.method === 'GET' && !isWatch(r)).map((r) => r.path);
    expect(lists).toEqual(expect.arrayContaining(['/apis/networking.k8s.io/v1/ingresses', '/api/v1/services', '/apis/discovery.k8s.io/v1/endpointslices', '/apis/networking.k8s.io/v1/ingressclasses', '/api/v1/secrets', '/apis/pier.dev/v1alpha1/upstreams']));
  });

  it('follows Ingress add, update and delete', async () => {
    api.apply(ingress('api', 'api.example', '/', toService('web')));
    await routesTo('api.example', '/', 'web', 'added');
    api.apply(ingress('api', 'api.example', '/v2', toService('web')));
    await routesTo('api.example', '/', 404, 'path changed');
    expect(await backendOf('api.example', '/v2/x')).toBe('web');
    api.remove('Ingress', 'default', 'api');
    await routesTo('api.example', '/v2/x', 404, 'deleted');
  });

  it('follows EndpointSlice and Service changes', async () => {
    api.apply(slice('web-1', 'web', other));
    await routesTo('shop.example', '/', 'other', 'endpoints moved');
    api.remove('EndpointSlice', 'default', 'web-1');
    await routesTo('shop.example', '/', 503, 'no endpoints');
    api.apply(slice('web-1', 'web', web));
    await routesTo('shop.example', '/', 'web', 'endpoints back');
    api.remove('Service', 'default', 'web');
    await routesTo('shop.example', '/', 503, 'service deleted');
    api.apply(service('web'));
    await routesTo('shop.example', '/', 'web', 'service back');
  });

  it('follows IngressClass changes: another controller\'s class is not served', async () => {
    api.apply({ kind: 'IngressClass', metadata: { name: 'pier' }, spec: { controller: 'example.com/other' } });
    await routesTo('shop.example', '/', 404, 'class handed to another controller');
    api.apply({ kind: 'IngressClass', metadata: { name: 'pier' }, spec: { controller: 'pier.dev/ingress-controller' } });
    await routesTo('shop.example', '/', 'web', 'class ours again');
  });

  it('routes to an Upstream (pier.dev/v1alpha1) backend', async () => {
    api.apply({ kind: 'Upstream', metadata: { name: 'pool', namespace: 'default' }, spec: { servers: [{ address: other.host, port: other.port }] } });
    api.apply(ingress('pooled', 'pool.example', '/', { resource: { apiGroup: 'pier.dev', kind: 'Upstream', name: 'pool' } }));
    await routesTo('pool.example', '/', 'other', 'upstream');
    api.remove('Upstream', 'default', 'pool');
    await waitFor(async () => (await backendOf('pool.example')) !== 'other', 5000, 'upstream removed');
  });

  it('keeps routing right across dropped watches and a 410 relist', async () => {
    const unfail = api.fail(isWatch, 503);
    api.dropWatches();
    api.remove('Ingress', 'default', 'site');
    api.apply(ingress('moved', 'moved.example', '/', toService('web')));
    api.expire();
    unfail();
    await routesTo('moved.example', '/', 'web', 'added while disconnected');
    await routesTo('shop.example', '/', 404, 'deleted while disconnected');
  });
});

describe('pier serve readiness in Kubernetes mode', () => {
  let api: FakeApiServer;
  let pier: PierProcess | undefined;

  afterAll(async () => {
    await pier?.stop();
    await api?.close();
  });

  it('is not ready until every kind listed, then ready without a restart', async () => {
    api = await FakeApiServer.start();
    api.apply({ kind: 'IngressClass', metadata: { name: 'pier' }, spec: { controller: 'pier.dev/ingress-controller' } });
    const unfail = api.fail((r) => r.path === '/apis/discovery.k8s.io/v1/endpointslices' && r.query.get('watch') !== 'true', 500);
    pier = await startPier(['--workers', '1'], { env: { KUBECONFIG: api.kubeConfigPath, KUBERNETES_SERVICE_HOST: '' }, waitReady: false });
    const readyz = () => fetch(`http://127.0.0.1:${pier!.healthPort}/readyz`).then((r) => r.status, () => 0);
    await waitFor(async () => (await readyz()) === 503, 30_000, '/readyz answering 503'); // start-up: slow on a loaded machine
    await waitFor(() => api.requests.filter((r) => r.path === '/apis/discovery.k8s.io/v1/endpointslices').length >= 3, 10_000, 'list retried');
    expect(await readyz()).toBe(503);
    unfail();
    await waitFor(async () => (await readyz()) === 200, 15_000, '/readyz 200 after the list succeeded');
  });
});
