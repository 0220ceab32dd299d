/**
 * The repository's code and docs carry what a reader needs in the project's own words: no reference to a
 * specification document that is not in the repository (its sections, "§n"); the protocol is in docs/protocol.md.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CONTROL_TABLES } from '../../src/control/tables';

const REPO = path.resolve(__dirname, '../../..');
const SKIP = new Set(['node_modules', '.git', 'dist', 'cdktf.out', '.cleanroom', 'coverage', '.gen']);
// Built from parts so this file does not match itself.
const FORBIDDEN = [new RegExp(['SPEC', ' §'].join('')), new RegExp(['SPEC', '\\.md'].join(''))];

async function files(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.filter((e) => !SKIP.has(e.name)).map((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : Promise.resolve(/\.(ts|js|md|json|ya?ml)$/.test(e.name) ? [path.join(dir, e.name)] : []))),
  );
  return nested.flat();
}

test('no code comment or doc cites a specification section outside the repository', async () => {
  const offending: string[] = [];
  for (const file of await files(REPO)) {
    const text = await fs.readFile(file, 'utf8');
    text.split('\n').forEach((line, i) => {
      if (FORBIDDEN.some((pattern) => pattern.test(line))) offending.push(`${path.relative(REPO, file)}:${i + 1}: ${line.trim()}`);
    });
  }
  expect(offending).toEqual([]);
});

test('docs/protocol.md covers the event protocol, the control tables and visibility', async () => {
  const text = await fs.readFile(path.join(REPO, 'docs', 'protocol.md'), 'utf8');
  expect(text).toMatch(/^## Events$/m);
  expect(text).toMatch(/^## Control tables$/m);
  expect(text).toMatch(/^## Visibility$/m);
  // Every control table the runtime publishes, from the one definition of them.
  for (const table of Object.keys(CONTROL_TABLES)) expect(text).toContain(`| \`${table}\``);
});

test("the docs stand on their own: no path to fixtures outside the repository", async () => {
  const outside = new RegExp(['\\.\\./', 'shared'].join(''));
  const offending: string[] = [];
  for (const file of (await files(REPO)).filter((f) => f.endsWith('.md'))) {
    const text = await fs.readFile(file, 'utf8');
    text.split('\n').forEach((line, i) => {
      if (outside.test(line)) offending.push(`${path.relative(REPO, file)}:${i + 1}: ${line.trim()}`);
    });
  }
  expect(offending).toEqual([]);
});
