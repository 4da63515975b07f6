import { defineConfig } from 'vitest/config';

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
    projects: [
      { extends: true, test: { name: 'lean', include: ['test/**/*.test.ts'] } },
      { extends: true, test: { name: 'public-http', include: PUBLIC_HTTP_TESTS, env: { PIER_FORCE_PUBLIC_HTTP: '1' } } },
    ],
  },
});
