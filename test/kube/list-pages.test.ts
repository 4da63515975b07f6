import { afterEach, describe, expect, it } from 'vitest';
import { KindInformer } from '../../src/source/kube/kind-informer.ts';
import { WATCHED_RESOURCES } from '../../src/source/kube/watched-resources.ts';
import { FakeApiServer, type FakeApiServerOptions, type RecordedRequest } from './fake-api-server.ts';
import { EventLog, eventually, ingress, silentLogger, summary } from './kube-test-helpers.ts';

const INGRESSES = '/apis/networking.k8s.io/v1/ingresses';
const COUNT = 1200;
const isList = (r: RecordedRequest) => r.path === INGRESSES && r.method === 'GET' && r.query.get('watch') !== 'true';
const isWatch = (r: RecordedRequest) => r.path === INGRESSES && r.query.get('watch') === 'true';

let api: FakeApiServer | undefined;
let informer: KindInformer | undefined;

afterEach(async () => {
  await informer?.stop();
  await api?.close();
  informer = undefined;
  api = undefined;
});

/** `limit=500 continue → 200 500 more`: what one list request asked and got. */
function describeList(r: RecordedRequest): string {
  const asked = [r.query.has('limit') ? `limit=${r.query.get('limit')}` : 'full', ...(r.query.has('continue') ? ['continue'] : [])].join(' ');
  const got = r.listed ? `${r.status} ${r.listed.items}${r.listed.continue ? ' more' : ''}` : String(r.status);
  return `${asked} → ${got}`;
}

interface Case {
  readonly name: string;
  readonly server?: FakeApiServerOptions;
  /** Done once, when the first request after the first list page arrives (before it is answered). */
  readonly midList?: (api: FakeApiServer) => void;
  readonly lists: readonly string[];
}

const CASES: readonly Case[] = [
  {
    name: `${COUNT} Ingresses in 3 pages of 500, 500 and 200`,
    lists: ['limit=500 → 200 500 more', 'limit=500 continue → 200 500 more', 'limit=500 continue → 200 200'],
  },
  {
    name: 'a server that ignores limit: everything in one answer',
    server: { ignoreLimit: true },
    lists: [`limit=500 → 200 ${COUNT}`],
  },
  {
    name: 'an expired continue token: one full list instead, as client-go falls back',
    midList: (a) => a.expireContinueTokens(),
    // The full list is read after the writes below: one added and one removed.
    lists: ['limit=500 → 200 500 more', 'limit=500 continue → 410', `full → 200 ${COUNT}`],
  },
];

describe('kind informer: lists in pages', () => {
  it.each(CASES)('$name', async ({ server, midList, lists }) => {
    api = await FakeApiServer.start(server);
    for (let i = 0; i < COUNT; i++) api.apply(ingress(`ns-${i % 3}`, `ing-${String(i).padStart(4, '0')}`, 'pier'));
    // Written while the list is being read: after its snapshot, so they must come by the watch.
    let acted = false;
    api.onRequest = () => {
      if (acted || api!.requests.filter((q) => q.path === INGRESSES).length < 2) return;
      acted = true;
      midList?.(api!);
      api!.apply(ingress('ns-0', 'ing-0000', 'pier', 'changed.example.com'));
      api!.apply(ingress('ns-0', 'ing-1197', 'pier', 'changed.example.com'));
      api!.apply(ingress('ns-1', 'added-meanwhile', 'pier'));
      api!.remove('Ingress', 'ns-2', 'ing-0002');
    };
    const log = new EventLog();
    let listed = 0;
    informer = new KindInformer({
      kubeConfig: api.kubeConfig(), resource: WATCHED_RESOURCES.find((r) => r.kind === 'Ingress')!, emit: log.listener,
      onListed: () => listed++, logger: silentLogger, backoff: { initialMs: 20, maxMs: 100 }, minWatchIntervalMs: 0,
    });
    await informer.start();
    const serverState = () => api!.list('Ingress').map(summary).sort().join();
    await eventually(() => listed === 1 && api!.openWatches === 1 && log.stateSummary().join() === serverState(), 10_000, 'every Ingress');

    expect(api.requests.filter(isList).map(describeList)).toEqual(lists);
    const asked = api.requests.filter(isList);
    for (const [i, r] of asked.entries()) if (r.query.has('continue')) expect(r.query.get('continue')).toBe(asked[i - 1]!.listed!.continue);
    const pages = asked.filter((r) => r.status === 200);
    // The watch starts from the last page's resourceVersion (the list's snapshot), not from now.
    const last = pages.at(-1)!.listed!.resourceVersion;
    expect(api.requests.filter(isWatch)[0]!.query.get('resourceVersion')).toBe(last);
    // Every object version exactly once (a dropped partial list is not re-announced).
    const upserts = log.events.filter((e) => e.type === 'upsert').map((e) => summary(e.object as never));
    expect(new Set(upserts).size).toBe(upserts.length);
    expect(log.removesOf('Ingress', 'ns-2', 'ing-0002')).toBe(midList ? 0 : 1);
    expect(log.stateSummary()).toHaveLength(COUNT);
    expect(listed).toBe(1);
  });
});
