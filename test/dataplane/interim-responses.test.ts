import type { IncomingHttpHeaders } from 'node:http2';
import { afterEach, describe, expect, it } from 'vitest';
import { h2Connect } from '../h2/h2-client.ts';
import { startH2Backend, until } from '../h2/h2-helpers.ts';
import { backendOf, closeAll, policy, RawClient, startBackend, startDataplane, tableFor } from './helpers.ts';
import { rawTranscript } from './http1-raw.ts';

afterEach(closeAll);

const LINK = '</style.css>; rel=preload; as=style';

/** A gate the test opens once the client saw the interim responses (so they provably came first). */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/**
 * A node:http backend that sends 102 Processing and 103 Early Hints, then holds its final
 * answer until `release` opens (never, for HTTP/1.0 cases: they pass `null` and answer at once).
 */
async function hintingBackend(release: Promise<void> | null) {
  return startBackend('hints', (req, res) => {
    req.resume();
    res.writeProcessing();
    res.writeEarlyHints({ link: LINK });
    const finish = () => res.end('final');
    if (release === null) finish();
    else void release.then(finish);
  });
}

/**
 * RFC 9110 §15.2: a proxy forwards 1xx responses (101 is the upgrade path's), except to HTTP/1.0
 * clients. The same behaviour on both HTTP/1.1 layers, the lean one and the public-API one.
 */
describe.each([{ layer: 'lean', publicHttp: false }, { layer: 'public-API', publicHttp: true }])('interim (1xx) responses, $layer HTTP/1.1 layer', ({ publicHttp }) => {
  it('relays 102 and 103 to an HTTP/1.1 client before the final answer, and the connection carries on', async () => {
    const g = gate();
    const backend = await hintingBackend(g.opened);
    const { port, dp } = await startDataplane(tableFor('foo.com', [backendOf('a', [backend])]), { publicHttp });
    expect(dp.publicHttp).toBe(publicHttp);
    const client = await RawClient.open(port);
    client.send('GET /page HTTP/1.1\r\nHost: foo.com\r\n\r\n');
    const processing = await client.response();
    const hints = await client.response();
    // The final answer is still held by the backend: these came ahead of it.
    expect([processing.status, hints.status]).toEqual([102, 103]);
    expect(hints.headers.link).toBe(LINK);
    g.open();
    const final = await client.response();
    expect(final.status).toBe(200);
    expect(final.body).toBe('final');
    // Same connection, next request: nothing of the interim responses is left over.
    const again = client.response();
    client.send('GET /again HTTP/1.1\r\nHost: foo.com\r\n\r\n');
    expect((await again).status).toBe(102);
    expect((await client.response()).status).toBe(103);
    expect((await client.response()).body).toBe('final');
  });

  it('sends no 1xx to an HTTP/1.0 client', async () => {
    const backend = await hintingBackend(null);
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('a', [backend])]), { publicHttp });
    const t = await rawTranscript(port, 'GET / HTTP/1.0\r\nHost: foo.com\r\n\r\n');
    expect(t.text.match(/^HTTP\/1\.1 \d+/gm)).toEqual(['HTTP/1.1 200']);
    expect(t.text.endsWith('final')).toBe(true);
    expect(backend.seen).toHaveLength(1); // the backend did send its hints
  });

  it('relays them to an HTTP/2 client as informational HEADERS, before the response', async () => {
    const g = gate();
    const backend = await hintingBackend(g.opened);
    const { origin } = await startDataplane(tableFor('foo.com', [backendOf('a', [backend])]), { publicHttp });
    const session = await h2Connect(origin);
    const stream = session.request({ ':path': '/page', ':authority': 'foo.com' });
    const informational: IncomingHttpHeaders[] = [];
    stream.on('headers', (h) => informational.push(h));
    let response: IncomingHttpHeaders | undefined;
    stream.on('response', (h) => (response = h));
    let body = '';
    stream.on('data', (c: Buffer) => (body += c.toString()));
    const closed = new Promise((r) => stream.on('close', r));
    await until(() => informational.length === 2, 5_000, 'two informational responses');
    expect(informational.map((h) => h[':status'])).toEqual([102, 103]);
    expect(informational[1]!.link).toBe(LINK);
    expect(response).toBeUndefined();
    g.open();
    await closed;
    expect(response?.[':status']).toBe(200);
    expect(body).toBe('final');
  });
});

describe('interim responses from other upstreams and of other kinds', () => {
  it('relays an HTTP/2 (h2c) upstream\'s 103 to an HTTP/1.1 client', async () => {
    const g = gate();
    const backend = await startH2Backend((stream) => {
      stream.additionalHeaders({ ':status': 103, link: LINK });
      void g.opened.then(() => {
        stream.respond({ ':status': 200 });
        stream.end('final');
      });
    });
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('a', [{ host: '127.0.0.1', port: backend.port }], policy({ protocol: 'H2C' }))]));
    const client = await RawClient.open(port);
    client.send('GET / HTTP/1.1\r\nHost: foo.com\r\n\r\n');
    const hints = await client.response();
    expect(hints.status).toBe(103);
    expect(hints.headers.link).toBe(LINK);
    g.open();
    expect((await client.response()).body).toBe('final');
  });

  it('gives a client that sent Expect: 100-continue one 100 Continue, not a second one from the backend (lean layer)', async () => {
    // Pier answers the expectation itself (Expect is not forwarded) when the backend starts
    // reading the body; this backend sends a 100 of its own too. (The public-API layer's undici
    // refuses such an unsolicited 100: README, "When Node internals are missing".)
    const backend = await startBackend('cont', (req, res) => {
      res.writeContinue();
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => res.end(`got ${Buffer.concat(chunks).toString()}`));
    });
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('a', [backend])]), { publicHttp: false });
    const client = await RawClient.open(port);
    client.send('POST / HTTP/1.1\r\nHost: foo.com\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n');
    expect((await client.response()).status).toBe(100);
    client.send('hello');
    const final = await client.response();
    expect(final.status).toBe(200);
    expect(final.body).toBe('got hello');
    expect(backend.seen[0]!.headers.expect).toBeUndefined();
  });
});
