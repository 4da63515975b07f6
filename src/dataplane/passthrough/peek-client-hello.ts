import type { Socket } from 'node:net';
import { MAX_CLIENT_HELLO, parseClientHello } from './client-hello.ts';

/** Record headers of a hello cut into tiny records are bounded too. */
const MAX_PEEK = 2 * MAX_CLIENT_HELLO;

/**
 * Reads a new connection's ClientHello without consuming it for good: `done` gets the server
 * name (undefined: none, or the bytes are no ClientHello Pier reads, which the TLS server will
 * refuse itself) and every byte read so far, with the socket paused and no listener of ours
 * left on it. A client that has not sent a whole hello within `timeoutMs`, or closes first,
 * is destroyed and `done` is never called. Returns a function that destroys the socket if it
 * is still being read (a drain closes such connections as it closes those still handshaking).
 */
export function peekClientHello(socket: Socket, timeoutMs: number, done: (serverName: string | undefined, hello: Buffer) => void): () => void {
  let buffered: Buffer = Buffer.alloc(0);
  let reading = true;
  const stop = () => {
    reading = false;
    clearTimeout(timer);
    socket.removeListener('data', onData);
    socket.removeListener('close', onClose);
    socket.removeListener('end', onEnd);
  };
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  timer.unref();
  const onData = (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    const result = parseClientHello(buffered);
    if (result.status === 'more' && buffered.length <= MAX_PEEK) return;
    stop();
    socket.pause();
    done(result.status === 'done' ? result.serverName : undefined, buffered);
  };
  const onClose = () => stop();
  // A client that half-closes before its hello is complete will not complete it.
  const onEnd = () => socket.destroy();
  socket.on('data', onData);
  socket.once('close', onClose);
  socket.once('end', onEnd);
  socket.on('error', () => socket.destroy());
  // After a PROXY header the socket is paused (proxy-protocol.ts leaves it so for a TLS server),
  // and a 'data' listener does not resume a stream paused on purpose.
  socket.resume();
  return () => {
    if (reading) socket.destroy();
  };
}
