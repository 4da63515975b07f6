import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEchoBackend, type EchoBackend } from '../helpers/echo-backend.ts';
import { startPier, waitFor, type PierProcess } from '../helpers/pier-process.ts';
import { FakeApiServer, type Obj } from './fake-api-server.ts';
import { ingress } from './kube-test-helpers.ts';

/**
 * `--watch-namespace-selector` end to end: the real `pier serve` (two workers) against the fake
 * API server. Relabelling Namespaces at run time brings their Ingresses in and out of the
 * routing table while a steady stream of requests to a namespace that keeps matching never
 * fails, and the leader writes Ingress status only for matching namespaces.
 */
describe('pier serve --watch-namespace-selector', () => {
  let api: FakeApiServer;
  let web: EchoBackend;
  let pier: PierProcess;
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: 4 });
  const OURS = '[{"ip":"10.9.8.7"}]';
  const FOREIGN = '[{"ip":"192.0.2.99"}]';

  const namespace = (name: string, labels?: Record<string, string>): Obj => ({ kind: 'Namespace', metadata: { name, ...(labels ? { labels } : {}) } });
  const backendOf = async (host: string) => {
    const res = await request(`http://127.0.0.1:${pier.httpPort}/`, { headers: { host }, dispatcher: agent });
    await res.body.text();
    return res.statusCode === 200 ? String(res.headers['x-backend']) : res.statusCode;
  };
  const routesTo = (host: string, want: string | number, what: string) => waitFor(async () => (await backendOf(host)) === want, 10_000, `${host} → ${want} (${what})`);
  const addressOf = (ns: string, name: string) => {
    const status = (api.get('Ingress', ns, name) as { status?: { loadBalancer?: { ingress?: unknown } } } | undefined)?.status;
    return JSON.stringify(status?.loadBalancer?.ingress);
  };

  beforeAll(async () => {
    api = await FakeApiServer.start();
    web = await startEchoBackend('web', '127.0.0.2');
    api.apply({ kind: 'IngressClass', metadata: { name: 'pier' }, spec: { controller: 'pier.dev/ingress-controller' } });
    api.apply(namespace('keep', { team: 'a' }));
    api.apply(namespace('shop', { team: 'a' }));
    api.apply(namespace('blog'));
    for (const ns of ['keep', 'shop', 'blog']) {
      api.apply({ kind: 'Service', metadata: { name: 'web', namespace: ns }, spec: { ports: [{ name: 'http', port: 80 }] } });
      api.apply({
        kind: 'EndpointSlice', metadata: { name: 'web-1', namespace: ns, labels: { 'kubernetes.io/service-name': 'web' } },
        addressType: 'IPv4', ports: [{ name: 'http', port: web.port }], endpoints: [{ addresses: [web.host], conditions: { ready: true } }],
      } as Obj);
      api.apply(ingress(ns, 'web', 'pier', `${ns}.example`));
    }
    pier = await startPier(['--workers', '2', '--watch-namespace-selector', 'team=a', '--publish-status-address', '10.9.8.7'], {
      env: { KUBECONFIG: api.kubeConfigPath, KUBERNETES_SERVICE_HOST: '', POD_NAME: 'pier-0', POD_NAMESPACE: 'pier-system' },
    });
  });

  afterAll(async () => {
    await pier?.stop();
    await agent.close();
    await web?.close();
    await api?.close();
  });

  it('serves matching namespaces only, and writes status for those only', async () => {
    expect(await backendOf('keep.example')).toBe('web');
    expect(await backendOf('shop.example')).toBe('web');
    expect(await backendOf('blog.example')).toBe(404);
    await waitFor(() => addressOf('keep', 'web') === OURS && addressOf('shop', 'web') === OURS, 10_000, 'status of keep and shop');
    expect(addressOf('blog', 'web')).toBeUndefined();
    expect(api.requests.filter((r) => r.path.includes('/namespaces/blog/ingresses/'))).toEqual([]);
  });

  it('follows relabelled namespaces while requests to a matching one keep succeeding', async () => {
    const failures: unknown[] = [];
    let sent = 0;
    let running = true;
    const steady = async () => {
      while (running) {
        const got = await backendOf('keep.example').catch((err: unknown) => err);
        sent++;
        if (got !== 'web') failures.push(got);
      }
    };
    const loops = [steady(), steady()];
    try {
      api.apply(namespace('blog', { team: 'a' }));
      await routesTo('blog.example', 'web', 'blog labelled');
      await waitFor(() => addressOf('blog', 'web') === OURS, 10_000, 'status of blog once labelled');

      const shopWrites = () => api.requests.filter((r) => r.path === '/apis/networking.k8s.io/v1/namespaces/shop/ingresses/web/status').length;
      api.apply(namespace('shop', { team: 'b' }));
      await routesTo('shop.example', 404, 'shop unlabelled');
      // Not served now: another controller's address in its status is left alone, even after
      // a rebuild that writes status elsewhere.
      const before = shopWrites();
      api.setStatus('Ingress', 'shop', 'web', { loadBalancer: { ingress: [{ ip: '192.0.2.99' }] } });
      api.apply(ingress('keep', 'second', 'pier', 'second.keep.example'));
      await waitFor(() => addressOf('keep', 'second') === OURS, 10_000, 'status of a new Ingress in keep');
      expect(addressOf('shop', 'web')).toBe(FOREIGN);
      expect(shopWrites()).toBe(before);

      api.apply(namespace('shop', { team: 'a' }));
      await routesTo('shop.example', 'web', 'shop labelled again');
      await waitFor(() => addressOf('shop', 'web') === OURS, 10_000, 'status of shop once it matches again');
    } finally {
      running = false;
      await Promise.all(loops);
    }
    expect(sent).toBeGreaterThan(20);
    expect(failures).toEqual([]);
  });
});
