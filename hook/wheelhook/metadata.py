"""`importlib.metadata` for active wheels: a `Distribution` read straight from the archive.

The finder's `find_distributions` answers first (it sits ahead of the path finder in
`sys.meta_path`), so `distribution()`, `version()`, `metadata()`, `files()` and `requires()`
see the wheel. Functions that walk *every* distribution (`distributions()`, `entry_points()`
before 3.10, `packages_distributions()`) would also see the shadowed default that the path
finder reports next; the first call here therefore wraps
`importlib.metadata.MetadataPathFinder.find_distributions` (what `PathFinder` delegates to on
3.9-3.13) once, so that it skips distributions a wheel is active for. The filter asks the
finder for its active set on every call, so it follows later activations and costs nothing
when no wheel is active.
"""

from __future__ import annotations

import threading
from importlib import metadata
from importlib.metadata import Distribution, DistributionFinder

from wheelhook._names import normalize
from wheelhook.resources import ArchivePath

TYPE_CHECKING = False
if TYPE_CHECKING:
    import os
    from collections.abc import Iterable, Iterator

    from wheelhook._native import ActiveDistribution, Finder

__all__ = ["MemberPath", "WheelDistribution", "find_distributions"]


class MemberPath(ArchivePath):
    """What `PackagePath.locate()` returns: a file inside the wheel, readable in place.

    `os.fspath()` gives the path inside the archive (like `__file__`); it names no file on
    disk, so read it with `read_text()`, `read_bytes()` or `open()`.
    """

    def __fspath__(self) -> str:
        return str(self)


class WheelDistribution(Distribution):
    """The `.dist-info` of an active wheel, read from the mapped archive."""

    def __init__(self, active: ActiveDistribution) -> None:
        if active.loader is None:
            raise ValueError(f"{active.name} {active.version} is not served from a wheel")
        self._active = active
        self._loader = active.loader

    def read_text(self, filename: str | os.PathLike[str]) -> str | None:
        data = self._loader.read(f"{self._loader.dist_info}/{filename}")
        if data is None:
            if str(filename) == "top_level.txt" and self._active.top_level:
                # Not every build backend writes it; the index knows the import names exactly.
                return "\n".join(sorted(self._active.top_level)) + "\n"
            return None
        return data.decode("utf-8")

    read_text.__doc__ = Distribution.read_text.__doc__

    def locate_file(self, path: str | os.PathLike[str]) -> MemberPath:
        """The file of the distribution inside the archive (`RECORD` paths are relative to the
        archive root)."""
        return MemberPath(self._loader, str(path).replace("\\", "/"))

    @property
    def _normalized_name(self) -> str:
        return self._active.name.replace("-", "_")

    def __repr__(self) -> str:
        return f"<WheelDistribution {self._active.name} {self._active.version} from {self._loader.archive}>"


def find_distributions(
    finder: Finder, context: DistributionFinder.Context | None = None
) -> Iterator[Distribution]:
    """The active wheels matching `context.name` (all of them when it is `None`).

    A context with an explicit `path` asks about those directories only: no wheel answers it.
    """
    _hide_shadowed(finder)  # before the path finder is asked, which happens next
    if context is not None and "path" in vars(context):
        return iter(())
    return _wheels(finder, context)


def _wheels(finder: Finder, context: DistributionFinder.Context | None) -> Iterator[Distribution]:
    name = getattr(context, "name", None)
    wanted = normalize(name) if name else None
    for active in finder.active():
        if active.loader is None:
            continue
        if wanted is None or normalize(active.name) == wanted:
            yield WheelDistribution(active)


_hidden_by: Finder | None = None
#: Two threads asking for metadata at once must not wrap the path finder twice.
_hiding = threading.Lock()


def _hide_shadowed(finder: Finder) -> None:
    """Makes the path finder skip distributions that an active wheel replaces (once)."""
    global _hidden_by
    if _hidden_by is not None:
        return
    with _hiding:
        if _hidden_by is not None:
            return
        _wrap_path_finder(finder)
        _hidden_by = finder


def _wrap_path_finder(finder: Finder) -> None:
    path_finder = metadata.MetadataPathFinder
    original = path_finder.__dict__["find_distributions"].__func__

    def find_distributions(
        cls: type[metadata.MetadataPathFinder],
        context: DistributionFinder.Context = DistributionFinder.Context(),  # noqa: B008 (the stdlib default)
    ) -> Iterable[Distribution]:
        return _without_shadowed(finder, context, original(cls, context))

    find_distributions.__doc__ = original.__doc__
    find_distributions.__wrapped__ = original  # type: ignore[attr-defined]
    path_finder.find_distributions = classmethod(find_distributions)  # type: ignore[assignment,method-assign]


def _without_shadowed(
    finder: Finder, context: DistributionFinder.Context, found: Iterable[Distribution]
) -> Iterable[Distribution]:
    if "path" in vars(context):
        return found  # directories asked for by name: report what is there
    shadowed = {normalize(a.name) for a in finder.active() if a.kind == "wheel"}
    if not shadowed:
        return found
    if context.name is not None:
        return () if normalize(context.name) in shadowed else found
    return (d for d in found if _dist_name(d) not in shadowed)


def _dist_name(dist: Distribution) -> str:
    # 3.10+ path distributions know their name from the directory's; 3.9 reads METADATA.
    name = getattr(dist, "_normalized_name", None) or dist.metadata["Name"] or ""
    return normalize(name)
