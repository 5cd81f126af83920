/** Jest runs the TypeScript sources through swc; `npm test` type-checks them first with tsc. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2020' } }] },
  setupFiles: ['<rootDir>/test/helpers/setup.ts'],
  testTimeout: 120000,
};
