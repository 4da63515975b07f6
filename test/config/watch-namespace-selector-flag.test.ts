import { describe, expect, it } from 'vitest';
import { helpText } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';
import { matchesLabels } from '../../src/source/label-selector.ts';
import { serve } from './serve-config.ts';

describe('--watch-namespace-selector', () => {
  it('is off by default; takes a label selector from the flag or PIER_WATCH_NAMESPACE_SELECTOR', () => {
    expect(serve([]).watchNamespaceSelector).toBeUndefined();
    const fromFlag = serve(['--watch-namespace-selector', 'team=a,env in (prod,staging),!legacy']).watchNamespaceSelector!;
    expect(fromFlag.text).toBe('team=a,env in (prod,staging),!legacy');
    expect(matchesLabels(fromFlag, { team: 'a', env: 'staging' })).toBe(true);
    expect(matchesLabels(fromFlag, { team: 'a', env: 'staging', legacy: '1' })).toBe(false);
    const fromEnv = serve([], { PIER_WATCH_NAMESPACE_SELECTOR: 'team=b' }).watchNamespaceSelector!;
    expect(matchesLabels(fromEnv, { team: 'b' })).toBe(true);
    expect(serve(['--watch-namespace-selector=team=c'], { PIER_WATCH_NAMESPACE_SELECTOR: 'team=b' }).watchNamespaceSelector!.text).toBe('team=c');
  });

  it.each([
    ['team=a,', "invalid value for --watch-namespace-selector: \"team=a,\" (expected a label selector such as team=a,env in (prod,staging),!legacy; found the end, expected a label key after ',')"],
    ['env in (prod', 'invalid value for --watch-namespace-selector: "env in (prod" (expected a label selector such as team=a,env in (prod,staging),!legacy; found the end, expected \',\' or \')\')'],
    ['team=a b', 'invalid value for --watch-namespace-selector: "team=a b" (expected a label selector such as team=a,env in (prod,staging),!legacy; found \'b\', expected \',\' or the end)'],
    [' ', 'invalid value for --watch-namespace-selector: " " (expected a non-empty value)'],
  ])('refuses %j at start, naming the flag', (value, message) => {
    const parse = () => serve([`--watch-namespace-selector=${value}`]);
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(message);
  });

  it('a malformed PIER_WATCH_NAMESPACE_SELECTOR names the variable and the flag', () => {
    expect(() => serve([], { PIER_WATCH_NAMESPACE_SELECTOR: 'team in a' })).toThrow(/^invalid value for PIER_WATCH_NAMESPACE_SELECTOR \(--watch-namespace-selector\): "team in a" \(expected a label selector .*found 'a', expected '\('\)$/);
  });

  it('is refused together with --watch-namespace (ingress-nginx refuses the pair too)', () => {
    const both = () => serve(['--watch-namespace', 'shop', '--watch-namespace-selector', 'team=a']);
    expect(both).toThrow(ConfigError);
    expect(both).toThrow('--watch-namespace-selector and --watch-namespace exclude each other (as in ingress-nginx): give one namespace, or a selector of namespaces');
    expect(() => serve(['--watch-namespace', 'shop'], { PIER_WATCH_NAMESPACE_SELECTOR: 'team=a' }))
      .toThrow('PIER_WATCH_NAMESPACE_SELECTOR (--watch-namespace-selector) and --watch-namespace exclude each other');
  });

  it('--help shows it next to --watch-namespace', () => {
    expect(helpText()).toMatch(/--watch-namespace NS .*\n {2}--watch-namespace-selector SELECTOR +Only serve Ingresses .*label selector.*\(PIER_WATCH_NAMESPACE_SELECTOR\)/);
  });
});
