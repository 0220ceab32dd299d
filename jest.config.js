// One jest run for the whole repo: infrastructure tests in __tests__/, runtime tests in cleanroom-runtime/test/.
// Type checking is done once by `npm run typecheck` (part of `npm test`), so ts-jest only transpiles here.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__', '<rootDir>/cleanroom-runtime/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.[cm]?[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }],
  },
  // These dependencies ship only ES modules; jest's module system needs them as CommonJS.
  transformIgnorePatterns: ['/node_modules/(?!(hyparquet|hyparquet-compressors|hyparquet-writer|hysnappy|fzstd)/)'],
  testTimeout: 60000,
  // jest's default on a 2-core machine is one worker; the slowest suites (crash points, end to end) wait on child
  // processes and I/O as much as on CPU, so two workers keep CI well within its time on 2 cores.
  maxWorkers: Math.max(2, require('node:os').cpus().length - 1),
  // cdktf's jest matchers for the infrastructure tests in __tests__/.
  setupFilesAfterEnv: ['<rootDir>/__tests__/support/cdktf-matchers.ts'],
};
