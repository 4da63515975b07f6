/**
 * Node's own HTTP/1.1 parser (the native llhttp binding node:http uses), typed in one place.
 * `_http_common` is internal-but-public (it has been exported since node 0.x and node:http
 * itself depends on it) and ships no type declarations, so this module is the only one that
 * reaches into it. Both lean paths use it: the upstream client (RESPONSE) and the server
 * (REQUEST).
 *
 * Callbacks are plain indexed fields on the parser (`parser[kOnBody] = fn`), called with the
 * parser as `this`; a parser may carry our own fields (node's own code hangs `socket` and
 * `incoming` on it), which is how a shared callback finds its connection without a closure.
 */
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

/** kOnHeadersComplete: flat `[name, value, ...]` latin1 strings, or undefined when the headers
 * were already flushed through kOnHeaders (more than 32 pairs, see node_http_parser.cc).
 * Return 0 to parse a body, 1 to skip it (HEAD, 1xx, 304), 2 to skip it and stop as an upgrade. */
export type OnHeadersComplete = (
  this: HttpParser, versionMajor: number, versionMinor: number, headers: string[] | undefined, method: number,
  url: string | undefined, statusCode: number, statusMessage: string | undefined, upgrade: boolean, shouldKeepAlive: boolean,
) => number | undefined;

/** One llhttp parser instance (one per connection). */
export interface HttpParser {
  /** `resource` is the async_hooks resource; maxHeaderSize 0 = node's default (16 KiB). */
  initialize(type: number, resource: object, maxHeaderSize: number, lenientFlags: number): void;
  /** Parses a chunk: bytes consumed (up to an upgrade), or an Error with `code` (HPE_*)
   * and `bytesParsed`. Callbacks run synchronously inside. */
  execute(chunk: Buffer): number | ParseError;
  /** End of input (the peer closed): completes a close-delimited body, or an Error. */
  finish(): number | ParseError | undefined;
  /** Releases the native parser now; the object must not be used afterwards. */
  close(): void;
  /** Ends the async resource (node calls it before reusing or closing a parser). */
  free(): void;
  pause(): void;
  resume(): void;
  /** Reads a StreamBase handle natively: each read is parsed in C++ and reported through
   * kOnExecute (see consume() below, which also marks the handle). */
  consume(handle: unknown): void;
  /** Gives the handle's reads back to its JS stream (a no-op when not consuming). */
  unconsume(): void;
  /** A copy of the chunk being parsed; valid only inside kOnExecute of a native read. */
  getCurrentBuffer(): Buffer;
  [callback: number]: unknown;
}

/** What execute()/finish() return on malformed input. */
export interface ParseError extends Error {
  code: string;
  bytesParsed: number;
}

interface HttpParserClass {
  new (): HttpParser;
  readonly REQUEST: number;
  readonly RESPONSE: number;
  readonly kOnMessageBegin: number;
  readonly kOnHeaders: number;
  readonly kOnHeadersComplete: number;
  readonly kOnBody: number;
  readonly kOnMessageComplete: number;
  readonly kOnExecute: number;
  readonly kOnTimeout: number;
  readonly kLenientNone: number;
}

/**
 * `_http_common`, or, on a Node that no longer has it, a stand-in whose parser cannot be
 * created: the modules of the lean layer still load (create-dataplane.ts imports them), and the
 * start-up check (node-internals.ts) has chosen the public-API layer, which never creates one.
 */
function loadCommon(): { HTTPParser: HttpParserClass; methods: string[] } {
  let reason: string;
  try {
    const loaded = createRequire(import.meta.url)('_http_common') as Partial<{ HTTPParser: HttpParserClass; methods: string[] }>;
    if (typeof loaded.HTTPParser === 'function' && Array.isArray(loaded.methods)) return loaded as { HTTPParser: HttpParserClass; methods: string[] };
    reason = 'it has no HTTPParser';
  } catch (err) {
    reason = (err as Error).message;
  }
  const Missing = class {
    constructor() {
      throw new Error(`the lean HTTP/1.1 layer cannot run on this Node: _http_common is unusable (${reason})`);
    }
  };
  const constants = { REQUEST: 1, RESPONSE: 2, kOnMessageBegin: 0, kOnHeaders: 1, kOnHeadersComplete: 2, kOnBody: 3, kOnMessageComplete: 4, kOnExecute: 5, kOnTimeout: 6, kLenientNone: 0 };
  return { HTTPParser: Object.assign(Missing, constants) as unknown as HttpParserClass, methods: [] };
}

const common = loadCommon();

/** The parser constructor (`new HTTPParser()`, then `initialize(REQUEST | RESPONSE, ...)`). */
export const HTTPParser: HttpParserClass = common.HTTPParser;

/** Parser types. */
export const REQUEST = HTTPParser.REQUEST;
export const RESPONSE = HTTPParser.RESPONSE;

/** Callback slots: `parser[kOnBody] = function (this: HttpParser, chunk: Buffer) {...}`. */
export const kOnMessageBegin = HTTPParser.kOnMessageBegin;
/** (headers: string[], url: string): a flush of more than 32 header pairs. */
export const kOnHeaders = HTTPParser.kOnHeaders;
/** See OnHeadersComplete. */
export const kOnHeadersComplete = HTTPParser.kOnHeadersComplete;
/** (chunk: Buffer): a copy of one piece of the (de-chunked) body. */
export const kOnBody = HTTPParser.kOnBody;
/** (): the message ended (trailers, if any, came through kOnHeaders). */
export const kOnMessageComplete = HTTPParser.kOnMessageComplete;
export const kOnExecute = HTTPParser.kOnExecute;
export const kOnTimeout = HTTPParser.kOnTimeout;
/** Strict parsing (no lenient flag). */
export const kLenientNone = HTTPParser.kLenientNone;

/** A parser callback: a shared module function, called with the parser as `this`. */
type ParserCallback = ((this: never, ...args: never[]) => unknown) | null;

/** The callbacks of one kind of parser, one per slot; null leaves a slot without one. */
export interface ParserCallbacks {
  readonly messageBegin: ParserCallback;
  readonly headers: ParserCallback;
  readonly headersComplete: ParserCallback;
  readonly body: ParserCallback;
  readonly messageComplete: ParserCallback;
  readonly execute: ParserCallback;
}

/** The async_hooks resource every parser reports (one object, not one per connection). */
export const PARSER_RESOURCE = {};

/**
 * A new parser with `callbacks` in its slots; initialize() it before each use (a parser can be
 * re-initialized for another connection). Every slot is filled, null included: node looks each
 * one up on every message, and a missing one walks the prototype chain.
 */
export function parserWith(callbacks: ParserCallbacks): HttpParser {
  const parser = new HTTPParser();
  parser[kOnMessageBegin] = callbacks.messageBegin;
  parser[kOnHeaders] = callbacks.headers;
  parser[kOnHeadersComplete] = callbacks.headersComplete;
  parser[kOnBody] = callbacks.body;
  parser[kOnMessageComplete] = callbacks.messageComplete;
  parser[kOnExecute] = callbacks.execute;
  return parser;
}

/** Method names indexed by the `method` number kOnHeadersComplete reports (REQUEST parsers). */
export const methods: readonly string[] = common.methods;

interface StreamHandle {
  isStreamBase?: boolean;
  _consumed?: boolean;
}

/**
 * Lets the native parser read `socket` itself, as node:http does: each read is parsed in C++
 * with no Buffer handed to JS and no 'data' event (kOnExecute reports each result, the 'end'
 * and 'error' events still fire). False when the socket's handle cannot be consumed (not a
 * StreamBase, already consumed, or bytes already buffered in the JS stream): then 'data' events
 * must feed the parser.
 */
export function consume(parser: HttpParser, socket: Socket): boolean {
  const handle = (socket as unknown as { _handle?: StreamHandle | null })._handle;
  if (handle?.isStreamBase !== true || handle._consumed === true || socket.readableLength !== 0) return false;
  handle._consumed = true;
  parser.consume(handle);
  return true;
}

/** Hands the socket's reads back to its JS stream (to pause it, or for an upgrade). */
export function unconsume(parser: HttpParser, socket: Socket): void {
  parser.unconsume();
  const handle = (socket as unknown as { _handle?: StreamHandle | null })._handle;
  if (handle) handle._consumed = false;
}

/** The chunk the consuming parser is executing (to find the bytes after an upgrade head). */
export function currentBuffer(parser: HttpParser): Buffer {
  return parser.getCurrentBuffer();
}
