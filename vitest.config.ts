import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Workspace packages are consumed from source through the `wallet-source` export condition.
const resolve = { conditions: ['wallet-source', ...defaultServerConditions] };

export default defineConfig({
  resolve,
  ssr: { resolve: { conditions: resolve.conditions, externalConditions: ['wallet-source'] } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'deploy/k8s/test/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**', '**/dist/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'packages/*/src/**/*.int.test.ts', 'services/*/src/**/*.int.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**'],
          globalSetup: ['test/harness/globalSetup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Cluster tests start real processes: keep the 2-core machine from thrashing.
          fileParallelism: false,
        },
      },
    ],
  },
});
