import { HISTOGRAM_CELLS, MAX_STATUS, METHODS } from './meter-layout.ts';

/** The labels a route's requests are counted under. */
export interface MeterLabels {
  readonly namespace: string;
  readonly ingress: string;
  readonly service: string;
}

/**
 * A compact index per status code, shared by every meter of the worker and assigned on first
 * sight (at most 500), so a meter's rows stay as short as the set of statuses it saw. Index 0
 * is unassigned; codes outside 100–599 share the slot of code 0.
 */
const STATUS_SLOT = new Uint16Array(MAX_STATUS + 1);
const SLOT_STATUS: number[] = [0];

function statusSlot(status: number): number {
  const code = status >= 100 && status <= MAX_STATUS ? status : 0;
  const slot = STATUS_SLOT[code]!;
  if (slot !== 0) return slot;
  SLOT_STATUS.push(code);
  return (STATUS_SLOT[code] = SLOT_STATUS.length - 1);
}

/** The status code of a compact slot. */
export function statusOfSlot(slot: number): number {
  return SLOT_STATUS[slot]!;
}

/**
 * The request counters of one label set (namespace, Ingress, Service) in one worker: plain
 * typed arrays, created on the first request and handed over whole to each report. Routes of
 * a table that share the labels share the meter (compiled once per swap).
 */
export class RouteMeter {
  readonly labels: MeterLabels;
  /** Requests by status slot, then by method index (meter-layout.ts METHODS). */
  rows: (Float64Array | undefined)[] = [];
  /** The route's histograms (meter-layout.ts HISTOGRAMS); null until a request since the last report. */
  cells: Float64Array | null = null;
  /** Counted since the last report (the meter is on its worker's list of active meters). */
  active = false;

  constructor(labels: MeterLabels) {
    this.labels = labels;
  }

  /** One request more for `method` (index) and `status`; returns the histograms to add to. */
  count(method: number, status: number): Float64Array {
    const slot = statusSlot(status);
    const row = this.rows[slot] ?? (this.rows[slot] = new Float64Array(METHODS.length));
    row[method]! += 1;
    return this.cells ?? (this.cells = new Float64Array(HISTOGRAM_CELLS));
  }
}

/**
 * A route's labels: the Ingress from the route's origin (`namespace/name`), the Service (or
 * Upstream) from the backend id (`service:<ns>/<name>:<port>`, `upstream:<ns>/<name>`). A match
 * by the table's default backend has no route: no Ingress, the default backend's Service.
 */
export function meterLabels(origin: string | undefined, backendId: string): MeterLabels {
  const backend = backendParts(backendId);
  if (origin === undefined) return { namespace: backend.namespace, ingress: '', service: backend.name };
  const slash = origin.indexOf('/');
  return { namespace: slash < 0 ? '' : origin.slice(0, slash), ingress: origin.slice(slash + 1), service: backend.name };
}

/**
 * `service:<ns>/<name>:<port>` → namespace, name, `<name>:<port>`; `upstream:<ns>/<name>` →
 * namespace, name, `<name>`. Any other id (tests' plain names): no namespace, the id.
 */
export function backendParts(backendId: string): { namespace: string; name: string; upstream: string } {
  const kind = backendId.startsWith('service:') ? 8 : backendId.startsWith('upstream:') ? 9 : 0;
  const slash = backendId.indexOf('/', kind);
  if (kind === 0 || slash < 0) return { namespace: '', name: backendId, upstream: backendId };
  const upstream = backendId.slice(slash + 1);
  const colon = kind === 8 ? upstream.lastIndexOf(':') : -1;
  return { namespace: backendId.slice(kind, slash), name: colon < 0 ? upstream : upstream.slice(0, colon), upstream };
}
