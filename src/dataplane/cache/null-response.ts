import type { DownstreamRequest, DownstreamResponse, FinishHook, ResponseExchange } from '../front/downstream.ts';
import type { RouteMeter } from '../metrics/route-meter.ts';

/**
 * A response nobody receives: the background revalidation of stale-while-revalidate runs a
 * normal proxy exchange into it, so the cache tap stores what comes back.
 */
export class NullResponse implements DownstreamResponse {
  readonly req: DownstreamRequest;
  exchange: ResponseExchange | null = null;
  onFinish: FinishHook | undefined = undefined;
  startedAt = 0;
  meter: RouteMeter | undefined = undefined;
  readonly bytesSent = 0;
  statusCode = 0;
  headersSent = false;
  destroyed = false;
  finished = false;

  constructor(req: DownstreamRequest) {
    this.req = req;
  }

  writeHead(status: number): void {
    this.statusCode = status;
    this.headersSent = true;
  }

  writeUpstreamHead(status: number): void {
    this.writeHead(status);
  }

  writeInterim(): void {}

  write(): boolean {
    return true;
  }

  end(): void {
    this.finished = true;
  }

  destroy(): void {
    this.destroyed = true;
  }
}
