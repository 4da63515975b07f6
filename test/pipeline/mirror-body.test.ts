import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MirrorBody } from '../../src/dataplane/pipeline/filters/mirror-body.ts';

/* The body copy a mirror gets: it follows the real upstream's reads, never leads them. */

function source(): Readable {
  return new Readable({ read() {} });
}

/** Collects a stream's chunks until it ends or fails. */
function drain(stream: Readable): Promise<{ text: string; error?: Error }> {
  return new Promise((resolve) => {
    let text = '';
    stream.on('data', (c: Buffer) => (text += c.toString()));
    stream.on('end', () => resolve({ text }));
    stream.on('error', (error) => resolve({ text, error }));
  });
}

describe('MirrorBody', () => {
  it('does not set the body flowing; once the upstream reads, both get every chunk, the buffered ones first', async () => {
    const body = source();
    body.push('a');
    const copy = new MirrorBody(body);
    body.push('b');
    await new Promise((r) => setImmediate(r));
    expect(body.readableFlowing).toBe(null); // nothing read before the upstream attached
    const upstream = drain(body);
    const mirror = drain(copy);
    body.push('c');
    body.push(null);
    expect((await upstream).text).toBe('abc');
    expect(await mirror).toEqual({ text: 'abc' });
  });

  it('a mirror that reads nothing is dropped past the bound; the upstream still gets everything, unpaused by the copy', async () => {
    const body = source();
    const copy = new MirrorBody(body, 10);
    let failed: Error | undefined;
    copy.on('error', (e) => (failed = e));
    const upstream = drain(body);
    for (const chunk of ['1234', '5678', '90ab', 'cdef']) body.push(chunk);
    body.push(null);
    expect((await upstream).text).toBe('1234567890abcdef');
    expect(copy.dropped).toBe(true);
    expect(copy.destroyed).toBe(true);
    expect(failed?.message).toMatch(/slower than the client/);
    expect(body.listenerCount('data')).toBe(1); // only the upstream's
  });

  it('a request body cut before its end cuts the copy, which is then not "dropped"', async () => {
    const body = source();
    const copy = new MirrorBody(body);
    const mirror = drain(copy);
    body.on('data', () => {}); // the upstream reads
    body.push('part');
    await new Promise((r) => setImmediate(r));
    body.destroy();
    const got = await mirror;
    expect(got.text).toBe('part');
    expect(got.error?.message).toMatch(/ended early/);
    expect(copy.dropped).toBe(false);
  });

  it('cut(): a copy still open is destroyed; a whole one is left to finish', async () => {
    const open = source();
    const openCopy = new MirrorBody(open);
    openCopy.on('error', () => {});
    openCopy.cut();
    expect(openCopy.destroyed).toBe(true);
    expect(open.listenerCount('end')).toBe(0);

    const whole = source();
    const wholeCopy = new MirrorBody(whole);
    void drain(whole);
    whole.push('x');
    whole.push(null);
    await new Promise((r) => whole.once('end', r));
    wholeCopy.cut();
    expect(await drain(wholeCopy)).toEqual({ text: 'x' });
  });
});
