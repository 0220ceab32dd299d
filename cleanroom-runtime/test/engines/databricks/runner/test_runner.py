"""The runner notebook's own logic against a stub Spark session that records every call (python3, stdlib only).

What the runner relies on from PySpark and Databricks:
- SparkSession.sql(sqlQuery, args=...) binds named parameter markers as literals; keyword arguments would instead
  format the text (https://spark.apache.org/docs/latest/api/python/reference/pyspark.sql/api/pyspark.sql.SparkSession.sql.html),
  so the runner never passes any;
- Catalog.setCurrentCatalog (https://spark.apache.org/docs/latest/api/python/reference/pyspark.sql/api/pyspark.sql.Catalog.setCurrentCatalog.html);
- DataFrameWriter format("delta").mode("overwrite").option("overwriteSchema", "true").save(path) replaces a Delta
  table's data and schema (https://docs.databricks.com/gcp/en/delta/update-schema#replace-table-schema);
- DESCRIBE HISTORY <table> LIMIT 1 returns the latest version in its `version` column
  (https://docs.databricks.com/gcp/en/sql/language-manual/delta-describe-history).
"""
import hashlib
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runner_module import runner  # noqa: E402

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "sql", "sql-reading-corpus.json")


class StubWriter:
    def __init__(self, frame):
        self.frame = frame
        self.settings = []

    def format(self, name):
        self.settings.append(("format", name))
        return self

    def mode(self, name):
        self.settings.append(("mode", name))
        return self

    def option(self, key, value):
        self.settings.append(("option", key, value))
        return self

    def save(self, path):
        self.frame.session.calls.append(("save", self.frame.text, tuple(self.settings), path))


class StubFrame:
    def __init__(self, session, text, rows):
        self.session = session
        self.text = text
        self.rows = rows

    @property
    def write(self):
        return StubWriter(self)

    def collect(self):
        return self.rows


class StubCatalog:
    def __init__(self, session):
        self.session = session

    def setCurrentCatalog(self, name):  # noqa: N802 (PySpark's name)
        self.session.calls.append(("setCurrentCatalog", name))


class StubSpark:
    """Records sql/catalog/write calls; DESCRIBE HISTORY answers from `versions` (a list per table: one per call)."""

    def __init__(self, versions=None, fail_on=None):
        self.calls = []
        self.versions = {k: list(v) for k, v in (versions or {}).items()}
        self.fail_on = fail_on
        self.catalog = StubCatalog(self)

    def sql(self, text, args=None, **kwargs):
        if kwargs:
            raise AssertionError("keyword arguments format the SQL text; the runner must never pass any")
        self.calls.append(("sql", text, args))
        if self.fail_on and self.fail_on in text:
            raise RuntimeError("[TABLE_OR_VIEW_NOT_FOUND] stub failure")
        if text.startswith("DESCRIBE HISTORY "):
            table = text[len("DESCRIBE HISTORY "):-len(" LIMIT 1")]
            queue = self.versions[table]
            version = queue.pop(0) if len(queue) > 1 else queue[0]
            return StubFrame(self, text, [{"version": version, "operation": "WRITE"}])
        return StubFrame(self, text, [])


CODE = """-- Databricks notebook source
CREATE WIDGET TEXT min_users DEFAULT "10"

-- COMMAND ----------

CREATE OR REPLACE TEMP VIEW matched AS
SELECT u.segment, c.revenue FROM publisher.users u JOIN advertiser.conversions c ON u.id = c.id
WHERE u.country = :country;

-- COMMAND ----------

SELECT segment, count(*) AS n, sum(revenue) AS revenue, :run_time AS run_time -- stamped; not ':min_users'
FROM matched GROUP BY segment HAVING count(*) >= :min_users
"""


def widgets_for(code, **overrides):
    values = {
        "cleanroom_code_path": "/Workspace/Cleanroom/sql/%s.sql" % hashlib.sha256(code.encode()).hexdigest(),
        "cleanroom_code_sha256": hashlib.sha256(code.encode("utf-8")).hexdigest(),
        "cleanroom_catalog": "cleanroom_retail",
        "cleanroom_inputs": json.dumps([
            {"name": "publisher.users", "version": 7},
            {"name": "advertiser.conversions", "version": 3},
        ]),
        "cleanroom_parameters": json.dumps({
            "output": "gs://adv-bucket/output/overlap",
            "run_time": "2024-05-06T06:00:00.000Z",
            "country": "FR' OR '1'='1",
            "min_users": "25",
            "unused": "x",
        }),
        "output": "gs://adv-bucket/output/overlap",
    }
    values.update(overrides)
    return values


class Harness:
    def __init__(self, code, versions=None, fail_on=None, **overrides):
        self.code = code
        self.widgets = widgets_for(code, **overrides)
        self.spark = StubSpark(versions or {
            "`cleanroom_retail`.`publisher`.`users`": [7],
            "`cleanroom_retail`.`advertiser`.`conversions`": [3],
        }, fail_on)
        self.reads = []
        self.removed = []

    def read_file(self, path, limit):
        self.reads.append((path, limit))
        return self.code.encode("utf-8")

    def run(self):
        return runner.run_job(self.spark, self.widgets.__getitem__, self.read_file, self.removed.append)


class SharedCorpusTest(unittest.TestCase):
    def test_reads_every_corpus_case_as_the_runtime_does(self):
        with open(CORPUS, encoding="utf-8") as handle:
            cases = json.load(handle)
        self.assertGreaterEqual(len(cases), 10)
        for case in cases:
            with self.subTest(case["name"]):
                self.assertEqual(
                    runner.read_sql_code(case["source"]),
                    {"statements": case["statements"], "widgets": case["widgets"]},
                )


class RunJobTest(unittest.TestCase):
    def test_runs_the_statements_in_order_binding_only_the_markers_each_uses_then_writes_the_result(self):
        harness = Harness(CODE)
        self.assertEqual(harness.run(), 2)
        self.assertEqual(harness.reads, [(harness.widgets["cleanroom_code_path"], runner.MAX_CODE_BYTES + 1)])
        sql = [call for call in harness.spark.calls if call[0] == "sql" and not call[1].startswith("DESCRIBE")]
        self.assertEqual(len(sql), 2)
        self.assertTrue(sql[0][1].startswith("CREATE OR REPLACE TEMP VIEW matched AS"))
        self.assertTrue(sql[0][1].endswith("WHERE u.country = :country"))
        # The value stays a bound argument: the hostile quote never reaches the text.
        self.assertEqual(sql[0][2], {"country": "FR' OR '1'='1"})
        self.assertNotIn("OR '1'='1", sql[0][1] + sql[1][1])
        self.assertEqual(sql[1][2], {"run_time": "2024-05-06T06:00:00.000Z", "min_users": "25"})
        self.assertNotIn("CREATE WIDGET", " ".join(call[1] for call in sql))
        self.assertEqual(harness.spark.calls[0], ("setCurrentCatalog", "cleanroom_retail"))
        saves = [call for call in harness.spark.calls if call[0] == "save"]
        self.assertEqual(saves, [(
            "save",
            sql[1][1],
            (("format", "delta"), ("mode", "overwrite"), ("option", "overwriteSchema", "true")),
            "gs://adv-bucket/output/overlap",
        )])
        self.assertEqual(harness.removed, [])

    def test_an_isolated_run_writes_through_its_staging_volume(self):
        # Path-based writes of Delta tables into a volume are supported (https://docs.databricks.com/aws/volumes/paths).
        volume = "/Volumes/cleanroom_retail/_cleanroom_staging/run_0123456789abcdef0123456789abcdef01234567"
        harness = Harness(CODE, output=volume)
        harness.run()
        saves = [call[3] for call in harness.spark.calls if call[0] == "save"]
        self.assertEqual(saves, [volume])

    def test_a_statement_without_markers_gets_no_args(self):
        harness = Harness("SELECT 1 AS one")
        harness.widgets["cleanroom_inputs"] = "[]"
        harness.run()
        self.assertIn(("sql", "SELECT 1 AS one", None), harness.spark.calls)

    def test_checks_input_versions_before_and_after_the_run(self):
        harness = Harness(CODE)
        harness.run()
        history = [call[1] for call in harness.spark.calls if call[0] == "sql" and call[1].startswith("DESCRIBE HISTORY")]
        self.assertEqual(history, [
            "DESCRIBE HISTORY `cleanroom_retail`.`publisher`.`users` LIMIT 1",
            "DESCRIBE HISTORY `cleanroom_retail`.`advertiser`.`conversions` LIMIT 1",
        ] * 2)
        kinds = [call[0] if call[0] != "sql" else ("history" if call[1].startswith("DESCRIBE") else "sql") for call in harness.spark.calls]
        self.assertEqual(kinds, ["setCurrentCatalog", "history", "history", "sql", "sql", "save", "history", "history"])

    def test_refuses_to_start_when_an_input_changed_since_the_check(self):
        harness = Harness(CODE, versions={
            "`cleanroom_retail`.`publisher`.`users`": [8],
            "`cleanroom_retail`.`advertiser`.`conversions`": [3],
        })
        with self.assertRaisesRegex(runner.RunnerError, r"publisher\.users \(checked at version 7, now 8\)"):
            harness.run()
        self.assertFalse(any(call[0] == "save" for call in harness.spark.calls))

    def test_removes_the_output_when_an_input_changed_during_the_run(self):
        harness = Harness(CODE, versions={
            "`cleanroom_retail`.`publisher`.`users`": [7, 9],
            "`cleanroom_retail`.`advertiser`.`conversions`": [3],
        })
        with self.assertRaisesRegex(runner.RunnerError, "changed while the job ran: publisher.users"):
            harness.run()
        self.assertEqual(harness.removed, ["gs://adv-bucket/output/overlap"])

    def test_refuses_code_whose_sha256_is_not_the_approved_one(self):
        harness = Harness(CODE)
        harness.code = CODE + "; DROP TABLE publisher.users"
        with self.assertRaisesRegex(runner.RunnerError, "not to the approved"):
            harness.run()
        self.assertEqual(harness.spark.calls, [])

    def test_a_marker_without_a_value_stops_the_run_before_any_statement(self):
        code = "SELECT :nope AS x"
        harness = Harness(code, cleanroom_inputs="[]")
        with self.assertRaisesRegex(runner.RunnerError, r"statement 1 of 1 \(line 1\) uses the parameter :nope"):
            harness.run()
        self.assertFalse(any(call[0] == "save" for call in harness.spark.calls))

    def test_the_last_statement_must_be_a_query(self):
        for code, word in (("SELECT 1; CREATE TEMP VIEW v AS SELECT 1", "CREATE"), ("-- only a comment\n", None)):
            with self.subTest(code):
                harness = Harness(code, cleanroom_inputs="[]")
                with self.assertRaisesRegex(runner.RunnerError, word or "no SQL statement"):
                    harness.run()
                self.assertEqual(harness.spark.calls, [])

    def test_queries_start_with_any_of_sparks_query_forms(self):
        for text in ("WITH a AS (SELECT 1) SELECT * FROM a", "/* c */ (SELECT 1)", "VALUES (1)", "TABLE t", "FROM t SELECT *", "select 1"):
            self.assertTrue(runner.is_query(text), text)
        for text in ("INSERT INTO t SELECT 1", "-- SELECT\nDROP VIEW v", "SET x = 1"):
            self.assertFalse(runner.is_query(text), text)

    def test_a_failing_statement_fails_the_run_without_writing(self):
        harness = Harness(CODE, fail_on="GROUP BY")
        with self.assertRaises(RuntimeError):
            harness.run()
        self.assertFalse(any(call[0] == "save" for call in harness.spark.calls))

    def test_refuses_widgets_it_cannot_check(self):
        bad = {
            "cleanroom_code_path": ["/Workspace/../etc/passwd", "/dbfs/x.sql", "/Workspace/a b"],
            "cleanroom_code_sha256": ["ABC", "0" * 63],
            "cleanroom_catalog": ["a.b", "`x`", ""],
            "output": ["/dbfs/tmp", "gs://b/x'y", "s3://b/x", "/Volumes/c/s", "/Volumes/c/s/v/../../x", "/Volumes/c/s/v w", "/Volumes/c/s/v'"],
            "cleanroom_inputs": ['{"a": 1}', '[{"name": "a.b.c", "version": 1}]', '[{"name": "acme.t", "version": true}]',
                                 '[{"name": "acme.t"}]'],
            "cleanroom_parameters": ["[]", '{"a": 1}'],
        }
        for widget, values in bad.items():
            for value in values:
                with self.subTest(widget=widget, value=value):
                    harness = Harness(CODE, **{widget: value})
                    with self.assertRaises(runner.RunnerError):
                        harness.run()
                    self.assertEqual(harness.spark.calls, [])


if __name__ == "__main__":
    unittest.main()
