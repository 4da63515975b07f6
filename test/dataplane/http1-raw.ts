import { connect, type Socket } from 'node:net';
import { onCleanup } from './helpers.ts';

/** What a raw client saw until the server closed (or the wait ended). */
export interface RawTranscript {
  readonly text: string;
  readonly closed: boolean;
}

/** Opens a socket (closed at cleanup) collecting everything the server sends. */
export async function rawSocket(port: number): Promise<{ socket: Socket; received: () => string; closed: () => boolean }> {
  const socket = connect(port, '127.0.0.1');
  onCleanup(() => {
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let text = '';
  let closed = false;
  socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
  socket.on('close', () => (closed = true));
  socket.on('error', () => {});
  return { socket, received: () => text, closed: () => closed };
}

/** Sends `bytes` on a fresh connection and collects the answer until the server closes or `ms` pass. */
export async function rawTranscript(port: number, bytes: string | Buffer, ms = 3_000): Promise<RawTranscript> {
  const s = await rawSocket(port);
  s.socket.write(bytes);
  await until(s.closed, ms);
  return { text: s.received(), closed: s.closed() };
}

/** Polls `cond` every 5 ms for at most `ms`; resolves its last value. */
export async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  return cond();
}

/** Splits a transcript of consecutive responses into their status lines. */
export function statusLines(text: string): string[] {
  return text.split('\r\n').filter((l) => l.startsWith('HTTP/1.1 '));
}
