import type { Socket } from 'node:net';

/** The v2 signature: `\r\n\r\n\0\r\nQUIT\n`. */
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
/** v1's longest line (spec §2.1), and a bound on v2's address block Pier reads. */
const V1_MAX = 107;
const V2_MAX = 16 + 536;

/** A parsed PROXY header: the client's address (undefined: LOCAL / UNKNOWN, keep the socket's),
 * the port the client connected to on the load balancer (when given), and the header's length. */
export type ProxyHeader = { readonly source: string | undefined; readonly destinationPort?: string; readonly length: number };

/** Sockets whose PROXY header named the port the client connected to (see proxyDestinationPort). */
const destinationPorts = new WeakMap<Socket, string>();

/**
 * The port the client connected to on the load balancer, as this socket's PROXY header said
 * (`--proxy-protocol`; nginx's `$proxy_protocol_server_port`), or undefined. ingress-nginx
 * sends it upstream as X-Forwarded-Port and takes 443 to mean the client spoke HTTPS to the
 * balancer (lua_ingress.lua): forwarded-origin.ts.
 */
export function proxyDestinationPort(socket: Socket): string | undefined {
  return destinationPorts.get(socket);
}

/**
 * Parses a PROXY protocol header (HAProxy's proxy-protocol.txt, v1 text and v2 binary) at the
 * start of `buf`: the header, `'more'` when `buf` may be an incomplete one, or `'invalid'`.
 * Only the source address is used (the client's); v2 TLVs are skipped.
 */
export function parseProxyHeader(buf: Buffer): ProxyHeader | 'more' | 'invalid' {
  if (buf.length === 0) return 'more';
  if (buf[0] === 0x50) return parseV1(buf);
  if (buf[0] === 0x0d) return parseV2(buf);
  return 'invalid';
}

function parseV1(buf: Buffer): ProxyHeader | 'more' | 'invalid' {
  const prefix = 'PROXY ';
  if (buf.subarray(0, Math.min(buf.length, 6)).toString('latin1') !== prefix.slice(0, Math.min(buf.length, 6))) return 'invalid';
  const end = buf.indexOf('\r\n', 0, 'latin1');
  if (end < 0) return buf.length >= V1_MAX ? 'invalid' : 'more';
  if (end + 2 > V1_MAX) return 'invalid';
  const parts = buf.subarray(0, end).toString('latin1').split(' ');
  if (parts[1] === 'UNKNOWN') return { source: undefined, length: end + 2 };
  if (parts.length !== 6 || (parts[1] !== 'TCP4' && parts[1] !== 'TCP6')) return 'invalid';
  const source = parts[2]!;
  const ok = parts[1] === 'TCP4' ? /^[0-9]{1,3}(\.[0-9]{1,3}){3}$/.test(source) : /^[0-9a-fA-F:.]+$/.test(source) && source.includes(':');
  if (!ok || !/^[0-9]{1,5}$/.test(parts[4]!) || !/^[0-9]{1,5}$/.test(parts[5]!)) return 'invalid';
  return { source, destinationPort: String(Number(parts[5])), length: end + 2 };
}

function parseV2(buf: Buffer): ProxyHeader | 'more' | 'invalid' {
  const n = Math.min(buf.length, V2_SIGNATURE.length);
  if (!buf.subarray(0, n).equals(V2_SIGNATURE.subarray(0, n))) return 'invalid';
  if (buf.length < 16) return 'more';
  const versionCommand = buf[12]!;
  if (versionCommand >> 4 !== 2) return 'invalid';
  const length = 16 + buf.readUInt16BE(14);
  if (length > V2_MAX) return 'invalid';
  if (buf.length < length) return 'more';
  const command = versionCommand & 0x0f;
  if (command === 0) return { source: undefined, length }; // LOCAL: the balancer's own health check
  if (command !== 1) return 'invalid';
  const family = buf[13]! >> 4;
  // Source address, destination address, source port, destination port (spec §2.2).
  if (family === 1 && length >= 16 + 12) return { source: [...buf.subarray(16, 20)].join('.'), destinationPort: String(buf.readUInt16BE(16 + 10)), length };
  if (family === 2 && length >= 16 + 36) {
    const words: string[] = [];
    for (let i = 0; i < 16; i += 2) words.push(buf.readUInt16BE(16 + i).toString(16));
    return { source: words.join(':'), destinationPort: String(buf.readUInt16BE(16 + 34)), length };
  }
  return { source: undefined, length }; // AF_UNSPEC / AF_UNIX: no IP address to use
}

/**
 * Reads the PROXY header every connection of a `--proxy-protocol` listener starts with (nginx
 * `listen ... proxy_protocol`), before any other reader sees a byte, then hands the socket on
 * with the client address it gave (or the socket's, for LOCAL/UNKNOWN). Bytes after the header
 * are put back on the socket, which is left paused for `next` (a TLS server reads what was put
 * back itself; an HTTP/1.1 connection resumes it). A connection that does not start with a valid header, or does not
 * complete it within `timeoutMs`, is closed: a listener that expects the header never guesses.
 */
export function readProxyHeader(socket: Socket, timeoutMs: number, next: (socket: Socket, source: string | undefined) => void): void {
  let buffered: Buffer = Buffer.alloc(0);
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  timer.unref();
  const onData = (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    const header = parseProxyHeader(buffered);
    if (header === 'more') return;
    clearTimeout(timer);
    socket.removeListener('data', onData);
    socket.removeListener('close', onClose);
    if (header === 'invalid') {
      socket.destroy();
      return;
    }
    socket.pause();
    if (buffered.length > header.length) socket.unshift(buffered.subarray(header.length));
    if (header.destinationPort !== undefined) destinationPorts.set(socket, header.destinationPort);
    next(socket, header.source);
  };
  const onClose = () => clearTimeout(timer);
  socket.on('data', onData);
  socket.once('close', onClose);
  socket.on('error', () => socket.destroy());
}
