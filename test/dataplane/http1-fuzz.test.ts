import { afterEach, describe, expect, it } from 'vitest';
import { seeded } from '../balance/servers.ts';
import { backendOf, closeAll, startBackend, startDataplane, tableFor } from './helpers.ts';
import { rawSocket, rawTranscript } from './http1-raw.ts';

afterEach(closeAll);

/*
 * Malformed input, generated: valid requests (plain, with a body, chunked, pipelined) mutated
 * by a seeded generator — bytes flipped, inserted (CR, LF, NUL, DEL, 0xff, spaces, colons),
 * deleted, lines duplicated, lengths changed, truncated. What is asserted, for every case:
 * - Pier closes the connection: the dataplane runs with 300 ms header, body and keepalive
 *   timeouts, so whatever state the input leaves it in (answered, waiting for the rest of a head
 *   or a body, idle), a close must follow; a connection still open after CLOSE_BOUND_MS is a hang.
 * - Everything it sent before closing is a sequence of complete, well-formed HTTP/1.1 responses
 *   (status line, token: value headers, a body framed by Content-Length, chunked encoding or the
 *   close), of statuses it can legitimately produce, with nothing before, between or after them.
 * - Every 200 carries the backend's answer to one request it received, each at most once (the
 *   backend numbers its answers): no response relayed twice or to the wrong connection.
 * And across the run: some cases are refused (400) and some reach the backend (the generator is
 * neither too gentle nor too rough), and a valid request afterwards is served.
 */

const SEEDS = 400;
const BATCH = 20;
/** Far beyond the 300 ms timeouts: reached only if Pier leaves a connection hanging. */
const CLOSE_BOUND_MS = 10_000;

const CORPUS = [
  'GET /a?b=1 HTTP/1.1\r\nHost: foo.com\r\nUser-Agent: fuzz\r\nAccept: */*\r\n\r\n',
  'POST /p HTTP/1.1\r\nHost: foo.com\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world',
  'POST /c HTTP/1.1\r\nHost: foo.com\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n',
  'GET /1 HTTP/1.1\r\nHost: foo.com\r\n\r\nGET /2 HTTP/1.1\r\nHost: foo.com\r\nConnection: close\r\n\r\n',
  'GET / HTTP/1.0\r\nHost: foo.com\r\nConnection: keep-alive\r\n\r\n',
  'GET http://foo.com/abs HTTP/1.1\r\nHost: other.com\r\n\r\n',
  'HEAD /h HTTP/1.1\r\nHost: foo.com\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n',
];
const NASTY = ['\r', '\n', '\0', '\x7f', '\xff', ' ', ':', '\t', '"', '\r\n', '\r\n\r\n', '0', '-1', 'ffffffffffffffff'];


function mutate(seed: number): string {
  const rnd = seeded(seed); // deterministic: a failing seed can be replayed
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  let s = pick(CORPUS);
  const rounds = 1 + Math.floor(rnd() * 3);
  for (let r = 0; r < rounds; r++) {
    const at = Math.floor(rnd() * s.length);
    switch (Math.floor(rnd() * 7)) {
      case 0: s = s.slice(0, at) + String.fromCharCode(Math.floor(rnd() * 256)) + s.slice(at + 1); break;
      case 1: s = s.slice(0, at) + pick(NASTY) + s.slice(at); break;
      case 2: s = s.slice(0, at) + s.slice(at + 1 + Math.floor(rnd() * 4)); break;
      case 3: {
        const lines = s.split('\r\n');
        const i = 1 + Math.floor(rnd() * Math.max(1, lines.length - 2));
        lines.splice(i, 0, lines[i] ?? '');
        s = lines.join('\r\n');
        break;
      }
      case 4: s = s.replace(/Content-Length: \d+/i, `Content-Length: ${pick(['0', '3', '99', '-1', '1e3', ' 11', '11, 11', '99999999999999999999'])}`); break;
      case 5: s = s.replace(/\r\n\r\n/, `\r\n${pick(['Transfer-Encoding: chunked', 'Content-Length: 4', 'Transfer-Encoding: gzip, chunked', 'Host: b.com', 'X: \x01', ' folded', 'Expect: 100-continue'])}\r\n\r\n`); break;
      default: s = s.slice(0, at); break;
    }
  }
  return s;
}

const ALLOWED = new Set([100, 200, 400, 404, 405, 408, 413, 431, 501, 502, 503, 505]);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

interface ParsedResponse {
  readonly status: number;
  readonly body: string;
}

/**
 * Parses `text` as consecutive HTTP/1.1 responses and nothing else; throws on anything that is
 * not one (the message says where). `head` says the requests included a HEAD, whose answer
 * has no body whatever its Content-Length says (taken when the next bytes are a response or the end).
 */
function parseResponses(text: string, head: boolean): ParsedResponse[] {
  const out: ParsedResponse[] = [];
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf('\r\n\r\n', at);
    if (end < 0) throw new Error(`incomplete head at ${at}: ${JSON.stringify(text.slice(at, at + 80))}`);
    const [statusLine, ...lines] = text.slice(at, end).split('\r\n');
    const m = /^HTTP\/1\.1 (\d{3}) [\x20-\x7e]*$/.exec(statusLine!);
    if (!m) throw new Error(`bad status line at ${at}: ${JSON.stringify(statusLine)}`);
    const status = Number(m[1]);
    const headers = new Map<string, string>();
    for (const line of lines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon);
      if (colon < 1 || !TOKEN.test(name)) throw new Error(`bad header line at ${at}: ${JSON.stringify(line)}`);
      headers.set(name.toLowerCase(), line.slice(colon + 1).trim());
    }
    at = end + 4;
    const length = headers.get('content-length');
    const chunked = headers.get('transfer-encoding');
    if (length !== undefined && chunked !== undefined) throw new Error('both Content-Length and Transfer-Encoding');
    let body = '';
    if (status < 200 || status === 204 || status === 304 || (head && (at === text.length || text.startsWith('HTTP/1.1 ', at)))) {
      // no body
    } else if (chunked !== undefined) {
      if (chunked.toLowerCase() !== 'chunked') throw new Error(`transfer-encoding ${chunked}`);
      for (;;) {
        const lineEnd = text.indexOf('\r\n', at);
        const size = lineEnd < 0 ? NaN : parseInt(text.slice(at, lineEnd), 16);
        if (!/^[0-9a-f]+$/i.test(text.slice(at, lineEnd)) || Number.isNaN(size)) throw new Error(`bad chunk size at ${at}`);
        at = lineEnd + 2;
        if (size === 0) {
          if (!text.startsWith('\r\n', at)) throw new Error(`no end after the last chunk at ${at}`);
          at += 2;
          break;
        }
        if (text.length < at + size + 2 || !text.startsWith('\r\n', at + size)) throw new Error(`truncated chunk at ${at}`);
        body += text.slice(at, at + size);
        at += size + 2;
      }
    } else if (length !== undefined) {
      if (!/^\d+$/.test(length)) throw new Error(`content-length ${length}`);
      if (text.length < at + Number(length)) throw new Error(`truncated body at ${at}`);
      body = text.slice(at, at + Number(length));
      at += Number(length);
    } else {
      if (headers.get('connection')?.toLowerCase() !== 'close') throw new Error('a body delimited by the close without connection: close');
      body = text.slice(at);
      at = text.length;
    }
    out.push({ status, body });
  }
  return out;
}

describe('HTTP/1.1 server: generated malformed input', () => {
  it(`answers ${SEEDS} mutated requests with well-formed allowed responses, always closes, and keeps serving`, async () => {
    let answers = 0;
    const backend = await startBackend('fuzz', (req, res) => {
      req.resume();
      req.on('end', () => res.end(`ok ${++answers}`));
    });
    const { port, dp } = await startDataplane(tableFor('foo.com', [backendOf('fuzz', [backend])]), {
      headersTimeoutMs: 300, bodyTimeoutMs: 300, keepaliveTimeoutMs: 300,
    });
    const cases: { seed: number; input: string; text: string; closed: boolean }[] = [];
    for (let start = 0; start < SEEDS; start += BATCH) {
      await Promise.all(Array.from({ length: Math.min(BATCH, SEEDS - start) }, async (_, i) => {
        const seed = start + i;
        const input = mutate(seed);
        const s = await rawSocket(port);
        const closed = new Promise<boolean>((resolve) => {
          const bound = setTimeout(resolve, CLOSE_BOUND_MS, false);
          s.socket.once('close', () => {
            clearTimeout(bound);
            resolve(true);
          });
        });
        s.socket.write(Buffer.from(input, 'latin1'));
        cases.push({ seed, input, closed: await closed, text: s.received() });
        s.socket.destroy();
      }));
    }
    const statuses = new Map<number, number>();
    const relayed = new Set<string>();
    for (const { seed, input, text, closed } of cases) {
      const what = `seed ${seed}: ${JSON.stringify(input)} → ${JSON.stringify(text)}`;
      expect(closed, `${what}: still open after ${CLOSE_BOUND_MS} ms`).toBe(true);
      let responses: ParsedResponse[] = [];
      expect(() => (responses = parseResponses(text, input.includes('HEAD '))), what).not.toThrow();
      for (const { status, body } of responses) {
        expect(ALLOWED.has(status), `${what}: status ${status}`).toBe(true);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status === 200 && body !== '') {
          expect(body, what).toMatch(/^ok \d+$/);
          expect(relayed.has(body), `${what}: ${body} relayed twice`).toBe(false);
          expect(Number(body.slice(3)), what).toBeLessThanOrEqual(answers);
          relayed.add(body);
        }
      }
    }
    // The generator is not so gentle that nothing is refused, nor so rough that nothing passes.
    expect(statuses.get(400) ?? 0).toBeGreaterThan(20);
    expect(dp.stats.errors[400]).toBeGreaterThan(20);
    expect(statuses.get(200) ?? 0).toBeGreaterThan(20);
    expect(backend.seen.length).toBeGreaterThan(20);
    const after = await rawTranscript(port, 'GET /after HTTP/1.1\r\nHost: foo.com\r\nConnection: close\r\n\r\n');
    expect(after.text).toMatch(/^HTTP\/1\.1 200 /);
  }, 60_000);
});

describe('the fuzz test\'s response parser (so that its passing means something)', () => {
  it.each([
    { name: 'bytes after a complete response', text: 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokX' },
    { name: 'a truncated body', text: 'HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nok' },
    { name: 'an incomplete head', text: 'HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n' },
    { name: 'garbage before the status line', text: '\r\nHTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n' },
    { name: 'a header line without a name', text: 'HTTP/1.1 200 OK\r\n: x\r\ncontent-length: 0\r\n\r\n' },
    { name: 'a chunked body without its last chunk', text: 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n' },
    { name: 'a close-delimited body without connection: close', text: 'HTTP/1.1 200 OK\r\n\r\nok' },
  ])('refuses $name', ({ text }) => {
    expect(() => parseResponses(text, false)).toThrow();
  });

  it('reads pipelined responses framed every legitimate way', () => {
    const text = 'HTTP/1.1 100 Continue\r\n\r\n'
      + 'HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nok 1'
      + 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n2\r\n 2\r\n0\r\n\r\n'
      + 'HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\n'
      + 'HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nok 3';
    expect(parseResponses(text, true)).toEqual([
      { status: 100, body: '' }, { status: 200, body: 'ok 1' }, { status: 200, body: 'ok 2' }, { status: 200, body: '' }, { status: 200, body: 'ok 3' },
    ]);
  });
});
