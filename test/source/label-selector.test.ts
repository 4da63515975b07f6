import { describe, expect, it } from 'vitest';
import { LabelSelectorError, matchesLabels, parseLabelSelector } from '../../src/source/label-selector.ts';

/** Whether `selector` matches an object with `labels`. */
const matches = (selector: string, labels: Record<string, string>) => matchesLabels(parseLabelSelector(selector), labels);

describe('label selectors: what matches (apimachinery labels.Parse + Matches)', () => {
  const cases: { selector: string; yes: Record<string, string>[]; no: Record<string, string>[] }[] = [
    { selector: 'team=a', yes: [{ team: 'a' }, { team: 'a', x: 'y' }], no: [{}, { team: 'b' }, { Team: 'a' }] },
    { selector: 'team==a', yes: [{ team: 'a' }], no: [{ team: 'b' }, {}] },
    { selector: 'team!=a', yes: [{}, { team: 'b' }], no: [{ team: 'a' }] },
    { selector: 'team', yes: [{ team: '' }, { team: 'x' }], no: [{}, { other: 'team' }] },
    { selector: '!legacy', yes: [{}, { team: 'a' }], no: [{ legacy: '' }, { legacy: 'true' }] },
    { selector: 'env in (prod,staging)', yes: [{ env: 'prod' }, { env: 'staging' }], no: [{}, { env: 'dev' }] },
    { selector: 'env notin (prod, staging)', yes: [{}, { env: 'dev' }], no: [{ env: 'prod' }, { env: 'staging' }] },
    { selector: 'team=a,env in (prod,staging),!legacy', yes: [{ team: 'a', env: 'prod' }], no: [{ team: 'a', env: 'prod', legacy: 'y' }, { team: 'b', env: 'prod' }, { team: 'a' }] },
    // The empty value: after = with nothing, and an empty entry of a set.
    { selector: 'team=', yes: [{ team: '' }], no: [{}, { team: 'a' }] },
    { selector: 'env in (a,)', yes: [{ env: 'a' }, { env: '' }], no: [{}, { env: 'b' }] },
    { selector: 'env in ()', yes: [{ env: '' }], no: [{ env: 'a' }] },
    { selector: 'x>1,y<10', yes: [{ x: '2', y: '9' }], no: [{ x: '1', y: '9' }, { x: '2', y: '10' }, { x: 'a', y: '1' }, { y: '1' }] },
    { selector: 'x>9223372036854775806', yes: [{ x: '9223372036854775807' }], no: [{ x: '9223372036854775808' }] },
    // A prefixed key; keywords are keys where a key stands; whitespace anywhere between tokens.
    { selector: 'example.com/team = a', yes: [{ 'example.com/team': 'a' }], no: [{ team: 'a' }] },
    { selector: 'in in (notin)', yes: [{ in: 'notin' }], no: [{ in: 'in' }] },
    { selector: ' team=a ,\tenv!=dev ', yes: [{ team: 'a' }], no: [{ team: 'a', env: 'dev' }] },
    { selector: '', yes: [{}, { a: 'b' }], no: [] },
  ];

  it.each(cases)('$selector', ({ selector, yes, no }) => {
    for (const labels of yes) expect(matches(selector, labels), JSON.stringify(labels)).toBe(true);
    for (const labels of no) expect(matches(selector, labels), JSON.stringify(labels)).toBe(false);
  });

  it('an object without labels is one with none', () => {
    expect(matchesLabels(parseLabelSelector('!a,b!=c'), undefined)).toBe(true);
    expect(matchesLabels(parseLabelSelector('a'), undefined)).toBe(false);
  });

  it('a label named like an Object.prototype property is not mistaken for one', () => {
    expect(matches('constructor', {})).toBe(false);
    expect(matches('!toString', {})).toBe(true);
  });
});

describe('label selectors: what is refused, and why', () => {
  it.each([
    ['team=a,', "found the end, expected a label key after ','"],
    [',team=a', "found ',', expected a label key"],
    ['team=a team=b', "found 'team', expected ',' or the end"],
    ['team=a==b', "found '==', expected ',' or the end"],
    ['!team=a', "found '=', expected ',' or the end"],
    ['team in prod', "found 'prod', expected '('"],
    ['env in (prod', "found the end, expected ',' or ')'"],
    ['env in (prod staging)', "found 'staging', expected ',' or ')'"],
    ['env in (=)', "found '=', expected a value, ',' or ')'"],
    ['team=(a)', "found '(', expected a value"],
    ['team ~ a', "found '~', expected one of =, ==, !=, in, notin, >, <"],
    ['x<a', "'a' is not an integer (> and < compare whole numbers)"],
    ['x>', 'the end is not an integer (> and < compare whole numbers)'],
    ['x>-1', "'-1' is not an integer (> and < compare whole numbers)"],
    ['x>9223372036854775808', "'9223372036854775808' is not an integer (> and < compare whole numbers)"],
    ['-team=a', "'-team' is not a valid label key (an optional DNS subdomain and '/', then at most 63 letters, digits, '-', '_' or '.', beginning and ending with a letter or digit)"],
    ['a/b/c', "'a/b/c' is not a valid label key"],
    ['Example.com/team', "'Example.com/team' is not a valid label key"],
    ['/team', "'/team' is not a valid label key"],
    [`${'k'.repeat(64)}=a`, 'is not a valid label key'],
    ['team=a|b', "'a|b' is not a valid value for label team (at most 63 letters, digits, '-', '_' or '.', beginning and ending with a letter or digit)"],
    [`team=${'v'.repeat(64)}`, 'is not a valid value for label team'],
    ['env in (prod,-x)', "'-x' is not a valid value for label env"],
  ])('%s', (selector, message) => {
    const parse = () => parseLabelSelector(selector);
    expect(parse).toThrow(LabelSelectorError);
    expect(parse).toThrow(message);
  });

  it('the longest key and value Kubernetes allows are taken', () => {
    const key = `${'a'.repeat(63)}.example.com/${'k'.repeat(63)}`;
    expect(matches(`${key}=${'v'.repeat(63)}`, { [key]: 'v'.repeat(63) })).toBe(true);
  });
});
