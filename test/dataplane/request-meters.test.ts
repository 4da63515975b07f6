import { describe, expect, it } from 'vitest';
import { HISTOGRAM_CELLS, HISTOGRAM_OFFSET, SIZE_BUCKETS, TIME_BUCKETS } from '../../src/dataplane/metrics/meter-layout.ts';
import { RequestMeters } from '../../src/dataplane/metrics/request-meters.ts';
import { backendParts, meterLabels } from '../../src/dataplane/metrics/route-meter.ts';
import type { Route, RouteTable } from '../../src/routing/route-table.ts';
import { RequestTotals } from '../../src/observe/request-totals.ts';
import { parseSamples } from '../helpers/prometheus-text.ts';
import promClient from 'prom-client';

const route = (origin: string, backend: string): Route => ({ path: '/', pathType: 'Prefix', backend, origin });

describe('route labels', () => {
  it.each([
    ['shop/web', 'service:shop/web:80', { namespace: 'shop', ingress: 'web', service: 'web' }],
    ['shop/web', 'service:shop/api:http', { namespace: 'shop', ingress: 'web', service: 'api' }],
    ['team/site', 'upstream:team/php', { namespace: 'team', ingress: 'site', service: 'php' }],
    [undefined, 'service:infra/fallback:8080', { namespace: 'infra', ingress: '', service: 'fallback' }],
  ] as const)('%s → %s', (origin, backend, want) => {
    expect(meterLabels(origin, backend)).toEqual(want);
  });

  it('the upstream label of pier_upstream_up: <service>:<port>, or the Upstream name', () => {
    expect(backendParts('service:shop/web:80')).toEqual({ namespace: 'shop', name: 'web', upstream: 'web:80' });
    expect(backendParts('upstream:team/php')).toEqual({ namespace: 'team', name: 'php', upstream: 'php' });
    expect(backendParts('plain')).toEqual({ namespace: '', name: 'plain', upstream: 'plain' });
  });
});

describe('RequestMeters', () => {
  it('routes with the same labels share a meter; a report hands over the counts and starts from zero', () => {
    const meters = new RequestMeters();
    meters.begin();
    const a = meters.meterFor(route('shop/web', 'service:shop/web:80'), 'service:shop/web:80');
    const b = meters.meterFor(route('shop/web', 'service:shop/web:80'), 'service:shop/web:80');
    meters.commit();
    expect(a).toBe(b);
    meters.record(a, 'GET', 200, 0.003, 0.002, 120, 900);
    meters.record(a, 'GET', 200, 0.2, -1, 80, 50);
    meters.record(a, 'BREW', 418, 20, 11, 20_000_000, 0);
    const [report, ...rest] = meters.report();
    expect(rest).toEqual([]);
    expect(report!.labels).toEqual({ namespace: 'shop', ingress: 'web', service: 'web' });
    expect(report!.requests).toEqual([200, 0, 2, 418, 9, 1]);
    const cells = report!.cells;
    expect(cells).toHaveLength(HISTOGRAM_CELLS);
    const at = HISTOGRAM_OFFSET.duration;
    expect(cells[at + TIME_BUCKETS.indexOf(0.005)]).toBe(1); // 0.003 ≤ 0.005
    expect(cells[at + TIME_BUCKETS.indexOf(0.25)]).toBe(1); // 0.2 ≤ 0.25
    expect(cells[at + TIME_BUCKETS.length]).toBe(1); // 20 s: +Inf only
    expect(cells[at + TIME_BUCKETS.length + 1]).toBeCloseTo(20.203);
    // No upstream answer for the second request: two upstream observations.
    const up = HISTOGRAM_OFFSET.upstream;
    expect(cells.slice(up, up + TIME_BUCKETS.length + 1).reduce((n, c) => n + c, 0)).toBe(2);
    expect(cells[HISTOGRAM_OFFSET.requestSize + SIZE_BUCKETS.length]).toBe(1); // 20 MB > 10^7
    expect(meters.report()).toEqual([]);
  });

  it('a meter the new table drops is still reported once, then forgotten', () => {
    const meters = new RequestMeters();
    meters.begin();
    const old = meters.meterFor(route('shop/old', 'service:shop/web:80'), 'service:shop/web:80');
    meters.commit();
    meters.record(old, 'GET', 200, 0.001, 0.001, 10, 10);
    meters.begin();
    const kept = meters.meterFor(route('shop/new', 'service:shop/web:80'), 'service:shop/web:80');
    meters.commit();
    expect(kept).not.toBe(old);
    expect(meters.report().map((r) => r.labels.ingress)).toEqual(['old']);
    meters.begin();
    expect(meters.meterFor(route('shop/old', 'service:shop/web:80'), 'service:shop/web:80')).not.toBe(old);
  });
});

describe('RequestTotals (the primary)', () => {
  const table = (origins: string[]): RouteTable => ({
    virtualHosts: [{ host: 'shop.example', routes: origins.map((o) => route(o, 'service:shop/web:80')) }],
    backends: [],
  });
  const render = (totals: RequestTotals) => promClient.AggregatorRegistry.aggregate([totals.metrics()]).metrics();

  it('adds the workers\' reports; histograms come out cumulative with _sum and _count', async () => {
    const a = new RequestMeters();
    const b = new RequestMeters();
    for (const m of [a, b]) {
      m.begin();
      const meter = m.meterFor(route('shop/web', 'service:shop/web:80'), 'service:shop/web:80');
      m.commit();
      m.record(meter, 'GET', 200, 0.004, 0.003, 100, 100);
      m.record(meter, 'POST', 503, 0.3, -1, 100, 100);
    }
    const totals = new RequestTotals();
    totals.add(a.report());
    totals.add(b.report());
    const samples = parseSamples(await render(totals));
    const pick = (name: string, labels: Record<string, string>) => samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    const web = { namespace: 'shop', ingress: 'web', service: 'web' };
    expect(pick('pier_requests_total', { ...web, method: 'GET', status: '200' })).toBe(2);
    expect(pick('pier_requests_total', { ...web, method: 'POST', status: '503' })).toBe(2);
    expect(pick('pier_request_duration_seconds_bucket', { ...web, le: '0.005' })).toBe(2);
    expect(pick('pier_request_duration_seconds_bucket', { ...web, le: '0.25' })).toBe(2);
    expect(pick('pier_request_duration_seconds_bucket', { ...web, le: '0.5' })).toBe(4);
    expect(pick('pier_request_duration_seconds_bucket', { ...web, le: '+Inf' })).toBe(4);
    expect(pick('pier_request_duration_seconds_count', web)).toBe(4);
    expect(pick('pier_upstream_response_seconds_count', web)).toBe(2);
  });

  it('keeps only the label sets of the table in force (and the unmatched one), dropping late reports of others', async () => {
    const meters = new RequestMeters();
    meters.begin();
    const gone = meters.meterFor(route('shop/gone', 'service:shop/web:80'), 'service:shop/web:80');
    meters.commit();
    meters.record(gone, 'GET', 200, 0.001, 0.001, 1, 1);
    meters.record(meters.unmatched, 'GET', 404, 0.001, -1, 1, 1);
    const totals = new RequestTotals();
    totals.add(meters.report());
    totals.retain(table(['shop/web']));
    meters.record(gone, 'GET', 200, 0.001, 0.001, 1, 1);
    totals.add(meters.report());
    const names = parseSamples(await render(totals)).filter((s) => s.name === 'pier_requests_total').map((s) => s.labels.ingress);
    expect(names).toEqual(['']);
  });
});
