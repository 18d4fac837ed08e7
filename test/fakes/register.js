// Lets plain `node` run TypeScript test programs without a build: compiles each .ts file on
// require with @swc/core (already in the test toolchain). Use: node -r ./test/fakes/register.js x.ts
'use strict';
const { addHook } = require('pirates');
const { transformSync } = require('@swc/core');

addHook(
  (code, filename) =>
    transformSync(code, {
      filename,
      module: { type: 'commonjs' },
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      sourceMaps: 'inline',
    }).code,
  { exts: ['.ts'], ignoreNodeModules: true },
);
