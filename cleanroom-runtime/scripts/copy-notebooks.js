#!/usr/bin/env node
// The Databricks notebooks the runtime owns (the SQL runner and the release step) are Python files read at run time
// from next to the compiled engine (`<dist>/engines/databricks/runner/`): tsc copies only TypeScript, so the build
// copies them, and every packed copy and container image of the runtime holds them.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const pkg = path.resolve(__dirname, '..');
const from = path.join(pkg, 'src', 'engines', 'databricks', 'runner');
const to = path.join(pkg, 'dist', 'engines', 'databricks', 'runner');

fs.mkdirSync(to, { recursive: true });
for (const name of fs.readdirSync(from)) {
  if (name.endsWith('.py') && !name.startsWith('test_')) fs.copyFileSync(path.join(from, name), path.join(to, name));
}
