import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Each test file's duration in a full run (`project:path` → ms; scripts/test-durations.ts). */
const DURATIONS = JSON.parse(readFileSync(new URL('./test/test-durations.json', import.meta.url), 'utf8')) as Record<string, number>;
/** A file the list does not know yet: placed among the short e2e files. */
const UNKNOWN_MS = 2_000;

/**
 * Longest files first, by the checked-in durations, so the two workers finish together. On a
 * clean clone (CI) vitest has no duration cache and orders by file size, which left one worker
 * running long e2e files alone at the end (a full run took 357 s against 319 s for the same
 * files spread evenly). Projects keep vitest's own order.
 */
class DurationSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const ordered = await super.sort(files);
    const ms = (f: TestSpecification) => DURATIONS[`${f.project.name}:${relative(f.project.config.root, f.moduleId)}`] ?? UNKNOWN_MS;
    const position = new Map(ordered.map((f, i) => [f, i]));
    return ordered.sort((a, b) => (a.project.name === b.project.name ? ms(b) - ms(a) : position.get(a)! - position.get(b)!));
  }
}

/**
 * The HTTP/1.1 front's own tests, run a second time on the public-API layer (node:http and
 * undici: the layer Pier chooses on a Node without the internals of its lean one), so both
 * Node runs of CI check it. test/e2e/public-http.test.ts runs `pier serve` on it as well.
 */
const PUBLIC_HTTP_TESTS = [
  'test/dataplane/http1-limits.test.ts',
  'test/dataplane/http1-server.test.ts',
  'test/dataplane/http1-body-limit.test.ts',
  'test/dataplane/swap.test.ts',
  'test/dataplane/tls.test.ts',
];

export default defineConfig({
  test: {
    // Bounds against hanging, generous for a loaded 2-core machine (tests and hooks start Pier
    // processes; at load average 20+ some took over 30 s). Tests wait for events, not for these.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: tests that start Pier processes and load them must not starve each other.
    maxWorkers: 2,
    fileParallelism: true,
    sequence: { sequencer: DurationSequencer },
    projects: [
      { extends: true, test: { name: 'lean', include: ['test/**/*.test.ts'] } },
      { extends: true, test: { name: 'public-http', include: PUBLIC_HTTP_TESTS, env: { PIER_FORCE_PUBLIC_HTTP: '1' } } },
    ],
  },
});
