// Shared jest setup for every package: ts-jest on the TypeScript sources,
// `.js` import suffixes mapped back to the .ts files, and backend selection
// through HASHLAYERS_BACKENDS (test/backends.ts reads it).
module.exports = (dir) => ({
  rootDir: dir,
  testEnvironment: require.resolve('./tools/testing/node-environment.cjs'),
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: `${dir}/tsconfig.json`, diagnostics: { warnOnly: false } }],
  },
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    '^@hashlayers/([a-z-]+)$': `${dir}/../$1/src/index.ts`,
    '^@hashlayers/([a-z-]+)/internal$': `${dir}/../$1/src/internal.ts`,
  },
  testTimeout: 120000,
});
