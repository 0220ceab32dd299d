/**
 * Spark's own golden query files (apache/spark sql/core/src/test/resources/sql-tests/results, read from the shared
 * fixtures, never copied here) run through the Spark SQL front in a locked sandbox. Per file: queries that agree
 * with Spark, refused ones, and the two failures that must never happen: different rows, and an answer where Spark
 * raises. Format of the files: SQLQueryTestSuite (https://github.com/apache/spark/blob/master/sql/core/src/test/scala/org/apache/spark/sql/SQLQueryTestSuite.scala).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runGoldenFile, type FileReport } from './golden-runner';

const FIXTURES = path.resolve(__dirname, '../../../../../../shared/fixtures/spark-sql');
const files = fs.existsSync(FIXTURES) ? fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.sql.out')).sort() : [];

describe("Spark's golden files through the local engine's Spark SQL front", () => {
  const reports: FileReport[] = [];

  it('finds the golden files', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
  });

  it.each(files)('%s: no different rows, no answer where Spark raises', async (file) => {
    const report = await runGoldenFile(path.join(FIXTURES, file));
    reports.push(report);
    const wrong = report.queries
      .filter((q) => q.verdict === 'different' || q.verdict === 'spark_raises_local_answers' || q.verdict === 'local_raises')
      .map((q) => `#${q.query.index} ${q.verdict}: ${q.query.sql.slice(0, 120)}`);
    expect(wrong).toEqual([]);
    expect(report.queries.length).toBeGreaterThan(0);
  });

  it('agrees with Spark on at least 90% of the queries and refuses at most 10%', () => {
    expect(reports).toHaveLength(files.length);
    const total = { queries: 0, agree: 0, refused: 0, different: 0, raises: 0 };
    const lines = ['| file | queries | agree | refused | different | Spark raises, local answers |', '|---|---|---|---|---|---|'];
    for (const r of reports) {
      const n = r.queries.length;
      total.queries += n;
      total.agree += r.counts.agree;
      total.refused += r.counts.refused;
      total.different += r.counts.different + r.counts.local_raises;
      total.raises += r.counts.spark_raises_local_answers;
      lines.push(`| ${path.basename(r.file)} | ${n} | ${r.counts.agree} | ${r.counts.refused} | ${r.counts.different + r.counts.local_raises} | ${r.counts.spark_raises_local_answers} |`);
    }
    lines.push(`| total | ${total.queries} | ${total.agree} | ${total.refused} | ${total.different} | ${total.raises} |`);
    process.stdout.write(`${lines.join('\n')}\n`);
    expect(total.different).toBe(0);
    expect(total.raises).toBe(0);
    expect(total.agree / total.queries).toBeGreaterThanOrEqual(0.9);
    expect(total.refused / total.queries).toBeLessThanOrEqual(0.1);
  });
});
