"""Reads SQL sources with the runner's reading: stdin a JSON list of sources, stdout a JSON list of readings."""
import json
import sys

from runner_module import runner

readings = [runner.read_sql_code(source) for source in json.load(sys.stdin)]
json.dump(readings, sys.stdout, ensure_ascii=True)
