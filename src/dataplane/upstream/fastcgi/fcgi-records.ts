/**
 * FastCGI 1.0 records (the FastCGI Specification, Open Market 1996, §3 and §8): an 8-byte header
 * (version, type, requestId, contentLength, paddingLength, reserved) then content and padding.
 * Pier is a Responder's client with one request per connection at a time (php-fpm does not
 * multiplex, FCGI_MPXS_CONNS = 0), so every request uses id 1.
 */

export const FCGI_VERSION_1 = 1;
export const FCGI_BEGIN_REQUEST = 1;
export const FCGI_ABORT_REQUEST = 2;
export const FCGI_END_REQUEST = 3;
export const FCGI_PARAMS = 4;
export const FCGI_STDIN = 5;
export const FCGI_STDOUT = 6;
export const FCGI_STDERR = 7;
export const FCGI_UNKNOWN_TYPE = 11;

/** END_REQUEST protocolStatus values. */
export const FCGI_REQUEST_COMPLETE = 0;
export const FCGI_CANT_MPX_CONN = 1;
export const FCGI_OVERLOADED = 2;
export const FCGI_UNKNOWN_ROLE = 3;

export const REQUEST_ID = 1;
const HEADER_LEN = 8;
/** Largest content one record carries (contentLength is 16 bits). */
export const MAX_CONTENT = 0xffff;

/** An 8-byte record header for `length` content bytes, padded to a multiple of 8. */
export function recordHeader(type: number, length: number): Buffer {
  const header = Buffer.allocUnsafe(HEADER_LEN);
  header[0] = FCGI_VERSION_1;
  header[1] = type;
  header.writeUInt16BE(REQUEST_ID, 2);
  header.writeUInt16BE(length, 4);
  header[6] = padding(length);
  header[7] = 0;
  return header;
}

function padding(length: number): number {
  return (8 - (length & 7)) & 7;
}

const ZEROS = Buffer.alloc(8);

/** FCGI_BEGIN_REQUEST, role Responder, with FCGI_KEEP_CONN when the connection is to be kept:
 * without it the application closes the connection after the request (§5.1). */
export function beginRequest(keepConn: boolean): Buffer {
  const record = Buffer.alloc(16);
  record[0] = FCGI_VERSION_1;
  record[1] = FCGI_BEGIN_REQUEST;
  record.writeUInt16BE(REQUEST_ID, 2);
  record.writeUInt16BE(8, 4);
  record.writeUInt16BE(1, 8); // FCGI_RESPONDER
  record[10] = keepConn ? 1 : 0;
  return record;
}

/** FCGI_ABORT_REQUEST (§5.4): the application ends the request with END_REQUEST. */
export function abortRequest(): Buffer {
  return recordHeader(FCGI_ABORT_REQUEST, 0);
}

/** The empty record of `type` that ends a stream (PARAMS, STDIN). */
export function endOfStream(type: number): Buffer {
  return recordHeader(type, 0);
}

/**
 * One stream's bytes as records, split at MAX_CONTENT, each with its padding: a list of buffers
 * for one writev (`data` itself is not copied).
 */
export function streamRecords(type: number, data: Buffer, out: Buffer[] = []): Buffer[] {
  for (let at = 0; at < data.length; at += MAX_CONTENT) {
    const part = data.subarray(at, Math.min(at + MAX_CONTENT, data.length));
    out.push(recordHeader(type, part.length), part);
    const pad = padding(part.length);
    if (pad > 0) out.push(ZEROS.subarray(0, pad));
  }
  return out;
}

/**
 * Name-value pairs (§3.4): each length in 1 byte below 128, else 4 bytes with the high bit set;
 * then the name and value bytes. Strings are latin1 (header values as the wire carried them),
 * so one string character is one byte.
 */
export function encodePairs(pairs: readonly string[]): Buffer {
  let size = 0;
  for (let i = 0; i < pairs.length; i++) {
    const n = pairs[i]!.length;
    size += (n < 128 ? 1 : 4) + n;
  }
  const buf = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i]!;
    const value = pairs[i + 1]!;
    at = writeLength(buf, at, name.length);
    at = writeLength(buf, at, value.length);
    at += buf.write(name, at, 'latin1');
    at += buf.write(value, at, 'latin1');
  }
  return buf;
}

function writeLength(buf: Buffer, at: number, n: number): number {
  if (n < 128) {
    buf[at] = n;
    return at + 1;
  }
  buf.writeUInt32BE((n | 0x80000000) >>> 0, at);
  return at + 4;
}

/**
 * The start of a request as ONE latin1 string (one direct write, no Buffer): BEGIN_REQUEST,
 * the PARAMS record with the encoded pairs, the empty PARAMS record, and the empty STDIN record
 * when there is no body (`endStdin`). Null when the pairs exceed one record (64 KiB: then the
 * Buffer path, encodePairs + streamRecords, splits them).
 */
export function requestPreamble(keepConn: boolean, pairs: readonly string[], endStdin: boolean): string | null {
  let body = '';
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i]!;
    const value = pairs[i + 1]!;
    body += lengthChars(name.length) + lengthChars(value.length) + name + value;
  }
  const n = body.length;
  if (n > MAX_CONTENT) return null;
  const pad = padding(n);
  return (keepConn ? BEGIN_KEEP_CONN : BEGIN_CLOSE) + String.fromCharCode(FCGI_VERSION_1, FCGI_PARAMS, 0, REQUEST_ID, n >>> 8, n & 0xff, pad, 0) +
    body + PAD_TEXT[pad]! + END_PARAMS_TEXT + (endStdin ? END_STDIN_TEXT : '');
}

function lengthChars(n: number): string {
  return n < 128 ? String.fromCharCode(n) : String.fromCharCode(((n >>> 24) & 0x7f) | 0x80, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

const BEGIN_KEEP_CONN = beginRequest(true).toString('latin1');
const BEGIN_CLOSE = beginRequest(false).toString('latin1');
const END_PARAMS_TEXT = endOfStream(FCGI_PARAMS).toString('latin1');
const END_STDIN_TEXT = endOfStream(FCGI_STDIN).toString('latin1');
const PAD_TEXT = ['', '\0', '\0\0', '\0\0\0', '\0\0\0\0', '\0\0\0\0\0', '\0\0\0\0\0\0', '\0\0\0\0\0\0\0'];

/** What a RecordReader hands over. */
export interface RecordSink {
  /** Content (or part of it: a record may span reads) of a record of `type` for `requestId`. */
  record(type: number, requestId: number, content: Buffer): void;
  /** A whole END_REQUEST arrived. */
  endRequest(requestId: number, appStatus: number, protocolStatus: number): void;
  /** Bytes that are not FastCGI 1.0. */
  malformed(reason: string): void;
}

// Reader states.
const S_HEADER = 0;
const S_CONTENT = 1;
const S_PADDING = 2;

/**
 * An incremental record reader: feed it reads as they come, it hands STDOUT/STDERR content on
 * as subarrays of the read (no copy, no wait for a whole record, so a 64 KiB record streams as
 * it arrives) and END_REQUEST once its 8 bytes are in. Only a header or an END_REQUEST body
 * split across reads is copied (into 8 bytes kept for that).
 */
export class RecordReader {
  readonly #sink: RecordSink;
  #state = S_HEADER;
  readonly #small = Buffer.alloc(8);
  #have = 0;
  #type = 0;
  #id = 0;
  #left = 0;
  #pad = 0;
  #failed = false;

  constructor(sink: RecordSink) {
    this.#sink = sink;
  }

  /** Back to a record boundary (a connection's next request). */
  reset(): void {
    this.#state = S_HEADER;
    this.#have = 0;
    this.#failed = false;
  }

  /** Whether the reader sits between two records. */
  get atBoundary(): boolean {
    return this.#state === S_HEADER && this.#have === 0;
  }

  feed(data: Buffer): void {
    let at = 0;
    const end = data.length;
    while (at < end && !this.#failed) {
      if (this.#state === S_HEADER) {
        const take = Math.min(HEADER_LEN - this.#have, end - at);
        data.copy(this.#small, this.#have, at, at + take);
        this.#have += take;
        at += take;
        if (this.#have < HEADER_LEN) return;
        this.#have = 0;
        this.#header();
      } else if (this.#state === S_CONTENT) {
        const take = Math.min(this.#left, end - at);
        this.#content(data, at, take);
        at += take;
      } else {
        const take = Math.min(this.#pad, end - at);
        this.#pad -= take;
        at += take;
        if (this.#pad === 0) this.#state = S_HEADER;
      }
    }
  }

  #header(): void {
    const h = this.#small;
    if (h[0] !== FCGI_VERSION_1) {
      this.#fail(`record version ${h[0]}`);
      return;
    }
    this.#type = h[1]!;
    this.#id = h.readUInt16BE(2);
    this.#left = h.readUInt16BE(4);
    this.#pad = h[6]!;
    if (this.#type === FCGI_END_REQUEST && this.#left !== 8) {
      this.#fail(`END_REQUEST of ${this.#left} bytes`);
      return;
    }
    if (this.#left > 0) {
      this.#state = S_CONTENT;
      return;
    }
    // An empty record: the end of a STDOUT or STDERR stream.
    this.#state = this.#pad > 0 ? S_PADDING : S_HEADER;
    this.#sink.record(this.#type, this.#id, EMPTY);
  }

  #content(data: Buffer, at: number, take: number): void {
    const before = this.#left;
    this.#left -= take;
    const done = this.#left === 0;
    if (done) this.#state = this.#pad > 0 ? S_PADDING : S_HEADER;
    if (this.#type === FCGI_END_REQUEST) {
      data.copy(this.#small, 8 - before, at, at + take);
      if (done) this.#sink.endRequest(this.#id, this.#small.readUInt32BE(0), this.#small[4]!);
      return;
    }
    this.#sink.record(this.#type, this.#id, data.subarray(at, at + take));
  }

  #fail(reason: string): void {
    this.#failed = true;
    this.#sink.malformed(reason);
  }
}

const EMPTY = Buffer.alloc(0);
