/**
 * The primary side of the multi-worker dataplane: forks N workers with node:cluster, publishes
 * every RouteTable to all of them with a generation number, tracks their acks, restarts crashed
 * workers, recycles them one at a time and drains them on shutdown.
 *
 * Listening model: SCHED_NONE (shared socket). The primary opens the listening socket once and
 * every worker accepts on the same fd. Measured with bench/listen-model.ts (2 workers, wrk,
 * `Connection: close` load, this 2-core machine shared with other jobs):
 *
 *   model      stall for a new client while the primary   failed requests while one worker
 *              blocks its event loop for 500 ms             closes and re-opens its listener 10×
 *   rr         510-521 ms (every accept goes via primary)   0
 *   none       90-115 ms (CPU contention only)              0
 *   reuseport  58-107 ms                                    114-119 (of ~4,500)
 *
 * Round robin passes each accepted connection through the primary, whose loop also runs
 * translate (a 10,000-Ingress table may hold it for hundreds of ms): every new client would wait
 * for it. SO_REUSEPORT gives each worker its own accept queue, and closing a worker's socket
 * resets the connections queued on it, which breaks zero-drop recycling. The shared socket has
 * neither problem: a draining worker closes only its copy of the fd and queued connections are
 * taken by the others. Its cost is a less even spread of new connections (63/137 to 137/63 of
 * 200 sequential connections, vs 100/100 for rr), acceptable for an ingress whose clients mostly
 * hold keepalive connections. New-connection throughput was within noise of the others.
 */
import cluster from 'node:cluster';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { SupervisorError } from '../errors.ts';
import { EMPTY_TABLE, type RouteTable } from '../routing/route-table.ts';
import { diffTables, worthSending, type TableDelta } from '../routing/table-delta.ts';
import { LimitBroker } from './limit-broker.ts';
import { MetricsFlush } from './metrics-flush.ts';
import { RestartBackoff } from './restart-backoff.ts';
import { deferred, sendToWorker as send, statsOf, type Member, type Slot, type WorkerStats } from './worker-member.ts';
import { isFromWorker, WORKER_SETTINGS_ENV, type FromWorker, type ToWorker, type WorkerSettings } from './worker-messages.ts';

export type { WorkerState, WorkerStats } from './worker-member.ts';

export interface SupervisorOptions {
  /** Number of worker processes (≥ 1). */
  readonly workers: number;
  readonly worker: WorkerSettings;
  /** Bound on a worker's drain (SIGTERM, recycle); it is killed a little after that. */
  readonly shutdownTimeoutMs: number;
  /** Idle client connections of a draining worker are closed after this long. Default 2 s. */
  readonly drainGraceMs?: number;
  /** How long start() and recycle() wait for a worker to listen. Default 15 s. */
  readonly startTimeoutMs?: number;
  readonly logger: Logger;
  /** Worker entry (tests may substitute one). Default: ./worker.ts. */
  readonly exec?: string;
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number; readonly stableMs?: number };
}

/** Extra time after shutdownTimeoutMs before a worker that did not exit is SIGKILLed. */
const KILL_MARGIN_MS = 2_000;
const DEFAULT_GRACE_MS = 2_000;
const DEFAULT_START_TIMEOUT_MS = 15_000;
/** Bound on a starting worker's first table swap (see #fork). */
const SWAP_BOUND_MS = 300_000;

/**
 * Runs the dataplane workers. Events: `ack` (WorkerStats, after each swap), `listening`
 * (WorkerStats), `exit` ({ pid, slot, code, signal, expected, generation }), `metrics` (the
 * MeterReport[] of one worker's report: metrics-report.ts).
 * Only one Supervisor per process: node:cluster is process-global.
 */
export class Supervisor extends EventEmitter {
  readonly #options: SupervisorOptions;
  readonly #logger: Logger;
  readonly #slots: Slot[] = [];
  readonly #members = new Set<Member>();
  #table: RouteTable = EMPTY_TABLE;
  #generation = 0;
  #stopping = false;
  #recycling: Promise<void> | undefined;
  #port: number | undefined;
  /** Pod-wide rate-limit state, leased to workers (limit-broker.ts). */
  readonly #limits: LimitBroker;
  readonly #byId = new Map<number, Member>();
  readonly #metrics = new MetricsFlush();

  constructor(options: SupervisorOptions) {
    super();
    if (!Number.isInteger(options.workers) || options.workers < 1) throw new SupervisorError('PIER_ERR_SUPERVISOR_OPTIONS', `workers must be a whole number ≥ 1 (got ${options.workers})`);
    this.#options = options;
    this.#logger = options.logger;
    this.#limits = new LimitBroker((id, msg) => {
      const member = this.#byId.get(id);
      if (member !== undefined) send(member.worker, msg);
    });
  }

  /** Forks every worker; resolves once all listen, rejects (after stopping them) if one cannot. */
  async start(): Promise<void> {
    if (this.#slots.length > 0) throw new SupervisorError('PIER_ERR_SUPERVISOR_STATE', 'start() called twice');
    // Must precede the first setupPrimary/fork: the policy is fixed from then on.
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    cluster.setupPrimary({
      exec: this.#options.exec ?? fileURLToPath(new URL('./worker.ts', import.meta.url)),
      serialization: 'advanced',
    });
    for (let index = 0; index < this.#options.workers; index++) {
      this.#slots.push({ index, member: undefined, restarts: 0, backoff: new RestartBackoff(this.#options.backoff), restartTimer: undefined });
    }
    const members = this.#slots.map((slot) => (slot.member = this.#fork(slot)));
    try {
      await Promise.all(members.map((m) => m.listening.promise));
    } catch (err) {
      await this.#stopAll(0);
      throw err;
    }
    this.#logger.info({ workers: members.length, workerPids: members.map((m) => m.worker.process.pid) }, 'workers listening');
  }

  /**
   * Sends `table` to every worker as the next generation; returns that generation. May be called
   * before start(): the workers then listen with that table from the first connection.
   *
   * A worker that was sent the previous generation gets only what changed (a delta, see
   * routing/table-delta.ts: the controller keeps the objects of what an edit did not touch, so
   * an edit is one host, an endpoint change one backend); one that was not gets the table.
   * A delta carrying most of a large table is not worth it: then the table is sent.
   */
  publish(table: RouteTable): number {
    const previous = this.#table;
    const base = this.#generation;
    this.#generation++;
    this.#table = table;
    this.#limits.update(table);
    let delta: TableDelta | undefined;
    let full: ToWorker | undefined;
    for (const m of this.#members) {
      if (!m.hello || m.state === 'draining') continue;
      if (m.sent === base) delta ??= diffTables(previous, table);
      if (m.sent === base && worthSending(delta!, table)) {
        send(m.worker, { type: 'delta', generation: this.#generation, base, delta: delta! });
      } else {
        send(m.worker, (full ??= this.#tableMessage()));
      }
      m.sent = this.#generation;
    }
    return this.#generation;
  }

  /** The port workers accept on, once one listens (tells the actual port when httpPort is 0). */
  get port(): number | undefined {
    return this.#port;
  }

  /** The generation of the last publish (0 before any). */
  get generation(): number {
    return this.#generation;
  }

  /**
   * True when at least one worker serves and every serving worker acked `generation` or later.
   * Workers still starting (a crash replacement) do not count: they get the current table before
   * they accept anything, and a crash-looping slot must not take a serving pod out of endpoints.
   */
  readyGeneration(generation: number): boolean {
    let serving = 0;
    for (const m of this.#members) {
      if (m.state !== 'serving') continue;
      if (m.generation < generation) return false;
      serving++;
    }
    return serving > 0;
  }

  /**
   * Asks every worker for the request counts it has not reported yet; resolves once all
   * answered (each report is emitted as `metrics`), or after `timeoutMs`.
   */
  flushMetrics(timeoutMs: number): Promise<void> {
    const ids = [...this.#members].filter((m) => m.hello).map((m) => m.worker.id);
    return this.#metrics.request(ids, (id, msg) => {
      const member = this.#byId.get(id);
      if (member !== undefined) send(member.worker, msg);
    }, timeoutMs);
  }

  /** Per-worker state for metrics, draining workers included. */
  stats(): WorkerStats[] {
    return [...this.#members].map(statsOf).sort((a, b) => a.slot - b.slot || a.pid - b.pid);
  }

  /**
   * Replaces every worker, one at a time: the replacement gets the current table and listens
   * on the shared socket before its predecessor drains, so the port never stops accepting and
   * keepalive clients only see `Connection: close` on a response. Concurrent calls share one run.
   */
  recycle(): Promise<void> {
    this.#recycling ??= this.#recycleAll().finally(() => (this.#recycling = undefined));
    return this.#recycling;
  }

  /** Drains every worker (bounded by shutdownTimeoutMs) and resolves when all have exited. */
  async shutdown(): Promise<void> {
    this.#stopping = true;
    for (const slot of this.#slots) clearTimeout(slot.restartTimer);
    await this.#stopAll(this.#graceMs());
    this.#limits.close();
    this.#logger.info('all workers stopped');
  }

  async #recycleAll(): Promise<void> {
    for (const slot of this.#slots) {
      const old = slot.member;
      if (this.#stopping) return;
      if (old === undefined || old.state !== 'serving') continue;
      const next = this.#fork(slot);
      try {
        await next.listening.promise;
      } catch (err) {
        if (this.#stopping) return; // shutdown drained the replacement: nothing failed
        this.#logger.error({ err, slot: slot.index }, 'recycle stopped: replacement did not start');
        throw err;
      }
      slot.member = next;
      await this.#drain(old, this.#graceMs());
    }
    this.#logger.info('workers recycled');
  }

  #fork(slot: Slot): Member {
    const worker = cluster.fork({ [WORKER_SETTINGS_ENV]: JSON.stringify(this.#options.worker) });
    const listening = deferred();
    const member: Member = {
      worker,
      slot,
      startedAt: Date.now(),
      state: 'starting',
      hello: false,
      sent: -1,
      generation: 0,
      lastSwapMs: 0,
      deltaSwaps: 0,
      listening,
      exited: new Promise((resolve) => worker.once('exit', () => resolve())),
    };
    this.#members.add(member);
    this.#byId.set(worker.id, member);
    // The start bound covers booting (fork → hello) and listening (first ack → listening), not
    // compiling the first table in between: that grows with the table (seconds for 10,000
    // Ingresses on a busy machine) and a worker busy compiling is making progress. A compile
    // that never ends is still bounded, by SWAP_BOUND_MS.
    let timer: NodeJS.Timeout | undefined;
    const arm = (ms: number, phase: string) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        listening.reject(new SupervisorError('PIER_ERR_WORKER_START', `worker ${worker.process.pid} did not ${phase} within ${ms} ms`));
        worker.process.kill('SIGKILL');
      }, ms);
    };
    arm(this.#startTimeoutMs(), 'start');
    void listening.promise.then(() => clearTimeout(timer), () => clearTimeout(timer));
    worker.on('message', (msg: unknown) => {
      if (isFromWorker(msg)) {
        if (member.state === 'starting' && msg.type === 'hello') arm(Math.max(SWAP_BOUND_MS, this.#startTimeoutMs()), 'apply its first routing table');
        else if (member.state === 'starting' && msg.type === 'ack' && member.generation === 0) arm(this.#startTimeoutMs(), 'listen');
        this.#onMessage(member, msg);
      }
    });
    worker.once('exit', (code, signal) => this.#onExit(member, code, signal));
    // IPC errors (a write racing the worker's death) end in 'exit' anyway; unhandled they would
    // crash the primary.
    worker.on('error', (err) => this.#logger.warn({ err, workerPid: worker.process.pid }, 'worker IPC error'));
    return member;
  }

  #onMessage(member: Member, msg: FromWorker): void {
    switch (msg.type) {
      case 'hello':
        member.hello = true;
        this.#limits.join(member.worker.id); // told other workers' connection counts from now on
        // Told to drain before it was up: no table (it would listen), the drain instead.
        if (member.state === 'draining') send(member.worker, this.#drainMessage(this.#graceMs()));
        else this.#sendTable(member);
        break;
      case 'resync':
        // It missed a generation (or could not apply a delta): the whole table, then deltas again.
        this.#logger.warn({ workerPid: member.worker.process.pid, serving: msg.generation, current: this.#generation }, 'worker asked for the whole table');
        if (member.state !== 'draining') this.#sendTable(member);
        break;
      case 'ack':
        member.generation = Math.max(member.generation, msg.generation);
        member.lastSwapMs = msg.swapMs;
        if (msg.mode === 'delta') member.deltaSwaps++;
        this.emit('ack', statsOf(member));
        break;
      case 'listening':
        if (member.state === 'starting') member.state = 'serving';
        this.#port ??= msg.port;
        member.listening.resolve();
        this.emit('listening', statsOf(member));
        break;
      case 'listen-error':
        member.listening.reject(new SupervisorError('PIER_ERR_WORKER_LISTEN', `worker cannot listen: ${msg.code} ${msg.message}`, { listenCode: msg.code, port: msg.port }));
        break;
      case 'limits':
        this.#limits.receive(member.worker.id, msg);
        break;
      case 'metrics':
        this.emit('metrics', msg.meters, { pid: member.worker.process.pid, down: msg.down });
        this.#metrics.answered(member.worker.id, msg.id);
        break;
    }
  }

  #onExit(member: Member, code: number | null, signal: string | null): void {
    this.#members.delete(member);
    this.#byId.delete(member.worker.id);
    this.#limits.leave(member.worker.id);
    this.#metrics.left(member.worker.id);
    const expected = member.state === 'draining' || this.#stopping;
    const pid = member.worker.process.pid;
    member.listening.reject(new SupervisorError('PIER_ERR_WORKER_START', `worker ${pid} exited before listening (code ${code}, signal ${signal})`));
    this.emit('exit', { pid, slot: member.slot.index, code, signal, expected, generation: member.generation });
    if (expected) return;
    const slot = member.slot;
    if (slot.member !== member) return;
    slot.member = undefined;
    const delay = slot.backoff.next(Date.now() - member.startedAt);
    this.#logger.error({ workerPid: pid, code, signal, slot: slot.index, restartInMs: delay }, 'worker exited unexpectedly; restarting');
    slot.restartTimer = setTimeout(() => this.#restart(slot), delay);
  }

  #restart(slot: Slot): void {
    slot.restartTimer = undefined;
    if (this.#stopping || slot.member !== undefined) return;
    slot.restarts++;
    const member = (slot.member = this.#fork(slot));
    member.listening.promise.catch(() => {}); // a failure shows as another exit → backoff
  }

  #drain(member: Member, graceMs: number): Promise<void> {
    if (member.state !== 'draining') {
      member.state = 'draining';
      const timeoutMs = this.#options.shutdownTimeoutMs;
      if (member.hello) send(member.worker, this.#drainMessage(graceMs));
      const kill = setTimeout(() => {
        this.#logger.warn({ workerPid: member.worker.process.pid }, 'worker did not exit after drain; killing it');
        member.worker.process.kill('SIGKILL');
      }, timeoutMs + KILL_MARGIN_MS);
      void member.exited.then(() => clearTimeout(kill));
    }
    return member.exited;
  }

  async #stopAll(graceMs: number): Promise<void> {
    this.#stopping = true;
    await Promise.all([...this.#members].map((m) => this.#drain(m, graceMs)));
  }

  #sendTable(member: Member): void {
    send(member.worker, this.#tableMessage());
    member.sent = this.#generation;
  }

  #tableMessage(): ToWorker {
    return { type: 'table', generation: this.#generation, table: this.#table };
  }

  #drainMessage(graceMs: number): ToWorker {
    return { type: 'drain', graceMs, timeoutMs: this.#options.shutdownTimeoutMs };
  }

  #graceMs(): number {
    return Math.min(this.#options.drainGraceMs ?? DEFAULT_GRACE_MS, this.#options.shutdownTimeoutMs);
  }

  #startTimeoutMs(): number {
    return this.#options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  }
}
