#!/usr/bin/env node
// The CLI runs the TypeScript sources through tsx, so there is no build step between `npm ci` and use.
require('tsx/cjs');
require('../src/cli/main.ts');
