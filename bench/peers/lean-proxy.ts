/**
 * A layer experiment (issue 7, "question the layers"): the same minimal proxy as
 * undici-proxy.ts, with each of its two layers swappable for a lean HTTP/1.1 path on raw `net`
 * sockets driven by node's own native llhttp binding (`_http_common`'s HTTPParser, the parser
 * node:http itself uses), so the CPU per request of each layer can be measured on its own:
 *
 *   --server http|lean    node:http server, or raw net.Server + HTTPParser(REQUEST)
 *   --client undici|lean  undici Pool.dispatch, or a keepalive stack of raw sockets + HTTPParser(RESPONSE)
 *
 * Prototype only (bench/, never src/): GET/HEAD-style requests without a body, no pipelined
 * client requests, no timeouts, no 1xx, no upgrade; malformed input just closes the socket.
 * It answers "how much CPU would a lean layer save", not "is it a safe server".
 *
 * Run: `node bench/peers/lean-proxy.ts UPSTREAM_PORT [LISTEN_PORT] [--server lean] [--client lean]`;
 * prints `{"port":N}`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, createServer as createNetServer, type Socket } from 'node:net';
import { Pool } from 'undici';
// @ts-expect-error: node's internal-but-public module has no type declarations.
import { HTTPParser, methods } from '_http_common';

interface Parser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(chunk: Buffer): number | Error;
  [k: number]: unknown;
}
const P = HTTPParser as { new (): Parser; REQUEST: number; RESPONSE: number; kOnHeaders: number; kOnHeadersComplete: number; kOnBody: number; kOnMessageComplete: number; kOnExecute: number };
/** `--consume`: the native parser reads straight from the socket's handle (what node:http does),
 * so no chunk goes through the JS stream layer and its 'data' event. */
let CONSUME = false;
interface Consuming { consume(handle: unknown): void }
const METHODS = methods as string[];

const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/** What a client gets back from either upstream client. */
interface Sink {
  head(status: number, statusText: string, headers: readonly string[]): void;
  /** false: the client is full; the upstream side waits for resume(). */
  data(chunk: Buffer): boolean;
  end(): void;
  fail(): void;
  resume: (() => void) | null;
}

/** Upstream client: one request per idle raw socket, kept alive on a LIFO stack. */
class LeanUpstream {
  readonly #port: number;
  readonly #idle: UpstreamConn[] = [];
  constructor(port: number) {
    this.#port = port;
  }
  request(method: string, path: string, headers: readonly string[], sink: Sink): void {
    let head = `${method} ${path} HTTP/1.1\r\n`;
    for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
    const conn = this.#idle.pop() ?? new UpstreamConn(connect(this.#port, '127.0.0.1'), this.#idle);
    conn.sink = sink;
    conn.socket.write(`${head}\r\n`, 'latin1');
  }
}

class UpstreamConn {
  readonly socket: Socket;
  readonly parser = new P();
  sink: Sink | null = null;
  #keep = false;
  constructor(socket: Socket, idle: UpstreamConn[]) {
    this.socket = socket;
    socket.setNoDelay(true);
    const parser = this.parser;
    parser.initialize(P.RESPONSE, {}, 0, 0);
    parser[P.kOnHeadersComplete] = (_ma: number, _mi: number, raw: string[], _m: number, _u: string, status: number, text: string, _up: boolean, keep: boolean) => {
      this.#keep = keep;
      this.sink!.head(status, text, raw);
      return 0;
    };
    parser[P.kOnBody] = (b: Buffer) => {
      if (!this.sink!.data(b)) {
        socket.pause();
        this.sink!.resume = () => socket.resume();
      }
    };
    parser[P.kOnMessageComplete] = () => {
      const sink = this.sink!;
      this.sink = null;
      if (this.#keep) idle.push(this);
      else socket.destroy();
      sink.end();
    };
    if (CONSUME) {
      parser[P.kOnExecute] = (ret: unknown) => {
        if (ret instanceof Error) socket.destroy();
      };
      socket.once('connect', () => (parser as unknown as Consuming).consume((socket as unknown as { _handle: unknown })._handle));
    } else {
      socket.on('data', (chunk: Buffer) => {
        if (parser.execute(chunk) instanceof Error) socket.destroy();
      });
    }
    socket.on('close', () => {
      const i = idle.indexOf(this);
      if (i >= 0) idle.splice(i, 1);
      this.sink?.fail();
    });
    socket.on('error', () => {});
  }
}

type Upstream = (method: string, path: string, headers: readonly string[], sink: Sink) => void;

function undiciUpstream(port: number): Upstream {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: null, pipelining: 1 });
  return (method, path, headers, sink) => {
    pool.dispatch({ method, path, headers: headers as string[], body: null }, {
      onConnect() {},
      onHeaders(status: number, raw: Buffer[], resume: () => void, text: string) {
        const h: string[] = [];
        for (const b of raw) h.push(b.toString('latin1'));
        sink.resume = resume;
        sink.head(status, text, h);
        return true;
      },
      onData: (chunk: Buffer) => sink.data(chunk),
      onComplete: () => sink.end(),
      onError: () => sink.fail(),
    } as never);
  };
}

/** Request headers minus hop-by-hop ones (names compared lower-cased, as undici-proxy.ts does). */
function forwardable(raw: readonly string[], out: string[]): string[] {
  for (let i = 0; i < raw.length; i += 2) if (!HOP.has(raw[i]!.toLowerCase())) out.push(raw[i]!, raw[i + 1]!);
  return out;
}

function httpServer(upstream: Upstream) {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const sink: Sink = {
      resume: null,
      head(status, text, raw) {
        res.writeHead(status, text, forwardable(raw, []));
      },
      data(chunk) {
        if (res.write(chunk)) return true;
        res.once('drain', () => sink.resume?.());
        return false;
      },
      end: () => res.end(),
      fail: () => (res.headersSent ? res.destroy() : res.writeHead(502).end()),
    };
    upstream(req.method!, req.url!, forwardable(req.rawHeaders, []), sink);
  });
}

/** One client connection of the lean server; its sink is reused for every request on it. */
class ClientConn implements Sink {
  readonly socket: Socket;
  resume: (() => void) | null = null;
  #chunked = false;
  #keep = true;
  #corked = false;
  constructor(socket: Socket, upstream: Upstream) {
    this.socket = socket;
    socket.setNoDelay(true);
    const parser = new P();
    parser.initialize(P.REQUEST, {}, 0, 0);
    let pending: string[] = [];
    parser[P.kOnHeaders] = (raw: string[]) => {
      pending = pending.concat(raw);
    };
    parser[P.kOnHeadersComplete] = (_ma: number, _mi: number, raw: string[] | undefined, method: number, url: string, _s: number, _t: string, _up: boolean, keep: boolean) => {
      this.#keep = keep;
      const all = raw === undefined ? pending : pending.length > 0 ? pending.concat(raw) : raw;
      pending = [];
      upstream(METHODS[method]!, url, forwardable(all, []), this);
      return 0;
    };
    parser[P.kOnBody] = () => {};
    parser[P.kOnMessageComplete] = () => {};
    const onResult = (r: unknown) => {
      if (typeof r !== 'number') socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    };
    if (CONSUME) {
      parser[P.kOnExecute] = onResult;
      (parser as unknown as Consuming).consume((socket as unknown as { _handle: unknown })._handle);
    } else {
      socket.on('data', (chunk: Buffer) => onResult(parser.execute(chunk)));
    }
    socket.on('drain', () => this.resume?.());
    socket.on('error', () => {});
  }

  head(status: number, text: string, raw: readonly string[]): void {
    let head = `HTTP/1.1 ${status} ${text}\r\n`;
    let framed = false;
    this.#chunked = false;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      if (name === 'transfer-encoding') this.#chunked = true;
      if (name === 'content-length') framed = true;
      if (HOP.has(name)) continue;
      head += `${raw[i]}: ${raw[i + 1]}\r\n`;
    }
    if (this.#chunked || !framed) {
      this.#chunked = true;
      head += 'transfer-encoding: chunked\r\n';
    }
    if (!this.#keep) head += 'connection: close\r\n';
    // Head and first body chunk leave in one writev (uncorked on the first data or the end).
    this.socket.cork();
    this.#corked = true;
    this.socket.write(`${head}\r\n`, 'latin1');
  }

  data(chunk: Buffer): boolean {
    const s = this.socket;
    if (this.#chunked) s.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
    let ok = s.write(chunk);
    if (this.#chunked) ok = s.write('\r\n', 'latin1');
    this.#uncork();
    return ok;
  }

  end(): void {
    if (this.#chunked) this.socket.write('0\r\n\r\n', 'latin1');
    this.#uncork();
    if (!this.#keep) this.socket.end();
  }

  fail(): void {
    this.#uncork();
    this.socket.destroy();
  }

  #uncork(): void {
    if (!this.#corked) return;
    this.#corked = false;
    this.socket.uncork();
  }
}

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args.splice(i, 2)[1]! : fallback;
};
const serverKind = flag('server', 'lean');
const clientKind = flag('client', 'lean');
CONSUME = flag('consume', 'no') === 'yes';
const upstreamPort = Number(args[0]);
const upstream: Upstream = clientKind === 'lean'
  ? ((lean) => (m: string, p: string, h: readonly string[], s: Sink) => lean.request(m, p, h, s))(new LeanUpstream(upstreamPort))
  : undiciUpstream(upstreamPort);
const server = serverKind === 'lean' ? createNetServer((socket) => void new ClientConn(socket, upstream)) : httpServer(upstream);
if (serverKind !== 'lean') (server as ReturnType<typeof createServer>).keepAliveTimeout = 75_000;
server.listen(Number(args[1] ?? 0), '127.0.0.1', () => {
  console.log(JSON.stringify({ port: (server.address() as { port: number }).port }));
});
process.once('SIGTERM', () => process.exit(0));
