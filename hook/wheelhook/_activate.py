"""Installing the finder and activating the requirements a program declares.

The work is done by the extension (`wheelhook._native`), so that `import wheelhook` loads no
Python module but the package itself; this module names it for the rest of the package.
"""

from wheelhook._native import (
    activate,
    declared_requirements,
    default_dirs,
    install,
    store_dirs,
    unpack_names,
)
from wheelhook._native import boot as on_import
from wheelhook._native import requirement_lines as parse_requirements

__all__ = [
    "PATH_ENV",
    "REQUIRES_ENV",
    "UNPACK_ENV",
    "activate",
    "declared_requirements",
    "default_dirs",
    "install",
    "on_import",
    "parse_requirements",
    "store_dirs",
    "unpack_names",
]

#: Environment variable holding requirements to activate, one per line (children inherit it).
REQUIRES_ENV = "WHEELHOOK_REQUIRES"
#: Distributions served from an unpacked copy: names, comma- or space-separated, or `*`.
UNPACK_ENV = "WHEELHOOK_UNPACK"
#: Extra store directories, `os.pathsep`-separated, searched before site-packages.
PATH_ENV = "WHEELHOOK_PATH"
