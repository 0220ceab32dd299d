/** Shared helpers of the infrastructure tests: synthesize an app once, then walk its JSON. */
import * as path from 'node:path';
import { Testing } from 'cdktf';
import { loadConfig } from 'cleanroom-runtime/src/config';
import { buildCleanroomApp, type CleanroomDefinition } from '../../stacks/cleanroom-app';
import { definitionFromConfig, readConfigFiles } from '../../stacks/from-config';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const EXAMPLES_DIR = path.join(REPO_ROOT, 'examples');

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Synthesized stacks by id: the exact JSON text (for byte comparisons) and its parsed form. */
export interface SynthesizedApp {
  readonly text: ReadonlyMap<string, string>;
  readonly json: ReadonlyMap<string, JsonObject>;
}

export function synthDefinition(definition: CleanroomDefinition): SynthesizedApp {
  const app = Testing.app();
  const built = buildCleanroomApp(app, definition);
  const text = new Map<string, string>();
  text.set(built.cleanroom.node.id, Testing.synth(built.cleanroom));
  for (const stack of built.participants.values()) text.set(stack.node.id, Testing.synth(stack));
  const json = new Map([...text].map(([id, t]) => [id, JSON.parse(t) as JsonObject]));
  return { text, json };
}

export async function definitionFromDir(dir: string): Promise<CleanroomDefinition> {
  return definitionFromConfig(await loadConfig(dir), await readConfigFiles(dir));
}

export interface ResourceEntry {
  readonly stack: string;
  readonly type: string;
  readonly name: string;
  readonly body: JsonObject;
}

/** Every resource (or data source, with `kind: 'data'`) of the given stacks. */
export function entries(app: SynthesizedApp, kind: 'resource' | 'data' = 'resource', stacks?: string[]): ResourceEntry[] {
  const out: ResourceEntry[] = [];
  for (const [stack, json] of app.json) {
    if (stacks && !stacks.includes(stack)) continue;
    const byType = (json[kind] ?? {}) as Record<string, Record<string, JsonObject>>;
    for (const [type, byName] of Object.entries(byType)) {
      for (const [name, body] of Object.entries(byName)) out.push({ stack, type, name, body });
    }
  }
  return out;
}

export function ofType(list: ResourceEntry[], type: string): ResourceEntry[] {
  return list.filter((e) => e.type === type);
}

/** Every string anywhere in a JSON value (keys included). */
export function allStrings(value: Json, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => allStrings(v, out));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      allStrings(v, out);
    }
  }
  return out;
}
