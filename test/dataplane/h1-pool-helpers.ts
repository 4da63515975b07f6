import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import { H1Pool, type H1PoolOptions } from '../../src/dataplane/upstream/h1-pool.ts';
import { closeNet, onCleanup } from './helpers.ts';

/** Everything one dispatch reported, in the handler contract's terms. */
export interface Outcome {
  status: number;
  statusText: string;
  headers: string[];
  /** 1xx statuses delivered before the final response. */
  interim: number[];
  body: Buffer;
  completed: boolean;
  error: (Error & { code?: string }) | null;
  /** onUpgrade's socket and headers, for 101. */
  upgraded: Duplex | null;
  /** Handler calls in order (onConnect, onHeaders:200, onData, onComplete, ...). */
  calls: string[];
}

/** A recording dispatch handler; `onData` may hold the body back (returns false) via `hold`. */
export class Recorder implements Dispatcher.DispatchHandler {
  readonly out: Outcome = { status: 0, statusText: '', headers: [], interim: [], body: Buffer.alloc(0), completed: false, error: null, upgraded: null, calls: [] };
  readonly done: Promise<Outcome>;
  abort: ((err?: Error) => void) | null = null;
  resume: (() => void) | null = null;
  /** Called on each chunk; returning false pauses the upstream until resume(). */
  hold: ((chunk: Buffer) => boolean) | null = null;
  readonly #chunks: Buffer[] = [];
  #settle!: (o: Outcome) => void;

  constructor() {
    this.done = new Promise((resolve) => (this.#settle = resolve));
  }

  onConnect(abort: (err?: Error) => void): void {
    this.out.calls.push('onConnect');
    this.abort = abort;
  }

  onHeaders(statusCode: number, headers: Buffer[], resume: () => void, statusText: string): boolean {
    this.out.calls.push(`onHeaders:${statusCode}`);
    if (statusCode < 200) {
      this.out.interim.push(statusCode);
      return true;
    }
    this.out.status = statusCode;
    this.out.statusText = statusText;
    this.out.headers = headers.map((h) => h.toString('latin1'));
    this.resume = resume;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.out.calls.at(-1) !== 'onData') this.out.calls.push('onData');
    this.#chunks.push(chunk);
    return this.hold === null ? true : this.hold(chunk);
  }

  onComplete(): void {
    this.out.calls.push('onComplete');
    this.out.completed = true;
    this.#finish();
  }

  onError(err: Error): void {
    this.out.calls.push('onError');
    this.out.error = err;
    this.#finish();
  }

  onUpgrade(statusCode: number, headers: Buffer[] | string[] | null, socket: Duplex): void {
    this.out.calls.push(`onUpgrade:${statusCode}`);
    this.out.status = statusCode;
    this.out.headers = (headers ?? []).map((h) => h.toString('latin1'));
    this.out.upgraded = socket;
    onCleanup(() => void socket.destroy());
    this.#finish();
  }

  #finish(): void {
    this.out.body = Buffer.concat(this.#chunks);
    this.#settle(this.out);
  }
}

/** Dispatches one request and waits for its outcome. */
export function send(pool: Dispatcher, options: Partial<Dispatcher.DispatchOptions> = {}, recorder = new Recorder()): Promise<Outcome> {
  pool.dispatch({ method: 'GET', path: '/', headers: [], body: null, ...options } as Dispatcher.DispatchOptions, recorder);
  return recorder.done;
}

/** An H1Pool to 127.0.0.1:port, destroyed after the test. */
export function h1Pool(port: number, options: H1PoolOptions = {}, host = '127.0.0.1'): H1Pool {
  const p = new H1Pool(`http://${host}:${port}`, { connections: null, pipelining: 1, ...options });
  onCleanup(() => p.destroy());
  return p;
}

/** A raw TCP peer: `onRequest` gets each connection's socket and everything read so far
 * whenever more arrives (the test writes whatever bytes it wants back). */
export async function rawPeer(onData: (socket: Socket, received: string) => void): Promise<{ port: number; sockets: Set<Socket>; accepted: () => number }> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createNetServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      onData(socket, received);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => closeNet(server, sockets));
  return { port: (server.address() as AddressInfo).port, sockets, accepted: () => accepted };
}

/** Whether a raw request (as read so far) has its complete head. */
export function headDone(received: string): boolean {
  return received.includes('\r\n\r\n');
}
