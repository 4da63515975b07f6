import type { Socket } from 'node:net';
import {
  kLenientNone, PARSER_RESOURCE, parserWith, REQUEST, type HttpParser, type ParserCallbacks, type ParseError,
} from '../../http-parser.ts';
import type { ClientConnection } from './client-connection.ts';
import type { ProxyRequest } from './proxy-request.ts';

/*
 * The parser and socket callbacks of every client connection: shared module functions (no
 * closure per connection or request) that find their connection through a field on the parser
 * or the socket, and call it directly.
 */

const kConn = Symbol('pier.conn');
type TaggedSocket = Socket & { [kConn]: ClientConnection };
type TaggedParser = HttpParser & { conn: ClientConnection };

/**
 * Parsers of closed connections, kept for the next ones (as node:http's FreeList): creating and
 * deleting a native parser is a per-connection cost, initialize() resets one completely.
 * Measured (bench/results/connect-burst.md): `new HTTPParser()` costs 20-70 µs and about 6 KiB,
 * re-initializing one 0.4 µs; in a burst of 2,000 connections parser creation was Pier's largest
 * own cost. So up to the default listen backlog's worth is kept (a burst's parsers serve the
 * next burst), and the surplus above node:http's 1000 is halved each minute (trimSpareParsers).
 */
const spareParsers: TaggedParser[] = [];
const MAX_SPARE_PARSERS = 4096;
const KEPT_SPARE_PARSERS = 1000;

/** No message-begin callback: ClientConnection#headStarted infers it after each read. */
const CALLBACKS: ParserCallbacks = {
  messageBegin: null,
  headers: onHeaders,
  headersComplete: onHeadersComplete,
  body: onBody,
  messageComplete: onMessageComplete,
  execute: onExecute,
};

/** A strict (no lenient flag) REQUEST parser with a `maxHeaderSize`-byte head limit, feeding `conn`. */
export function requestParser(conn: ClientConnection, maxHeaderSize: number): HttpParser {
  const parser = spareParsers.pop() ?? (parserWith(CALLBACKS) as TaggedParser);
  parser.initialize(REQUEST, PARSER_RESOURCE, maxHeaderSize, kLenientNone);
  parser.conn = conn;
  return parser;
}

/**
 * A closed connection's parser (already unconsumed and freed), outside any of its own native
 * reads (closing or re-initializing it inside one would pull the native parser from under it):
 * kept for the next connection, or closed when enough are kept.
 */
export function retireParser(parser: HttpParser): void {
  const p = parser as TaggedParser;
  (p as { conn: ClientConnection | null }).conn = null;
  if (spareParsers.length < MAX_SPARE_PARSERS) spareParsers.push(p);
  else p.close();
}

/** Closes half the spare parsers above KEPT_SPARE_PARSERS (the server's sweep, once a minute):
 * the memory a burst left behind is given back, gradually. Not from inside a parser's read. */
export function trimSpareParsers(): void {
  const keep = Math.max(KEPT_SPARE_PARSERS, Math.ceil(spareParsers.length / 2));
  while (spareParsers.length > keep) spareParsers.pop()!.close();
}

/** Routes `socket`'s events to `conn` ('data' only when the parser does not consume it). */
export function listen(socket: Socket, conn: ClientConnection, data: boolean): void {
  (socket as TaggedSocket)[kConn] = conn;
  if (data) socket.on('data', onSocketData);
  socket.on('end', onSocketEnd);
  socket.on('drain', onSocketDrain);
  socket.on('close', onSocketClose);
  socket.on('error', ignore);
}

/** Feeds the parser from 'data' events from now on (it stopped consuming the socket). */
export function listenData(socket: Socket): void {
  socket.on('data', onSocketData);
}

/** Takes the connection's listeners off `socket` (upgrade hand-off). */
export function unlisten(socket: Socket): void {
  socket.removeListener('data', onSocketData);
  socket.removeListener('end', onSocketEnd);
  socket.removeListener('drain', onSocketDrain);
  socket.removeListener('close', onSocketClose);
  socket.removeListener('error', ignore);
}

/** process.nextTick target: starts a pipelined request once the one before it is answered. */
export function startQueued(conn: ClientConnection, req: ProxyRequest): void {
  conn.startQueued(req);
}

function onExecute(this: TaggedParser, ret: unknown): void {
  this.conn.executed(ret as number | ParseError, null);
}
function onHeaders(this: TaggedParser, headers: string[], url: string): void {
  this.conn.headers(headers, url);
}
function onHeadersComplete(
  this: TaggedParser, major: number, minor: number, raw: string[] | undefined, method: number, url: string | undefined,
  _status: unknown, _text: unknown, upgrade: boolean, keepAlive: boolean,
): number {
  return this.conn.headersComplete(major, minor, raw, method, url, upgrade, keepAlive);
}
function onBody(this: TaggedParser, chunk: Buffer): void {
  this.conn.body(chunk);
}
function onMessageComplete(this: TaggedParser): void {
  this.conn.messageComplete();
}
function onSocketData(this: TaggedSocket, chunk: Buffer): void {
  this[kConn].data(chunk);
}
function onSocketEnd(this: TaggedSocket): void {
  this[kConn].ended();
}
function onSocketDrain(this: TaggedSocket): void {
  this[kConn].drained();
}
function onSocketClose(this: TaggedSocket): void {
  this[kConn].closed();
}
function ignore(): void {}
