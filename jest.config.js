/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // tsconfig sets isolatedModules, so ts-jest transpiles each file alone; type checking runs
    // once in `npm run typecheck` (pretest), not per test file.
    '^.+\\.ts$': 'ts-jest',
  },
  setupFiles: ['<rootDir>/test/support/setup-env.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  testTimeout: 60000,
  // Two cores: one worker per core keeps dynalite-backed files from starving each other.
  maxWorkers: 2,
};
