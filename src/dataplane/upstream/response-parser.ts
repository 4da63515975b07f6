import {
  kLenientNone, PARSER_RESOURCE, parserWith, RESPONSE, type HttpParser, type ParserCallbacks, type ParseError,
} from '../http-parser.ts';

/** What a response parser reports to its connection (llhttp's callbacks, trimmed). */
export interface ResponseSink {
  messageBegin(): void;
  /** More than 32 header pairs: node flushes them early, kOnHeadersComplete then has none. */
  headersFlushed(headers: string[]): void;
  /** 0: parse a body; 1: none (HEAD, 1xx, 204, 304); 2: none, the rest is an upgrade. */
  headersComplete(headers: string[] | undefined, statusCode: number, statusText: string, keepAlive: boolean): number;
  body(chunk: Buffer): void;
  messageComplete(): void;
  /** A native read (the parser consumes the socket) was parsed: bytes parsed, or the error. */
  executed(ret: number | ParseError): void;
}

interface SinkParser extends HttpParser {
  sink: ResponseSink;
}

// Shared by every parser (`this` is the parser, which carries its sink): no closure per connection.
function onMessageBegin(this: SinkParser): void {
  this.sink.messageBegin();
}
function onHeaders(this: SinkParser, headers: string[]): void {
  this.sink.headersFlushed(headers);
}
function onHeadersComplete(
  this: SinkParser, _major: number, _minor: number, headers: string[] | undefined, _method: number, _url: unknown,
  statusCode: number, statusText: string | undefined, _upgrade: boolean, keepAlive: boolean,
): number {
  return this.sink.headersComplete(headers, statusCode, statusText ?? '', keepAlive);
}
function onBody(this: SinkParser, chunk: Buffer): void {
  this.sink.body(chunk);
}
function onMessageComplete(this: SinkParser): void {
  this.sink.messageComplete();
}
function onExecute(this: SinkParser, ret: number | ParseError): void {
  this.sink.executed(ret);
}

const CALLBACKS: ParserCallbacks = {
  messageBegin: onMessageBegin,
  headers: onHeaders,
  headersComplete: onHeadersComplete,
  body: onBody,
  messageComplete: onMessageComplete,
  execute: onExecute,
};

/** A strict llhttp RESPONSE parser reporting to `sink` (one per upstream connection; close()
 * it when the connection ends, on a later loop turn: never inside one of its own callbacks or
 * native reads). */
export function createResponseParser(sink: ResponseSink): HttpParser {
  const parser = parserWith(CALLBACKS) as SinkParser;
  parser.initialize(RESPONSE, PARSER_RESOURCE, 0, kLenientNone);
  parser.sink = sink;
  return parser;
}
