"""wheelhook: several versions of a distribution side by side, imported straight from wheels.

Importing this package installs the finder and activates `__main__.__requires__` (and
`WHEELHOOK_REQUIRES`): that side effect is the point of `import wheelhook`.
"""

from wheelhook._activate import on_import as _on_import
from wheelhook._api import active, drop, finder, require
from wheelhook._native import ActiveDistribution
from wheelhook.errors import (
    DistributionNotFound,
    InvalidWheel,
    ResolutionError,
    VersionConflict,
    WheelhookError,
)

__all__ = [
    "ActiveDistribution",
    "DistributionNotFound",
    "InvalidWheel",
    "ResolutionError",
    "VersionConflict",
    "WheelhookError",
    "active",
    "drop",
    "finder",
    "require",
]

_on_import()
