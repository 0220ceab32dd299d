#!/usr/bin/env node
// `npm pack` takes only files inside this package: `add` copies the repository's example clean room
// (../examples, what `cleanroom demo` runs) into examples/ with its editor modelines pointing at this
// package's schema/ folder; `remove` (postpack) deletes the copy again.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const pkg = path.resolve(__dirname, '..');
const source = path.join(pkg, '..', 'examples');
const target = path.join(pkg, 'examples');

function copy(from, to, depth) {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) copy(src, dst, depth + 1);
    else if (entry.isFile()) {
      const text = fs.readFileSync(src, 'utf8');
      fs.writeFileSync(dst, text.replace(/(\$schema=)(?:\.\.\/)+cleanroom-runtime\/schema\//g, `$1${'../'.repeat(depth)}schema/`));
    }
  }
}

const mode = process.argv[2];
if (mode === 'add') {
  if (!fs.existsSync(source)) {
    process.stderr.write(`pack-examples: ${source} is missing; run npm pack from a checkout of the cleanroom repository\n`);
    process.exit(1);
  }
  fs.rmSync(target, { recursive: true, force: true });
  copy(source, target, 1);
} else if (mode === 'remove') {
  fs.rmSync(target, { recursive: true, force: true });
} else {
  process.stderr.write('usage: pack-examples.js add|remove\n');
  process.exit(2);
}
