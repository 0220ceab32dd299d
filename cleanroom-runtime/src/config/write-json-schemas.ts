/** `npm run schema -w cleanroom-runtime`: regenerates cleanroom-runtime/schema/*.schema.json from the zod schema. */
import { promises as fs } from 'fs';
import * as path from 'path';
import { jsonSchemaFiles } from './json-schema';

export const SCHEMA_DIR = path.resolve(__dirname, '../../schema');

async function main(): Promise<void> {
  await fs.mkdir(SCHEMA_DIR, { recursive: true });
  for (const file of jsonSchemaFiles()) {
    const target = path.join(SCHEMA_DIR, file.fileName);
    await fs.writeFile(target, file.content);
    process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
