import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    // TEST_DATABASE_URL=postgres://... runs the suite on a PostgreSQL database of the run's own.
    globalSetup: ['tests/setup/postgres.ts'],
    // Each file builds its own app on its own database; end-to-end tests start real processes.
    testTimeout: 30_000,
    hookTimeout: 20_000,
  },
});
