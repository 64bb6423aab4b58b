"""`importlib.resources` for packages served from wheels: a Traversable over the archive."""

from __future__ import annotations

import io
import os
import posixpath
from importlib.abc import Traversable, TraversableResources

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from wheelhook._native import Loader

__all__ = ["ArchivePath", "WheelReader", "reader"]


class ArchivePath(Traversable):
    """A file or directory inside a wheel, named by its member path (`pkg/data/x.txt`)."""

    def __init__(self, loader: Loader, member: str) -> None:
        self._loader = loader
        self._member = member.strip("/")

    def _children(self) -> set[str]:
        prefix = self._member + "/" if self._member else ""
        names: set[str] = set()
        for m in self._loader.members():
            if m.startswith(prefix) and m != prefix:
                names.add(m[len(prefix) :].split("/", 1)[0])
        return names

    def iterdir(self) -> Iterator[ArchivePath]:
        for child in sorted(self._children()):
            yield ArchivePath(self._loader, posixpath.join(self._member, child))

    def is_file(self) -> bool:
        return self._member in set(self._loader.members())

    def is_dir(self) -> bool:
        return not self.is_file() and bool(self._children())

    def read_bytes(self) -> bytes:
        data = self._loader.read(self._member)
        if data is None:
            raise FileNotFoundError(self._loader.member_path(self._member))
        return data

    def read_text(self, encoding: str | None = None) -> str:
        return self.read_bytes().decode(encoding or "utf-8")

    def open(self, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if mode not in ("r", "rb"):
            raise ValueError(f"wheels are read-only: cannot open {self} with mode {mode!r}")
        stream = io.BytesIO(self.read_bytes())
        if mode == "rb":
            return stream
        return io.TextIOWrapper(stream, *args, **kwargs)

    def joinpath(self, *descendants: str | os.PathLike[str]) -> ArchivePath:
        member = self._member
        for d in descendants:
            for part in os.fspath(d).replace("\\", "/").split("/"):
                if part in ("", "."):
                    continue
                if part == "..":
                    raise ValueError(f"{d!r} leaves the package")
                member = posixpath.join(member, part)
        return ArchivePath(self._loader, member)

    def __truediv__(self, child: str | os.PathLike[str]) -> ArchivePath:
        return self.joinpath(child)

    @property
    def name(self) -> str:
        return posixpath.basename(self._member)

    def __str__(self) -> str:
        return self._loader.member_path(self._member)

    def __repr__(self) -> str:
        return f"ArchivePath({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ArchivePath) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


class WheelReader(TraversableResources):
    """The resource reader of one package inside a wheel."""

    def __init__(self, loader: Loader, package_dir: str) -> None:
        self._loader = loader
        self._dir = package_dir

    def files(self) -> ArchivePath:
        return ArchivePath(self._loader, self._dir)


def reader(loader: Loader, fullname: str) -> WheelReader | None:
    """`Loader.get_resource_reader`: a reader for packages, `None` for plain modules."""
    if not loader.is_package(fullname):
        return None
    package_file = loader.get_filename(fullname)
    member = loader.member_of(package_file) or ""
    return WheelReader(loader, posixpath.dirname(member))
