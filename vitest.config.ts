import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'evaluator/**/*.test.ts',
      'controller/**/*.test.ts',
      'workers/**/*.test.ts',
      'testing/**/*.test.ts',
      'scripts/**/*.test.ts',
      'web/**/*.test.ts',
      'prometheus/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: integration suites share MariaDB and Redis, so keep parallelism modest.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
