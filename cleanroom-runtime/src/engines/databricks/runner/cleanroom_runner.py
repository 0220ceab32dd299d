# Databricks notebook source
# The clean room's SQL runner: the one notebook that runs approved SQL code on Databricks. The runtime imports it at a
# content-addressed path (like approved code; participants can never edit it) and submits it with these widgets:
#   cleanroom_code_path    the workspace file holding the approved SQL, imported by the runtime
#   cleanroom_code_sha256  the sha256 the keeper approved: the runner refuses any other content
#   cleanroom_catalog      the clean room's catalog: code writes <participant>.<table>
#   cleanroom_inputs       JSON list of {"name": "<participant>.<table>", "version": n}: the Delta versions checked
#   cleanroom_parameters   JSON object of the job's parameters (output and run_time included)
#   output                 where the final query's result goes, as a Delta table (overwrite): the run's staging
#                          location in the clean room's state bucket, never a participant's output/ (the runtime's
#                          release step alone writes there, after checking the staged result)
# It reads the code exactly as the runtime does (cleanroom-runtime/src/sql/sql-code.ts: Spark's lexing rules,
# statements end at ';' in code or at a notebook cell boundary, CREATE WIDGET declares a parameter and is not run),
# runs the statements in order with spark.sql(statement, args=...) binding only the :name markers each one uses (a
# value is never inserted into the text), and writes the final query's result at output, as the local engine does.
# Tested with python3 against a stub Spark session (cleanroom-runtime/test/engines/databricks/runner/).
import hashlib
import json
import re
import unicodedata
from bisect import bisect_right

# ---------------------------------------------------------------------------------------------------------------
# Reading SQL code: a line-for-line port of src/sql/spark-lexer.ts and readSqlCode in src/sql/sql-code.ts. Both read
# the shared corpus test/sql/sql-reading-corpus.json, so the two readings are held identical. Where JavaScript and
# Python differ, this side follows JavaScript: whitespace is ECMAScript's set (String.prototype.trim, \s); a character
# outside the Basic Multilingual Plane is never an identifier character (JavaScript tests one UTF-16 unit there).
# ---------------------------------------------------------------------------------------------------------------

_JS_SPACES = (
    "\t\n\u000b\u000c\r \u00a0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_WS = "[" + re.escape(_JS_SPACES) + "]"
_NWS = "[^" + re.escape(_JS_SPACES) + "]"
_JS_LINE_TERMINATORS = "\n\r\u2028\u2029"

_CELL_SEPARATOR = re.compile("%s*--%s*COMMAND%s*-{4,}%s*\\Z" % (_WS, _WS, _WS, _WS))
_CREATE_WIDGET = re.compile(
    "CREATE%s+WIDGET%s+(TEXT|DROPDOWN|COMBOBOX|MULTISELECT)%s+(%s+)(?:%s+DEFAULT%s+([\\s\\S]*?))?(?:%s+CHOICES%s+[\\s\\S]*)?\\Z"
    % (_WS, _WS, _WS, _NWS, _WS, _WS, _WS, _WS),
    re.IGNORECASE | re.ASCII,
)
_REMOVE_WIDGET = re.compile("REMOVE%s+WIDGET%s+%s+\\Z" % (_WS, _WS, _NWS), re.IGNORECASE | re.ASCII)
_ESCAPED_CHAR = re.compile("\\\\([^%s])" % re.escape(_JS_LINE_TERMINATORS))


def js_trim(text):
    return text.strip(_JS_SPACES)


def is_identifier_char(ch):
    """Letters (any script), digits and '_', as the runtime's /[\\p{L}\\p{N}_]/u tests one UTF-16 unit."""
    if ch is None or ch == "" or ord(ch) > 0xFFFF:
        return False
    return ch == "_" or unicodedata.category(ch)[0] in ("L", "N")


def _is_marker_start(ch):
    if ch is None or ch == "" or ord(ch) > 0xFFFF:
        return False
    return ch == "_" or unicodedata.category(ch)[0] == "L"


def _at(text, i):
    return text[i] if 0 <= i < len(text) else None


def lex_spark_sql(sql):
    """Segments (kind, text, start) with kind one of code, string, identifier, comment (Spark's SqlBaseLexer rules)."""
    segments = []
    code_start = 0
    i = 0
    while i < len(sql):
        end = _literal_end(sql, i)
        if end is None:
            i += 1
            continue
        if i > code_start:
            segments.append(("code", sql[code_start:i], code_start))
        kind, stop = end
        segments.append((kind, sql[i:stop], i))
        i = stop
        code_start = i
    if len(sql) > code_start:
        segments.append(("code", sql[code_start:], code_start))
    return segments


def _literal_end(sql, i):
    ch = sql[i]
    nxt = _at(sql, i + 1)
    if ch in ("r", "R") and nxt in ("'", '"') and not is_identifier_char(_at(sql, i - 1)):
        close = sql.find(nxt, i + 2)
        return ("string", len(sql) if close == -1 else close + 1)
    if ch in ("'", '"'):
        return ("string", _escaped_string_end(sql, i, ch))
    if ch == "`":
        return ("identifier", _back_quoted_end(sql, i))
    if ch == "-" and nxt == "-":
        return ("comment", _line_comment_end(sql, i))
    if ch == "/" and nxt == "*" and _at(sql, i + 2) != "+":
        return ("comment", _bracketed_comment_end(sql, i))
    return None


def _escaped_string_end(sql, start, quote):
    i = start + 1
    while i < len(sql):
        if sql[i] == "\\":
            i += 1
        elif sql[i] == quote:
            return i + 1
        i += 1
    return len(sql)


def _back_quoted_end(sql, start):
    i = start + 1
    while i < len(sql):
        if sql[i] == "`":
            if _at(sql, i + 1) == "`":
                i += 1
            else:
                return i + 1
        i += 1
    return len(sql)


def _line_comment_end(sql, start):
    i = start + 2
    while i < len(sql):
        if sql[i] == "\\" and _at(sql, i + 1) == "\n":
            i += 2
            continue
        if sql[i] == "\n":
            return i + 1
        if sql[i] == "\r":
            return i + 2 if _at(sql, i + 1) == "\n" else i + 1
        i += 1
    return len(sql)


def _bracketed_comment_end(sql, start):
    depth = 0
    i = start
    while i < len(sql):
        if sql[i] == "/" and _at(sql, i + 1) == "*":
            depth += 1
            i += 1
        elif sql[i] == "*" and _at(sql, i + 1) == "/":
            depth -= 1
            i += 1
            if depth == 0:
                return i + 1
        i += 1
    return len(sql)


def marker_names(code):
    """The :name markers of a code segment (not the :: cast), in order."""
    names = []
    i = 0
    while i < len(code):
        if code[i] == ":" and _at(code, i + 1) == ":":
            i += 2
            continue
        if code[i] == ":" and _is_marker_start(_at(code, i + 1)):
            end = i + 1
            while is_identifier_char(_at(code, end)):
                end += 1
            names.append(code[i + 1:end])
            i = end
            continue
        i += 1
    return names


def read_sql_code(source):
    """{"statements": [{"text", "line", "parameters"}], "widgets": [{"name", "default", "line"}]}, as readSqlCode."""
    text = source[1:] if source.startswith("\ufeff") else source
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    statements = []
    widgets = []
    pending = []

    def finish():
        statement = _to_statement(pending, starts)
        del pending[:]
        if statement is None:
            return
        code = js_trim("".join(" " if kind == "comment" else part for kind, part, _ in statement["segments"]))
        widget = _CREATE_WIDGET.match(code)
        if widget:
            default = None if widget.group(3) is None else _unquote_string(js_trim(widget.group(3)))
            widgets.append({"name": _unquote_name(widget.group(2)), "default": default, "line": statement["line"]})
            return
        if _REMOVE_WIDGET.match(code):
            return
        del statement["segments"]
        statements.append(statement)

    for kind, part, start in lex_spark_sql(text):
        if kind == "comment":
            if _CELL_SEPARATOR.match(part):
                finish()
                continue
            pending.append((kind, part, start))
            continue
        if kind != "code":
            pending.append((kind, part, start))
            continue
        begin = 0
        i = part.find(";")
        while i != -1:
            if i > begin:
                pending.append(("code", part[begin:i], start + begin))
            finish()
            begin = i + 1
            i = part.find(";", i + 1)
        if begin < len(part):
            pending.append(("code", part[begin:], start + begin))
    finish()
    return {"statements": statements, "widgets": widgets}


def _to_statement(segments, starts):
    real = [s for s in segments if s[0] != "comment" and js_trim(s[1]) != ""]
    if not real:
        return None
    first = real[0]
    offset = first[2] + (len(first[1]) - len(first[1].lstrip(_JS_SPACES)))
    parameters = []
    for kind, part, _ in segments:
        if kind != "code":
            continue
        for name in marker_names(part):
            if name not in parameters:
                parameters.append(name)
    text = js_trim("".join(part for _, part, _ in segments))
    return {"text": text, "line": bisect_right(starts, offset), "parameters": parameters, "segments": list(segments)}


def _unquote_name(raw):
    if len(raw) >= 2 and raw.startswith("`") and raw.endswith("`"):
        return raw[1:-1].replace("``", "`")
    return raw


def _unquote_string(raw):
    if len(raw) >= 2 and raw[0] in ('"', "'") and raw.endswith(raw[0]):
        return _ESCAPED_CHAR.sub(lambda m: m.group(1), raw[1:-1])
    return raw


# ---------------------------------------------------------------------------------------------------------------
# Running a job.
# ---------------------------------------------------------------------------------------------------------------

WIDGETS = (
    "cleanroom_code_path",
    "cleanroom_code_sha256",
    "cleanroom_catalog",
    "cleanroom_inputs",
    "cleanroom_parameters",
    "output",
)
# The approved code is at most an event payload (limits.event_payload_bytes defaults to 2 MiB): read a bounded amount.
MAX_CODE_BYTES = 16 * 1024 * 1024
_CATALOG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,254}\Z")
_DATASET = re.compile(r"([a-z][a-z0-9_]{1,30})\.([A-Za-z_][A-Za-z0-9_]{0,127})\Z")
_WORKSPACE_FILE = re.compile(r"/Workspace(/[A-Za-z0-9_.-]+)+\Z")
_GS_URI = re.compile(r"gs://[a-z0-9][a-z0-9._-]{1,220}[a-z0-9](/[^\s'\"\\`]*)?\Z")
# A run isolated on its own job principal writes through its staging volume: /Volumes/<catalog>/<schema>/<volume>.
_VOLUME_PATH = re.compile(r"/Volumes/[A-Za-z0-9_][A-Za-z0-9_-]{0,254}/[A-Za-z0-9_]{1,255}/[A-Za-z0-9_]{1,255}\Z")
_QUERY_START = ("SELECT", "WITH", "VALUES", "TABLE", "FROM", "(")


class RunnerError(Exception):
    """A run that cannot go on; the message is what the participant sees in control.runs."""


def read_run_spec(get_widget):
    spec = {name: get_widget(name) for name in WIDGETS}
    if not _WORKSPACE_FILE.match(spec["cleanroom_code_path"]) or ".." in spec["cleanroom_code_path"].split("/"):
        raise RunnerError("cleanroom_code_path %r is not a workspace file path" % spec["cleanroom_code_path"])
    if not re.match(r"[0-9a-f]{64}\Z", spec["cleanroom_code_sha256"]):
        raise RunnerError("cleanroom_code_sha256 is not a sha256 hex digest")
    if not _CATALOG.match(spec["cleanroom_catalog"]):
        raise RunnerError("cleanroom_catalog %r is not a catalog name" % spec["cleanroom_catalog"])
    if not (_GS_URI.match(spec["output"]) or _VOLUME_PATH.match(spec["output"])):
        raise RunnerError("output %r is neither a gs:// location nor a volume path" % spec["output"])
    inputs = json.loads(spec["cleanroom_inputs"])
    if not isinstance(inputs, list):
        raise RunnerError("cleanroom_inputs is not a JSON list")
    for item in inputs:
        if not isinstance(item, dict) or not _DATASET.match(str(item.get("name"))):
            raise RunnerError("cleanroom_inputs has an entry that is not a <participant>.<table> name: %r" % (item,))
        version = item.get("version")
        if not (isinstance(version, int) and not isinstance(version, bool) and version >= 0):
            raise RunnerError("cleanroom_inputs: %s has no Delta version" % item["name"])
    parameters = json.loads(spec["cleanroom_parameters"])
    if not isinstance(parameters, dict) or not all(isinstance(v, str) for v in parameters.values()):
        raise RunnerError("cleanroom_parameters is not a JSON object of strings")
    spec["cleanroom_inputs"] = inputs
    spec["cleanroom_parameters"] = parameters
    return spec


def verified_code(data, expected_sha256):
    if len(data) > MAX_CODE_BYTES:
        raise RunnerError("the approved code is larger than %d bytes" % MAX_CODE_BYTES)
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected_sha256:
        raise RunnerError(
            "the SQL code in the workspace hashes to %s, not to the approved %s: refusing to run it" % (actual, expected_sha256)
        )
    return data.decode("utf-8")


def bound_arguments(statement, parameters, position):
    """The values of exactly the markers this statement uses; a marker without a value stops the run."""
    missing = [name for name in statement["parameters"] if name not in parameters]
    if missing:
        raise RunnerError(
            "%s uses the parameter :%s, which the job does not give: add it to the job's parameters or to the code's defaults"
            % (position, missing[0])
        )
    return {name: parameters[name] for name in statement["parameters"]}


def is_query(statement_text):
    code = "".join(part for kind, part, _ in lex_spark_sql(statement_text) if kind != "comment")
    code = js_trim(code).upper()
    return code.startswith(_QUERY_START)


def quoted_name(catalog, dataset):
    participant, table = dataset.split(".")
    return "`%s`.`%s`.`%s`" % (catalog, participant, table)


def current_versions(spark, catalog, inputs):
    """The latest Delta version of each input table, from its history."""
    versions = {}
    for item in inputs:
        rows = spark.sql("DESCRIBE HISTORY %s LIMIT 1" % quoted_name(catalog, item["name"])).collect()
        versions[item["name"]] = int(rows[0]["version"]) if rows else None
    return versions


def changed_inputs(inputs, versions):
    return ["%s (checked at version %d, now %s)" % (i["name"], i["version"], versions.get(i["name"]))
            for i in inputs if versions.get(i["name"]) != i["version"]]


def run_job(spark, get_widget, read_file, remove_output):
    """Runs one job; returns the number of statements run. Raises RunnerError (the run then ends FAILED)."""
    spec = read_run_spec(get_widget)
    source = verified_code(read_file(spec["cleanroom_code_path"], MAX_CODE_BYTES + 1), spec["cleanroom_code_sha256"])
    statements = read_sql_code(source)["statements"]
    if not statements:
        raise RunnerError("the code contains no SQL statement; it must end with a query")
    if not is_query(statements[-1]["text"]):
        raise RunnerError(
            "the last statement must be a query (SELECT ...) whose result becomes the job output; it is %s"
            % (js_trim(statements[-1]["text"]).split()[0].upper() if js_trim(statements[-1]["text"]) else "empty")
        )
    catalog = spec["cleanroom_catalog"]
    spark.catalog.setCurrentCatalog(catalog)
    inputs = spec["cleanroom_inputs"]
    # Spark resolves <participant>.<table> to the table's latest snapshot when each statement is analysed, and a
    # temporary view cannot carry a two-part name, so the checked version cannot be pinned without changing the
    # approved text: the runner checks the versions before the run and again after the result is written.
    changed = changed_inputs(inputs, current_versions(spark, catalog, inputs))
    if changed:
        raise RunnerError(
            "datasets changed since the clean room checked them: %s; submit the job again" % ", ".join(changed)
        )
    parameters = spec["cleanroom_parameters"]
    result = None
    for index, statement in enumerate(statements):
        position = "statement %d of %d (line %d)" % (index + 1, len(statements), statement["line"])
        args = bound_arguments(statement, parameters, position)
        # Never keyword arguments: spark.sql formats the text with those (string substitution); args are bound.
        result = spark.sql(statement["text"], args=args) if args else spark.sql(statement["text"])
    result.write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(spec["output"])
    changed = changed_inputs(inputs, current_versions(spark, catalog, inputs))
    if changed:
        remove_output(spec["output"])
        raise RunnerError(
            "datasets changed while the job ran: %s; the output was removed, submit the job again" % ", ".join(changed)
        )
    return len(statements)


def _notebook_main():
    g = globals()
    spark, dbutils = g["spark"], g["dbutils"]
    for name in WIDGETS:
        dbutils.widgets.text(name, "")

    def read_file(path, limit):
        with open(path, "rb") as handle:
            return handle.read(limit)

    run_job(spark, dbutils.widgets.get, read_file, lambda path: dbutils.fs.rm(path, True))


if __name__ == "__main__" and "dbutils" in globals():
    _notebook_main()
