/** Temporary copies of examples/ for tests that break one thing at a time. */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { formatProblem, validateConfigDir } from '../../src/config';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const EXAMPLES_DIR = path.join(REPO_ROOT, 'examples');

export interface TempConfig {
  readonly dir: string;
  /** Absolute path of a file inside the copy. */
  file(relative: string): string;
  write(relative: string, text: string): Promise<void>;
  remove(relative: string): Promise<void>;
}

const created: string[] = [];

/** A fresh copy of examples/ (cleaned up by `removeTempConfigs`). */
export async function copyExamples(): Promise<TempConfig> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cleanroom-config-'));
  created.push(dir);
  await fs.cp(EXAMPLES_DIR, dir, { recursive: true });
  return {
    dir,
    file: (relative) => path.join(dir, relative),
    write: (relative, text) => fs.writeFile(path.join(dir, relative), text),
    remove: (relative) => fs.rm(path.join(dir, relative), { recursive: true, force: true }),
  };
}

export async function removeTempConfigs(): Promise<void> {
  await Promise.all(created.splice(0).map((dir) => fs.rm(dir, { recursive: true, force: true })));
}

/** A valid participant file; `name` also names the file the caller writes it to. */
export function participantYaml(name: string, role: 'keeper' | 'collaborator', bucket = `${name.replace(/_/g, '-')}-data`): string {
  return [
    `name: ${name}`,
    `role: ${role}`,
    `bucket: ${bucket}`,
    'databricks:',
    '  host: https://1111111111111111.1.gcp.databricks.com',
    'gcp:',
    `  project: ${name.replace(/_/g, '-')}-project`,
    '',
  ].join('\n');
}

/** A minimal valid cleanroom.yaml (no optional fields), keeper `publisher`. */
export const MINIMAL_CLEANROOM_YAML = [
  'name: retail-media',
  'gcp:',
  '  project: publisher-cleanroom',
  '  region: europe-west1',
  'databricks:',
  '  host: https://1234567890123456.7.gcp.databricks.com/',
  'service_account: cleanroom-runtime@publisher-cleanroom.iam.gserviceaccount.com',
  'state_bucket: publisher-cleanroom-state',
  'keeper: publisher',
  '',
].join('\n');

/** The examples with this cleanroom.yaml, validated: the config (when valid) and each problem as `file:line: ...`. */
export async function validateWithCleanroomYaml(cleanroomYaml: string) {
  const temp = await copyExamples();
  await temp.write('cleanroom.yaml', cleanroomYaml);
  const result = await validateConfigDir(temp.dir);
  return { config: result.config, problems: result.problems.map((p) => formatProblem(p, temp.dir)) };
}
