"""Reads the shared decision corpus on stdin (JSON list of cases) and prints the release notebook's decisions."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from release_module import release  # noqa: E402


class ScriptedQueries:
    """Answers the decision's questions from a corpus case (what an engine would answer)."""

    def __init__(self, answers):
        self.answers = answers

    def columns(self, table):
        return self.answers["columns"].get(table)

    def staged_rows(self):
        return self.answers["staged_rows"]

    def identifier_hit(self, identifiers, output_columns):
        hit = self.answers.get("identifier_hit")
        if hit is None:
            return None
        return {"output_column": hit["output_column"], "identifier": identifiers[hit["identifier"]]}

    def suppressed_rows(self, column, min_group_size):
        return self.answers["suppressed_rows"]


def main():
    out = []
    for case in json.load(sys.stdin):
        request = release.read_request(json.dumps(case["request"]))
        decision = release.decide(request, ScriptedQueries(case["answers"]), case.get("load_problems", {}))
        out.append({"outcome": decision["outcome"], "suppress": decision["suppress"]})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
