import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    // TEST_DATABASE_URL=postgres://... runs the suite on a PostgreSQL database of the run's own; the
    // web console is built once for the files that serve it.
    globalSetup: ['tests/setup/postgres.ts', 'tests/setup/console.ts'],
    // Each file builds its own app on its own database; end-to-end tests start real processes.
    testTimeout: 30_000,
    hookTimeout: 20_000,
  },
});
