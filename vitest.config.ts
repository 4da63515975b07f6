import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    // Hooks start Pier processes: a bound against hanging, generous for a loaded 2-core machine.
    hookTimeout: 60_000,
    // Two cores: tests that start Pier processes and load them must not starve each other.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
