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

const common = createRequire(import.meta.url)('_http_common') as { HTTPParser: HttpParserClass; methods: string[] };

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

/** Method names indexed by the `method` number kOnHeadersComplete reports (REQUEST parsers). */
export const methods: readonly string[] = common.methods;
