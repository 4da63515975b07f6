import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { CidrSet } from '../cidr-set.ts';
import type { ForwardedFor, RequestHeaderFacts } from '../forward-headers.ts';
import type { RouteMeter } from '../metrics/route-meter.ts';

/**
 * The protocol-neutral exchange every front (HTTP/1.1 today, HTTP/2 next) hands the pipeline.
 * Nothing below the front knows which protocol the client spoke: route filters, the proxy and
 * the error answers read and write only these two interfaces. The HTTP/1.1 front implements
 * them with its own classes (ProxyRequest, ProxyResponse), so the hot path calls the same
 * methods it always did.
 */

/** What the client side says about the connection (read once per connection). */
export interface DownstreamConnection extends ForwardedFor {
  /** Requests started on this connection (for keepalive_requests). */
  requests: number;
  /** `--trusted-proxies`, set only when `clientAddress` is one of them: X-Forwarded-For then
   * says who the client is (client-address.ts). */
  readonly trustedProxies?: CidrSet | undefined;
  /** The client certificate check of a TLS connection (`auth-tls-*`), when its host asks for one. */
  readonly clientCert?: ClientCertFacts | undefined;
}

/** What the TLS handshake established about the client's certificate (nginx's $ssl_client_*). */
export interface ClientCertFacts {
  /** nginx `$ssl_client_verify`: `SUCCESS`, `NONE`, or `FAILED:<reason>`. */
  readonly verify: string;
  /** The certificate, PEM, URL-escaped (`$ssl_client_escaped_cert`); empty without one. */
  readonly escapedPem: string;
  readonly subjectDn: string;
  readonly issuerDn: string;
  /** CA certificates above the client's in the chain the handshake verified. */
  readonly depth: number;
}

/** One request from a client. */
export interface DownstreamRequest {
  readonly method: string;
  /** The request target as received: origin-form `/a?b` (absolute-form is resolved by the front). */
  readonly url: string;
  /** `1.1`, `1.0` or `2.0` (node:http's httpVersion; the access log's protocol). */
  readonly httpVersion: string;
  /** Headers as received, flat latin1 `[name, value, ...]` (HTTP/2: without pseudo-headers,
   * `:authority` as `host`). */
  readonly rawHeaders: string[];
  /** Lower-case names → values, built on first use only. */
  readonly headers: IncomingHttpHeaders;
  /** Host, Connection names, body presence, 100-continue: scanned once by the front. */
  readonly facts: RequestHeaderFacts;
  /** The body stream when the request has one. */
  readonly body: Readable | null;
  /** Body bytes received so far (metrics, the access log's request length). */
  readonly bodyBytes: number;
  /** Client address, X-Forwarded-Proto/Port, request count. */
  readonly conn: DownstreamConnection;
  /** The most body bytes this request may carry (Infinity: none): `--max-body-size`, then a
   * route's proxy-body-size. The front enforces it on the bytes as they arrive. */
  bodyLimit: number;
}

/** What the connection tells whoever produces a response (direct calls, no events). */
export interface ResponseExchange {
  /** The client went away before the response was complete. */
  clientGone(): void;
  /** The client drained after a write returned false. */
  clientDrained(): void;
}

/** Observes finished responses (metrics, the access log). */
export interface FinishHook {
  responseFinished(res: DownstreamResponse): void;
  /** The same observer without the access log line (`enable-access-log: "false"`). */
  readonly unlogged: FinishHook | undefined;
}

/**
 * Tells the response's FinishHook, once: when the response completed (the front), or when it
 * was cut or its client left (the exchange producing it). A later call does nothing.
 */
export function finishResponse(res: DownstreamResponse): void {
  const hook = res.onFinish;
  if (hook === undefined) return;
  res.onFinish = undefined;
  hook.responseFinished(res);
}

/** The response to one DownstreamRequest. */
export interface DownstreamResponse {
  readonly req: DownstreamRequest;
  /** Told when the client leaves or drains (set by whoever produces the response). */
  exchange: ResponseExchange | null;
  /** Told once the response is complete, cut, or its client gone (finishResponse). */
  onFinish: FinishHook | undefined;
  /** When the request started (performance.now()). */
  startedAt: number;
  /** Where the request is counted: its route's meter (set by the request handler). */
  meter: RouteMeter | undefined;
  /** Bytes written for this response: the head as written (HTTP/1.1) and the body. */
  readonly bytesSent: number;
  readonly statusCode: number;
  readonly headersSent: boolean;
  /** The client is gone, or the response was cut. */
  readonly destroyed: boolean;
  readonly finished: boolean;
  /** Decides the head; `headers` flat `[name, value, ...]`, from Pier or a parsed upstream. */
  writeHead(status: number, statusText: string | undefined, headers: readonly string[]): void;
  /** writeHead for an upstream's raw response headers (hop-by-hop ones dropped here); `close`
   * makes it the connection's last response. */
  writeUpstreamHead(status: number, statusText: string | undefined, raw: readonly (string | Buffer)[], close: boolean): void;
  /**
   * Relays an upstream's interim (1xx) response before the final head (RFC 9110 §15.2: a proxy
   * forwards them): `raw` as writeUpstreamHead's, hop-by-hop headers dropped here. Nothing is
   * sent to an HTTP/1.0 client (§15.2: a server must not), nor once the final head is decided.
   * 100 (Continue) goes only to a client that sent `Expect: 100-continue` and has not had one
   * (Pier answers that expectation itself when the upstream starts reading the body: never
   * twice); 101 is the upgrade path's.
   */
  writeInterim(status: number, raw: readonly (string | Buffer)[]): void;
  /** A body chunk; false when the client is full (wait for exchange.clientDrained()). */
  write(chunk: Buffer): boolean;
  /** Completes the response, with an optional last chunk and trailers (flat list). */
  end(chunk?: Buffer, trailers?: readonly string[] | null): void;
  /** Cuts the response: the client sees it break. */
  destroy(): void;
}
