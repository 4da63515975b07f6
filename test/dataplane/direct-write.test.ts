import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { writeLatin1 } from '../../src/dataplane/direct-write.ts';

let server: Server | undefined;
afterEach(() => server?.close());

/** A connected pair: `writer` is the server side (the one written to), `reader` the client. */
async function pair(): Promise<{ writer: Socket; reader: Socket }> {
  server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection');
  const reader = connect((server.address() as { port: number }).port, '127.0.0.1');
  const [writer] = (await accepted) as [Socket];
  return { writer, reader };
}

function collect(socket: Socket): Promise<string> {
  const parts: Buffer[] = [];
  socket.on('data', (b: Buffer) => parts.push(b));
  return once(socket, 'end').then(() => Buffer.concat(parts).toString('latin1'));
}

describe('writeLatin1', () => {
  it('delivers every byte in order, mixed with stream writes, through backpressure and end()', async () => {
    const { writer, reader } = await pair();
    reader.pause(); // the kernel buffers fill: direct writes start to go out only in part
    let expected = '';
    let refused = 0;
    let drains = 0;
    writer.on('drain', () => drains++);
    for (let i = 0; i < 400 && refused < 3; i++) {
      const text = `<${i}:${'x'.repeat(16 * 1024)}>`;
      expected += text;
      if (!writeLatin1(writer, text)) refused++;
      if (i % 7 === 0) {
        const buf = Buffer.from(`[stream ${i}]`, 'latin1');
        expected += buf.toString('latin1');
        writer.write(buf); // through the Writable: must stay behind the direct ones
      }
    }
    expect(refused).toBeGreaterThan(0); // the false verdict happened: backpressure was real
    const drained = once(writer, 'drain');
    writer.end('<end>');
    expected += '<end>';
    const received = collect(reader);
    reader.resume();
    await drained;
    expect(await received).toBe(expected);
    expect(drains).toBeGreaterThan(0);
  });

  it('answers true when the kernel takes the write at once', async () => {
    const { writer, reader } = await pair();
    const received = collect(reader);
    expect(writeLatin1(writer, 'hello ')).toBe(true);
    expect(writeLatin1(writer, 'world')).toBe(true);
    writer.end();
    expect(await received).toBe('hello world');
  });

  it('falls back to the stream while it holds bytes (corked), keeping the order', async () => {
    const { writer, reader } = await pair();
    const received = collect(reader);
    writer.cork();
    writer.write('a');
    writeLatin1(writer, 'b'); // corked: must queue behind 'a', not overtake it
    writer.uncork();
    writeLatin1(writer, 'c');
    writer.end();
    expect(await received).toBe('abc');
  });

  it('destroys the socket with an errno error when the peer is gone', async () => {
    const { writer, reader } = await pair();
    reader.resetAndDestroy();
    await once(writer, 'end').catch(() => undefined);
    const closed = once(writer, 'close');
    writer.on('error', () => {});
    for (let i = 0; i < 50 && !writer.destroyed; i++) {
      writeLatin1(writer, 'x'.repeat(1024));
      await new Promise((r) => setTimeout(r, 5));
    }
    await closed;
    expect(writer.destroyed).toBe(true);
  });
});
