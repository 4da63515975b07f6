import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createKubeSource, type KubeSourceOptions } from '../../src/source/kube/kube-source.ts';
import type { Source } from '../../src/source/source.ts';
import { FakeApiServer, type RecordedRequest } from './fake-api-server.ts';
import { EventLog, eventually, objectsOfEachKind, summary, testConfig } from './kube-test-helpers.ts';
import { SilentFront } from './silent-front.ts';

const KINDS = 7;
const SERVICES = '/api/v1/services';
const isWatch = (r: RecordedRequest) => r.query.get('watch') === 'true';
const isServiceList = (line: string) => line.startsWith(`GET ${SERVICES}?`) && !line.includes('watch=true');
const isServiceWatch = (line: string) => line.startsWith(`GET ${SERVICES}?`) && line.includes('watch=true');

let api: FakeApiServer | undefined;
let front: SilentFront | undefined;
let source: Source | undefined;

afterEach(async () => {
  await source?.stop();
  await front?.close();
  await api?.close();
  source = undefined;
  front = undefined;
  api = undefined;
});

/** The fake API server behind a SilentFront, and a source reaching it through the front; warnings are kept. */
async function setUp(hangs: (requestLine: string) => boolean, options: KubeSourceOptions = {}) {
  api = await FakeApiServer.start();
  for (const o of objectsOfEachKind()) api.apply(o);
  front = await SilentFront.start(api.url);
  front.hangs = hangs;
  const warnings: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push((JSON.parse(line) as { err?: string }).err ?? '') });
  const log = new EventLog();
  source = createKubeSource(testConfig(), logger, {
    kubeConfig: front.kubeConfig(), backoff: { initialMs: 20, maxMs: 100 }, minWatchIntervalMs: 0,
    listTimeoutMs: 300, watchHeadTimeoutMs: 300, ...options,
  });
  return { api, front, log, warnings, started: source.start(log.listener) };
}

describe('kube source: an API server that accepts connections and never answers', () => {
  it('times a silent list out, logs it, and lists again until the server answers', async () => {
    let silent = 2;
    const { api, front, log, warnings, started } = await setUp((line) => isServiceList(line) && silent-- > 0);
    await started;
    await eventually(() => log.synced, 5000, 'synced once the Service list was answered');
    expect(front.heldRequests.filter(isServiceList)).toHaveLength(2);
    // The client gave up on both held connections (closed them), and said why.
    await eventually(() => front.held === 0, 2000, 'held connections closed');
    expect(warnings.filter((w) => w === `GET ${SERVICES}: no complete answer within 300 ms`)).toHaveLength(2);
    expect(log.upsertsOf('Service', 'default', 'web')).toBe(1);
    api.apply({ kind: 'Service', metadata: { name: 'later', namespace: 'default' }, spec: {} });
    await eventually(() => log.upsertsOf('Service', 'default', 'later') === 1, 5000, 'watching after the recovered list');
  });

  it('times out a watch that gets no response head, and resumes once the server answers', async () => {
    let hang = true;
    const { api, front, log, warnings, started } = await setUp((line) => isServiceWatch(line) && hang);
    const t0 = Date.now();
    // start() waits for each kind's first watch; a silent one no longer blocks it.
    await started;
    expect(Date.now() - t0).toBeLessThan(3000);
    await eventually(() => log.synced, 5000, 'synced');
    api.apply({ kind: 'Service', metadata: { name: 'while-hung', namespace: 'default' }, spec: {} });
    await eventually(() => front.heldRequests.filter(isServiceWatch).length >= 3, 5000, 'three watches held');
    expect(log.upsertsOf('Service', 'default', 'while-hung')).toBe(0);
    hang = false;
    await eventually(() => log.upsertsOf('Service', 'default', 'while-hung') === 1, 5000, 'the change, once the watch is answered');
    await eventually(() => front.held === 0, 2000, 'held watches closed');
    expect(warnings.filter((w) => w === `watch ${SERVICES}: no response head within 300 ms`).length).toBeGreaterThanOrEqual(3);
    // Resumed from the listed resourceVersion: no relist was needed, nothing arrived twice.
    expect(api.requests.filter((r) => r.path === SERVICES && !isWatch(r))).toHaveLength(1);
    const upserts = log.events.filter((e) => e.type === 'upsert').map((e) => summary(e.object as never));
    expect(new Set(upserts).size).toBe(upserts.length);
  });

  it('stop() abandons a list the server never answers', async () => {
    const { front, log, started } = await setUp(isServiceList, { listTimeoutMs: 60_000 });
    await eventually(() => front.held === 1, 5000, 'the Service list held');
    const t0 = Date.now();
    await source!.stop();
    await started;
    expect(Date.now() - t0).toBeLessThan(1000);
    await eventually(() => front.held === 0, 2000, 'the held list closed by the client');
    expect(log.synced).toBe(false);
    source = undefined;
  });

  it('stop() cancels a watch still waiting for its response head', async () => {
    const { front, log, started } = await setUp(isServiceWatch, { watchHeadTimeoutMs: 60_000 });
    await eventually(() => log.synced && front.held === 1, 5000, 'synced, the Service watch held');
    const t0 = Date.now();
    await source!.stop();
    await started;
    expect(Date.now() - t0).toBeLessThan(1000);
    await eventually(() => front.held === 0, 2000, 'the held watch closed by the client');
    source = undefined;
  });
});

describe('kube source: a watch that has started streaming', () => {
  it('is ended by the server after timeoutSeconds and resumed from its resourceVersion, without a relist', async () => {
    const { api, log, started } = await setUp(() => false, { watchTimeoutSeconds: 1 });
    await started;
    await eventually(() => log.synced, 5000, 'synced');
    const first = api.requests.filter(isWatch).length;
    expect(first).toBe(KINDS);
    expect(api.requests.filter(isWatch).every((r) => r.query.get('timeoutSeconds') === '1')).toBe(true);
    await eventually(() => api.requests.filter(isWatch).length >= 2 * KINDS, 3000, 'watches renewed after 1 s');
    api.apply({ kind: 'Service', metadata: { name: 'after-timeout', namespace: 'default' }, spec: {} });
    await eventually(() => log.upsertsOf('Service', 'default', 'after-timeout') === 1, 5000, 'change on the resumed watch');
    expect(api.requests.filter((r) => !isWatch(r) && r.method === 'GET')).toHaveLength(KINDS);
  });

  it('is cut on this side when still open past timeoutSeconds (a server or connection that never ends it)', async () => {
    const { api, log, warnings, started } = await setUp(() => false, { watchTimeoutSeconds: 1 });
    api.ignoreWatchTimeouts = true;
    await started;
    await eventually(() => log.synced, 5000, 'synced');
    // 1 s + the 300 ms grace: every kind's watch is cut once, and watched again from where it was.
    await eventually(() => api.requests.filter(isWatch).length >= 2 * KINDS, 3000, 'watches renewed');
    expect(warnings.filter((w) => w === `watch ${SERVICES}: still open 300 ms after its timeoutSeconds (1); reconnecting`)).toHaveLength(1);
    // The cut streams were closed, not left open beside the new ones.
    await eventually(() => api.openWatches === KINDS, 2000, 'one open watch per kind');
    api.apply({ kind: 'Service', metadata: { name: 'after-cut', namespace: 'default' }, spec: {} });
    await eventually(() => log.upsertsOf('Service', 'default', 'after-cut') === 1, 5000, 'change on the renewed watch');
    expect(api.requests.filter((r) => !isWatch(r) && r.method === 'GET')).toHaveLength(KINDS);
  });
});
