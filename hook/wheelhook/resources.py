"""`importlib.resources` for packages served from wheels: a Traversable over the archive.

`Loader.get_resource_reader` calls `reader(loader, fullname)`. A regular package gets its
directory inside the wheel; a plain module its enclosing directory (as 3.13's zipimport does);
a namespace package every one of its portions, in wheels or on disk, merged into one tree.
"""

from __future__ import annotations

import io
import os
import pathlib
import posixpath
import sys

if sys.version_info >= (3, 11):
    from importlib.resources.abc import Traversable, TraversableResources
else:  # 3.9 and 3.10 keep them in importlib.abc (deprecated there from 3.12)
    from importlib.abc import Traversable, TraversableResources

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from typing import Any

    from wheelhook._native import Loader

__all__ = ["ArchivePath", "MergedPath", "WheelReader", "reader"]


class _Listing:
    """Every file and directory of one wheel, from one call to `Loader.members()`."""

    def __init__(self, members: list[str]) -> None:
        self.files = frozenset(members)
        children: dict[str, set[str]] = {"": set()}
        for member in members:
            parent, _, leaf = member.rpartition("/")
            children.setdefault(parent, set()).add(leaf)
            # Directories are implied by the files under them (archives need no directory entries).
            while parent:
                parent, _, leaf = parent.rpartition("/")
                children.setdefault(parent, set()).add(leaf)
        self.children = {d: sorted(names) for d, names in children.items()}


#: One listing per loader: loaders live as long as the process, like their wheels' maps.
_listings: dict[Loader, _Listing] = {}


def _listing(loader: Loader) -> _Listing:
    listing = _listings.get(loader)
    if listing is None:
        listing = _listings[loader] = _Listing(loader.members())
    return listing


def _parts(descendants: Sequence[str | os.PathLike[str]]) -> list[str]:
    parts: list[str] = []
    for d in descendants:
        for part in os.fspath(d).replace("\\", "/").split("/"):
            if part in ("", "."):
                continue
            if part == "..":
                raise ValueError(f"{os.fspath(d)!r} leaves the package")
            parts.append(part)
    return parts


class ArchivePath(Traversable):
    """A file or directory inside a wheel, named by its member path (`pkg/data/x.txt`).

    Reads come from the mapped archive; it is read-only. `str()` is the path Python shows for
    the member (`.../pkg-1.0-py3-none-any.whl/pkg/data/x.txt`), as `__file__` is.
    """

    def __init__(self, loader: Loader, member: str) -> None:
        self._loader = loader
        self._member = member.strip("/")

    def _child(self, member: str) -> ArchivePath:
        return type(self)(self._loader, member)

    def iterdir(self) -> Iterator[ArchivePath]:
        names = _listing(self._loader).children.get(self._member)
        if names is None:
            if self.is_file():
                raise NotADirectoryError(str(self))
            raise FileNotFoundError(str(self))
        for name in names:
            yield self._child(posixpath.join(self._member, name))

    def is_file(self) -> bool:
        return self._member in _listing(self._loader).files

    def is_dir(self) -> bool:
        return self._member in _listing(self._loader).children

    def exists(self) -> bool:
        return self.is_file() or self.is_dir()

    def read_bytes(self) -> bytes:
        data = self._loader.read(self._member) if self.is_file() else None
        if data is None:
            if self.is_dir():
                raise IsADirectoryError(str(self))
            raise FileNotFoundError(f"{self._loader.archive} has no member {self._member!r}")
        return data

    def read_text(self, encoding: str | None = None, errors: str | None = None) -> str:
        """The member decoded as `encoding` (UTF-8 unless told: wheels carry no locale)."""
        return self.read_bytes().decode(encoding or "utf-8", errors or "strict")

    def open(self, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        """A read-only stream: `'rb'` bytes, `'r'` text (UTF-8 unless `encoding=` says otherwise)."""
        if mode not in ("r", "rt", "rb"):
            raise ValueError(
                f"{self} is inside a wheel and read-only: cannot open it with mode {mode!r}"
            )
        stream = io.BytesIO(self.read_bytes())
        if mode == "rb":
            return stream
        if not args and "encoding" not in kwargs:
            kwargs["encoding"] = "utf-8"
        return io.TextIOWrapper(stream, *args, **kwargs)

    def joinpath(self, *descendants: str | os.PathLike[str]) -> ArchivePath:
        return self._child(posixpath.join(self._member, *_parts(descendants)))

    def __truediv__(self, child: str | os.PathLike[str]) -> ArchivePath:
        return self.joinpath(child)

    @property
    def name(self) -> str:
        return posixpath.basename(self._member)

    @property
    def parent(self) -> ArchivePath:
        return self._child(posixpath.dirname(self._member))

    def __str__(self) -> str:
        if not self._member:
            return self._loader.archive
        return self._loader.member_path(self._member)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ArchivePath) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


class MergedPath(Traversable):
    """A directory made of several directories (the portions of a namespace package).

    Children of the same name merge when they are all directories; otherwise the first
    portion holding the name wins, as it would on `__path__`.
    """

    def __init__(self, *paths: Traversable) -> None:
        if not paths:
            raise FileNotFoundError("a namespace package with no portions")
        self._paths = paths

    def iterdir(self) -> Iterator[Traversable]:
        seen: dict[str, list[Traversable]] = {}
        for path in self._paths:
            for child in path.iterdir():
                seen.setdefault(child.name, []).append(child)
        for group in seen.values():
            yield _merge(group)

    def joinpath(self, *descendants: str | os.PathLike[str]) -> Traversable:
        current: list[Traversable] = list(self._paths)
        for part in _parts(descendants):
            children = [p.joinpath(part) for p in current if p.is_dir()]
            found = [c for c in children if c.is_dir() or c.is_file()]
            current = found or children[:1]
        return _merge(current)

    def __truediv__(self, child: str | os.PathLike[str]) -> Traversable:
        return self.joinpath(child)

    def is_dir(self) -> bool:
        return True

    def is_file(self) -> bool:
        return False

    def exists(self) -> bool:
        return True

    def open(self, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        raise IsADirectoryError(str(self))

    def read_bytes(self) -> bytes:
        raise IsADirectoryError(str(self))

    def read_text(self, encoding: str | None = None) -> str:
        raise IsADirectoryError(str(self))

    @property
    def name(self) -> str:
        return self._paths[0].name

    def __str__(self) -> str:
        return str(self._paths[0])

    def __repr__(self) -> str:
        return f"MergedPath({', '.join(repr(str(p)) for p in self._paths)})"


def _merge(paths: list[Traversable]) -> Traversable:
    dirs = [p for p in paths if p.is_dir()]
    if len(dirs) > 1 and len(dirs) == len(paths):
        return MergedPath(*dirs)
    return paths[0]


class WheelReader(TraversableResources):
    """The resource reader of one package (or namespace package) served from wheels."""

    def __init__(self, root: Traversable) -> None:
        self._root = root

    def files(self) -> Traversable:
        return self._root

    def is_resource(self, path: str) -> bool:
        # 3.9's TraversableResources calls a method Traversable does not have (`isfile`).
        return self._root.joinpath(path).is_file()


def _portion(location: str) -> Traversable | None:
    """A namespace portion: a directory inside an active wheel, or one on disk."""
    from wheelhook._api import finder

    for active in finder().active():
        if active.loader is not None:
            member = active.loader.member_of(location)
            if member is not None:
                path = ArchivePath(active.loader, member)
                return path if path.is_dir() else None
    return pathlib.Path(location) if os.path.isdir(location) else None


def _namespace_locations(loader: Loader, fullname: str) -> list[str]:
    module = sys.modules.get(fullname)
    locations = getattr(module, "__path__", None)
    if locations is None:
        from wheelhook._api import finder

        spec = finder().find_spec(fullname)
        locations = spec.submodule_search_locations if spec is not None else None
    return [str(p) for p in locations or ()]


def reader(loader: Loader, fullname: str) -> WheelReader | None:
    """`Loader.get_resource_reader`: a reader rooted at the package's directory (every portion
    of a namespace package), or at a plain module's enclosing directory."""
    try:
        is_package = loader.is_package(fullname)
    except ImportError:
        return None
    try:
        filename = loader.get_filename(fullname)
    except ImportError:
        if not is_package:
            return None
        # A namespace package: no file, one directory per portion.
        portions = [p for p in map(_portion, _namespace_locations(loader, fullname)) if p]
        if not portions:
            return None
        return WheelReader(portions[0] if len(portions) == 1 else MergedPath(*portions))
    member = loader.member_of(filename)
    if member is None:
        return None
    return WheelReader(ArchivePath(loader, posixpath.dirname(member)))
