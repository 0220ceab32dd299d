import { createHash } from 'node:crypto';
import type { ApprovedCode, DatasetRef, RunSpec } from '../../../src/engines/engine';
import { DatabricksEngine, type DatabricksEngineOptions } from '../../../src/engines/databricks';
import type { FakeDatabricks } from '../../support/fake-databricks';

export const POLICIES = { '2X-Small': 'POLICY2XS0001', Small: 'POLICYSMALL01' };

/** An engine wired to the fake, with sleeps recorded instead of waited. */
export function engineFor(
  fake: FakeDatabricks,
  overrides: Partial<DatabricksEngineOptions> = {},
): { engine: DatabricksEngine; waits: number[] } {
  const waits: number[] = [];
  const engine = new DatabricksEngine({
    host: fake.host,
    token: fake.token,
    warehouseId: fake.warehouseId,
    policyIdForCompute: POLICIES,
    sparkVersion: '15.4.x-scala2.12',
    catalog: 'cleanroom_retail',
    maxAttempts: 4,
    requestTimeoutMs: 2_000,
    random: () => 0.5,
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...overrides,
  });
  return { engine, waits };
}

export function approvedCode(content: string, overrides: Partial<ApprovedCode> = {}): ApprovedCode {
  return {
    participant: 'acme',
    name: 'overlap_count',
    hash: createHash('sha256').update(content, 'utf8').digest('hex'),
    language: 'SQL',
    content,
    ...overrides,
  };
}

export const DATASETS: DatasetRef[] = [
  { participant: 'acme', table: 'customers', location: 'gs://acme-bucket/input/customers', format: 'delta' },
  { participant: 'globex', table: 'clients', location: 'gs://globex-bucket/input/clients.csv', format: 'csv' },
];

export function runSpec(overrides: Partial<RunSpec> = {}): RunSpec {
  return {
    jobId: '6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b',
    jobName: 'weekly overlap',
    participant: 'globex',
    code: approvedCode('SELECT count(*) FROM acme.customers c JOIN globex.clients g ON c.email = g.email'),
    parameters: { output: 'gs://globex-bucket/output/overlap', threshold: '10' },
    compute: '2X-Small',
    datasets: DATASETS,
    outputLocation: 'gs://globex-bucket/output/overlap',
    ...overrides,
  };
}
