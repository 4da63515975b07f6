import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { CompiledTable } from '../../routing/compile-table.ts';
import type { BackendRuntime } from '../backend-runtime.ts';
import type { DataplaneStats } from '../dataplane-stats.ts';
import { peekClientHello } from './peek-client-hello.ts';
import type { PassthroughHosts } from './passthrough-hosts.ts';
import { relayTls } from './tcp-relay.ts';

/** What the front reads from the dataplane at each connection (the table in force then). */
export interface PassthroughState {
  readonly compiled: CompiledTable<BackendRuntime, unknown, unknown>;
  readonly tunnels: Set<Duplex>;
  readonly stats: DataplaneStats;
}

/**
 * The HTTPS listener's front with `--enable-ssl-passthrough` (tls-listener.ts `front`): while
 * the table has no passthrough host, a connection goes straight to TLS termination (nothing is
 * read). Otherwise its ClientHello is read (within `timeoutMs`, the client header timeout); a
 * server name that is a passthrough host is relayed to that host's backend (tcp-relay.ts);
 * anything else (no SNI, another name, bytes that are no ClientHello) gets its bytes put back
 * and is terminated by Pier as without the flag, with the name read (so a host's ciphers are
 * chosen without reading the ClientHello again).
 */
export class PassthroughFront {
  readonly #hosts: PassthroughHosts;
  readonly #state: PassthroughState;
  readonly #timeoutMs: number;
  readonly #peeking = new Set<() => void>();

  constructor(hosts: PassthroughHosts, state: PassthroughState, timeoutMs: number) {
    this.#hosts = hosts;
    this.#state = state;
    this.#timeoutMs = timeoutMs;
  }

  readonly front = (socket: Socket, source: string | undefined, terminate: (serverName?: string | null) => void): void => {
    if (this.#hosts.size === 0) return terminate();
    const close = peekClientHello(socket, this.#timeoutMs, (serverName, hello) => {
      this.#peeking.delete(close);
      const target = serverName === undefined ? undefined : this.#hosts.targetOf(serverName);
      const runtime = target === undefined ? undefined : this.#state.compiled.backends.get(target);
      if (runtime === undefined) {
        socket.unshift(hello);
        terminate(serverName ?? null);
        return;
      }
      if (relayTls(socket, hello, runtime, source ?? socket.remoteAddress ?? '', this.#state.tunnels)) this.#state.stats.passthroughConnections++;
    });
    this.#peeking.add(close);
    socket.once('close', () => this.#peeking.delete(close));
  };

  /** Destroys the connections whose ClientHello is still being read (a drain's idle sweep). */
  closePeeking(): void {
    for (const close of this.#peeking) close();
    this.#peeking.clear();
  }
}
