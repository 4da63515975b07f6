import type { Socket } from 'node:net';

/** The HTTP/2 connection preface (RFC 9113 §3.4). */
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/**
 * Reads a cleartext connection's first bytes until they are, or cannot be, the HTTP/2 preface
 * (prior knowledge, h2c), then calls `done` with what was read and the verdict; the socket is
 * left paused, nothing put back. The lean front learns this from llhttp (which stops at the
 * preface); node:http answers it 400, so the public-API front looks first: one read per
 * connection, and usually one byte decides (`G`, `H`, `D`, ...; `P` needs a second).
 */
export function sniffPreface(socket: Socket, done: (head: Buffer, h2: boolean) => void): void {
  let read: Buffer | null = null;
  const onData = (chunk: Buffer): void => {
    read = read === null ? chunk : Buffer.concat([read, chunk]);
    const n = Math.min(read.length, PREFACE.length);
    const prefix = read.compare(PREFACE, 0, n, 0, n) === 0;
    if (prefix && read.length < PREFACE.length) return;
    socket.off('data', onData);
    socket.pause();
    done(read, prefix);
  };
  socket.on('data', onData);
  socket.resume();
}
