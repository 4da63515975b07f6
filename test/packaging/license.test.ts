import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/helm.ts';

describe('LICENSE, CHANGELOG and the versions they describe', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { license: string; version: string };

  it('LICENSE is the license package.json names (Apache-2.0, the full text)', () => {
    expect(pkg.license).toBe('Apache-2.0');
    const text = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
    expect(text).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
    expect(text).toContain('END OF TERMS AND CONDITIONS');
  });

  it('CHANGELOG has an entry for package.json\'s version, which the chart deploys', () => {
    expect(readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8')).toMatch(new RegExp(`^## ${pkg.version.replaceAll('.', '\\.')}\\b`, 'm'));
    expect(readFileSync(join(ROOT, 'charts', 'pier', 'Chart.yaml'), 'utf8')).toMatch(new RegExp(`^appVersion: "${pkg.version}"$`, 'm'));
  });
});
