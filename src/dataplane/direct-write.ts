/**
 * One latin1 string written straight to a plain TCP socket's native handle, skipping the
 * Writable stream when it has nothing queued. Every response and every upstream request head
 * is one such write; through `socket.write` each costs the stream's bookkeeping plus a
 * `process.nextTick` (its after-write callback), which makes node run its tick queue after
 * every read callback. Measured here: about 1 µs of JavaScript per write saved, of the
 * 1.2-2.2 µs the stream layer costs (bench/results/optimizations.md §7).
 *
 * Ordering is kept by libuv: a handle's writes leave in the order they were issued, whether
 * they went out at once (uv_try_write) or were queued, and `end()`'s shutdown waits for the
 * queued ones. So a direct write is safe exactly when the stream holds no bytes of its own
 * (writableLength 0: nothing buffered or corked, nothing in flight). TLS sockets always
 * take the stream path (their handle encrypts; not worth the risk), as does anything unusual.
 *
 * The handle API (`writeLatin1String` with a `WriteWrap` request from the `stream_wrap`
 * binding, and `streamBaseState`) is what node:net itself calls; it is internal, so it lives
 * in this one file, and the stream path is the fallback whenever it is missing.
 */
import type { Socket } from 'node:net';
import { getSystemErrorName } from 'node:util';

interface WriteRequest {
  handle: NativeStream;
  oncomplete: (this: WriteRequest, status: number) => void;
  async: boolean;
  socket: DirectSocket | null;
}
interface NativeStream {
  writeLatin1String(req: WriteRequest, text: string): number;
}
interface StreamWrap {
  WriteWrap: new () => WriteRequest;
  streamBaseState: Int32Array;
  kLastWriteWasAsync: number;
}
type DirectSocket = Socket & {
  _handle: NativeStream | null;
  encrypted?: boolean;
  /** Direct writes libuv still holds (went out partly): 'drain' is emitted when they finish. */
  [kQueued]?: number;
};

const kQueued = Symbol('pier.directWrites');

function loadBinding(): StreamWrap | null {
  try {
    const b = (process as unknown as { binding(name: string): Partial<StreamWrap> }).binding('stream_wrap');
    const ok = typeof b.WriteWrap === 'function' && b.streamBaseState instanceof Int32Array && typeof b.kLastWriteWasAsync === 'number';
    return ok ? (b as StreamWrap) : null;
  } catch {
    return null;
  }
}

const binding = loadBinding();

/**
 * The request object for the next write. A write that goes out at once never binds one (node
 * only creates its native write request when it must queue), so one object serves every such
 * write instead of one per write; a queued write keeps its own.
 */
let spare: WriteRequest | null = null;

/**
 * Writes `text` (latin1) to `socket` as `socket.write(text, 'latin1')` would, and returns the
 * same verdict: false when the kernel did not take it all (the caller waits for 'drain', which
 * is emitted here for direct writes).
 */
export function writeLatin1(socket: Socket, text: string): boolean {
  const s = socket as DirectSocket;
  const handle = s._handle;
  if (binding === null || handle == null || s.writableLength !== 0 || s.encrypted === true || s.connecting || !s.writable) {
    return socket.write(text, 'latin1');
  }
  const req = (spare ??= newRequest(binding));
  req.handle = handle;
  req.socket = s;
  const err = handle.writeLatin1String(req, text);
  if (err !== 0) {
    spare = null; // not worth knowing whether node bound it before failing
    socket.destroy(writeError(err));
    return false;
  }
  if (binding.streamBaseState[binding.kLastWriteWasAsync] === 0) {
    req.socket = null;
    return true;
  }
  // Queued: node bound a native write request to `req` until it completes; it is not reused.
  spare = null;
  req.async = true;
  s[kQueued] = (s[kQueued] ?? 0) + 1;
  return false;
}

/**
 * Every byte written to plain TCP `socket` is the kernel's (nothing buffered in the stream,
 * nothing queued in libuv): closing the handle now loses none of it — the kernel sends what it
 * holds, then FIN — and skips the shutdown request and its 'finish' round that end() costs.
 */
export function allWritten(socket: Socket): boolean {
  const s = socket as DirectSocket;
  return s.writableLength === 0 && (s[kQueued] ?? 0) === 0 && s.encrypted !== true && s._handle != null;
}

function newRequest(b: StreamWrap): WriteRequest {
  const req = new b.WriteWrap();
  req.oncomplete = onWritten;
  req.async = false;
  return req;
}

/** libuv finished a queued direct write (only called for writes that did not go out at once). */
function onWritten(this: WriteRequest, status: number): void {
  const socket = this.socket!;
  socket[kQueued]! -= 1;
  if (status < 0) socket.destroy(writeError(status));
  else if (socket[kQueued] === 0 && !socket.destroyed) socket.emit('drain');
}

function writeError(status: number): NodeJS.ErrnoException {
  const code = getSystemErrorName(status);
  const err: NodeJS.ErrnoException = new Error(`write ${code}`);
  err.code = code;
  err.errno = status;
  err.syscall = 'write';
  return err;
}
