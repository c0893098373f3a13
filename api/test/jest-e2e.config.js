/** e2e tests: real PostgreSQL 15 over verify-full TLS (see test/support/postgres-tls.ts). */
module.exports = {
  rootDir: '..',
  testEnvironment: '<rootDir>/test/support/failure-aware-environment.js',
  moduleFileExtensions: ['js', 'json', 'ts'],
  testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  testTimeout: 60000,
};
