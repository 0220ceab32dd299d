"""Loads the runner notebook's source as a module (it is a notebook, not a package)."""
import importlib.util
import os

RUNNER_PATH = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "src", "engines", "databricks", "runner", "cleanroom_runner.py"
)
_spec = importlib.util.spec_from_file_location("cleanroom_runner", RUNNER_PATH)
runner = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(runner)
