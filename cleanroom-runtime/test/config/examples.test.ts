import { promises as fs } from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { COMPUTE_SIZES, DEFAULT_CLUSTER_SHAPES, loadConfig, validateConfigDir } from '../../src/config';
import { EXAMPLES_DIR, MINIMAL_CLEANROOM_YAML, copyExamples, removeTempConfigs } from './config-fixtures';

afterAll(removeTempConfigs);

async function readYaml(relative: string): Promise<Record<string, unknown>> {
  return parse(await fs.readFile(path.join(EXAMPLES_DIR, relative), 'utf8')) as Record<string, unknown>;
}

describe('the example configuration', () => {
  it('is valid and loads into the typed config', async () => {
    const result = await validateConfigDir(EXAMPLES_DIR);
    expect(result.problems).toEqual([]);
    const config = await loadConfig(EXAMPLES_DIR);
    const file = await readYaml('cleanroom.yaml');
    expect(config.name).toBe(file.name);
    expect(config.gcp).toEqual(file.gcp);
    expect(config.serviceAccount).toBe(file.service_account);
    expect(config.stateBucket).toBe(file.state_bucket);
    expect(config.keeper).toBe(file.keeper);
    expect(config.computeSizes).toEqual(file.compute_sizes);
    // The nine sizes of the seed's create_job dropdown (christophergrant/clean-notebooks, backend/jobs.py), smallest first.
    expect(file.compute_sizes).toEqual(['2X-Small', 'X-Small', 'Small', 'Medium', 'Large', 'X-Large', '2X-Large', '3X-Large', '4X-Large']);
    expect(config.computeSizes).toEqual([...COMPUTE_SIZES]);
    expect(config.runHistoryRetentionDays).toBe(file.run_history_retention_days);
    expect(config.runtime).toEqual(file.runtime);
  });

  it('has one keeper (the publisher) and two collaborators, sorted by name', async () => {
    const config = await loadConfig(EXAMPLES_DIR);
    const files = (await fs.readdir(path.join(EXAMPLES_DIR, 'participants'))).sort();
    expect(config.participants.map((p) => `${p.name}.yaml`)).toEqual(files);
    expect(config.participants.filter((p) => p.role === 'keeper').map((p) => p.name)).toEqual([config.keeper]);
    expect(config.participants.filter((p) => p.role === 'collaborator')).toHaveLength(2);
    for (const participant of config.participants) {
      expect(participant).toEqual(await readYaml(`participants/${participant.name}.yaml`));
    }
  });

  it('points editors at the committed JSON Schemas', async () => {
    const files = ['cleanroom.yaml', ...(await fs.readdir(path.join(EXAMPLES_DIR, 'participants'))).map((f) => `participants/${f}`)];
    for (const relative of files) {
      const text = await fs.readFile(path.join(EXAMPLES_DIR, relative), 'utf8');
      const match = /^# yaml-language-server: \$schema=(\S+)$/m.exec(text);
      expect(match).not.toBeNull();
      const schemaPath = path.resolve(path.dirname(path.join(EXAMPLES_DIR, relative)), match![1]!);
      const expectedName = relative === 'cleanroom.yaml' ? 'cleanroom.schema.json' : 'participant.schema.json';
      expect(path.basename(schemaPath)).toBe(expectedName);
      await expect(fs.access(schemaPath)).resolves.toBeUndefined();
    }
  });
});

describe('defaults', () => {
  it('fills compute sizes, retention, schedule and strips the trailing slash of hosts', async () => {
    const temp = await copyExamples();
    await temp.write('cleanroom.yaml', MINIMAL_CLEANROOM_YAML);
    const config = await loadConfig(temp.dir);
    expect(config.computeSizes).toEqual([...COMPUTE_SIZES]);
    expect(config.runHistoryRetentionDays).toBe(30);
    expect(config.runtime).toEqual({ schedule: '*/5 * * * *' });
    expect(config.databricks.host).toBe('https://1234567890123456.7.gcp.databricks.com');
  });

  it('gives each load its own compute size list', async () => {
    const temp = await copyExamples();
    await temp.write('cleanroom.yaml', MINIMAL_CLEANROOM_YAML);
    const first = await loadConfig(temp.dir);
    (first.computeSizes as string[]).pop();
    const second = await loadConfig(temp.dir);
    expect(second.computeSizes).toEqual([...COMPUTE_SIZES]);
  });
});

describe('compute sizes', () => {
  it('lists the seed sizes smallest first, each with a cluster shape that grows with size', () => {
    expect(Object.keys(DEFAULT_CLUSTER_SHAPES).sort()).toEqual([...COMPUTE_SIZES].sort());
    const cores = (nodeType: string): number => Number(/^n2-standard-(\d+)$/.exec(nodeType)?.[1]);
    for (let i = 1; i < COMPUTE_SIZES.length; i++) {
      const smaller = DEFAULT_CLUSTER_SHAPES[COMPUTE_SIZES[i - 1]!];
      const larger = DEFAULT_CLUSTER_SHAPES[COMPUTE_SIZES[i]!];
      expect(larger.num_workers).toBeGreaterThan(smaller.num_workers);
      expect(cores(larger.node_type_id)).toBeGreaterThanOrEqual(cores(smaller.node_type_id));
    }
  });
});
