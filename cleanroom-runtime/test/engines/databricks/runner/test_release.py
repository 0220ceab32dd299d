"""The release notebook's own logic (python3, stdlib only): request validation, and the Spark side against a stub
that records every DataFrame call. What it relies on from PySpark and Databricks:
- DataFrameReader.option("versionAsOf", n).table(name) reads a Delta table at a version
  (https://docs.databricks.com/gcp/en/delta/history#delta-time-travel-syntax);
- Column functions lower, regexp_replace, split (Java regular expressions), explode, isnan, and left_semi joins
  (https://spark.apache.org/docs/latest/api/python/reference/pyspark.sql/functions.html);
- DataFrameWriter format("delta").mode("overwrite").option("overwriteSchema", "true").save(path)
  (https://docs.databricks.com/gcp/en/delta/update-schema#replace-table-schema);
- dbutils.notebook.exit(value) is read back by runs/get-output as notebook_output.result
  (https://docs.databricks.com/api/workspace/jobs/getrunoutput).
The decision itself is held to the TypeScript decideRelease by the shared corpus (release-decision-corpus.json).
"""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from release_module import release  # noqa: E402
from test_runner import StubWriter  # noqa: E402


def request(**overrides):
    value = {
        "staging": "gs://cleanroom-state/staging/job-1",
        "output": "gs://globex-bucket/output/overlap",
        "catalog": "cleanroom_retail",
        "max_staged_rows": 1000,
        "group_size_column": "users",
        "policy": {
            "identifiers": [{"dataset": "acme.customers", "column": "email"}],
            "min_group_size": {"value": 50, "set_by": ["acme.customers"]},
            "max_output_rows": None,
        },
        "identifier_datasets": [{"name": "acme.customers", "version": 12}],
    }
    value.update(overrides)
    return value


class Expr:
    """A stub Column: records the expression tree as text, so tests can see what Spark is asked."""

    def __init__(self, text):
        self.text = text

    def _op(self, op, other):
        return Expr("(%s %s %s)" % (self.text, op, other.text if isinstance(other, Expr) else repr(other)))

    def __or__(self, other):
        return self._op("|", other)

    def __eq__(self, other):  # noqa: D105 - a Column's == builds an expression
        return self._op("==", other)

    def __ne__(self, other):
        return self._op("!=", other)

    def __lt__(self, other):
        return self._op("<", other)

    def __invert__(self):
        return Expr("~%s" % self.text)

    __hash__ = object.__hash__

    def cast(self, kind):
        return Expr("cast(%s as %s)" % (self.text, kind))

    def isNotNull(self):
        return Expr("%s is not null" % self.text)

    def isNull(self):
        return Expr("%s is null" % self.text)

    def alias(self, name):
        return Expr("%s as %s" % (self.text, name))


class Functions:
    def __init__(self, log):
        self.log = log

    def col(self, name):
        return Expr("col(%s)" % name)

    def lit(self, value):
        return Expr("lit(%r)" % (value,))

    def __getattr__(self, name):
        def call(*args):
            self.log.append(("F." + name,) + tuple(a.text if isinstance(a, Expr) else a for a in args))
            return Expr("%s(%s)" % (name, ", ".join(a.text if isinstance(a, Expr) else repr(a) for a in args)))

        return call


class Frame:
    def __init__(self, session, name, dtypes, rows=0, answer=None):
        self.session, self.name, self.dtypes, self.rows, self.answer = session, name, dtypes, rows, answer
        self.text = name  # what the runner's StubWriter records as the written frame

    def _derive(self, step):
        self.session.log.append((self.name, step))
        return Frame(self.session, self.name, self.dtypes, self.rows, self.answer)

    def count(self):
        self.session.log.append((self.name, "count"))
        return self.rows

    def where(self, cond):
        return self._derive("where " + cond.text)

    def select(self, *cols):
        return self._derive("select " + ", ".join(c.text for c in cols))

    def distinct(self):
        return self._derive("distinct")

    def unionAll(self, other):
        return self._derive("unionAll")

    def groupBy(self, *cols):
        return self._derive("groupBy")

    def agg(self, *cols):
        return self._derive("agg")

    def join(self, other, on, how):
        return self._derive("join %s %s" % (on, how))

    def collect(self):
        return [{"source": self.session.hit}]

    @property
    def write(self):
        return StubWriter(self)


class Reader:
    def __init__(self, session, options=()):
        self.session, self.options = session, options

    def format(self, name):
        return Reader(self.session, self.options + (("format", name),))

    def option(self, key, value):
        return Reader(self.session, self.options + ((key, value),))

    def load(self, path):
        self.session.reads.append(("load", self.options, path))
        if path in self.session.missing:
            raise RuntimeError("Path does not exist: %s\n  at ..." % path)
        return self.session.staged

    def table(self, name):
        self.session.reads.append(("table", self.options, name))
        return Frame(self.session, name, [("email", "string"), ("id", "bigint")])


class Session:
    def __init__(self, staged_dtypes, rows, hit=None, missing=()):
        self.log, self.reads, self.calls, self.created = [], [], [], []
        self.hit = hit
        self.missing = set(missing)
        self.staged = Frame(self, "staged", staged_dtypes, rows)

    @property
    def read(self):
        return Reader(self)

    def createDataFrame(self, rows, schema):
        self.created.append((rows, schema))
        return Frame(self, "names", [("n", "string")])

    def sql(self, *args, **kwargs):  # pragma: no cover - the notebook must never call it
        raise AssertionError("the release notebook must not run SQL text")


class ReadRequestTest(unittest.TestCase):
    def test_accepts_what_the_runtime_sends(self):
        self.assertEqual(release.read_request(json.dumps(request()))["policy"]["min_group_size"], {"value": 50, "set_by": ["acme.customers"]})

    def test_refuses_anything_else(self):
        bad = [
            request(staging="gs://globex-bucket/output/overlap"),
            request(output="/dbfs/tmp/x"),
            request(catalog="x; DROP"),
            request(max_staged_rows=-1),
            request(group_size_column="a`b"),
            request(identifier_datasets=[{"name": "acme.customers`; --", "version": 1}]),
            request(identifier_datasets=[{"name": "acme.customers", "version": True}]),
            request(policy={"identifiers": [{"dataset": "ACME", "column": "email"}], "min_group_size": None, "max_output_rows": None}),
            request(policy={"identifiers": [], "min_group_size": {"value": "50", "set_by": []}, "max_output_rows": None}),
        ]
        for value in bad:
            with self.assertRaises(release.ReleaseRequestError, msg=json.dumps(value)):
                release.read_request(json.dumps(value))


class SparkReleaseTest(unittest.TestCase):
    def test_released_rows_are_written_at_output_without_the_small_groups(self):
        session = Session([("region", "string"), ("users", "bigint")], rows=10)
        functions = Functions(session.log)
        outcome = release.release(session, functions, json.dumps(request()))
        self.assertEqual(outcome["state"], "RELEASED_WITH_SUPPRESSION")
        self.assertEqual(outcome["rows_suppressed"], 10)  # the stub counts 10 for every count()
        self.assertEqual(session.calls, [("save", "staged", (("format", "delta"), ("mode", "overwrite"), ("option", "overwriteSchema", "true")), "gs://globex-bucket/output/overlap")])
        # The staged result by location, the identifier dataset at the version the run read, by its catalog name.
        self.assertEqual(session.reads, [
            ("load", (("format", "delta"),), "gs://cleanroom-state/staging/job-1"),
            ("table", (("versionAsOf", 12),), "`cleanroom_retail`.`acme`.`customers`"),
        ])
        # The released frame filters out the suppressed rows; the bound is a literal, never text.
        self.assertIn(("staged", "where ~((((col(`users`) is null | isnan(cast(col(`users`) as double))) | (cast(col(`users`) as double) == lit(inf))) | (cast(col(`users`) as double) == lit(-inf))) | (col(`users`) < lit(50)))"), session.log)
        # Column names are compared as values through a DataFrame of the names, normalised by Spark.
        self.assertEqual(session.created, [([("region",), ("users",)], "n string")])
        self.assertIn(("F.regexp_replace", "cast(col(`email`) as string)", "[%s]+" % release.WHITESPACE_CLASS, ""), session.log)
        self.assertIn(("F.split", "lower(cast(col(`region`) as string))", "[%s]+" % release.SEPARATOR_CLASS), session.log)

    def test_an_identifier_hit_refuses_and_writes_nothing(self):
        session = Session([("email", "string"), ("users", "bigint")], rows=3, hit=0)
        outcome = release.release(session, Functions(session.log), json.dumps(request()))
        self.assertEqual(outcome["state"], "REFUSED")
        self.assertIn("rule identifiers, set by acme.customers", outcome["message"])
        self.assertEqual(session.calls, [])

    def test_an_unreadable_staged_result_is_refused(self):
        session = Session([], rows=0, missing=["gs://cleanroom-state/staging/job-1"])
        outcome = release.release(session, Functions(session.log), json.dumps(request()))
        self.assertEqual(outcome, {
            "state": "REFUSED", "rows_suppressed": 0, "rows_released": 0,
            "message": "not released: the staged result could not be read (Path does not exist: gs://cleanroom-state/staging/job-1)",
        })
        self.assertEqual(session.calls, [])

    def test_a_column_name_with_a_backquote_stays_one_name(self):
        self.assertEqual(release._quoted("a`b.c"), "`a``b.c`")


if __name__ == "__main__":
    unittest.main()
