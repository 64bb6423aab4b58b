"""Entry points of the active set, from an index the extension reads once per active set, and
loading one after checking its distribution's requirements (as `pkg_resources` did).

The extension lists every `entry_points.txt` of the active wheels and of the installed
distributions they do not shadow, in `importlib.metadata`'s order (so the same entry point wins
a name two distributions declare), and keeps the table until the active set changes or
`importlib.invalidate_caches()` is called. This module turns the table's rows into
`importlib.metadata.EntryPoint` objects a group at a time, and keeps them for as long as the
table stands.
"""

from __future__ import annotations

import functools
import pathlib
import sys
import threading
from importlib import metadata

from wheelhook import _native

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    #: What the extension returns: the distributions `(name, version, path, is_wheel)`, and each
    #: group's entry points `(name, value, index of the distribution)`, in order.
    Table = tuple[list[tuple[str, str, str, bool]], dict[str, list[tuple[str, str, int]]]]

__all__ = ["entry_points", "load_entry_point"]

#: 3.10+ `EntryPoint`s carry their distribution, and `EntryPoints` selects by name.
_HAS_DIST = sys.version_info >= (3, 10)

_lock = threading.Lock()
#: The table the objects below were made from (the extension returns the same one until it
#: changes).
_table: Table | None = None
_groups: dict[str, tuple[metadata.EntryPoint, ...]] = {}
_dists: dict[int, metadata.Distribution] = {}
#: Every entry point, in distribution order (see `_every`).
_every_kept: tuple[metadata.EntryPoint, ...] | None = None


def entry_points(
    group: str | None = None, name: str | None = None
) -> Sequence[metadata.EntryPoint]:
    """The entry points of the active set, as `importlib.metadata.entry_points(group=, name=)`
    reports them: the active wheels' and those of the installed distributions they do not
    shadow; an `importlib.metadata.EntryPoints` (a tuple on 3.9), each entry point with its
    `dist` on 3.10+.

    The `entry_points.txt` files are read once per active set; a later `require()` or
    `importlib.invalidate_caches()` makes the next call read them again.

    >>> [ep.value for ep in entry_points(group="console_scripts", name="black")]  # doctest: +SKIP
    ['black:patched_main']
    """
    with _lock:
        table = _current()
        if group is not None:
            found = _group(table, group)
        else:
            found = _every(table)
    if name is not None:
        found = tuple(ep for ep in found if ep.name == name)
    if _HAS_DIST:
        return metadata.EntryPoints(found)
    return found


def load_entry_point(ep: metadata.EntryPoint) -> object:
    """`ep.load()`, after checking that its distribution's requirements, with the extras the
    entry point names (`name = module:attr [extra]`), are met: they are activated as
    `wheelhook.require("dist[extra]==version")` would, so a missing or conflicting one raises
    `DistributionNotFound` or `VersionConflict` (both `ImportError`) with the explanation, and
    nothing is loaded. An entry point of no known distribution is loaded unchecked.
    """
    owner = entry_point_owner(ep)
    if owner is not None:
        from wheelhook._api import require

        dist_name, version = owner
        extras = f"[{','.join(ep.extras)}]" if ep.extras else ""
        require(f"{dist_name}{extras}=={version}")
    return ep.load()


def _current() -> Table:
    global _table, _every_kept
    table = _native.install().entry_point_table(_native.store_dirs(), _native.default_dirs())
    if table is not _table:
        _table = table
        _groups.clear()
        _dists.clear()
        _every_kept = None
    return table


def _every(table: Table) -> tuple[metadata.EntryPoint, ...]:
    """Every entry point in distribution order, as `importlib.metadata.entry_points()` lists
    them (so `[name]` picks the same one); within a distribution, group by group."""
    global _every_kept
    found = _every_kept
    if found is None:
        rows = [
            (index, ep)
            for g in table[1]
            for ep, (_, _, index) in zip(_group(table, g), table[1][g])
        ]
        rows.sort(key=lambda row: row[0])  # stable: file order within a group stays
        found = _every_kept = tuple(ep for _, ep in rows)
    return found


def _group(
    table: Table,
    group: str,
) -> tuple[metadata.EntryPoint, ...]:
    found = _groups.get(group)
    if found is None:
        found = _groups[group] = tuple(
            _entry_point(table, name, value, group, dist)
            for name, value, dist in table[1].get(group, ())
        )
    return found


def _entry_point(
    table: Table,
    name: str,
    value: str,
    group: str,
    dist: int,
) -> metadata.EntryPoint:
    ep = metadata.EntryPoint(name, value, group)
    if _HAS_DIST:
        ep._for(_distribution(table, dist))  # type: ignore[attr-defined]
    return ep


def _distribution(
    table: Table,
    index: int,
) -> metadata.Distribution:
    found = _dists.get(index)
    if found is None:
        name, _, path, is_wheel = table[0][index]
        if is_wheel:
            from wheelhook.metadata import WheelDistribution

            active = next(a for a in _native.install().active() if a.name == name)
            found = WheelDistribution(active)
        else:
            found = _Installed(path)
        _dists[index] = found
    return found


class _Installed(metadata.PathDistribution):
    """The `PathDistribution` of an installed `.dist-info`, whose `pathlib.Path` is made when
    first read: most entry points' `dist` is never looked at, and a path object per
    distribution is a good part of the index's first call."""

    def __init__(self, path: str) -> None:  # the parent's `_path` is made on first use
        self._where = path

    @functools.cached_property
    def _path(self) -> pathlib.Path:  # type: ignore[override]
        return pathlib.Path(self._where)


def entry_point_owner(ep: metadata.EntryPoint) -> tuple[str, str] | None:
    """The name and version of the distribution declaring `ep`."""
    dist = getattr(ep, "dist", None)
    if dist is not None:
        return dist.metadata["Name"], dist.version
    with _lock:
        table = _current()
        for name, value, index in table[1].get(ep.group, ()):
            if name == ep.name and value == ep.value:
                dist_name, version, _, _ = table[0][index]
                return dist_name, version
    return None
