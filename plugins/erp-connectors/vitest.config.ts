import { defineConfig } from 'vitest/config';

/**
 * The plugin's own test run (`pnpm test` in this folder): one PostgreSQL for the run, with a template database
 * migrated once with Laurel's core modules, from the harness's global setup. (In the Laurel repository the root
 * configuration runs these same files with the repository's setup.)
 */
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    globalSetup: ['@laurel/testing/global-setup'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
