import { afterEach, describe, expect, it } from 'vitest';
import { backendOf, closeAll, startBackend, startDataplane, tableFor } from '../dataplane/helpers.ts';
import { h2Connect, h2Request } from './h2-client.ts';
import { DATA, END_HEADERS, END_STREAM, frame, HEADERS, RawH2, requestBlock } from './h2-raw.ts';

afterEach(closeAll);

/** The frames the server sent on `stream` (HEADERS and DATA), as `TYPE[:END_STREAM]:bytes`. */
function shape(raw: RawH2, stream: number): string[] {
  return raw.frames.filter((f) => f.stream === stream && (f.type === HEADERS || f.type === DATA))
    .map((f) => `${f.type === HEADERS ? 'HEADERS' : 'DATA'}${(f.flags & END_STREAM) !== 0 ? ':END' : ''}${f.type === DATA ? `:${f.payload.length}` : ''}`);
}

describe('HTTP/2 responses: heads and framing', () => {
  it('an upstream head: repeated fields stay separate, hop-by-hop and Connection-named fields are dropped, names lower-case', async () => {
    const backend = await startBackend('h', (_req, res) => {
      res.writeHead(200, [
        'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'X-Drop-Me', 'secret', 'Connection', 'X-Drop-Me', 'Keep-Alive', 'timeout=5',
        'X-Kept', 'yes', 'Content-Type', 'text/plain', 'Content-Length', '2',
      ]);
      res.end('ok');
    });
    const { origin } = await startDataplane(tableFor('h.test', [backendOf('b', [backend])]));
    const r = await h2Request(await h2Connect(origin), { ':path': '/', ':authority': 'h.test' });
    expect(r.status).toBe(200);
    expect(r.body).toBe('ok');
    expect(r.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(r.headers['x-kept']).toBe('yes');
    expect(r.headers['content-length']).toBe('2');
    for (const gone of ['x-drop-me', 'connection', 'keep-alive']) expect(r.headers[gone], gone).toBeUndefined();
  });

  it('a small proxied response whose content-length the first chunk completes is HEADERS + one DATA with END_STREAM; a 204 is one HEADERS with END_STREAM', async () => {
    const backend = await startBackend('s', (req, res) => {
      if (req.url === '/empty') {
        res.statusCode = 204;
        res.end();
        return;
      }
      res.setHeader('content-length', '100');
      res.end('x'.repeat(100));
    });
    const { port } = await startDataplane(tableFor('s.test', [backendOf('b', [backend])]));
    const raw = await RawH2.open(port);
    raw.write(frame(HEADERS, END_HEADERS | END_STREAM, 1, requestBlock('s.test')));
    await raw.until(() => shape(raw, 1).some((s) => s.includes(':END')));
    expect(shape(raw, 1)).toEqual(['HEADERS', 'DATA:END:100']);
    // `:path /empty` (literal, indexed name 4) instead of the block's `/`
    const block = Buffer.concat([Buffer.from([0x82, 0x86, 0x04, 6]), Buffer.from('/empty'), Buffer.from([0x01, 6]), Buffer.from('s.test')]);
    raw.write(frame(HEADERS, END_HEADERS | END_STREAM, 3, block));
    await raw.until(() => shape(raw, 3).some((s) => s.includes(':END')));
    expect(shape(raw, 3)).toEqual(['HEADERS:END']);
  });

  it('a streamed response (no content-length) goes out as it comes: the first chunk is not held back for the end', async () => {
    let finish: (() => void) | undefined;
    const backend = await startBackend('c', (_req, res) => {
      res.write('first;');
      finish = () => res.end('last');
    });
    const { port } = await startDataplane(tableFor('c.test', [backendOf('b', [backend])]));
    const raw = await RawH2.open(port);
    raw.write(frame(HEADERS, END_HEADERS | END_STREAM, 1, requestBlock('c.test')));
    await raw.until(() => shape(raw, 1).some((s) => s.startsWith('DATA')));
    expect(shape(raw, 1)).toEqual(['HEADERS', 'DATA:6']);
    finish!();
    await raw.until(() => shape(raw, 1).some((s) => s.includes(':END')));
    expect(shape(raw, 1).slice(-1)[0]).toMatch(/^DATA:END/);
  });
});
