/** JSON Schemas for editors (yaml-language-server), generated from the zod definition so they cannot drift. */
import { z } from 'zod';
import { cleanroomFileSchema, participantFileSchema } from './schema';

export interface JsonSchemaFile {
  /** File name under cleanroom-runtime/schema/. */
  readonly fileName: string;
  /** Pretty-printed JSON, newline-terminated. */
  readonly content: string;
}

export function jsonSchemaFiles(): JsonSchemaFile[] {
  return [
    render('cleanroom.schema.json', 'cleanroom.yaml', cleanroomFileSchema),
    render('participant.schema.json', 'participants/<name>.yaml', participantFileSchema),
  ];
}

function render(fileName: string, title: string, schema: z.ZodType): JsonSchemaFile {
  // Input side: fields with defaults are optional to write. Draft 7 is what most editors understand.
  const generated = z.toJSONSchema(schema, { io: 'input', target: 'draft-7' });
  const document = {
    ...generated,
    title,
    $comment: 'Generated from cleanroom-runtime/src/config/schema.ts by `npm run schema -w cleanroom-runtime`; do not edit.',
  };
  return { fileName, content: `${JSON.stringify(document, null, 2)}\n` };
}
