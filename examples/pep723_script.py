# /// script
# requires-python = ">=3.9"
# dependencies = ["six==1.15.0"]
# ///
"""A PEP 723 script: `python -m wheelhook run examples/pep723_script.py`, or run it directly
once site-wide activation is enabled."""

import six

print(f"six {six.__version__} from {six.__file__}")
