import { afterEach, describe, expect, it } from 'vitest';
import { backendOf, closeAll, startBackend, startDataplane, tableFor } from '../dataplane/helpers.ts';
import { h2Connect, h2Request } from './h2-client.ts';
import { CONTINUATION, END_HEADERS, END_STREAM, frame, HEADERS, RawH2, requestBlock, RST_STREAM } from './h2-raw.ts';

afterEach(closeAll);

const ENHANCE_YOUR_CALM = 11;
const PROTOCOL_ERROR = 1;
const INTERNAL_ERROR = 2;

async function pier() {
  const backend = await startBackend('b');
  const dp = await startDataplane(tableFor('site.test', [backendOf('b', [backend])]));
  return { backend, ...dp };
}

describe('HTTP/2 front protections', () => {
  it('announces SETTINGS_MAX_CONCURRENT_STREAMS 128 (--http2-max-concurrent-streams default)', async () => {
    const { origin } = await pier();
    const session = await h2Connect(origin);
    await new Promise((resolve) => (session.remoteSettings.maxConcurrentStreams === 128 ? resolve(null) : session.once('remoteSettings', resolve)));
    expect(session.remoteSettings.maxConcurrentStreams).toBe(128);
    expect(session.remoteSettings.maxHeaderListSize).toBe(32 * 1024);
  });

  it('rapid reset (CVE-2023-44487): a client opening and cancelling 5000 streams in a burst gets GOAWAY; the upstream sees a bounded share', async () => {
    const { port, origin, backend } = await pier();
    const raw = await RawH2.open(port);
    const block = requestBlock('site.test');
    const cancel = Buffer.alloc(4);
    cancel.writeUInt32BE(8);
    // 5000 HEADERS + RST_STREAM pairs, written in batches of 250 (bounded in count and time).
    for (let batch = 0; batch < 20 && !raw.closed; batch++) {
      const frames: Buffer[] = [];
      for (let i = 0; i < 250; i++) {
        const id = (batch * 250 + i) * 2 + 1;
        frames.push(frame(HEADERS, END_HEADERS | END_STREAM, id, block), frame(RST_STREAM, 0, id, cancel));
      }
      raw.write(...frames);
      await new Promise((r) => setImmediate(r));
    }
    await raw.until(() => raw.goaway() !== undefined, 5_000);
    // nghttp2's stream reset rate limit (set through node's streamResetBurst/Rate) ends the
    // connection with GOAWAY INTERNAL_ERROR; node's own checks use ENHANCE_YOUR_CALM.
    expect([INTERNAL_ERROR, ENHANCE_YOUR_CALM]).toContain(raw.goaway());
    expect(backend.seen.length).toBeLessThan(1500);
    // Other clients are served as before.
    const session = await h2Connect(origin);
    expect((await h2Request(session, { ':path': '/', ':authority': 'site.test' })).status).toBe(200);
  });

  it('CONTINUATION flood (2024): endless CONTINUATION frames without END_HEADERS close the connection, nothing reaches the upstream', async () => {
    const { port, backend } = await pier();
    const raw = await RawH2.open(port);
    raw.write(frame(HEADERS, 0, 1, requestBlock('site.test')));
    const piece = requestBlock('', [['x-flood', 'a'.repeat(60)]], false);
    for (let batch = 0; batch < 50 && !raw.closed; batch++) {
      raw.write(...Array.from({ length: 200 }, () => frame(CONTINUATION, 0, 1, piece)));
      await new Promise((r) => setImmediate(r));
    }
    await raw.until(() => raw.closed || raw.goaway() !== undefined, 5_000);
    expect(raw.closed || raw.goaway() !== undefined).toBe(true);
    expect(backend.seen.length).toBe(0);
  });

  it('connection-specific fields and a missing :path are refused (RST_STREAM PROTOCOL_ERROR), the connection lives on', async () => {
    const { port, backend } = await pier();
    const raw = await RawH2.open(port);
    raw.write(frame(HEADERS, END_HEADERS | END_STREAM, 1, requestBlock('site.test', [['connection', 'keep-alive']])));
    raw.write(frame(HEADERS, END_HEADERS | END_STREAM, 3, Buffer.concat([Buffer.from([0x82, 0x86, 0x01]), Buffer.from([9]), Buffer.from('site.test')])));
    raw.write(frame(HEADERS, END_HEADERS | END_STREAM, 5, requestBlock('site.test')));
    await raw.until(() => raw.reset(1) !== undefined && raw.reset(3) !== undefined && raw.frames.some((f) => f.stream === 5 && f.type === HEADERS));
    expect(raw.reset(1)).toBe(PROTOCOL_ERROR);
    expect(raw.reset(3)).toBe(PROTOCOL_ERROR);
    expect(backend.seen.length).toBe(1);
  });

  it('a header list over SETTINGS_MAX_HEADER_LIST_SIZE is refused without reaching the upstream', async () => {
    const { origin, backend } = await pier();
    const session = await h2Connect(origin);
    const r = await h2Request(session, { ':path': '/', ':authority': 'site.test', 'x-big': 'v'.repeat(40 * 1024) });
    expect(r.status === 431 || r.rstCode !== 0).toBe(true);
    expect(backend.seen.length).toBe(0);
  });
});
