import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { h1Pool, headDone, rawPeer, Recorder, send } from './h1-pool-helpers.ts';
import { closeAll, sleep, startBackend } from './helpers.ts';

afterEach(closeAll);

/** Responses as raw bytes, each answered once the request head is in; `method` of the request. */
const FRAMING = [
  { name: 'content-length', method: 'GET', wire: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello', status: 200, body: 'hello', reused: true },
  { name: 'chunked', method: 'GET', wire: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n', status: 200, body: 'hello', reused: true },
  { name: 'close-delimited', method: 'GET', wire: 'HTTP/1.1 200 OK\r\n\r\nhello', close: true, status: 200, body: 'hello', reused: false },
  { name: 'HEAD (length, no body; the connection is kept, as nginx)', method: 'HEAD', wire: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', status: 200, body: '', reused: true },
  { name: '204', method: 'GET', wire: 'HTTP/1.1 204 No Content\r\n\r\n', status: 204, body: '', reused: true },
  { name: '304 with a length', method: 'GET', wire: 'HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n', status: 304, body: '', reused: true },
  { name: '100 and 103 before the final response', method: 'GET', wire: 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', status: 200, body: 'ok', reused: true, interim: [100, 103] },
];

describe('H1Pool responses', () => {
  it.each(FRAMING)('$name', async ({ method, wire, close, status, body, reused, interim }) => {
    const peer = await rawPeer((socket, received) => {
      if (!received.endsWith('\r\n\r\n')) return;
      if (close === true) socket.end(wire);
      else socket.write(wire);
    });
    const p = h1Pool(peer.port);
    const out = await send(p, { method });
    expect(out.error).toBeNull();
    expect(out.status).toBe(status);
    expect(out.body.toString()).toBe(body);
    expect(out.interim).toEqual(interim ?? []);
    expect(out.calls.at(-1)).toBe('onComplete');
    // A second request: on the same connection only when the first one allowed it.
    if (close !== true) {
      const again = await send(p, { method });
      expect(again.status).toBe(status);
      expect(peer.accepted()).toBe(reused ? 1 : 2);
    }
  });

  it('delivers raw headers as latin1 strings, names as sent, in order', async () => {
    const peer = await rawPeer((socket, received) => {
      if (headDone(received)) socket.write(Buffer.from('HTTP/1.1 200 Fine\r\nX-One: a\r\nx-two: caf\xe9\r\nContent-Length: 0\r\n\r\n', 'latin1'));
    });
    const out = await send(h1Pool(peer.port));
    expect(out.statusText).toBe('Fine');
    expect(out.headers).toEqual(['X-One', 'a', 'x-two', 'caf\xe9', 'Content-Length', '0']);
  });

  it('more than 32 header pairs (flushed early by the parser) arrive whole; trailers are not mixed into the next head', async () => {
    const many = Array.from({ length: 40 }, (_, i) => `x-h${i}: v${i}\r\n`).join('');
    let n = 0;
    const peer = await rawPeer((socket, received) => {
      if (received.split('\r\n\r\n').length - 1 <= n) return;
      n++;
      if (n === 1) socket.write(`HTTP/1.1 200 OK\r\n${many}Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nx-trailer: t\r\n\r\n`);
      else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    });
    const p = h1Pool(peer.port);
    const first = await send(p);
    expect(first.headers).toHaveLength(82);
    expect(first.headers.slice(0, 2)).toEqual(['x-h0', 'v0']);
    expect(first.headers.slice(78)).toEqual(['x-h39', 'v39', 'Transfer-Encoding', 'chunked']);
    expect(first.body.toString()).toBe('ok');
    const second = await send(p);
    expect(second.headers).toEqual(['Content-Length', '0']);
    expect(peer.accepted()).toBe(1);
  });

  it('a malformed response fails the try with a parse error; the pool keeps working', async () => {
    let n = 0;
    const peer = await rawPeer((socket, received) => {
      if (!headDone(received)) return;
      socket.write(n++ === 0 ? 'HTTP/1.1 2OO OK\r\n\r\n' : 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
    const p = h1Pool(peer.port);
    const bad = await send(p);
    expect(bad.error?.code).toMatch(/^HPE_/);
    expect(bad.calls).toEqual(['onConnect', 'onError']);
    expect((await send(p)).body.toString()).toBe('ok');
  });

  it('101 hands the socket over with the bytes that followed the head first', async () => {
    const peer = await rawPeer((socket, received) => {
      if (!headDone(received) || received.includes('ping')) {
        if (received.endsWith('ping')) socket.write('pong');
        return;
      }
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\nEARLY');
    });
    const p = h1Pool(peer.port);
    const out = await send(p, { upgrade: 'test' });
    expect(out.calls).toEqual(['onConnect', 'onUpgrade:101']);
    expect(out.headers).toEqual(['Upgrade', 'test', 'Connection', 'Upgrade']);
    const socket = out.upgraded!;
    const got: string[] = [];
    socket.on('data', (c: Buffer) => got.push(c.toString()));
    socket.resume();
    socket.write('ping');
    for (let i = 0; i < 100 && got.join('') !== 'EARLYpong'; i++) await sleep(10);
    expect(got.join('')).toBe('EARLYpong');
    expect(p.connections).toBe(0);
  });

  it('streams a 10 MiB response to a slow handler with bounded buffering (pause/resume)', async () => {
    const total = 10 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let written = 0;
    const backend = await startBackend('big', (req, res) => {
      req.resume();
      res.setHeader('content-length', total);
      const pump = (): void => {
        while (written < total) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    const p = h1Pool(backend.port);
    const recorder = new Recorder();
    let held = false;
    let deliveredWhileHeld = 0;
    let received = 0;
    recorder.hold = (c) => {
      received += c.length;
      if (held) deliveredWhileHeld += c.length;
      // Hold after the first chunk and after each MiB: the upstream must stop sending meanwhile.
      if (received === c.length || received % (1024 * 1024) < c.length) {
        held = true;
        return false;
      }
      return true;
    };
    const done = send(p, {}, recorder);
    for (let i = 0; i < 100 && !held; i++) await sleep(10);
    await sleep(300);
    const stalledAt = written;
    await sleep(100);
    expect(written).toBe(stalledAt);
    expect(written).toBeLessThan(total);
    // From here on: hold for 2 ms at each MiB.
    recorder.hold = (c) => {
      received += c.length;
      if (received % (1024 * 1024) >= c.length) return true;
      setTimeout(() => recorder.resume!(), 2);
      return false;
    };
    held = false;
    recorder.resume!();
    const out = await done;
    expect(out.error).toBeNull();
    expect(out.body.length).toBe(total);
    // Once held, at most the rest of the socket read being parsed still arrives (64 KiB reads).
    expect(deliveredWhileHeld).toBeLessThanOrEqual(64 * 1024);
  });
});

describe('H1Pool request bodies', () => {
  async function echo() {
    return startBackend('echo', (req, res) => {
      let n = 0;
      req.on('data', (c: Buffer) => (n += c.length));
      req.on('end', () => res.end(`${n} ${req.headers['transfer-encoding'] ?? '-'} ${req.headers['content-length'] ?? '-'}`));
    });
  }
  const body = (): Readable => Readable.from([Buffer.from('hello '), Buffer.alloc(0), Buffer.from('world')]);

  it('a stream with a content-length header goes out raw', async () => {
    const backend = await echo();
    const out = await send(h1Pool(backend.port), { method: 'POST', headers: ['content-length', '11'], body: body() });
    expect(out.body.toString()).toBe('11 - 11');
  });

  it('a stream without one goes out chunked (an empty chunk does not end it)', async () => {
    const backend = await echo();
    const out = await send(h1Pool(backend.port), { method: 'POST', body: body() });
    expect(out.body.toString()).toBe('11 chunked -');
  });

  it('a POST without a body says content-length: 0', async () => {
    const backend = await echo();
    const out = await send(h1Pool(backend.port), { method: 'POST' });
    expect(out.body.toString()).toBe('0 - 0');
  });

  it('an upstream that stops reading pauses the body (its \'pause\' event), resumed on drain', async () => {
    let release: (() => void) | undefined;
    const backend = await startBackend('slow', (req, res) => {
      req.pause();
      release = () => {
        req.resume();
        req.on('end', () => res.end('ok'));
      };
    });
    const payload = Buffer.alloc(16 * 1024 * 1024, 'y');
    const stream = Readable.from((function* () {
      for (let i = 0; i < payload.length; i += 256 * 1024) yield payload.subarray(i, i + 256 * 1024);
    })());
    let pauses = 0;
    stream.on('pause', () => pauses++);
    const done = send(h1Pool(backend.port), { method: 'PUT', headers: ['content-length', String(payload.length)], body: stream });
    for (let i = 0; i < 200 && (release === undefined || pauses === 0); i++) await sleep(10);
    expect(pauses).toBeGreaterThan(0);
    expect(stream.isPaused()).toBe(true);
    release!();
    const out = await done;
    expect(out.body.toString()).toBe('ok');
  });

  it('a body stream that errors fails the try', async () => {
    const backend = await startBackend('hang', (req) => req.resume());
    const stream = new Readable({ read() {} });
    const done = send(h1Pool(backend.port), { method: 'POST', body: stream });
    stream.push('part');
    await sleep(20);
    stream.destroy(Object.assign(new Error('client went away'), { code: 'ECONNRESET' }));
    const out = await done;
    expect(out.error?.code).toBe('ECONNRESET');
  });
});
