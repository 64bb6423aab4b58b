"""The exceptions wheelhook raises; each also inherits the builtin a caller would catch."""

import errno as _errno

__all__ = [
    "DistributionNotFound",
    "InvalidLock",
    "InvalidWheel",
    "LockedWheelsMissing",
    "ProgramError",
    "ResolutionError",
    "ScriptMetadataError",
    "StdlibConflict",
    "StoreReadOnly",
    "UnknownExtra",
    "UnsupportedPython",
    "UsageError",
    "VersionConflict",
    "WheelhookError",
]


class WheelhookError(Exception):
    """Base class of every wheelhook error."""


class ResolutionError(WheelhookError, ImportError):
    """The requirements cannot be activated; nothing was changed."""


class DistributionNotFound(ResolutionError):
    """A requirement names no usable distribution; the message lists every candidate and why it
    was rejected."""


class VersionConflict(ResolutionError):
    """Candidates exist but no consistent set does, or a module is already imported at another
    version; the message gives the derivation."""


class UnknownExtra(ResolutionError):
    """A distribution is asked for an extra it does not declare (`pkg_resources`' name)."""


class StdlibConflict(ResolutionError):
    """A distribution named in the requirements provides only standard-library modules (a
    backport: `argparse`, `enum34`, `typing`) and `override_stdlib=True` was not given: the
    message names the module, the distribution and the flag. Without the flag the standard
    library's module is what `import` gives, so the wheel is not activated, and
    `importlib.metadata` never reports a version that is not the code running."""


class UnsupportedPython(ResolutionError):
    """A script's PEP 723 `requires-python` excludes the running interpreter."""


class LockedWheelsMissing(ResolutionError):
    """Wheels a lock file (PEP 751 `pylock.toml`) fixes for this interpreter are not in the store,
    or do not match the lock's sha256: the message lists each, with the command that fetches
    them. Nothing was activated."""


class InvalidLock(WheelhookError, ValueError):
    """A lock file cannot be read or is not a PEP 751 lock wheelhook can use, or selects nothing
    consistent for this interpreter: the message names the file, the entry and the reason."""


class InvalidWheel(WheelhookError, ValueError):
    """A wheel file is malformed or unsafe; the message names the file, the member and the reason."""


class ScriptMetadataError(WheelhookError, ValueError):
    """A script's PEP 723 block is malformed or cannot be read."""


class ProgramError(WheelhookError, ValueError):
    """The program `wheelhook run` is to run cannot be read."""


class UsageError(WheelhookError, ValueError):
    """Bad input on the command line."""


class StoreReadOnly(WheelhookError, PermissionError):
    """A command that writes to a store (`drop`, `add`, `remove`, `compile`, `enable`) was given
    one this process cannot write: on a read-only file system, owned by another user, or not
    writable by this one. Raised before anything is created there (the store's lock file
    included), so the store is untouched. The message names the store and why; `store` is the
    directory and `reason` the why. `errno` is `EROFS` for a read-only file system, else
    `EACCES`, as the write itself would have failed."""

    def __init__(self, message: str, store: str, reason: str, read_only_fs: bool = False) -> None:
        super().__init__(message)
        self.store = store
        self.reason = reason
        self.errno = _errno.EROFS if read_only_fs else _errno.EACCES
