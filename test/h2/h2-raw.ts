import { connect, type Socket } from 'node:net';
import { onCleanup } from '../dataplane/helpers.ts';

/** Raw HTTP/2 frames (RFC 9113 §4, §6) for tests that must send what no well-behaved client does. */

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
export const DATA = 0;
export const HEADERS = 1;
export const RST_STREAM = 3;
export const SETTINGS = 4;
export const GOAWAY = 7;
export const CONTINUATION = 9;
export const END_STREAM = 0x1;
export const END_HEADERS = 0x4;

export function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** HPACK string literal, no Huffman (lengths below 127 only, or the 7-bit prefix integer). */
function str(s: string): Buffer {
  const b = Buffer.from(s, 'latin1');
  return Buffer.concat([int(b.length, 7, 0), b]);
}
function int(n: number, bits: number, prefix: number): Buffer {
  const max = (1 << bits) - 1;
  if (n < max) return Buffer.from([prefix | n]);
  const out = [prefix | max];
  n -= max;
  while (n >= 128) {
    out.push((n % 128) + 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

/** A header block: `GET /` over http for `authority`, plus literal fields (never indexed). */
export function requestBlock(authority: string, fields: [string, string][] = [], pseudo = true): Buffer {
  const parts: Buffer[] = pseudo ? [Buffer.from([0x82, 0x86, 0x84]), Buffer.from([0x01]), str(authority)] : [];
  for (const [name, value] of fields) parts.push(Buffer.from([0x00]), str(name), str(value));
  return Buffer.concat(parts);
}

export interface Frame {
  type: number;
  flags: number;
  stream: number;
  payload: Buffer;
}

/** A raw HTTP/2 client connection: write frames, read the server's frames as they come. */
export class RawH2 {
  readonly socket: Socket;
  readonly frames: Frame[] = [];
  closed = false;
  #buf = Buffer.alloc(0);
  #waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, d]);
      while (this.#buf.length >= 9) {
        const len = this.#buf.readUIntBE(0, 3);
        if (this.#buf.length < 9 + len) break;
        this.frames.push({ type: this.#buf[3]!, flags: this.#buf[4]!, stream: this.#buf.readUInt32BE(5) & 0x7fffffff, payload: this.#buf.subarray(9, 9 + len) });
        this.#buf = this.#buf.subarray(9 + len);
      }
      this.#wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.#wake();
    });
    socket.on('error', () => {});
  }

  static async open(port: number): Promise<RawH2> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    onCleanup(() => void socket.destroy());
    const raw = new RawH2(socket);
    socket.write(Buffer.concat([PREFACE, frame(SETTINGS, 0, 0)]));
    return raw;
  }

  write(...frames: Buffer[]): boolean {
    return this.socket.write(Buffer.concat(frames));
  }

  /** Resolves once `check()` holds or the connection closed (woken by each frame and the
   * close); rejects after `ms`. */
  async until(check: () => boolean, ms = 5_000): Promise<void> {
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      this.#wake();
    }, ms);
    try {
      while (!check() && !this.closed) {
        if (expired) throw new Error(`raw HTTP/2 client: condition not met within ${ms} ms`);
        await new Promise<void>((resolve) => this.#waiters.push(resolve));
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** The GOAWAY the server sent (error code), or undefined. */
  goaway(): number | undefined {
    const g = this.frames.find((f) => f.type === GOAWAY);
    return g === undefined ? undefined : g.payload.readUInt32BE(4);
  }

  /** The RST_STREAM error code the server sent for `stream`, or undefined. */
  reset(stream: number): number | undefined {
    const r = this.frames.find((f) => f.type === RST_STREAM && f.stream === stream);
    return r === undefined ? undefined : r.payload.readUInt32BE(0);
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
