import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { connect } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { parseClientHello } from '../../../src/dataplane/passthrough/client-hello.ts';
import { seeded as random } from '../../helpers/seeded-random.ts';

/** The first bytes a real node:tls client sends (its ClientHello), captured on a raw socket. */
async function captureHello(options: { servername?: string; ALPNProtocols?: string[] }): Promise<Buffer> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const got = new Promise<Buffer>((resolve) => server.once('connection', (socket) => {
    socket.once('data', (chunk: Buffer) => {
      resolve(chunk);
      socket.destroy();
    });
  }));
  const client = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, rejectUnauthorized: false, ...options });
  client.on('error', () => {});
  const hello = await got;
  client.destroy();
  server.close();
  return hello;
}

/** The same handshake message re-cut into records of at most `size` bytes. */
function refragment(hello: Buffer, size: number): Buffer {
  const message = hello.subarray(5, 5 + hello.readUInt16BE(3));
  const records: Buffer[] = [];
  for (let at = 0; at < message.length; at += size) {
    const part = message.subarray(at, Math.min(message.length, at + size));
    const head = Buffer.from([22, 3, 1, 0, 0]);
    head.writeUInt16BE(part.length, 3);
    records.push(head, part);
  }
  return Buffer.concat(records);
}

describe('parseClientHello', () => {
  it('reads the server name of a real ClientHello, lower-cased', async () => {
    const hello = await captureHello({ servername: 'Argo.Example.TEST', ALPNProtocols: ['h2', 'http/1.1'] });
    expect(parseClientHello(hello)).toEqual({ status: 'done', serverName: 'argo.example.test' });
  });

  it('a hello without SNI is complete with no name', async () => {
    const hello = await captureHello({});
    expect(parseClientHello(hello)).toEqual({ status: 'done' });
  });

  it('every strict prefix of a hello asks for more, never a wrong answer', async () => {
    const hello = await captureHello({ servername: 'a.test' });
    for (let n = 0; n < hello.length; n++) expect(parseClientHello(hello.subarray(0, n)).status, `prefix ${n}`).toBe('more');
  });

  it('a hello split over several records is reassembled', async () => {
    const hello = await captureHello({ servername: 'split.test' });
    for (const size of [1, 7, 100, 300]) {
      const cut = refragment(hello, size);
      expect(parseClientHello(cut), `records of ${size}`).toEqual({ status: 'done', serverName: 'split.test' });
      for (let n = 0; n < cut.length; n += 13) expect(parseClientHello(cut.subarray(0, n)).status).toBe('more');
    }
  });

  it('plain HTTP, an alert record and an oversized record are not a ClientHello', () => {
    expect(parseClientHello(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).toEqual({ status: 'invalid' });
    expect(parseClientHello(Buffer.from([21, 3, 1, 0, 2, 2, 40]))).toEqual({ status: 'invalid' });
    expect(parseClientHello(Buffer.from([22, 3, 1, 0x40, 0x01]))).toEqual({ status: 'invalid' });
    expect(parseClientHello(Buffer.from([22, 3, 1, 0, 4, 2, 0, 0, 40]))).toEqual({ status: 'invalid' }); // ServerHello
    expect(parseClientHello(Buffer.from([22, 3, 1, 0, 4, 1, 0xff, 0xff, 0xff]))).toEqual({ status: 'invalid' }); // 16 MiB hello
  });

  it('random bytes and random corruptions of a hello never throw nor name another host', async () => {
    const hello = await captureHello({ servername: 'fuzz.test' });
    const rnd = random(7);
    const results = new Set<string>();
    for (let i = 0; i < 5_000; i++) {
      const garbage = Buffer.alloc(Math.floor(rnd() * 600));
      for (let k = 0; k < garbage.length; k++) garbage[k] = Math.floor(rnd() * 256);
      // Half of them start like a handshake record, so the parse gets past the first byte.
      if (i % 2 === 0 && garbage.length >= 5) garbage.set([22, 3, 1, 0, Math.min(255, garbage.length - 5)]);
      results.add(parseClientHello(garbage).status);
    }
    for (let i = 0; i < 5_000; i++) {
      const copy = Buffer.from(hello);
      const flips = 1 + Math.floor(rnd() * 4);
      for (let k = 0; k < flips; k++) copy[Math.floor(rnd() * copy.length)] = Math.floor(rnd() * 256);
      const cut = copy.subarray(0, Math.floor(rnd() * (copy.length + 1)));
      const result = parseClientHello(cut);
      results.add(result.status);
      // A corruption may change the name itself; it never produces a name longer than what was sent.
      if (result.status === 'done' && result.serverName !== undefined) expect(result.serverName.length).toBeLessThanOrEqual(cut.length);
    }
    expect([...results].sort()).toEqual(['done', 'invalid', 'more']);
  });
});
