import { afterEach, describe, expect, it } from 'vitest';
import { seeded } from '../balance/servers.ts';
import { backendOf, closeAll, startBackend, startDataplane, tableFor } from './helpers.ts';
import { rawSocket, rawTranscript, until } from './http1-raw.ts';

afterEach(closeAll);

/*
 * Malformed input, generated: valid requests (plain, with a body, chunked, pipelined) mutated
 * by a seeded generator — bytes flipped, inserted (CR, LF, NUL, DEL, 0xff, spaces, colons),
 * deleted, lines duplicated, lengths changed, truncated. Whatever arrives, Pier must answer
 * only with well-formed responses of statuses it can legitimately produce, or close; never
 * crash or hang the worker; and keep serving valid requests afterwards. What reaches the
 * backend must have been a request node:http's own parser accepted (it records only those).
 */

const SEEDS = 400;
const BATCH = 20;
const CASE_MS = 300;

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

describe('HTTP/1.1 server: generated malformed input', () => {
  it(`answers ${SEEDS} mutated requests with well-formed allowed statuses or a close, and keeps serving`, async () => {
    const backend = await startBackend('fuzz', (req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    const { port, dp } = await startDataplane(tableFor('foo.com', [backendOf('fuzz', [backend])]));
    const seen: { seed: number; text: string }[] = [];
    for (let start = 0; start < SEEDS; start += BATCH) {
      await Promise.all(Array.from({ length: Math.min(BATCH, SEEDS - start) }, async (_, i) => {
        const seed = start + i;
        const s = await rawSocket(port);
        s.socket.write(Buffer.from(mutate(seed), 'latin1'));
        await until(s.closed, CASE_MS);
        s.socket.destroy();
        seen.push({ seed, text: s.received() });
      }));
    }
    let answered = 0;
    for (const { seed, text } of seen) {
      // Every response starts with a well-formed status line (nothing before it, no garbage).
      if (text === '') continue;
      expect(text, `seed ${seed}`).toMatch(/^HTTP\/1\.1 \d{3} /);
      for (const m of text.matchAll(/HTTP\/1\.1 (\d{3}) [A-Za-z -]*\r\n/g)) {
        expect(ALLOWED.has(Number(m[1])), `seed ${seed}: status ${m[1]}`).toBe(true);
        answered++;
      }
    }
    // The generator is not so gentle that nothing is refused, nor so rough that nothing passes.
    expect(dp.stats.errors[400]).toBeGreaterThan(20);
    expect(backend.seen.length).toBeGreaterThan(20);
    expect(answered).toBeGreaterThan(SEEDS / 2);
    const after = await rawTranscript(port, 'GET /after HTTP/1.1\r\nHost: foo.com\r\nConnection: close\r\n\r\n');
    expect(after.text).toMatch(/^HTTP\/1\.1 200 /);
  }, 60_000);
});
