#!/usr/bin/env node
'use strict';
// The CLI runs from the compiled output; `make setup` (or `npm run build`) makes it.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const entry = join(__dirname, '..', 'dist', 'cli', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write(
    'reelcast: not built yet. Run `make setup` (or `npm run build`) in the project folder first.\n',
  );
  process.exit(1);
}
require(entry).main();
