#!/usr/bin/env node
// Runs the fake X server (TypeScript) without a build step: compiles on require with @swc/core,
// which the test toolchain already has. Usage: see main.ts.
'use strict';
const { addHook } = require('pirates');
const { transformSync } = require('@swc/core');

addHook(
  (code, filename) =>
    transformSync(code, {
      filename,
      module: { type: 'commonjs' },
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    }).code,
  { exts: ['.ts'], ignoreNodeModules: true },
);
require('./main.ts');
