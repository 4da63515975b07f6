import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Bounds against hanging, generous for a loaded 2-core machine (tests and hooks start Pier
    // processes; at load average 20+ some took over 30 s). Tests wait for events, not for these.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: tests that start Pier processes and load them must not starve each other.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
