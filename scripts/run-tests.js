#!/usr/bin/env node
// Runs jest, then the export parity run (models/export/test-export.sh: the tiny Wan2.2 checkpoint
// rebuilt, exported and compared with diffusers; its Python was installed in the background by
// `scripts/bootstrap.sh --tests` while jest ran), and ends with one plain line that any CI can
// read: "tests: N passed, N failed, N skipped", both runs counted.
// Arguments go to jest; with arguments (a subset of the tests) the export parity run is skipped.
'use strict';
const { spawnSync } = require('node:child_process');
const { mkdtempSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const { tmpdir } = require('node:os');

const dir = mkdtempSync(join(tmpdir(), 'reelcast-jest-'));
const jest = require.resolve('jest/bin/jest');
const args = process.argv.slice(2);

/** Counts of one jest JSON result file, or undefined when jest wrote none. */
function counts(file) {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8'));
    return {
      passed: r.numPassedTests,
      failed: r.numFailedTests,
      skipped: r.numPendingTests + r.numTodoTests,
      total: r.numTotalTests,
    };
  } catch {
    return undefined;
  }
}

const results = join(dir, 'results.json');
const run = spawnSync(process.execPath, [jest, '--ci', '--json', `--outputFile=${results}`, ...args], {
  stdio: 'inherit',
});
const suite = counts(results);
let status = run.status ?? 1;
let summary = 'tests: jest produced no results';
if (suite) {
  summary = `tests: ${suite.passed} passed, ${suite.failed} failed, ${suite.skipped} skipped`;
  if (suite.total === 0) summary = 'tests: 0 passed, 0 failed (no test ran)';
}

if (args.length === 0) {
  const parityResults = join(dir, 'export-parity.json');
  process.stdout.write('\n==> export parity (models/export/test-export.sh)\n');
  const parity = spawnSync(join(__dirname, '..', 'models', 'export', 'test-export.sh'), [], {
    stdio: 'inherit',
    env: { ...process.env, REELCAST_JEST_JSON: parityResults },
  });
  const p = counts(parityResults);
  if (parity.status !== 0) {
    status = status || 1;
    process.stdout.write(
      '\nexport parity FAILED: see the lines above (the exporter install, the export or the parity test). ' +
        'Run `make test-export` to repeat it alone.\n',
    );
  }
  if (suite) {
    // An install or export that failed before the parity test ran counts as one failed test.
    const add = p ?? { passed: 0, failed: parity.status === 0 ? 0 : 1, skipped: 0 };
    summary = `tests: ${suite.passed + add.passed} passed, ${suite.failed + add.failed} failed, ${suite.skipped + add.skipped} skipped`;
  }
}
process.stdout.write(`\n${summary}\n`);
process.exit(status);
