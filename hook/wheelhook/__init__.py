"""wheelhook: several versions of a distribution side by side, imported straight from wheels.

Importing this package installs the finder and activates `__main__.__requires__` (and
`WHEELHOOK_REQUIRES`): that side effect is the point of `import wheelhook`. To keep that
start-up cost small, it loads only the extension module; the functions and exceptions below are
imported on first use.
"""

from wheelhook import _native
from wheelhook._native import ActiveDistribution

TYPE_CHECKING = False
if TYPE_CHECKING:
    from wheelhook._api import active, drop, finder, require
    from wheelhook._entry_points import entry_points, load_entry_point
    from wheelhook._resource_paths import resource_filename
    from wheelhook.errors import (
        DistributionNotFound,
        InvalidLock,
        InvalidWheel,
        LockedWheelsMissing,
        ResolutionError,
        StdlibConflict,
        StoreReadOnly,
        VersionConflict,
        WheelhookError,
    )

__all__ = [
    "ActiveDistribution",
    "DistributionNotFound",
    "InvalidLock",
    "InvalidWheel",
    "LockedWheelsMissing",
    "ResolutionError",
    "StdlibConflict",
    "StoreReadOnly",
    "VersionConflict",
    "WheelhookError",
    "active",
    "drop",
    "entry_points",
    "finder",
    "load_entry_point",
    "require",
    "resource_filename",
]

#: Where each lazily imported name lives.
_LAZY = {
    "active": "wheelhook._api",
    "drop": "wheelhook._api",
    "finder": "wheelhook._api",
    "require": "wheelhook._api",
    "entry_points": "wheelhook._entry_points",
    "load_entry_point": "wheelhook._entry_points",
    "resource_filename": "wheelhook._resource_paths",
    "DistributionNotFound": "wheelhook.errors",
    "InvalidWheel": "wheelhook.errors",
    "InvalidLock": "wheelhook.errors",
    "LockedWheelsMissing": "wheelhook.errors",
    "ResolutionError": "wheelhook.errors",
    "StdlibConflict": "wheelhook.errors",
    "StoreReadOnly": "wheelhook.errors",
    "VersionConflict": "wheelhook.errors",
    "WheelhookError": "wheelhook.errors",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'wheelhook' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> "list[str]":
    return sorted(set(globals()) | set(__all__))


_native.boot()
