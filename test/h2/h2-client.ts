import { connect, type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders, type SecureClientSessionOptions } from 'node:http2';
import { onCleanup } from '../dataplane/helpers.ts';

export interface H2Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  trailers: IncomingHttpHeaders | null;
  rstCode: number;
}

/** A node:http2 client session to `origin` (h2c prior knowledge, or TLS), closed after the test. */
export function h2Connect(origin: string, options: SecureClientSessionOptions = {}): Promise<ClientHttp2Session> {
  const session = connect(origin, options);
  session.on('error', () => {});
  onCleanup(() => void session.destroy());
  return new Promise((resolve, reject) => {
    session.once('connect', () => resolve(session));
    session.once('error', reject);
  });
}

/** One request on `session`; resolves with the whole answer (or the reset). */
export function h2Request(session: ClientHttp2Session, headers: OutgoingHttpHeaders, body?: string | Buffer): Promise<H2Answer> {
  const stream = session.request(headers, { endStream: body === undefined });
  if (body !== undefined) stream.end(body);
  const out: H2Answer = { status: 0, headers: {}, body: '', trailers: null, rstCode: 0 };
  const chunks: Buffer[] = [];
  stream.on('response', (h) => {
    out.headers = h;
    out.status = Number(h[':status']);
  });
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('trailers', (t) => (out.trailers = t));
  return new Promise((resolve) => {
    stream.on('error', () => {});
    stream.on('close', () => {
      out.body = Buffer.concat(chunks).toString();
      out.rstCode = stream.rstCode ?? 0;
      resolve(out);
    });
  });
}
