import { describe, expect, it } from 'vitest';
import { ingressHostError, isDns1035Label, isIanaSvcName } from '../../src/translate/k8s-names.ts';

describe('ingressHostError', () => {
  it.each([
    ['foo.com', true],
    ['a', true],
    ['*.foo.com', true],
    ['xn--bcher-kva.example', true],
    ['foo-.com', false],
    ['-foo.com', false],
    ['foo..com', false],
    ['Foo.com', false],
    ['*', false],
    ['*.', false],
    ['**.foo.com', false],
    ['foo.*.com', false],
    ['10.0.0.1', false],
    ['::1', false],
    [`${'a'.repeat(250)}.com`, false],
  ])('%s valid: %s', (host, valid) => {
    expect(ingressHostError(host) === undefined).toBe(valid);
  });
});

describe('isDns1035Label (Service names)', () => {
  it.each([['web', true], ['web-1', true], ['1web', false], ['web-', false], ['a.b', false], ['a'.repeat(64), false]])(
    '%s → %s', (name, valid) => expect(isDns1035Label(name)).toBe(valid),
  );
});

describe('isIanaSvcName (port names)', () => {
  it.each([['http', true], ['h2c', true], ['http-alt', true], ['80', false], ['a--b', false], ['-a', false], ['HTTP', false], ['a'.repeat(16), false]])(
    '%s → %s', (name, valid) => expect(isIanaSvcName(name)).toBe(valid),
  );
});
