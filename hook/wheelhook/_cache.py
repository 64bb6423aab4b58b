"""`wheelhook cache`: what the private cache holds, and clearing it safely."""

from __future__ import annotations

import os
import shutil

#: The kinds of entry the cache holds, one directory each: compiled code (one pack per wheel and
#: interpreter), native code and unpacked copies, remembered resolutions, the sha256 of wheels
#: checked against locks, and resources extracted for `resource_filename`.
KINDS = ("code", "native", "activations", "lock-digests", "resources")

#: Directories of formats the cache no longer reads, removed by `clear`: compiled code as one
#: file per module.
FORMER = ("bytecode",)


def cache_dir() -> str | None:
    """The cache directory this user's processes use, or None when it is refused."""
    from wheelhook import _native

    return _native.Finder().cache_dir()


def usage(directory: str) -> dict[str, dict[str, int]]:
    """Files and bytes under each kind's directory (symlinks are not followed)."""
    out: dict[str, dict[str, int]] = {}
    for kind in KINDS:
        files = size = 0
        for root, _dirs, names in os.walk(os.path.join(directory, kind)):
            for name in names:
                try:
                    st = os.lstat(os.path.join(root, name))
                except OSError:
                    continue
                files += 1
                size += st.st_size
        out[kind] = {"entries": files, "bytes": size}
    return out


def clear(directory: str) -> list[str]:
    """Removes each kind's directory: renamed away first (one atomic step, so no process finds a
    half-removed tree by name), then deleted. Processes that have entries open or loaded keep
    them; they rebuild what they miss. Only the known kinds are touched, never the directory
    itself (it may be one `WHEELHOOK_CACHE` points at). Returns what was removed."""
    removed: list[str] = []
    for kind in KINDS + FORMER:
        path = os.path.join(directory, kind)
        if os.path.islink(path) or not os.path.isdir(path):
            continue
        doomed = os.path.join(directory, f".{kind}.removing-{os.getpid()}")
        os.replace(path, doomed)
        shutil.rmtree(doomed)
        removed.append(path)
    for name in os.listdir(directory):  # leftovers of an interrupted clear
        if name.startswith(tuple(f".{k}.removing-" for k in KINDS + FORMER)):
            shutil.rmtree(os.path.join(directory, name), ignore_errors=True)
    return removed
