import { describe, expect, it } from 'vitest';
import { serverKey, UpstreamUp } from '../../src/observe/upstream-up.ts';
import { backendOf, tableFor } from '../dataplane/helpers.ts';

/** The samples of pier_upstream_up in `text`, as `labels → value`. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^pier_upstream_up\{(.*)\} (\d+)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

describe('pier_upstream_up rendered by the primary', () => {
  const web = backendOf('service:shop/web:80', [{ host: '10.0.0.1', port: 8080 }, { host: '10.0.0.2', port: 8080 }]);
  const api = backendOf('upstream:shop/api', [{ host: 'fd00::1', port: 9000 }]);
  const table = tableFor('shop.example', [web, api]);

  it('is 1 for every server of the table, with help and type', () => {
    const up = new UpstreamUp();
    up.retain(table);
    const text = up.text();
    expect(text).toContain('# TYPE pier_upstream_up gauge\n');
    expect(samples(text)).toEqual(new Map([
      ['namespace="shop",upstream="web:80",server="10.0.0.1:8080"', 1],
      ['namespace="shop",upstream="web:80",server="10.0.0.2:8080"', 1],
      ['namespace="shop",upstream="api",server="fd00::1:9000"', 1],
    ]));
  });

  it('is 0 where any worker holds the server down, and 1 again once none does or that worker left', () => {
    const up = new UpstreamUp();
    up.retain(table);
    up.report(101, []);
    up.report(102, [serverKey('service:shop/web:80', '10.0.0.2:8080')]);
    expect(samples(up.text()).get('namespace="shop",upstream="web:80",server="10.0.0.2:8080"')).toBe(0);
    expect(samples(up.text()).get('namespace="shop",upstream="web:80",server="10.0.0.1:8080"')).toBe(1);
    up.left(102);
    expect(samples(up.text()).get('namespace="shop",upstream="web:80",server="10.0.0.2:8080"')).toBe(1);
    up.report(101, [serverKey('service:shop/web:80', '10.0.0.2:8080')]);
    up.report(101, []);
    expect(samples(up.text()).get('namespace="shop",upstream="web:80",server="10.0.0.2:8080"')).toBe(1);
  });

  it('follows the table: a backend removed has no series any more', () => {
    const up = new UpstreamUp();
    up.retain(table);
    up.retain(tableFor('shop.example', [api]));
    expect([...samples(up.text()).keys()]).toEqual(['namespace="shop",upstream="api",server="fd00::1:9000"']);
  });
});
