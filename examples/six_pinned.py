"""A program that needs six 1.15.0 while the environment has 1.16.0 installed."""
# ruff: noqa: I001  (wheelhook must be imported before six)

__requires__ = ["six==1.15.0"]

import importlib.metadata
import sys

import wheelhook  # noqa: F401  (activates __requires__)
import six

print(f"six {six.__version__} (importlib.metadata: {importlib.metadata.version('six')})")
print(f"  from {six.__file__}")
print(f"  sys.path has {len(sys.path)} entries, none of them a wheel")
