import { promises as fs } from 'fs';
import * as path from 'path';
import { jsonSchemaFiles } from '../../src/config';

const SCHEMA_DIR = path.resolve(__dirname, '../../schema');

describe('committed JSON Schemas', () => {
  it.each(jsonSchemaFiles().map((file) => [file.fileName, file.content]))(
    '%s is what `npm run schema -w cleanroom-runtime` generates',
    async (fileName, content) => {
      const committed = await fs.readFile(path.join(SCHEMA_DIR, fileName), 'utf8');
      expect(committed).toBe(content);
    },
  );

  it('make defaulted fields optional and forbid unknown fields', () => {
    const [cleanroom, participant] = jsonSchemaFiles().map(
      (file) => JSON.parse(file.content) as { required: string[]; additionalProperties: boolean; properties: Record<string, { default?: unknown }> },
    );
    expect(cleanroom!.required.sort()).toEqual(['databricks', 'gcp', 'keeper', 'name', 'service_account', 'state_bucket']);
    expect(cleanroom!.properties.run_history_retention_days!.default).toBe(30);
    expect(cleanroom!.additionalProperties).toBe(false);
    expect(participant!.required.sort()).toEqual(['bucket', 'databricks', 'gcp', 'name', 'role']);
    expect(participant!.additionalProperties).toBe(false);
  });
});
