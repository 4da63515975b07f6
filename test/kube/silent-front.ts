/**
 * A raw TCP front for the fake API server: accepts every connection, reads the request line,
 * and either holds the connection open without ever answering (a hung API server, or a proxy
 * whose upstream is gone) or pipes it through to the fake server. Which requests hang is
 * decided per connection by `hangs`, so a test can make a server that is silent, then answers.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { kubeConfigDocument } from './fake-api-http.ts';

export class SilentFront {
  /** Request lines of every connection that was held unanswered. */
  readonly heldRequests: string[] = [];
  /** Decides, from `GET /path?query HTTP/1.1`, whether this connection gets no answer. */
  hangs: (requestLine: string) => boolean = () => false;
  url = '';
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #held = new Set<Socket>();
  readonly #targetPort: number;

  private constructor(targetPort: number) {
    this.#targetPort = targetPort;
    this.#server = createServer((socket) => this.#accept(socket));
  }

  /** Listens on 127.0.0.1, in front of the plain-HTTP server at `targetUrl`. */
  static async start(targetUrl: string): Promise<SilentFront> {
    const front = new SilentFront(Number(new URL(targetUrl).port));
    await new Promise<void>((resolve) => front.#server.listen(0, '127.0.0.1', resolve));
    front.url = `http://127.0.0.1:${(front.#server.address() as AddressInfo).port}`;
    return front;
  }

  /** Connections held right now: each one the client has not given up on yet. */
  get held(): number {
    return this.#held.size;
  }

  /** A client configuration that reaches the fake server through this front. */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromString(JSON.stringify(kubeConfigDocument(this.url)));
    return kc;
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(socket: Socket): void {
    this.#track(socket);
    socket.on('error', () => socket.destroy());
    socket.once('data', (first: Buffer) => {
      const requestLine = first.toString('latin1').split('\r\n', 1)[0] ?? '';
      if (this.hangs(requestLine)) return this.#hold(socket, requestLine);
      socket.pause();
      const upstream = connect(this.#targetPort, '127.0.0.1', () => {
        upstream.write(first);
        socket.pipe(upstream);
        upstream.pipe(socket);
        socket.resume();
      });
      this.#track(upstream);
      upstream.on('error', () => socket.destroy());
      upstream.on('close', () => socket.destroy());
      socket.on('close', () => upstream.destroy());
    });
  }

  #hold(socket: Socket, requestLine: string): void {
    this.heldRequests.push(requestLine);
    this.#held.add(socket);
    socket.on('close', () => this.#held.delete(socket));
    socket.resume();
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
  }
}
