"""Needs site-wide activation (`python -m wheelhook enable`): no `import wheelhook` at all."""

__requires__ = ["six==1.15.0"]

import six

print(f"six {six.__version__} from {six.__file__}")
