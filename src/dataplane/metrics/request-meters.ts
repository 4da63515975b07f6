import type { Route } from '../../routing/route-table.ts';
import { HISTOGRAM_OFFSET, methodIndex, observe, SIZE_BUCKETS, TIME_BUCKETS } from './meter-layout.ts';
import type { MeterReport } from './metrics-report.ts';
import { meterLabels, RouteMeter, statusOfSlot } from './route-meter.ts';

const DURATION = HISTOGRAM_OFFSET.duration;
const UPSTREAM = HISTOGRAM_OFFSET.upstream;
const REQUEST_SIZE = HISTOGRAM_OFFSET.requestSize;
const RESPONSE_SIZE = HISTOGRAM_OFFSET.responseSize;

/**
 * A worker's request counters, one RouteMeter per Ingress and backend of the table in force
 * plus the fixed one of requests no rule matched. Recording is a few array increments on the meter the
 * request's match carries (bound at swap time: no lookup, no label string per request).
 * `report()` hands the counts since the last report to the primary, which keeps the totals
 * (observe/request-totals.ts): a worker that restarts loses only what it had not reported.
 */
export class RequestMeters {
  /** Requests that matched no rule: one label set whatever their host or path. */
  readonly unmatched = new RouteMeter({ namespace: '', ingress: '', service: '' });
  #meters = new Map<string, RouteMeter>();
  #next: Map<string, RouteMeter> | undefined;
  #active: RouteMeter[] = [];

  /** Starts binding a table's routes (meters of the previous table are kept where they fit). */
  begin(): void {
    this.#next = new Map();
  }

  /**
   * The meter of a route (or of the default backend: `route` undefined) of the table being
   * bound: one per Ingress and backend, kept across swaps (a concatenation and a lookup per
   * route; labels are parsed only for a new pair). Two backends of one Service (two ports)
   * get two meters with the same labels: the primary adds them up.
   */
  meterFor(route: Route | undefined, backendId: string): RouteMeter {
    const key = route === undefined ? backendId : `${route.origin}\0${backendId}`;
    const next = (this.#next ??= new Map());
    let meter = next.get(key);
    if (meter === undefined) {
      meter = this.#meters.get(key) ?? new RouteMeter(meterLabels(route?.origin, backendId));
      next.set(key, meter);
    }
    return meter;
  }

  /**
   * The meter of a route a delta swap binds (table-swap.ts): added to the meters in force, as a
   * delta does not rebind every route. Meters of routes a delta removed stay until the next
   * whole swap drops them.
   */
  meterForDelta(route: Route | undefined, backendId: string): RouteMeter {
    const key = route === undefined ? backendId : `${route.origin}\0${backendId}`;
    let meter = this.#meters.get(key);
    if (meter === undefined) {
      meter = new RouteMeter(meterLabels(route?.origin, backendId));
      this.#meters.set(key, meter);
    }
    return meter;
  }

  /** The table is in force: meters it no longer names are dropped (after their last report). */
  commit(): void {
    if (this.#next !== undefined) this.#meters = this.#next;
    this.#next = undefined;
  }

  /**
   * Counts one finished request. `upstreamSeconds` < 0: no upstream response (Pier answered,
   * or the upstream failed). Sizes in bytes.
   */
  record(meter: RouteMeter, method: string, status: number, seconds: number, upstreamSeconds: number, requestBytes: number, responseBytes: number): void {
    if (!meter.active) {
      meter.active = true;
      this.#active.push(meter);
    }
    const cells = meter.count(methodIndex(method), status);
    observe(cells, DURATION, TIME_BUCKETS, seconds);
    if (upstreamSeconds >= 0) observe(cells, UPSTREAM, TIME_BUCKETS, upstreamSeconds);
    observe(cells, REQUEST_SIZE, SIZE_BUCKETS, requestBytes);
    observe(cells, RESPONSE_SIZE, SIZE_BUCKETS, responseBytes);
  }

  /** The counts since the last report, by label set; the meters start again from zero. */
  report(): MeterReport[] {
    const out: MeterReport[] = [];
    for (const meter of this.#active) {
      const requests: number[] = [];
      meter.rows.forEach((row, slot) => {
        if (row === undefined) return;
        for (let m = 0; m < row.length; m++) if (row[m]! > 0) requests.push(statusOfSlot(slot), m, row[m]!);
      });
      out.push({ labels: meter.labels, requests, cells: meter.cells! });
      meter.rows = [];
      meter.cells = null;
      meter.active = false;
    }
    this.#active = [];
    return out;
  }
}
