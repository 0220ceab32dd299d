#!/usr/bin/env node
'use strict';
// The CLI ships compiled: dist/ is built by `npm run build`, which `npm ci` runs (the package's prepare script)
// and which every packed copy of this package holds. A source checkout whose build is missing runs the
// TypeScript sources through tsx instead (slower to start), and says so.
const path = require('node:path');
const fs = require('node:fs');

const compiled = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
if (fs.existsSync(compiled)) {
  require(compiled);
} else {
  let tsx;
  try {
    tsx = require.resolve('tsx/cjs');
  } catch {
    process.stderr.write(`cleanroom: ${compiled} is missing: build the CLI with \`npm run build\` in ${path.dirname(__dirname)}\n`);
    process.exit(1);
  }
  process.stderr.write('cleanroom: no compiled CLI (dist/): running the TypeScript sources; `npm run build` makes it start faster\n');
  require(tsx);
  require('../src/cli/main.ts');
}
