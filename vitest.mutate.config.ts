import { defineConfig } from 'vitest/config';

// The unit suite alone, for mutation testing (npm run mutate): no services, so every mutant is
// judged by the pure tests in seconds.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    environment: 'node',
  },
});
