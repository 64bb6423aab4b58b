"""Where activation looks, and how requirements are read, for the CLI and `wheelhook run`.

The work is done by the extension (`wheelhook._native`, see its `boot` and `activate`), so that
`import wheelhook` loads no Python module but the package itself; this module names the pieces
the rest of the package shares.
"""

from wheelhook._native import default_dirs, store_dirs
from wheelhook._native import requirement_lines as parse_requirements

__all__ = ["REQUIRES_ENV", "default_dirs", "parse_requirements", "store_dirs"]

#: Environment variable holding requirements to activate, one per line (children inherit it).
REQUIRES_ENV = "WHEELHOOK_REQUIRES"
