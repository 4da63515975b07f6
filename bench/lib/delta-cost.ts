/**
 * Incremental publish timed in this process: from a table in force, one Ingress edited (one
 * virtual host replaced) and one EndpointSlice changed (one backend replaced), each as the
 * controller hands them over (every other object of the table the same), diffed as the
 * supervisor does, and applied by a worker's dataplane with swapDelta().
 */
import { serialize } from 'node:v8';
import { createDataplane } from '../../src/dataplane/create-dataplane.ts';
import type { RouteTable } from '../../src/routing/route-table.ts';
import { diffTables, type TableDelta } from '../../src/routing/table-delta.ts';
import { spread, type Spread } from './summary.ts';

/** One kind of edit's figures. */
export interface DeltaEditCost {
  /** supervisor: diffTables(previous, next). */
  readonly diffMs: Spread;
  /** worker: swapDelta (apply + compile what changed + bind + put in force). */
  readonly swapMs: Spread;
  /** What IPC carries (`serialization: 'advanced'` is v8.serialize), and its JSON size. */
  readonly ipcBytes: number;
  readonly jsonBytes: number;
  /** Every swap compiled only the delta (none fell back to a whole compile). */
  readonly allDelta: boolean;
}

export interface DeltaCost {
  readonly ingressEdit: DeltaEditCost;
  readonly endpointEdit: DeltaEditCost;
  /** The whole table over IPC, for comparison. */
  readonly tableIpcBytes: number;
}

/** `table` with its host `index` edited (one more path, as a one-Ingress edit) and nothing else. */
function editIngress(table: RouteTable, index: number, round: number): RouteTable {
  const hosts = [...table.virtualHosts];
  const vhost = hosts[index]!;
  const route = vhost.routes[0]!;
  hosts[index] = { ...vhost, routes: [{ ...route, path: `/edit-${round}`, pathType: 'Exact' }, ...vhost.routes] };
  return { ...table, virtualHosts: hosts };
}

/** `table` with backend `index`'s endpoints changed (a pod replaced) and nothing else. */
function editEndpoints(table: RouteTable, index: number, round: number): RouteTable {
  const backends = [...table.backends];
  const backend = backends[index]!;
  const servers = backend.servers.map((s, i) => (i === 0 ? { ...s, host: `10.255.${(round >> 8) & 255}.${round & 255}` } : s));
  backends[index] = { ...backend, servers };
  return { ...table, backends };
}

async function measureEdits(table: RouteTable, runs: number, edit: (t: RouteTable, index: number, round: number) => RouteTable, count: number): Promise<DeltaEditCost> {
  const dataplane = createDataplane();
  try {
    dataplane.swap(table, 1);
    let current = table;
    const diff: number[] = [];
    const swap: number[] = [];
    let delta: TableDelta | undefined;
    let allDelta = true;
    // One warm-up round, then `runs` measured ones, each editing another entry.
    for (let round = 0; round <= runs; round++) {
      const next = edit(current, Math.floor(((round + 1) * count) / (runs + 2)), round);
      const t0 = performance.now();
      delta = diffTables(current, next);
      const t1 = performance.now();
      const result = dataplane.swapDelta(structuredClone(delta), round + 2);
      allDelta &&= result.mode === 'delta';
      if (round > 0) {
        diff.push(t1 - t0);
        swap.push(result.swapMs);
      }
      current = next;
    }
    return { diffMs: spread(diff), swapMs: spread(swap), ipcBytes: serialize(delta).length, jsonBytes: Buffer.byteLength(JSON.stringify(delta)), allDelta };
  } finally {
    await dataplane.close();
  }
}

/** Both edits at `table`'s size. */
export async function measureDeltas(table: RouteTable, runs: number): Promise<DeltaCost> {
  return {
    ingressEdit: await measureEdits(table, runs, editIngress, table.virtualHosts.length),
    endpointEdit: await measureEdits(table, runs, editEndpoints, table.backends.length),
    tableIpcBytes: serialize(table).length,
  };
}
