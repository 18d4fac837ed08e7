/**
 * Two projects:
 *  - unit:  pure code and local programs (ffmpeg, onnxruntime); starts no servers.
 *  - stack: integration and end-to-end tests against the real Temporal dev server and the real
 *           S3 server, which the global set-up starts on free loopback ports and stops after.
 * Jest runs a project's global set-up only when one of its tests is selected, so
 * `npx jest test/unit` starts nothing.
 */
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
const common = { testEnvironment: 'node', transform, moduleFileExtensions: ['ts', 'js', 'json'] };

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 120_000,
  // Two cores: leave room for the services, ffmpeg and onnxruntime.
  maxWorkers: 2,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'stack',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts', '<rootDir>/test/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/test/harness/global-setup.ts',
      globalTeardown: '<rootDir>/test/harness/global-teardown.ts',
    },
  ],
};
