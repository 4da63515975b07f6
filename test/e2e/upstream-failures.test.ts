import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.ts';
import { startPier, waitFor, type PierProcess } from '../helpers/pier-process.ts';
import { INGRESS_CLASS_YAML } from './manifests.ts';
import {
  logLines, siteYaml, startCuttingBackend, startResetOnceBackend, startSilentBackend, startTrackingBackend, upstreamIngressYaml,
  type RawBackend, type TrackingBackend,
} from './upstream-backends.ts';

const CRD_FILE = fileURLToPath(new URL('../../crds/upstreams.pier.dev.yaml', import.meta.url));

/** The message the CRD's CEL rule on `loadBalancing` carries for a ConsistentHash without hashKey. */
async function crdHashKeyMessage(): Promise<string> {
  type Validations = { 'x-kubernetes-validations': { rule: string; message: string }[] };
  const crd = parse(await readFile(CRD_FILE, 'utf8')) as { spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: { properties: { loadBalancing: Validations } } } } } }[] } };
  const rules = crd.spec.versions[0]!.schema.openAPIV3Schema.properties.spec.properties.loadBalancing['x-kubernetes-validations'];
  const rule = rules.find((r) => r.rule.includes("has(self.hashKey)") && r.rule.startsWith("self.algorithm != 'ConsistentHash'"));
  return rule!.message;
}

/**
 * Issue 5 end to end, failure handling: retries, read timeout, and Upstreams Pier refuses — the
 * real `pier serve --manifests DIR` with one worker, backends that refuse, reset or never answer.
 */
describe('Upstream failure handling (pier serve --manifests, 1 worker)', () => {
  let dir: string;
  let pier: PierProcess;
  let good: TrackingBackend;
  let resetOnce: RawBackend & { readonly ids: Map<string, number> };
  let silent: RawBackend;
  let silentRetried: RawBackend;
  let cutting: RawBackend;

  const send = async (site: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}) => {
    const started = Date.now();
    const res = await request(`http://127.0.0.1:${pier.httpPort}/`, {
      method: (init.method ?? 'GET') as 'GET', body: init.body, headers: { host: `${site}.example`, ...init.headers }, headersTimeout: 20_000,
    });
    await res.body.text();
    return { status: res.statusCode, backend: res.headers['x-backend'], ms: Date.now() - started };
  };
  const lines = () => logLines(pier.output());

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pier-ups-fail-'));
    [good, resetOnce, silent, silentRetried, cutting] = await Promise.all([
      startTrackingBackend('good', '127.0.0.31'), startResetOnceBackend(), startSilentBackend(), startSilentBackend(), startCuttingBackend(),
    ]);
    const refusing = await freePort('127.0.0.32');
    await writeFile(join(dir, 'class.yaml'), INGRESS_CLASS_YAML);
    await writeFile(join(dir, 'sites.yaml'), [
      // maxFails 0: the refusing server is never marked down, so every second pick meets it.
      siteYaml('refused', { servers: [{ address: '127.0.0.32', port: refusing, maxFails: 0 }, { address: good.host, port: good.port }] }),
      siteYaml('reset', { servers: [{ address: resetOnce.host, port: resetOnce.port, maxFails: 0 }] }),
      siteYaml('reset-any', { servers: [{ address: resetOnce.host, port: resetOnce.port, maxFails: 0 }], retries: { nonIdempotent: true } }),
      siteYaml('slow', { servers: [{ address: silent.host, port: silent.port, maxFails: 0 }], timeouts: { read: '300ms' }, retries: { attempts: 0 } }),
      siteYaml('slow-retried', { servers: [{ address: silentRetried.host, port: silentRetried.port, maxFails: 0 }], timeouts: { read: '300ms' } }),
      siteYaml('cut', { servers: [{ address: cutting.host, port: cutting.port, maxFails: 0 }, { address: good.host, port: good.port }] }),
      upstreamIngressYaml('ghost', 'nosuchupstream'),
    ].join('---\n'));
    await writeFile(join(dir, 'bad.yaml'), siteYaml('bad', { servers: [{ address: good.host, port: good.port }], loadBalancing: { algorithm: 'ConsistentHash' } }));
    pier = await startPier(['--manifests', dir, '--workers', '1'], { readyTimeoutMs: 30_000 });
  }, 60_000);

  afterAll(async () => {
    await pier?.stop();
    await Promise.all([good, resetOnce, silent, silentRetried, cutting].map((b) => b?.close()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a server refusing connections is skipped: no client error, GET or POST (nothing was sent)', async () => {
    for (let i = 0; i < 20; i++) {
      const res = await send('refused', i % 2 === 0 ? {} : { method: 'POST', body: `payload ${i}` });
      expect(res, `request ${i}`).toMatchObject({ status: 200, backend: 'good' });
    }
    expect(good.seen.filter((s) => s.method === 'POST')).toHaveLength(10);
  });

  // [site, method, request body, expected status, times the backend saw the request]
  const resets: [string, string, 'no body' | 'a body', number, number][] = [
    ['reset', 'GET', 'no body', 200, 2],
    ['reset', 'POST', 'no body', 502, 1],
    ['reset', 'PATCH', 'no body', 502, 1],
    ['reset-any', 'POST', 'no body', 200, 2],
    // A streamed body that was read cannot be sent again, whatever nonIdempotent says.
    ['reset-any', 'POST', 'a body', 502, 1],
  ];
  it.each(resets)('a reset after the request was read: %s %s with %s → %i, sent %i time(s)', async (site, method, body, status, sent) => {
    const id = `${site}-${method}-${body.replace(' ', '-')}`;
    const res = await send(site, { method, body: body === 'a body' ? body : undefined, headers: { 'x-request-id': id } });
    expect(res.status).toBe(status);
    expect(resetOnce.ids.get(id)).toBe(sent);
  });

  it('never retries once the response started: a reset mid-body cuts the client response', async () => {
    // Round robin over [cutting, good]: within two requests one lands on the cutting server.
    const before = cutting.requests;
    const outcomes: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await request(`http://127.0.0.1:${pier.httpPort}/`, { headers: { host: 'cut.example' }, headersTimeout: 20_000 });
      outcomes.push(await res.body.text().then((b) => `${res.statusCode} ${b === 'good' ? 'good' : b.length}`, () => `${res.statusCode} cut`));
    }
    expect(cutting.requests - before).toBe(1);
    expect(outcomes.sort()).toEqual(['200 cut', '200 good']);
  });

  it('timeouts.read 300ms against a backend that never answers: 504 within a bound, not retried with attempts 0', async () => {
    const before = silent.requests;
    const res = await send('slow');
    expect(res.status).toBe(504);
    expect(res.ms).toBeGreaterThanOrEqual(280);
    expect(res.ms).toBeLessThan(5_000);
    expect(silent.requests - before).toBe(1);
  });

  it('timeouts.read 300ms fires within 500 ms (not rounded up to undici\'s ~1 s timer tick)', async () => {
    // Regression (found by this test): undici's headersTimeout/bodyTimeout run on its fast timers
    // (a 499 ms tick), so a 300ms read timeout left to undici fired after ~0.5-1 s.
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await send('slow');
      expect(res.status).toBe(504);
      times.push(res.ms);
    }
    expect(Math.min(...times)).toBeLessThan(500);
  });

  it('a read timeout is retried for GET (retries.on default includes timeout): 3 tries, then 504', async () => {
    const res = await send('slow-retried');
    expect(res.status).toBe(504);
    expect(silentRetried.requests).toBe(3);
    expect(res.ms).toBeGreaterThanOrEqual(3 * 280);
    expect(res.ms).toBeLessThan(10_000);
  });

  it('an invalid Upstream answers 503 and is logged once with the CRD rule message; fixing the file serves it', async () => {
    const celMessage = await crdHashKeyMessage();
    expect(celMessage).toBe('hashKey is required when algorithm is ConsistentHash');
    expect((await send('bad')).status).toBe(503);
    const expected = `Upstream.pier.dev "bad" is invalid: spec.loadBalancing.hashKey: Required value: ${celMessage}`;
    const problems = lines().filter((l) => l.kind === 'Upstream' && l.name === 'bad' && typeof l.msg === 'string' && l.msg.includes(celMessage));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ component: 'controller', namespace: 'default', reason: 'InvalidUpstream', msg: expected });
    // The manifest-mode status line (what the leader writes to status in cluster mode).
    expect(lines().filter((l) => l.component === 'status' && l.name === 'bad')).toEqual([
      expect.objectContaining({ msg: 'upstream status', accepted: false, ready: false, reason: 'InvalidUpstream', message: expected, readyEndpoints: 0, totalEndpoints: 0 }),
    ]);

    await writeFile(join(dir, 'bad.yaml'), siteYaml('bad', {
      servers: [{ address: good.host, port: good.port }], loadBalancing: { algorithm: 'ConsistentHash', hashKey: { source: 'Header', name: 'x-user' } },
    }));
    await waitFor(async () => (await send('bad')).status === 200, 10_000, 'the fixed Upstream served');
    await waitFor(() => lines().some((l) => l.component === 'status' && l.name === 'bad' && l.accepted === true), 5_000, 'status line for the fixed Upstream');
    expect(lines().filter((l) => l.component === 'status' && l.name === 'bad').at(-1)).toMatchObject({ accepted: true, ready: true, readyEndpoints: 1, totalEndpoints: 1 });
  });

  it('a missing Upstream: 503 and a problem line on the Ingress', async () => {
    expect((await send('ghost')).status).toBe(503);
    expect(lines().find((l) => l.kind === 'Ingress' && l.name === 'ghost')).toMatchObject({ reason: 'UpstreamNotFound', msg: 'Upstream default/nosuchupstream not found: its requests get 503' });
  });
});
