"""The run-time API of `pkg_resources` on top of wheelhook, for code written against it.

setuptools 82 removed `pkg_resources`. This module implements the subset applications call at
run time: `require` (which activates wheels from the store, as `pkg_resources.require` selected
eggs), `working_set`, `get_distribution`, `Distribution`, entry points, resources, version and
requirement parsing, and the two errors. `python -m wheelhook enable --pkg-resources` makes
`import pkg_resources` give this module where no real `pkg_resources` is importable.

What it does not do (the build- and install-time parts: `Environment`, eggs, `fixup_namespace_packages`,
`resource_filename` of a `Requirement`) raises `AttributeError` naming what is missing.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import pathlib
import sys

from wheelhook._names import normalize
from wheelhook._native import Version, evaluate_marker, parse_requirement, specifier_contains
from wheelhook.errors import DistributionNotFound, ResolutionError, UnknownExtra, VersionConflict

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import IO, Any

__all__ = [
    "Distribution",
    "DistributionNotFound",
    "EntryPoint",
    "Requirement",
    "ResolutionError",
    "UnknownExtra",
    "VersionConflict",
    "WorkingSet",
    "declare_namespace",
    "get_distribution",
    "get_entry_info",
    "get_entry_map",
    "iter_entry_points",
    "load_entry_point",
    "parse_requirements",
    "parse_version",
    "require",
    "resource_exists",
    "resource_filename",
    "resource_isdir",
    "resource_listdir",
    "resource_stream",
    "resource_string",
    "safe_name",
    "working_set",
    "yield_lines",
]


def parse_version(text: str) -> Any:
    """`packaging.version.Version` when `packaging` is importable (what `pkg_resources` returned),
    else the extension's PEP 440 version (`wheelhook._native.Version`, with packaging's
    attributes), ordered the same way. Raises `ValueError` (packaging's `InvalidVersion` is one)
    for text that is not a version."""
    try:
        from packaging.version import Version as PackagingVersion
    except ImportError:
        return Version(text)
    return PackagingVersion(text)


def safe_name(name: str) -> str:
    """`pkg_resources.safe_name`: runs of characters other than letters, digits and `.` become `-`."""
    import re

    return re.sub(r"[^A-Za-z0-9.]+", "-", name)


def _key(name: str) -> str:
    return safe_name(name).lower()


def yield_lines(text: str | Iterable[Any]) -> Iterator[str]:
    """The non-blank lines of `text` (or of each string it yields) that are not `#` comments."""
    if isinstance(text, str):
        for line in text.splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                yield line
    else:
        for item in text:
            yield from yield_lines(item)


class Requirement:
    """A PEP 508 requirement: `project_name`, `key`, `specs`, `extras`, `marker`, `url`;
    `version in requirement` and `distribution in requirement` test its specifiers."""

    def __init__(self, text: str) -> None:
        name, extras, self.specs, self.url, self.marker = parse_requirement(text)
        self.extras = tuple(extras)
        self.name = self.project_name = safe_name(name)
        self.key = self.project_name.lower()
        self.specifier = ",".join(op + v for op, v in self.specs)

    @classmethod
    def parse(cls, text: str) -> Requirement:
        return cls(text)

    def __contains__(self, item: object) -> bool:
        if isinstance(item, Distribution):
            if normalize(item.project_name) != normalize(self.project_name):
                return False
            item = item.version
        return specifier_contains(self.specifier, str(item))

    def __str__(self) -> str:
        extras = f"[{','.join(self.extras)}]" if self.extras else ""
        tail = f" @ {self.url}" if self.url else self.specifier
        marker = f"; {self.marker}" if self.marker else ""
        return f"{self.project_name}{extras}{tail}{marker}"

    def __repr__(self) -> str:
        return f"Requirement.parse({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Requirement) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


def parse_requirements(strs: str | Iterable[str]) -> Iterator[Requirement]:
    """The requirements of `strs` (a string or strings), one a line; `#` comments, blank lines
    and ` #` tails are skipped, and a line ending in `\\` continues on the next."""
    pending = ""
    for line in yield_lines(strs):
        if " #" in line:
            line = line[: line.index(" #")].rstrip()
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        yield Requirement(pending + line)
        pending = ""
    if pending:
        yield Requirement(pending)


def _entry_points(group: str | None = None, name: str | None = None) -> list[tuple[Any, str]]:
    """Every entry point of the active set and the installed distributions they do not shadow,
    as `(importlib.metadata.EntryPoint, distribution name)`: wheelhook's entry-point index."""
    from wheelhook._entry_points import entry_point_owner, entry_points

    found = []
    for ep in entry_points(group, name):
        owner = entry_point_owner(ep)
        if owner is not None:
            found.append((ep, owner[0]))
    return found


class EntryPoint:
    """`name = module:attrs [extras]`; `load()` checks the extras' requirements first, as
    `pkg_resources` did, then imports the object."""

    def __init__(
        self,
        name: str,
        module_name: str,
        attrs: tuple[str, ...] = (),
        extras: tuple[str, ...] = (),
        dist: Distribution | None = None,
    ) -> None:
        self.name = name
        self.module_name = module_name
        self.attrs = tuple(attrs)
        self.extras = tuple(extras)
        self.dist = dist

    @classmethod
    def parse(cls, src: str, dist: Distribution | None = None) -> EntryPoint:
        name, sep, value = src.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"EntryPoint must be in 'name=module:attrs [extras]' format: {src!r}")
        value, _, extras = value.partition("[")
        module, _, attrs = value.strip().partition(":")
        extras_list = tuple(e.strip() for e in extras.rstrip().rstrip("]").split(",") if e.strip())
        if not module.strip() or (":" in value and not attrs.strip()):
            raise ValueError(f"EntryPoint must be in 'name=module:attrs [extras]' format: {src!r}")
        return cls(
            name.strip(),
            module.strip(),
            tuple(attrs.strip().split(".")) if attrs else (),
            extras_list,
            dist,
        )

    def resolve(self) -> Any:
        """Imports the module and returns the object, without checking requirements."""
        obj: Any = importlib.import_module(self.module_name)
        for attr in self.attrs:
            try:
                obj = getattr(obj, attr)
            except AttributeError as e:
                raise ImportError(f"{self}: {obj!r} has no attribute {attr!r}") from e
        return obj

    def require(self) -> None:
        """Activates what its distribution needs, with the entry point's extras, as
        `pkg_resources` resolved them (`DistributionNotFound`, `VersionConflict` when that
        cannot be done; nothing is changed then)."""
        if self.dist is not None:
            needed = [str(r) for r in self.dist.requires(self.extras)]
            if needed:
                from wheelhook._api import require

                require(*needed)

    def load(self, require: bool = True, *args: Any, **kwargs: Any) -> Any:
        if require:
            self.require()
        return self.resolve()

    def __str__(self) -> str:
        text = f"{self.name} = {self.module_name}"
        if self.attrs:
            text += ":" + ".".join(self.attrs)
        if self.extras:
            text += f" [{','.join(self.extras)}]"
        return text

    def __repr__(self) -> str:
        return f"EntryPoint.parse({str(self)!r})"


class Distribution:
    """A distribution of the working set (an active wheel or an installed distribution), read
    through `importlib.metadata`."""

    def __init__(self, dist: importlib.metadata.Distribution) -> None:
        self._dist = dist
        self.project_name = safe_name(dist.metadata["Name"])
        self.key = self.project_name.lower()
        self.version: str = dist.version

    @property
    def parsed_version(self) -> Any:
        return parse_version(self.version)

    @property
    def location(self) -> str:
        """The wheel file of an active wheel; the directory holding an installed one's metadata."""
        from wheelhook._api import active

        for a in active():
            if normalize(a.name) == normalize(self.project_name):
                return a.path
        return str(self._dist.locate_file(""))

    def requires(self, extras: Iterable[str] = ()) -> list[Requirement]:
        """Its requirements for this interpreter, with those of `extras` (`UnknownExtra` for an
        extra it does not declare)."""
        known = {normalize(e) for e in self._dist.metadata.get_all("Provides-Extra") or ()}
        extras = list(extras)
        for extra in extras:
            if normalize(extra) not in known:
                raise UnknownExtra(f"{self} has no such extra feature {extra!r}")
        out: list[Requirement] = []
        for line in self._dist.requires or ():
            req = Requirement(line)
            marker = req.marker
            if marker is None or any(evaluate_marker(marker, e) for e in ["", *extras]):
                req.marker = None
                if req not in out:
                    out.append(req)
        return out

    def has_metadata(self, name: str) -> bool:
        return self._dist.read_text(name) is not None

    def get_metadata(self, name: str) -> str:
        text = self._dist.read_text(name)
        if text is None:
            raise FileNotFoundError(f"{self} has no metadata file {name!r}")
        return text

    def get_metadata_lines(self, name: str) -> Iterator[str]:
        return yield_lines(self.get_metadata(name))

    def get_entry_map(self, group: str | None = None) -> Any:
        """`{group: {name: EntryPoint}}`, or `{name: EntryPoint}` of one group."""
        groups: dict[str, dict[str, EntryPoint]] = {}
        for ep, dist_name in _entry_points(group):
            if normalize(dist_name) == normalize(self.project_name):
                groups.setdefault(ep.group, {})[ep.name] = EntryPoint.parse(
                    f"{ep.name} = {ep.value}", self
                )
        return groups.get(group, {}) if group is not None else groups

    def get_entry_info(self, group: str, name: str) -> EntryPoint | None:
        ep: EntryPoint | None = self.get_entry_map(group).get(name)
        return ep

    def load_entry_point(self, group: str, name: str) -> Any:
        ep = self.get_entry_info(group, name)
        if ep is None:
            raise ImportError(f"Entry point {(group, name)!r} not found in {self}")
        return ep.load()

    def as_requirement(self) -> Requirement:
        return Requirement(f"{self.project_name}=={self.version}")

    def activate(self, path: list[str] | None = None, replace: bool = False) -> None:
        """A no-op: an active wheel or an installed distribution is importable already."""

    def __str__(self) -> str:
        return f"{self.project_name} {self.version}"

    def __repr__(self) -> str:
        return f"{self} ({self.location})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Distribution) and (self.key, self.version) == (
            other.key,
            other.version,
        )

    def __hash__(self) -> int:
        return hash((self.key, self.version))


def _as_requirement(req: str | Requirement) -> Requirement:
    return req if isinstance(req, Requirement) else Requirement(req)


class WorkingSet:
    """The distributions importable now: the active wheels, then the installed distributions
    they do not shadow (read through `importlib.metadata` at each use, so it follows
    `require()` and `sys.path`)."""

    @property
    def entries(self) -> list[str]:
        return sys.path

    def __iter__(self) -> Iterator[Distribution]:
        seen = set()
        for dist in importlib.metadata.distributions():
            name = dist.metadata["Name"]
            if name and normalize(name) not in seen:
                seen.add(normalize(name))
                yield Distribution(dist)

    @property
    def by_key(self) -> dict[str, Distribution]:
        return {d.key: d for d in self}

    def __contains__(self, dist: object) -> bool:
        return isinstance(dist, Distribution) and self.by_key.get(dist.key) == dist

    def find(self, req: Requirement) -> Distribution | None:
        """The distribution for `req`'s name; `VersionConflict` when its version does not match."""
        for dist in self:
            if normalize(dist.project_name) == normalize(req.project_name):
                if dist not in req:
                    raise VersionConflict(f"{dist} is installed but {req} is required")
                return dist
        return None

    def require(self, *requirements: str | Requirement | Iterable[str]) -> list[Distribution]:
        """Activates `requirements` (strings, `Requirement`s, or lists of either) and everything
        they need, from the store when what is installed does not satisfy them, and returns
        their distributions. `DistributionNotFound`, `VersionConflict` (both `ImportError`)
        when they cannot be met; nothing is changed then."""
        from wheelhook._api import require

        texts: list[str] = []
        for r in requirements:
            if isinstance(r, (str, Requirement)):
                texts.extend(str(req) for req in parse_requirements(str(r)))
            else:
                texts.extend(str(_as_requirement(x)) for x in r)
        resolution = require(*texts)
        names = {normalize(a.name) for a in resolution}
        by_name = {normalize(d.project_name): d for d in self}
        # Those named first, in order (a requirement whose marker excludes this interpreter has
        # none), then what they needed.
        named = [by_name.get(normalize(_as_requirement(t).project_name)) for t in texts]
        found = [d for d in named if d is not None]
        found += [d for n, d in by_name.items() if n in names and d not in found]
        return found

    def add_entry(self, entry: str) -> None:
        """Adds a `sys.path` entry: its distributions join the working set."""
        if entry not in sys.path:
            sys.path.append(entry)
            importlib.invalidate_caches()

    def iter_entry_points(self, group: str, name: str | None = None) -> Iterator[EntryPoint]:
        dists: dict[str, Distribution] = {}
        for ep, dist_name in _entry_points(group, name):
            dist = dists.get(dist_name)
            if dist is None:
                dist = dists[dist_name] = get_distribution(dist_name)
            yield EntryPoint.parse(f"{ep.name} = {ep.value}", dist)


working_set = WorkingSet()
require = working_set.require
iter_entry_points = working_set.iter_entry_points


def get_distribution(dist: str | Requirement | Distribution) -> Distribution:
    """The distribution of a name or requirement, activated from the store when the working set
    has none that satisfies it (`DistributionNotFound`, `VersionConflict` otherwise)."""
    if isinstance(dist, Distribution):
        return dist
    req = _as_requirement(dist)
    try:
        found = Distribution(importlib.metadata.distribution(req.project_name))
    except importlib.metadata.PackageNotFoundError:
        pass
    else:
        if found in req:
            return found
    return require(str(req))[0]


def get_entry_map(dist: str | Requirement | Distribution, group: str | None = None) -> Any:
    return get_distribution(dist).get_entry_map(group)


def get_entry_info(
    dist: str | Requirement | Distribution, group: str, name: str
) -> EntryPoint | None:
    return get_distribution(dist).get_entry_info(group, name)


def load_entry_point(dist: str | Requirement | Distribution, group: str, name: str) -> Any:
    return get_distribution(dist).load_entry_point(group, name)


def declare_namespace(package_name: str) -> None:
    """A no-op: namespace packages are PEP 420's now, their portions merged by the import system
    (and by wheelhook across wheels), as setuptools' own replacement for this call advises."""


def _resource(package: str, resource: str) -> Any:
    """The Traversable of a resource (`importlib.resources`), the name checked first."""
    import importlib.resources

    from wheelhook._resource_paths import _parts

    module = sys.modules.get(package) or importlib.import_module(package)
    if hasattr(module, "__path__"):
        path: Any = importlib.resources.files(module.__name__)
    else:  # a plain module: its enclosing directory
        get_reader = getattr(getattr(module.__spec__, "loader", None), "get_resource_reader", None)
        reader = get_reader(module.__name__) if get_reader is not None else None
        if reader is not None and hasattr(reader, "files"):
            path = reader.files()
        else:
            path = pathlib.Path(os.path.dirname(module.__file__ or ""))
    for part in _parts(package, resource, getattr(module, "__file__", None) or package):
        path = path / part
    return path


def resource_filename(package: str, resource: str) -> str:
    """A real path that lasts (see `wheelhook.resource_filename`)."""
    from wheelhook._resource_paths import resource_filename as filename

    return filename(package, resource)


def resource_string(package: str, resource: str) -> bytes:
    return bytes(_resource(package, resource).read_bytes())


def resource_stream(package: str, resource: str) -> IO[bytes]:
    stream: IO[bytes] = _resource(package, resource).open("rb")
    return stream


def resource_exists(package: str, resource: str) -> bool:
    path = _resource(package, resource)
    return bool(path.is_file() or path.is_dir())


def resource_isdir(package: str, resource: str) -> bool:
    return bool(_resource(package, resource).is_dir())


def resource_listdir(package: str, resource: str) -> list[str]:
    return sorted(p.name for p in _resource(package, resource).iterdir())


def __getattr__(name: str) -> Any:
    raise AttributeError(
        f"wheelhook.pkg_resources implements the run-time API of pkg_resources; {name!r} is not "
        "part of it (install setuptools<82 for the rest)"
    )
