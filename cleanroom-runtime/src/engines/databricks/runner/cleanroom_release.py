# Databricks notebook source
# The clean room's release step on Databricks: the one notebook that moves a run's result from the clean room's
# staging location to the submitter's output. The runtime imports it at a content-addressed path (like the runner;
# participants can never edit it) and submits it as its own principal, once the code run has ended SUCCESS, with one
# widget:
#   cleanroom_release  JSON: {"staging", "output", "catalog", "max_staged_rows", "group_size_column",
#                      "policy": {"identifiers": [{"dataset", "column"}], "min_group_size": {"value", "set_by"} | null,
#                                 "max_output_rows": {"value", "set_by"} | null},
#                      "identifier_datasets": [{"name": "<participant>.<table>", "version": n | null}]}
# It makes the same decision as the local release step (cleanroom-runtime/src/runtime/release/release-decision.ts,
# same rules, same messages; a shared corpus holds the two to each other), with Spark doing the checks through the
# DataFrame API: every name and value of the request is a validated identifier or a bound literal, never SQL text.
# The released rows are written as a Delta table at output; a refusal writes nothing. The outcome is the notebook's
# exit value (JSON), which the runtime reads with runs/get-output.
# Tested with python3 against stub decisions and a recording Spark stub (cleanroom-runtime/test/engines/databricks/runner/).
import json
import math
import re

WIDGET = "cleanroom_release"
STAGED = "staged"
# The same classes as release-sql.ts (Java regular expressions, which Spark's regexp functions use).
WHITESPACE_CLASS = "\\s\\p{Z}\\x{200B}-\\x{200D}\\x{2060}\\x{FEFF}"
SEPARATOR_CLASS = WHITESPACE_CLASS + "\"'`,;:|\\[\\]{}()<>="
_NUMERIC = re.compile(
    r"(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL|DECIMAL.*|BYTE|SHORT|INT|LONG)\Z"
)
_DATASET = re.compile(r"([a-z][a-z0-9_]{1,30})\.([A-Za-z_][A-Za-z0-9_]{0,127})\Z")
_COLUMN = re.compile(r"[^\x00-\x1f`]{1,255}\Z")
_CATALOG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,254}\Z")
_GS_URI = re.compile(r"gs://[a-z0-9][a-z0-9._-]{1,220}[a-z0-9](/[^\s'\"\\`]*)?\Z")


class ReleaseRequestError(Exception):
    """The request is not one the runtime sends: nothing is read, nothing is written."""


def _bound(value, name):
    if value is None:
        return None
    if not isinstance(value, dict) or not _whole(value.get("value")) or not isinstance(value.get("set_by"), list):
        raise ReleaseRequestError("%s is not {value, set_by}" % name)
    if not all(isinstance(s, str) for s in value["set_by"]):
        raise ReleaseRequestError("%s.set_by is not a list of names" % name)
    return {"value": value["value"], "set_by": list(value["set_by"])}


def _whole(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def read_request(text):
    request = json.loads(text)
    if not isinstance(request, dict):
        raise ReleaseRequestError("the release request is not a JSON object")
    for key in ("staging", "output"):
        if not isinstance(request.get(key), str) or not _GS_URI.match(request[key]):
            raise ReleaseRequestError("%s is not a gs:// location" % key)
    if "/staging/" not in request["staging"]:
        raise ReleaseRequestError("staging is not under the clean room's staging/")
    if not isinstance(request.get("catalog"), str) or not _CATALOG.match(request["catalog"]):
        raise ReleaseRequestError("catalog is not a catalog name")
    if not _whole(request.get("max_staged_rows")):
        raise ReleaseRequestError("max_staged_rows is not a whole number")
    group = request.get("group_size_column")
    if group is not None and (not isinstance(group, str) or not _COLUMN.match(group)):
        raise ReleaseRequestError("group_size_column is not a column name")
    policy = request.get("policy")
    if not isinstance(policy, dict) or not isinstance(policy.get("identifiers"), list):
        raise ReleaseRequestError("policy is not {identifiers, min_group_size, max_output_rows}")
    for item in policy["identifiers"]:
        if not isinstance(item, dict) or not _DATASET.match(str(item.get("dataset"))) or not isinstance(item.get("column"), str) or not _COLUMN.match(item["column"]):
            raise ReleaseRequestError("policy.identifiers has an entry that is not {dataset, column}")
    policy["min_group_size"] = _bound(policy.get("min_group_size"), "policy.min_group_size")
    policy["max_output_rows"] = _bound(policy.get("max_output_rows"), "policy.max_output_rows")
    datasets = request.get("identifier_datasets")
    if not isinstance(datasets, list):
        raise ReleaseRequestError("identifier_datasets is not a list")
    for item in datasets:
        if not isinstance(item, dict) or not _DATASET.match(str(item.get("name"))):
            raise ReleaseRequestError("identifier_datasets has an entry that is not a <participant>.<table> name")
        if item.get("version") is not None and not _whole(item["version"]):
            raise ReleaseRequestError("identifier_datasets: %s has a version that is not a whole number" % item["name"])
    return request


# ---------------------------------------------------------------------------------------------------------------
# The decision: a line-for-line port of decideRelease (release-decision.ts) over the same five questions.
# ---------------------------------------------------------------------------------------------------------------


def _set_by(bound):
    return ", ".join(bound["set_by"])


def missing_group_size_column(policy):
    bound = policy["min_group_size"]
    if bound is None:
        return None
    return (
        "refused (rule min_group_size %d, set by %s): the code declares no group-size column, so small groups cannot be suppressed; "
        "register the code again with --group-size-column <the output column holding the number of distinct individuals each row describes>"
        % (bound["value"], _set_by(bound))
    )


def _refuse(message, suppressed=0):
    return {"outcome": {"state": "REFUSED", "rows_suppressed": suppressed, "rows_released": 0, "message": message}, "suppress": None, "release": False}


def decide(request, queries, load_problems):
    policy = request["policy"]
    staged_columns = queries.columns(STAGED)
    if staged_columns is None:
        return _refuse("not released: the staged result could not be read (%s)" % load_problems.get("staged", "not loaded"))
    total = queries.staged_rows()
    limit = request["max_staged_rows"]
    if total > limit:
        return _refuse("refused (limit local_run_result_rows %d): the staged result holds %d rows" % (limit, total))

    identifiers = []
    for item in policy["identifiers"]:
        dataset, column = item["dataset"], item["column"]
        columns = queries.columns(dataset)
        if columns is None:
            why = load_problems.get(dataset, "not loaded")
            return _refuse(
                "refused (rule identifiers, set by %s): the identifier column %s.%s could not be read to check the result (%s)"
                % (dataset, dataset, column, why)
            )
        actual = next((c for c in columns if c["name"].lower() == column), None)
        if actual is not None:
            identifiers.append({"dataset": dataset, "column": actual["name"]})
    if identifiers:
        hit = queries.identifier_hit(identifiers, [c["name"] for c in staged_columns])
        if hit is not None:
            where = "a column name of the result is a value" if hit["output_column"] is None else "output column %s holds values" % json.dumps(hit["output_column"], ensure_ascii=False)
            source = hit["identifier"]
            return _refuse(
                "refused (rule identifiers, set by %s): %s of the identifier column %s.%s (compared ignoring case and whitespace, whole values and words of longer texts); "
                "identifiers never leave the clean room: aggregate them away (count them, group by other columns)"
                % (source["dataset"], where, source["dataset"], source["column"].lower())
            )

    suppress = None
    suppressed = 0
    bound = policy["min_group_size"]
    if bound is not None:
        group = request.get("group_size_column")
        if group is None:
            return _refuse(missing_group_size_column(policy))
        declared = next((c for c in staged_columns if c["name"].lower() == group), None)
        rule = "rule min_group_size %d, set by %s" % (bound["value"], _set_by(bound))
        if declared is None:
            return _refuse(
                "refused (%s): the result has no group-size column %s (its columns: %s); the code must return the column it declares with --group-size-column"
                % (rule, json.dumps(group, ensure_ascii=False), ", ".join(c["name"] for c in staged_columns))
            )
        if not _NUMERIC.match(declared["type"].upper()):
            return _refuse("refused (%s): the group-size column %s is %s, not a number" % (rule, json.dumps(declared["name"], ensure_ascii=False), declared["type"]))
        suppress = {"column": declared["name"], "min_group_size": bound["value"]}
        suppressed = queries.suppressed_rows(declared["name"], bound["value"])
    released = total - suppressed
    cap = policy["max_output_rows"]
    if cap is not None and released > cap["value"]:
        return _refuse(
            "refused (rule max_output_rows %d, set by %s): the result holds %d rows to release" % (cap["value"], _set_by(cap), released),
            suppressed,
        )
    parts = ["released %d rows" % released]
    if suppressed > 0 and bound is not None:
        parts.append("%d rows suppressed for a group size under %d (set by %s)" % (suppressed, bound["value"], _set_by(bound)))
    if policy["identifiers"]:
        parts.append("no value of %d identifier column(s) found" % len(policy["identifiers"]))
    state = "RELEASED_WITH_SUPPRESSION" if suppressed > 0 else "RELEASED"
    return {
        "outcome": {"state": state, "rows_suppressed": suppressed, "rows_released": released, "message": "; ".join(parts)},
        "suppress": suppress,
        "release": True,
    }


# ---------------------------------------------------------------------------------------------------------------
# The questions, answered by Spark (DataFrame API only: names are columns of loaded frames, values are literals).
# ---------------------------------------------------------------------------------------------------------------


class SparkQueries:
    def __init__(self, spark, functions, frames):
        self.spark = spark
        self.F = functions
        self.frames = frames  # STAGED or "<participant>.<table>" -> DataFrame

    def columns(self, table):
        frame = self.frames.get(table)
        if frame is None:
            return None
        return [{"name": name, "type": kind.upper()} for name, kind in frame.dtypes]

    def staged_rows(self):
        return self.frames[STAGED].count()

    def normalised(self, column):
        F = self.F
        return F.lower(F.regexp_replace(column.cast("string"), "[%s]+" % WHITESPACE_CLASS, ""))

    def _words(self, column):
        F = self.F
        return F.explode(F.split(F.lower(column.cast("string")), "[%s]+" % SEPARATOR_CLASS))

    def identifier_hit(self, identifiers, output_columns):
        F = self.F
        values = None
        for index, item in enumerate(identifiers):
            col = F.col(_quoted(item["column"]))
            frame = self.frames[item["dataset"]].where(col.isNotNull()).select(self.normalised(col).alias("v"), F.lit(index).alias("source")).distinct()
            values = frame if values is None else values.unionAll(frame)
        values = values.where(F.col("v") != F.lit("")).groupBy("v").agg(F.min("source").alias("source"))
        names = self.spark.createDataFrame([(name,) for name in output_columns], "n string").select(self.normalised(F.col("n")).alias("v"))
        named = values.join(names, "v", "left_semi").agg(F.min("source").alias("source")).collect()
        if named and named[0]["source"] is not None:
            return {"output_column": None, "identifier": identifiers[int(named[0]["source"])]}
        staged = self.frames[STAGED]
        for column in output_columns:
            col = F.col(_quoted(column))
            present = staged.where(col.isNotNull())
            whole = present.select(self.normalised(col).alias("v"))
            words = present.select(self._words(col).alias("w")).select(F.regexp_replace(F.col("w"), "[%s]+" % WHITESPACE_CLASS, "").alias("v"))
            hit = values.join(whole.unionAll(words), "v", "left_semi").agg(F.min("source").alias("source")).collect()
            if hit and hit[0]["source"] is not None:
                return {"output_column": column, "identifier": identifiers[int(hit[0]["source"])]}
        return None

    def suppressed_condition(self, column, min_group_size):
        F = self.F
        col = F.col(_quoted(column))
        number = col.cast("double")
        return col.isNull() | F.isnan(number) | (number == F.lit(math.inf)) | (number == F.lit(-math.inf)) | (col < F.lit(int(min_group_size)))

    def suppressed_rows(self, column, min_group_size):
        return self.frames[STAGED].where(self.suppressed_condition(column, min_group_size)).count()

    def released_frame(self, suppress):
        staged = self.frames[STAGED]
        if suppress is None:
            return staged
        return staged.where(~self.suppressed_condition(suppress["column"], suppress["min_group_size"]))


def _quoted(name):
    """A column name as Spark's col() reads it: back-quoted, so dots and spaces stay part of the name."""
    return "`%s`" % name.replace("`", "``")


def load_frames(spark, request):
    """The staged result and the identifier datasets at the versions the run read; a read failure is recorded, not raised."""
    frames = {}
    problems = {}
    try:
        frames[STAGED] = spark.read.format("delta").load(request["staging"])
    except Exception as error:  # noqa: BLE001 - any failure to read is a refusal, never a release
        problems[STAGED] = _short(error)
    for item in request["identifier_datasets"]:
        participant, table = item["name"].split(".")
        reader = spark.read
        if item.get("version") is not None:
            reader = reader.option("versionAsOf", item["version"])
        try:
            frames[item["name"]] = reader.table("`%s`.`%s`.`%s`" % (request["catalog"], participant, table))
        except Exception as error:  # noqa: BLE001
            problems[item["name"]] = _short(error)
    return frames, problems


def _short(error):
    return str(error).splitlines()[0][:300] if str(error) else type(error).__name__


def release(spark, functions, request_text):
    """Decides, writes the released rows at output, and returns the outcome (the notebook's exit value)."""
    request = read_request(request_text)
    frames, problems = load_frames(spark, request)
    queries = SparkQueries(spark, functions, frames)
    decision = decide(request, queries, problems)
    if decision["release"]:
        frame = queries.released_frame(decision["suppress"])
        frame.write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(request["output"])
    return decision["outcome"]


def _notebook_main():
    g = globals()
    spark, dbutils = g["spark"], g["dbutils"]
    from pyspark.sql import functions

    dbutils.widgets.text(WIDGET, "")
    outcome = release(spark, functions, dbutils.widgets.get(WIDGET))
    dbutils.notebook.exit(json.dumps(outcome))


if __name__ == "__main__" and "dbutils" in globals():
    _notebook_main()
