"""A program with no requirements: it gets whatever is installed normally."""

import importlib.metadata

import six

print(f"six {six.__version__} (importlib.metadata: {importlib.metadata.version('six')})")
print(f"  from {six.__file__}")
