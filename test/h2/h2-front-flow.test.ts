import { afterEach, describe, expect, it } from 'vitest';
import { backendOf, closeAll, startBackend, startDataplane, tableFor } from '../dataplane/helpers.ts';
import { h2Connect } from './h2-client.ts';
import { until } from './h2-helpers.ts';

afterEach(closeAll);

const TOTAL = 32 * 1024 * 1024;

describe('HTTP/2 front flow control', () => {
  it('a client that stops reading stops the upstream (bounded memory per stream); reading again completes the response', async () => {
    let written = 0;
    let finished = false;
    const backend = await startBackend('big', (req, res) => {
      req.resume();
      const chunk = Buffer.alloc(64 * 1024, 7);
      const pump = () => {
        while (written < TOTAL) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end(() => (finished = true));
      };
      pump();
    });
    const { origin } = await startDataplane(tableFor('site.test', [backendOf('b', [backend])]));
    const session = await h2Connect(origin);
    const stream = session.request({ ':path': '/', ':authority': 'site.test' }, { endStream: true });
    let received = 0;
    let reading = false;
    stream.on('data', (c: Buffer) => {
      received += c.length;
      if (!reading) stream.pause();
    });
    const ended = new Promise<void>((resolve) => stream.on('end', resolve));
    await until(() => received > 0, 3_000, 'first bytes');
    // Let everything that can flow flow, then check the upstream is held back.
    let last = -1;
    for (let i = 0; i < 50 && written !== last; i++) {
      last = written;
      await new Promise((r) => setTimeout(r, 40));
    }
    expect(finished).toBe(false);
    expect(written).toBeLessThan(TOTAL / 2);
    reading = true;
    stream.resume();
    await ended;
    expect(received).toBe(TOTAL);
  }, 30_000);
});
