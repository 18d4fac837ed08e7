#!/usr/bin/env node
// Runs jest and ends with one plain line that any CI can read: "tests: N passed, N failed, N skipped".
'use strict';
const { spawnSync } = require('node:child_process');
const { mkdtempSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const { tmpdir } = require('node:os');

const results = join(mkdtempSync(join(tmpdir(), 'reelcast-jest-')), 'results.json');
const jest = require.resolve('jest/bin/jest');
const run = spawnSync(
  process.execPath,
  [jest, '--ci', '--json', `--outputFile=${results}`, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
let summary = 'tests: jest produced no results';
try {
  const r = JSON.parse(readFileSync(results, 'utf8'));
  summary = `tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`;
  if (r.numTotalTests === 0) summary = 'tests: 0 passed, 0 failed (no test ran)';
} catch {
  // keep the message above
}
process.stdout.write(`\n${summary}\n`);
process.exit(run.status ?? 1);
