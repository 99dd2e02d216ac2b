import { defineConfig } from 'vitest/config';

// Unit tests sit beside the code (packages/*/src/**/*.test.ts); tests that need a real
// nats-server, processes, S3 or fault injection live in test/.
export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts', 'examples/*/src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    execArgv: ['--expose-gc'],
    fileParallelism: false,
  },
});
