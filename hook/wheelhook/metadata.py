"""`importlib.metadata` for active wheels: a `Distribution` read straight from the archive."""

from __future__ import annotations

import pathlib
import re
from importlib.metadata import Distribution, DistributionFinder

TYPE_CHECKING = False
if TYPE_CHECKING:
    import os
    from collections.abc import Iterator

    from wheelhook._native import Finder, Loader

__all__ = ["WheelDistribution", "find_distributions"]


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


class WheelDistribution(Distribution):
    """The `.dist-info` of an active wheel, read from the mapped archive."""

    def __init__(self, loader: Loader) -> None:
        self._loader = loader

    def read_text(self, filename: str) -> str | None:
        data = self._loader.read(f"{self._loader.dist_info}/{filename}")
        return None if data is None else data.decode("utf-8")

    # Documented in the base class: the shared docstring applies.
    read_text.__doc__ = Distribution.read_text.__doc__

    def locate_file(self, path: str | os.PathLike[str]) -> pathlib.Path:
        """The path of a file of the distribution (`RECORD` paths are relative to the archive root)."""
        return pathlib.Path(self._loader.member_path(str(path).replace("\\", "/")))

    @property
    def _normalized_name(self) -> str:
        return self._loader.name.replace("-", "_")

    def __repr__(self) -> str:
        return f"<WheelDistribution {self._loader.name} {self._loader.version} from {self._loader.archive}>"


def find_distributions(
    finder: Finder, context: DistributionFinder.Context | None = None
) -> Iterator[Distribution]:
    """The active wheels matching `context.name` (all of them when it is `None`)."""
    name = getattr(context, "name", None) if context is not None else None
    wanted = _normalize(name) if name else None
    for active in finder.active():
        if active.loader is None:
            continue
        if wanted is None or _normalize(active.name) == wanted:
            yield WheelDistribution(active.loader)
