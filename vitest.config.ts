import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: a single worker on a 2-core machine. The
    // scenario files mostly wait on their own Redis servers and sandboxes, so two files at once use
    // the second core (measured on 2 cores: 424 s with 1 worker, 203-211 s with 2).
    // VITEST_MAX_WORKERS still overrides.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    setupFiles: ['test/support/setup.ts'],
    // Handlers run in-process: keep Powertools' JSON logs and EMF metrics out of the test output.
    env: {
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_TRACE_ENABLED: 'false',
    },
  },
});
