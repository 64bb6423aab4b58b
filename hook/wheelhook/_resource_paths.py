"""`resource_filename`: a real path that lasts, for a resource of a package served from a wheel.

`importlib.resources.as_file` hands out a temporary copy that vanishes when its `with` block
ends; C libraries, subprocesses and old code that keep a path need one that stays. A package
installed normally, or served from a copy unpacked into the cache, already has real files: their
paths are returned. A package served from a wheel's archive gets its resource (a file, or a
directory with everything under it) extracted into the private cache, content-addressed by the
wheel's `RECORD` and verified against it (`Loader.extract`): processes share the copy, it is
reused while the wheel is unchanged, and a changed wheel gets a new one.
"""

from __future__ import annotations

import importlib
import os
import posixpath
import sys
from types import ModuleType

from wheelhook import _native

__all__ = ["resource_filename"]

#: Extractions this process made, by (wheel, member): each is verified once per process.
_extracted: dict[tuple[str, str], str] = {}


def _parts(package: str, resource: str, where: str) -> list[str]:
    """The '/'-separated parts of `resource`, refused when it could leave the package."""
    problem = None
    if "\\" in resource or "\0" in resource:
        problem = "contains a backslash or a NUL"
    elif resource.startswith("/") or (len(resource) > 1 and resource[1] == ":"):
        problem = "is absolute"
    elif ".." in resource.split("/"):
        problem = "leaves the package ('..')"
    if problem is not None:
        raise ValueError(f"{package}: resource {resource!r} {problem} ({where})")
    return [p for p in resource.split("/") if p not in ("", ".")]


def _bases(module: ModuleType) -> list[str]:
    """The directories a module's resources are relative to: a package's directory, a plain
    module's enclosing one, every portion of a namespace package."""
    file = getattr(module, "__file__", None)
    if file:
        return [os.path.dirname(file)]
    return [str(p) for p in getattr(module, "__path__", ())]


def _loaders(module: ModuleType) -> list[_native.Loader]:
    """The module's own wheel loader first, then those of the other active wheels (namespace
    portions)."""
    spec = getattr(module, "__spec__", None)
    own = getattr(spec, "loader", None)
    loaders = [own] if isinstance(own, _native.Loader) else []
    from wheelhook._api import finder

    for active in finder().active():
        if active.loader is not None and active.loader is not own:
            loaders.append(active.loader)
    return loaders


def _in_wheel(loader: _native.Loader, member: str) -> bool:
    from wheelhook.resources import _listing

    listing = _listing(loader)
    return member in listing.files or member in listing.children


def resource_filename(package: str | ModuleType, resource: str = "") -> str:
    """A real, lasting path of `resource` (a '/'-separated path, a file or a directory) of
    `package` (a module or its name; imported if it is not yet).

    For a package on disk (installed normally, or served from a copy unpacked into the cache)
    it is the file's own path; for one served from a wheel's archive, the path of a copy
    extracted into the private cache (a directory whole) and verified against the wheel's
    `RECORD`. Raises `ValueError` for a resource name that could leave the package (absolute,
    `..`), `FileNotFoundError` when a wheel has no such resource, and `ImportError` when the
    copy cannot be made or verified; each message names the package, the resource and the wheel.

    >>> resource_filename("certifi", "cacert.pem")  # doctest: +SKIP
    '/home/me/.cache/wheelhook/resources/certifi-2024.8.30-py3-none-any.whl-3f0c.../certifi/cacert.pem'
    """
    module = package if isinstance(package, ModuleType) else sys.modules.get(package)
    if module is None:
        module = importlib.import_module(str(package))
    name = module.__name__
    bases = _bases(module)
    if not bases:
        raise FileNotFoundError(f"{name}: resource {resource!r}: the module has no location")
    loaders = _loaders(module)
    searched = []  # the wheels (or directories) searched, for the error
    for base in bases:
        if os.path.isdir(base):  # on disk: installed, or served from an unpacked copy
            path = os.path.join(base, *_parts(name, resource, base))
            if len(bases) == 1 or os.path.exists(path):
                return path
            searched.append(base)
            continue
        for loader in loaders:
            base_member = loader.member_of(base)
            if base_member is None:
                continue
            parts = _parts(name, resource, loader.archive)
            member = posixpath.join(base_member, *parts)
            if not _in_wheel(loader, member):
                searched.append(loader.archive)
                break
            key = (loader.archive, member)
            extracted = _extracted.get(key)
            if extracted is None:
                try:
                    extracted = _extracted[key] = loader.extract(member)
                except ImportError as e:  # it names the wheel and the member: add the package
                    message = f"{name}: resource {resource!r}: {e}"
                    raise ImportError(message, name=name, path=loader.archive) from e
            return extracted
    where = ", ".join(searched or bases)
    raise FileNotFoundError(f"{name}: resource {resource!r}: no such file or directory in {where}")
