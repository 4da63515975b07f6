import { randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TIME_BUCKETS } from '../../src/dataplane/metrics/meter-layout.ts';
import { deadPort } from '../dataplane/helpers.ts';
import { makeCertificate, tlsSecretYaml } from '../dataplane/tls-certificates.ts';
import { startEchoBackend, type EchoBackend } from '../helpers/echo-backend.ts';
import { childPids, startPier, waitFor, type PierProcess } from '../helpers/pier-process.ts';
import { samplesOf, total } from '../helpers/prometheus-text.ts';
import { INGRESS_CLASS_YAML, ingressYaml, serviceYaml } from './manifests.ts';

/*
 * /metrics of a real `pier serve --manifests` with 2 workers, after real requests: per-request
 * metrics by Ingress, bounded cardinality, upstream health and failures, reload status and
 * certificate expiry. Counts are exact: every request is counted once, in one worker, and the
 * scrape sums the workers.
 */

const SHOP = { namespace: 'default', ingress: 'shop', service: 'web' };
const UNMATCHED = { namespace: '', ingress: '', service: '' };

describe('pier serve: /metrics', () => {
  let dir: string;
  let web: EchoBackend;
  let dead: number;
  let pier: PierProcess;
  let startedAt: number;
  const scrape = async () => (await fetch(`http://127.0.0.1:${pier.healthPort}/metrics`)).text();
  const send = async (host: string, path: string, options: { method?: string; body?: string; close?: boolean } = {}) => {
    const res = await request(`http://127.0.0.1:${pier.httpPort}${path}`, {
      method: (options.method ?? 'GET') as 'GET', headers: { host, ...(options.close ? { connection: 'close' } : {}) }, body: options.body,
    });
    await res.body.dump();
    return res.statusCode;
  };
  /** Scrapes until `check` holds (the workers' reports may land one scrape late on a loaded machine). */
  const scrapeUntil = async (check: (text: string) => boolean, what: string) => {
    let text = '';
    await waitFor(async () => check((text = await scrape())), 15_000, what);
    return text;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pier-metrics-'));
    web = await startEchoBackend('web');
    dead = await deadPort();
    const cert = makeCertificate('shop.example');
    await writeFile(join(dir, 'class.yaml'), INGRESS_CLASS_YAML);
    await writeFile(join(dir, 'web.yaml'), serviceYaml('web', [{ host: web.host, port: web.port }]));
    await writeFile(join(dir, 'dead.yaml'), serviceYaml('dead', [{ host: '127.0.0.1', port: dead }]));
    await writeFile(join(dir, 'secret.yaml'), tlsSecretYaml('default', 'shop-tls', cert));
    // TLS, served over plain HTTP too (ssl-redirect off): the requests below stay on port 80.
    await writeFile(join(dir, 'shop.yaml'), ingressYaml('shop', 'shop.example', [{ path: '/', service: 'web' }])
      .replace('metadata: { name: shop, namespace: default }', 'metadata: { name: shop, namespace: default, annotations: { nginx.ingress.kubernetes.io/ssl-redirect: "false" } }')
      .concat('  tls: [{ hosts: [shop.example], secretName: shop-tls }]\n'));
    await writeFile(join(dir, 'broken.yaml'), ingressYaml('broken', 'broken.example', [{ path: '/', service: 'dead' }]));
    startedAt = Math.floor(Date.now() / 1000);
    pier = await startPier(['--manifests', dir, '--workers', '2'], { readyTimeoutMs: 30_000 });
  });

  afterAll(async () => {
    await pier?.stop();
    await web?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('counts each request once under its namespace, Ingress, Service, method and exact status, summed across workers', async () => {
    for (let i = 0; i < 20; i++) expect(await send('shop.example', `/item/${i}`, { close: i % 2 === 0 })).toBe(200);
    for (let i = 0; i < 3; i++) expect(await send('shop.example', '/cart', { method: 'POST', body: 'x'.repeat(500) })).toBe(200);
    for (let i = 0; i < 5; i++) expect(await send(`nobody-${i}.example`, '/')).toBe(404);
    const text = await scrapeUntil((t) => total(t, 'pier_requests_total', { ...SHOP, method: 'GET', status: '200' }) >= 20
      && total(t, 'pier_requests_total', { ...UNMATCHED, method: 'GET', status: '404' }) >= 5, 'the requests counted');
    expect(total(text, 'pier_requests_total', { ...SHOP, method: 'GET', status: '200' })).toBe(20);
    expect(total(text, 'pier_requests_total', { ...SHOP, method: 'POST', status: '200' })).toBe(3);
    expect(total(text, 'pier_requests_total', { ...UNMATCHED, method: 'GET', status: '404' })).toBe(5);
    // The histograms count the same requests, with ingress-nginx's buckets.
    expect(total(text, 'pier_request_duration_seconds_count', SHOP)).toBe(23);
    expect(total(text, 'pier_upstream_response_seconds_count', SHOP)).toBe(23);
    expect(total(text, 'pier_upstream_response_seconds_count', UNMATCHED)).toBe(0);
    const buckets = samplesOf(text, 'pier_request_duration_seconds_bucket', SHOP).map((s) => s.labels.le);
    expect(buckets).toEqual([...TIME_BUCKETS.map(String), '+Inf']);
    expect(samplesOf(text, 'pier_request_duration_seconds_bucket', { ...SHOP, le: '+Inf' })[0]!.value).toBe(23);
    // Request size: request line, headers and body; the 3 POSTs alone carry 1,500 body bytes.
    expect(total(text, 'pier_request_size_bytes_sum', SHOP)).toBeGreaterThan(1_500 + 23 * 40);
    // Response size: each echo answer is a head plus a JSON body of the request it saw.
    expect(total(text, 'pier_response_size_bytes_sum', SHOP)).toBeGreaterThan(23 * 100);
  });

  it('a flood of random hosts, paths and methods adds no series: no rule matched is one label set', async () => {
    for (const method of ['GET', 'HEAD', 'PROPFIND']) await send('warm.example', '/', { method });
    const seriesBefore = (t: string) => samplesOf(t, 'pier_requests_total').length + samplesOf(t, 'pier_request_duration_seconds_bucket').length;
    const before = await scrapeUntil((t) => total(t, 'pier_requests_total', { ...UNMATCHED, method: 'OTHER', status: '404' }) >= 1, 'the warm-up counted');
    const unmatchedBefore = total(before, 'pier_requests_total', UNMATCHED);
    const methods = ['GET', 'HEAD', 'PROPFIND', 'MKCOL', 'UNLOCK'];
    const flood = 300;
    for (let i = 0; i < flood; i += 30) {
      await Promise.all(Array.from({ length: 30 }, (_, j) => send(`${randomBytes(6).toString('hex')}.example`, `/${randomBytes(8).toString('hex')}?q=${i + j}`, { method: methods[(i + j) % methods.length]! })));
    }
    const after = await scrapeUntil((t) => total(t, 'pier_requests_total', UNMATCHED) >= unmatchedBefore + flood, 'the flood counted');
    expect(total(after, 'pier_requests_total', UNMATCHED)).toBe(unmatchedBefore + flood);
    expect(seriesBefore(after)).toBe(seriesBefore(before));
    for (const s of samplesOf(after, 'pier_requests_total')) expect(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT', 'OTHER']).toContain(s.labels.method);
  });

  it('upstream failures, health and connections', async () => {
    expect(await send('broken.example', '/')).toBe(502);
    const text = await scrapeUntil((t) => total(t, 'pier_upstream_failures_total', { reason: 'connect' }) >= 1
      && samplesOf(t, 'pier_upstream_up', { namespace: 'default', upstream: 'dead:80' }).some((s) => s.value === 0), 'the failure and the down mark');
    expect(samplesOf(text, 'pier_upstream_up', { namespace: 'default', upstream: 'web:80', server: `${web.host}:${web.port}` }).map((s) => s.value)).toEqual([1]);
    expect(samplesOf(text, 'pier_upstream_up', { namespace: 'default', upstream: 'dead:80', server: `127.0.0.1:${dead}` }).map((s) => s.value)).toEqual([0]);
    expect(total(text, 'pier_requests_total', { namespace: 'default', ingress: 'broken', service: 'dead', method: 'GET', status: '502' })).toBe(1);
    // Keepalive to the backend: what the earlier requests opened is idle now.
    expect(total(text, 'pier_upstream_connections', { state: 'idle' })).toBeGreaterThanOrEqual(1);
    expect(total(text, 'pier_upstream_connections', { state: 'active' })).toBe(0);
  });

  it('the certificate in force, with its expiry as ingress-nginx exposes it (seconds since 1970)', async () => {
    const text = await scrape();
    const pem = Buffer.from(/tls\.crt: (\S+)/.exec(readFileSync(join(dir, 'secret.yaml'), 'utf8'))![1]!, 'base64').toString();
    const expected = Math.floor(Date.parse(new X509Certificate(pem).validTo) / 1000);
    expect(samplesOf(text, 'pier_ssl_certificate_expiry_seconds')).toEqual([{ name: 'pier_ssl_certificate_expiry_seconds', labels: { host: 'shop.example', secret: 'default/shop-tls' }, value: expected }]);
  });

  it('reload status: applied by every worker, with its time; a removed Ingress takes its series with it', async () => {
    const first = await scrape();
    expect(total(first, 'pier_config_last_reload_successful')).toBe(1);
    const applied = total(first, 'pier_config_last_reload_successful_timestamp_seconds');
    expect(applied).toBeGreaterThanOrEqual(startedAt);
    expect(applied).toBeLessThanOrEqual(Date.now() / 1000);
    const generation = total(first, 'pier_table_generation');
    expect(samplesOf(first, 'pier_requests_total', { ingress: 'broken' }).length).toBeGreaterThan(0);
    await rename(join(dir, 'broken.yaml'), join(dir, '.broken.yaml.off'));
    const text = await scrapeUntil((t) => total(t, 'pier_table_generation') > generation && samplesOf(t, 'pier_worker_table_generation').every((s) => s.value > generation)
      && total(t, 'pier_config_last_reload_successful_timestamp_seconds') > 0, 'the next generation applied');
    expect(total(text, 'pier_config_last_reload_successful')).toBe(1);
    expect(total(text, 'pier_config_last_reload_successful_timestamp_seconds')).toBeGreaterThanOrEqual(applied);
    expect(samplesOf(text, 'pier_requests_total', { ingress: 'broken' })).toEqual([]);
    expect(samplesOf(text, 'pier_upstream_up', { upstream: 'dead:80' })).toEqual([]);
    expect(total(text, 'pier_requests_total', SHOP)).toBe(23);
  });

  it('a worker killed and restarted takes no count away: the totals live in the primary', async () => {
    const before = await scrape();
    const counted = total(before, 'pier_requests_total');
    const workers = childPids(pier.child.pid!);
    expect(workers).toHaveLength(2);
    process.kill(workers[0]!, 'SIGKILL');
    const text = await scrapeUntil((t) => total(t, 'pier_worker_restarts') >= 1 && samplesOf(t, 'pier_worker_table_generation').length === 2, 'the replacement worker');
    expect(total(text, 'pier_requests_total')).toBeGreaterThanOrEqual(counted);
    for (let i = 0; i < 10; i++) expect(await send('shop.example', '/after', { close: true })).toBe(200);
    const later = await scrapeUntil((t) => total(t, 'pier_requests_total', { ...SHOP, status: '200' }) >= 33, 'the requests after the restart');
    expect(total(later, 'pier_requests_total', { ...SHOP, status: '200' })).toBe(33);
  });
});
