import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { finishResponse, type DownstreamRequest, type DownstreamResponse, type FinishHook, type ResponseExchange } from '../downstream.ts';
import type { RouteMeter } from '../../metrics/route-meter.ts';

/**
 * The response a route filter writes for an Upgrade request it answers itself (a redirect, a
 * refusal): the socket is already out of the HTTP/1.1 connection's hands, so the answer is
 * written on it raw, with `Connection: close`, and the socket is closed after it (as for any
 * refused upgrade). Lets upgrades go through the same admit() as requests.
 */
export class SocketAnswer implements DownstreamResponse {
  readonly req: DownstreamRequest;
  exchange: ResponseExchange | null = null;
  onFinish: FinishHook | undefined = undefined;
  startedAt = 0;
  meter: RouteMeter | undefined = undefined;
  bytesSent = 0;
  statusCode = 0;
  headersSent = false;
  destroyed = false;
  finished = false;
  readonly #socket: Duplex;
  #head = '';

  constructor(socket: Duplex, req: DownstreamRequest) {
    this.#socket = socket;
    this.req = req;
  }

  writeHead(status: number, statusText: string | undefined, headers: readonly string[]): void {
    if (this.headersSent) return;
    this.statusCode = status;
    this.headersSent = true;
    let head = `HTTP/1.1 ${status} ${statusText ?? STATUS_CODES[status] ?? ''}\r\n`;
    let connection = false;
    for (let i = 0; i < headers.length; i += 2) {
      if (headers[i]!.toLowerCase() === 'connection') {
        connection = true;
        head += 'connection: close\r\n';
        continue;
      }
      head += `${headers[i]}: ${headers[i + 1]}\r\n`;
    }
    if (!connection) head += 'connection: close\r\n';
    this.#head = `${head}\r\n`;
    this.bytesSent = this.#head.length;
  }

  writeUpstreamHead(status: number, statusText: string | undefined, raw: readonly (string | Buffer)[]): void {
    const headers: string[] = [];
    for (const h of raw) headers.push(typeof h === 'string' ? h : h.toString('latin1'));
    this.writeHead(status, statusText, headers);
  }

  /** A filter's answer to an upgrade has no interim response to relay. */
  writeInterim(): void {}

  write(chunk: Buffer): boolean {
    if (this.destroyed || this.finished) return true;
    if (this.#head !== '') {
      this.#socket.write(this.#head, 'latin1');
      this.#head = '';
    }
    this.bytesSent += chunk.length;
    return this.#socket.write(chunk);
  }

  end(chunk?: Buffer): void {
    if (this.destroyed || this.finished) return;
    if (chunk !== undefined && this.req.method !== 'HEAD') this.write(chunk);
    else if (this.#head !== '') this.#socket.write(this.#head, 'latin1');
    this.#head = '';
    this.finished = true;
    this.#socket.end();
    this.#socket.resume(); // read to the client's FIN, as a refused upgrade does
    finishResponse(this);
  }

  destroy(): void {
    this.destroyed = true;
    this.#socket.destroy();
  }

  /**
   * The upgrade's outcome was written on the socket by someone else (Pier's raw error answer,
   * the upstream's 101 or its refusal's head): `status` and `bytes` are what the request is
   * counted and logged with; `done` tells the FinishHook now (else the caller ends it later).
   */
  settled(status: number, bytes: number, done: boolean): void {
    this.statusCode = status;
    this.headersSent = true;
    this.bytesSent += bytes;
    if (done) finishResponse(this);
  }
}
