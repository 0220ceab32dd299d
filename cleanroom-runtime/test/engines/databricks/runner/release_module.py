"""Loads the release notebook's source as a module (it is a notebook, not a package)."""
import importlib.util
import os

RELEASE_PATH = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "src", "engines", "databricks", "runner", "cleanroom_release.py"
)
_spec = importlib.util.spec_from_file_location("cleanroom_release", RELEASE_PATH)
release = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(release)
