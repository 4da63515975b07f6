/**
 * The server name (SNI) of a TLS ClientHello, read from the raw bytes a client sends first,
 * before any TLS stack sees them: what ssl-passthrough routes on. Hand-written (no maintained
 * npm package does this small parse): TLS records (RFC 8446 §5.1: type 22 handshake, 2-byte
 * version, 2-byte length ≤ 2^14), the handshake message reassembled across records (§5.1 allows
 * a ClientHello split over several), the ClientHello (§4.1.2: legacy_version, random,
 * legacy_session_id<0..32>, cipher_suites<2..2^16-2>, legacy_compression_methods<1..2^8-1>,
 * extensions<8..2^16-1>, absent in some TLS 1.2 hellos) and the server_name extension (RFC 6066
 * §3: type 0, a ServerNameList of (name_type, opaque HostName<1..2^16-1>); the first host_name
 * counts). Every length is checked against what is left before it is used.
 */

/** `more`: the bytes so far are a valid beginning; `invalid`: not a TLS ClientHello (or too big);
 * else the parse is complete and `serverName` is the host name, lower-case without a trailing
 * dot, absent when the client sent none. */
export type ClientHelloResult = { readonly status: 'more' } | { readonly status: 'invalid' } | { readonly status: 'done'; readonly serverName?: string };

const MORE: ClientHelloResult = { status: 'more' };
const INVALID: ClientHelloResult = { status: 'invalid' };
const CONTENT_HANDSHAKE = 22;
const CLIENT_HELLO = 1;
const MAX_RECORD = 16_384;
/** The largest ClientHello read (post-quantum key shares and PSKs make a few KiB; 2^14 is generous). */
export const MAX_CLIENT_HELLO = 16_384;
const EXT_SERVER_NAME = 0;
const HOST_NAME = 0;

/** Parses the first bytes of a connection (all of them so far, from the first one). */
export function parseClientHello(buf: Buffer): ClientHelloResult {
  // Reassemble the handshake layer from consecutive handshake records.
  const parts: Buffer[] = [];
  let handshakeLength = 0;
  let at = 0;
  let messageLength = -1;
  while (at < buf.length) {
    if (buf[at] !== CONTENT_HANDSHAKE) return INVALID;
    if (at + 1 < buf.length && buf[at + 1] !== 3) return INVALID;
    if (at + 5 > buf.length) return MORE;
    const length = buf.readUInt16BE(at + 3);
    if (length === 0 || length > MAX_RECORD) return INVALID;
    if (at + 5 + length > buf.length) {
      // Enough of a first record to check the message type and length early.
      if (messageLength < 0 && handshakeLength === 0 && buf.length - at - 5 >= 4) return checkHeader(buf.subarray(at + 5)) ?? MORE;
      return MORE;
    }
    parts.push(buf.subarray(at + 5, at + 5 + length));
    handshakeLength += length;
    at += 5 + length;
    if (messageLength < 0 && handshakeLength >= 4) {
      const head = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      const bad = checkHeader(head);
      if (bad !== undefined) return bad;
      messageLength = head.readUIntBE(1, 3);
    }
    if (messageLength >= 0 && handshakeLength >= 4 + messageLength) {
      const message = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      return parseBody(message.subarray(4, 4 + messageLength));
    }
  }
  return MORE;
}

/** INVALID when the handshake header is not a ClientHello of a size Pier reads, else undefined. */
function checkHeader(head: Buffer): ClientHelloResult | undefined {
  if (head[0] !== CLIENT_HELLO) return INVALID;
  const length = head.readUIntBE(1, 3);
  return length < 38 || length > MAX_CLIENT_HELLO ? INVALID : undefined;
}

function parseBody(body: Buffer): ClientHelloResult {
  let at = 2 + 32; // legacy_version, random
  if (at + 1 > body.length) return INVALID;
  const session = body[at]!;
  if (session > 32) return INVALID;
  at += 1 + session;
  if (at + 2 > body.length) return INVALID;
  const suites = body.readUInt16BE(at);
  if (suites < 2 || suites % 2 !== 0) return INVALID;
  at += 2 + suites;
  if (at + 1 > body.length) return INVALID;
  const compression = body[at]!;
  if (compression < 1) return INVALID;
  at += 1 + compression;
  if (at > body.length) return INVALID;
  if (at === body.length) return { status: 'done' }; // no extensions (TLS 1.2 allows it)
  if (at + 2 > body.length) return INVALID;
  const extensionsEnd = at + 2 + body.readUInt16BE(at);
  if (extensionsEnd !== body.length) return INVALID;
  at += 2;
  while (at < extensionsEnd) {
    if (at + 4 > extensionsEnd) return INVALID;
    const type = body.readUInt16BE(at);
    const end = at + 4 + body.readUInt16BE(at + 2);
    if (end > extensionsEnd) return INVALID;
    if (type === EXT_SERVER_NAME) return serverNameOf(body.subarray(at + 4, end));
    at = end;
  }
  return { status: 'done' };
}

function serverNameOf(ext: Buffer): ClientHelloResult {
  if (ext.length < 2) return INVALID;
  const listEnd = 2 + ext.readUInt16BE(0);
  if (listEnd !== ext.length) return INVALID;
  let at = 2;
  while (at < listEnd) {
    if (at + 3 > listEnd) return INVALID;
    const type = ext[at]!;
    const end = at + 3 + ext.readUInt16BE(at + 1);
    if (end > listEnd || end === at + 3) return INVALID;
    if (type === HOST_NAME) {
      let name = ext.toString('latin1', at + 3, end).toLowerCase();
      if (name.endsWith('.')) name = name.slice(0, -1);
      return { status: 'done', serverName: name };
    }
    at = end;
  }
  return { status: 'done' };
}
