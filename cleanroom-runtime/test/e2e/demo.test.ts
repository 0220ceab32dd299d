/**
 * `cleanroom demo` end to end, in-process, twice into one temporary root: what each participant's published
 * control tables show (visibility per role), the job output against an aggregate recomputed here from the
 * generated sample data, every event SUCCESS, and a second run that registers nothing twice.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { controlTableKey, type ControlTableName } from '../../src/control/tables';
import { DeltaTable, type DeltaRow } from '../../src/delta';
import { DemoOutput } from '../../src/demo/demo-output';
import { inProcessCli } from '../../src/demo/in-process-cli';
import { runDemo, type DemoReport } from '../../src/demo/run-demo';
import { DEFAULT_MIN_USERS } from '../../src/demo/scenario';
import { generateSampleData } from '../../src/demo/sample-data';
import { LocalObjectStore } from '../../src/storage';

const EXAMPLES = path.resolve(__dirname, '../../../examples');
const BUCKET = { publisher: 'publisher-cleanroom-data', advertiser: 'advertiser-cleanroom-data', measurement: 'measurement-cleanroom-data' } as const;
type Who = keyof typeof BUCKET;

let root: string;
let store: LocalObjectStore;
const runs: Array<{ report: DemoReport; printed: string }> = [];

async function demoOnce(): Promise<{ report: DemoReport; printed: string }> {
  let printed = '';
  const out = DemoOutput.forStream({ write: (t: string) => (printed += t), isTTY: false }, {});
  const report = await runDemo({ configDir: EXAMPLES, localRoot: root, out });
  return { report, printed };
}

async function rows(who: Who, table: ControlTableName): Promise<DeltaRow[]> {
  return (await DeltaTable.open(store, BUCKET[who], controlTableKey(table))).readRows();
}

const names = (list: DeltaRow[], column: string): string[] => list.map((r) => String(r[column])).sort();

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'cleanroom-demo-'));
  store = new LocalObjectStore(root);
  runs.push(await demoOnce());
  runs.push(await demoOnce());
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('cleanroom demo, run twice', () => {
  test('the first run processes every request with SUCCESS; the second only its new job', () => {
    const [first, second] = runs.map((r) => r.report);
    expect(first.events.map((e) => `${e.participant}:${e.eventType}:${e.status}`).sort()).toEqual([
      'advertiser:CODE:SUCCESS',
      'advertiser:CODE:SUCCESS',
      'advertiser:DATA:SUCCESS',
      'advertiser:JOB:SUCCESS',
      'advertiser:JOB:SUCCESS',
      'measurement:DATA:SUCCESS',
      'publisher:CODE_REQUEST_APPROVED:SUCCESS',
      'publisher:CODE_REQUEST_APPROVED:SUCCESS',
      'publisher:DATA:SUCCESS',
    ]);
    expect(first.skipped).toEqual([]);
    expect(second.events.map((e) => `${e.participant}:${e.eventType}:${e.status}`)).toEqual(['advertiser:JOB:SUCCESS', 'advertiser:JOB:SUCCESS']);
    expect(second.skipped).toHaveLength(7); // three datasets, two codes, two approvals
    expect(second.jobName).not.toBe(first.jobName);
    expect(runs[1].printed).toContain('skipped: publisher.users is already registered');
  });

  test('no registration is duplicated: events tables and published tables hold each request once', async () => {
    expect((await rows('publisher', 'events')).map((r) => r.event_type)).toEqual(['DATA', 'CODE_REQUEST_APPROVED', 'CODE_REQUEST_APPROVED']);
    expect((await rows('advertiser', 'events')).map((r) => r.event_type)).toEqual(['DATA', 'CODE', 'CODE', 'JOB', 'JOB', 'JOB', 'JOB']);
    expect((await rows('measurement', 'events')).map((r) => r.event_type)).toEqual(['DATA']);
    expect(names(await rows('publisher', 'data'), 'data_metastore_name')).toEqual(['advertiser.conversions', 'measurement.panel', 'publisher.users']);
    expect(names(await rows('publisher', 'code'), 'code_name')).toEqual(['segment_overlap', 'top_buyers']);
  });

  test('visibility per role: the keeper sees everything, collaborators their own and the keeper\'s', async () => {
    expect(names(await rows('advertiser', 'data'), 'data_metastore_name')).toEqual(['advertiser.conversions', 'publisher.users']);
    expect(names(await rows('measurement', 'data'), 'data_metastore_name')).toEqual(['measurement.panel', 'publisher.users']);
    expect(names(await rows('advertiser', 'code'), 'code_name')).toEqual(['segment_overlap', 'top_buyers']);
    expect(await rows('measurement', 'code')).toEqual([]);
    expect(await rows('measurement', 'approval_status')).toEqual([]);
    const jobNames = runs.flatMap((r) => [r.report.jobName, r.report.refusedJobName]).sort();
    for (const who of ['publisher', 'advertiser'] as const) {
      expect(names(await rows(who, 'jobs'), 'job_name')).toEqual(jobNames);
      const byJob = new Map((await rows(who, 'runs')).map((r) => [String(r.job_name), `${r.state}/${r.result_state}/${r.release_state}`]));
      for (const { report } of runs) {
        expect(byJob.get(report.jobName)).toBe('TERMINATED/SUCCESS/RELEASED');
        expect(byJob.get(report.refusedJobName)).toBe('TERMINATED/FAILED/REFUSED');
      }
    }
    expect(await rows('measurement', 'jobs')).toEqual([]);
    expect(await rows('measurement', 'runs')).toEqual([]);
    for (const who of Object.keys(BUCKET) as Who[]) {
      const statuses = await rows(who, 'event_status');
      expect(new Set(statuses.map((s) => s.participant))).toEqual(new Set([who]));
      expect(statuses.every((s) => s.status === 'SUCCESS')).toBe(true);
      expect(statuses).toHaveLength((await rows(who, 'events')).length);
    }
    expect(runs[0].printed).toMatch(/event_status\s+3\s+5\s+1\s+own events only/);
  });

  test('the job output is the overlap aggregate recomputed from the sample data, small segments hidden', async () => {
    const { users, conversions } = generateSampleData();
    const segmentOf = new Map(users.map((u) => [u.email_sha256, String(u.segment)]));
    const bySegment = new Map<string, { people: Set<unknown>; conversions: number; revenue: number }>();
    for (const c of conversions) {
      const segment = segmentOf.get(c.email_sha256);
      if (segment === undefined) continue;
      const agg = bySegment.get(segment) ?? { people: new Set(), conversions: 0, revenue: 0 };
      agg.people.add(c.email_sha256);
      agg.conversions++;
      agg.revenue += Number(c.order_value);
      bySegment.set(segment, agg);
    }
    const expected = [...bySegment]
      .filter(([, a]) => a.people.size >= DEFAULT_MIN_USERS)
      .map(([segment, a]) => ({ segment, matched_users: a.people.size, conversions: a.conversions, revenue: a.revenue }))
      .sort((a, b) => a.segment.localeCompare(b.segment));
    // The threshold must matter for this data, or the test would not show it.
    expect(bySegment.size).toBeGreaterThan(expected.length);
    expect(expected.length).toBeGreaterThan(1);

    for (const { report } of runs) {
      const output = (await (await DeltaTable.open(store, BUCKET.advertiser, `output/${report.jobName}`)).readRows())
        .map((r) => ({ segment: String(r.segment), matched_users: Number(r.matched_users), conversions: Number(r.conversions), revenue: Number(r.revenue) }))
        .sort((a, b) => a.segment.localeCompare(b.segment));
      expect(output.map(({ revenue, ...rest }) => rest)).toEqual(expected.map(({ revenue, ...rest }) => rest));
      output.forEach((row, i) => expect(row.revenue).toBeCloseTo(expected[i].revenue, 2));
      expect(report.outputLocation).toBe(`gs://${BUCKET.advertiser}/output/${report.jobName}`);
    }
    expect(runs[0].printed).toContain(`$ cleanroom table show gs://${BUCKET.advertiser}/output/${runs[0].report.jobName}`);
  });

  test('the approved query that leaks identifiers is refused by the release gate: nothing at its output, the rule and dataset named, no value shown', async () => {
    const { users } = generateSampleData();
    for (const { report, printed } of runs) {
      await expect(DeltaTable.open(store, BUCKET.advertiser, `output/${report.refusedJobName}`)).rejects.toThrow();
      for (const who of ['publisher', 'advertiser'] as const) {
        const run = (await rows(who, 'runs')).find((r) => r.job_name === report.refusedJobName)!;
        expect(String(run.release_message)).toMatch(/^refused \(rule identifiers, set by (advertiser\.conversions|publisher\.users)\): output column "buyer" holds values of the identifier column/);
        for (const user of users.slice(0, 50)) expect(String(run.release_message).toLowerCase()).not.toContain(String(user.email_sha256).slice(0, 16));
      }
      expect(printed).toContain('release gate: REFUSED');
      expect(printed).toContain('release gate: RELEASED');
    }
    // The measurement firm ran nothing and sees no run.
    expect(await rows('measurement', 'runs')).toEqual([]);
  });

  test('plain output off a terminal: steps and commands, no escape codes', () => {
    const { printed } = runs[0];
    expect(printed).not.toMatch(/\x1b\[/);
    expect(printed).toContain('$ cleanroom code approve segment_overlap --hash ');
    expect(printed).toContain('$ cleanroom runtime tick');
  });
});

describe('demo edges', () => {
  test('styled on a terminal, plain with NO_COLOR', () => {
    let styled = '';
    let plain = '';
    DemoOutput.forStream({ write: (t: string) => (styled += t), isTTY: true }, {}).heading('Step');
    DemoOutput.forStream({ write: (t: string) => (plain += t), isTTY: true }, { NO_COLOR: '1' }).heading('Step');
    expect(styled).toContain('\x1b[1m1. Step\x1b[0m');
    expect(plain).toBe('\n1. Step\n');
  });

  test('a configuration without the example participants is refused with what to do', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cleanroom-demo-config-'));
    try {
      await fs.cp(EXAMPLES, dir, { recursive: true });
      await fs.rm(path.join(dir, 'participants', 'measurement.yaml'));
      const out = new DemoOutput({ write: () => undefined }, false);
      await expect(runDemo({ configDir: dir, localRoot: path.join(dir, 'root'), out })).rejects.toThrow(/has no participant measurement: run it with --config examples/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

test('a run interrupted after writing a request (before the runtime processed it) is finished by the next run, not repeated', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cleanroom-demo-interrupted-'));
  try {
    const localRoot = path.join(dir, 'root');
    const cli = inProcessCli({ CLEANROOM_CONFIG_DIR: EXAMPLES, CLEANROOM_LOCAL_ROOT: localRoot });
    const left = await cli.run(['data', 'register', 'publisher.users', '--location', `gs://${BUCKET.publisher}/input/users`, '--format', 'delta', '--as', 'publisher']);
    expect(left.exitCode).toBe(0);
    let printed = '';
    const report = await runDemo({ configDir: EXAMPLES, localRoot, out: new DemoOutput({ write: (t: string) => (printed += t) }, false) });
    expect(printed).toContain('processed 1 request(s) left by an interrupted earlier run');
    expect(report.events.every((e) => e.status === 'SUCCESS')).toBe(true);
    const events = await (await DeltaTable.open(new LocalObjectStore(localRoot), BUCKET.publisher, controlTableKey('events'))).readRows();
    expect(events.map((e) => e.event_type)).toEqual(['DATA', 'CODE_REQUEST_APPROVED', 'CODE_REQUEST_APPROVED']);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
