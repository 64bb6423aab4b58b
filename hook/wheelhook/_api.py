"""The public functions: activate requirements, list the active set."""

import os
import sys

from wheelhook import _native

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

    from wheelhook._native import ActiveDistribution


def require(
    *requirements: "str | Iterable[str]",
    override_stdlib: bool = False,
    unpack: "bool | Iterable[str]" = (),
    lock: "str | os.PathLike[str] | None" = None,
    extras: "Iterable[str]" = (),
    groups: "Iterable[str] | None" = None,
) -> "list[ActiveDistribution]":
    """Activates `requirements` (PEP 508 strings) and everything they need; returns the resolution.

    `lock=` activates a PEP 751 lock file (`pylock.toml`) instead, with no resolution: the
    packages its markers select for this interpreter (with `extras`, and the dependency
    `groups`, default its `default-groups`), each at its locked version, from a wheel of the
    store that the lock lists by file name and whose sha256 matches the lock's (a distribution
    installed normally at the locked version is used as it is). Raises `LockedWheelsMissing`
    (a `ResolutionError`) listing every wheel missing or not matching, with the command that
    fetches them, or `InvalidLock` (a `ValueError`) naming the file and the entry; nothing is
    activated then. Children get the same lock (`WHEELHOOK_LOCK`) and pins.

    A normally installed distribution that satisfies a requirement is kept; otherwise the highest
    compatible wheel in the store is activated, and its modules are imported from the wheel.
    Raises `DistributionNotFound` or `VersionConflict` (both `ImportError`) and changes nothing
    when the requirements cannot be met.

    Standard-library names never lie: a wheel whose top-level modules are all ones the standard
    library has (a backport: `argparse` 1.4.0 on PyPI, `enum34`'s `enum`, `typing`) is
    activated only with `override_stdlib=True`, which serves the wheel's modules for this
    process only (before the module's first import: once the standard library's is imported it
    cannot change, and `VersionConflict` says so) and its children (`WHEELHOOK_OVERRIDE_STDLIB`
    passes the names on with the pins). Without the flag, such a distribution named
    in `requirements` raises `StdlibConflict` (a `ResolutionError`) naming the module, the
    distribution and the flag, and nothing is activated; one only needed by them (a backport an
    old dependency requires without an environment marker) is left to the standard library,
    which serves its modules: it is not activated, so `importlib.metadata` does not report it,
    and the `wheelhook` logger says so. A wheel with other modules besides serves those, and
    leaves its standard-library names to the standard library, as a normal install does.

    A wheel whose packages ship data files, or whose sources mention `__file__`, is served from
    a copy unpacked once into the private cache, so that `__file__` and `__path__` are real files
    (pytz's zoneinfo, numpy's headers, lxml's Schematron, jinja2's `PackageLoader`); any other
    from its archive. `unpack` overrides that choice: `True` unpacks all, `False` none; or
    entries, later ones winning: `"name"` unpacked, `"-name"` from the archive, `"*"`/`"-*"`
    all. `WHEELHOOK_UNPACK` (entries, comma- or space-separated) comes before them.

    >>> require("six==1.15.0")  # doctest: +SKIP
    [<ActiveDistribution six 1.15.0 (wheel: .../six-1.15.0-py2.py3-none-any.whl)>]
    """
    if lock is not None:
        if requirements:
            from wheelhook.errors import UsageError

            raise UsageError("require() takes requirements or lock=, not both")
        return _require_lock(lock, extras, groups, override_stdlib, unpack)
    reqs: list[str] = []
    for r in requirements:
        reqs.extend(_native.requirement_lines(r))
    return _native.activate(reqs, override_stdlib, unpack)


def _require_lock(
    lock: "str | os.PathLike[str]",
    extras: "Iterable[str]",
    groups: "Iterable[str] | None",
    override_stdlib: bool,
    unpack: "bool | Iterable[str]",
) -> "list[ActiveDistribution]":
    return _native.activate(
        [],
        override_stdlib,
        unpack,
        lock=os.fspath(lock),
        extras=list(extras),
        groups=None if groups is None else list(groups),
    )


def active() -> "list[ActiveDistribution]":
    """The distributions activated in this process, sorted by name."""
    return _native.install().active()


def finder() -> _native.Finder:
    """The process's finder (installed on first use)."""
    return _native.install()


def drop(wheel: "str | os.PathLike[str]", store: "str | os.PathLike[str] | None" = None) -> str:
    """Validates `wheel` and copies it atomically into `store` (default: site-packages); returns
    the stored path. The process's finder forgets its listing of the store, so a `require()`
    that follows sees the new wheel (a distribution already imported cannot change version:
    that `require()` raises `VersionConflict` and changes nothing).

    >>> drop("six-1.15.0-py2.py3-none-any.whl")  # doctest: +SKIP
    '.../site-packages/six-1.15.0-py2.py3-none-any.whl'
    """
    from wheelhook import _drop

    info = _drop.drop(
        os.fspath(wheel), os.fspath(store) if store is not None else _drop.default_store()
    )
    for f in sys.meta_path:
        if isinstance(f, _native.Finder):
            f.invalidate_caches()
    return info["path"]
