"""Installing the finder and activating the requirements a program declares."""

import os
import sys

from wheelhook import _native

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

#: Environment variable holding requirements to activate, one per line (children inherit it).
REQUIRES_ENV = "WHEELHOOK_REQUIRES"
#: Distributions served from an unpacked copy: names, comma- or space-separated, or `*`.
UNPACK_ENV = "WHEELHOOK_UNPACK"
#: Extra store directories, `os.pathsep`-separated, searched before site-packages.
PATH_ENV = "WHEELHOOK_PATH"


def install() -> _native.Finder:
    """Puts the finder in `sys.meta_path` ahead of the path finder (once) and returns it."""
    for finder in sys.meta_path:
        if isinstance(finder, _native.Finder):
            return finder
    finder = _native.Finder()
    position = len(sys.meta_path)
    for i, other in enumerate(sys.meta_path):
        if getattr(other, "__name__", None) == "PathFinder":
            position = i
            break
    sys.meta_path.insert(position, finder)
    sys.path_hooks.insert(0, finder.path_hook)
    return finder


def store_dirs() -> list[str]:
    """The directories whose wheels are candidates: `WHEELHOOK_PATH`, then site-packages."""
    dirs = [d for d in os.environ.get(PATH_ENV, "").split(os.pathsep) if d]
    import site  # already imported at start-up unless -S was given

    try:
        dirs.extend(site.getsitepackages())
    except AttributeError:  # an embedded or virtualenv-patched site module
        import sysconfig

        dirs.extend({sysconfig.get_path("purelib"), sysconfig.get_path("platlib")})
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    return list(dict.fromkeys(dirs))  # first occurrence wins


def default_dirs() -> list[str]:
    """Where normally installed distributions are: `sys.path`, as `importlib.metadata` sees it."""
    return [p or "." for p in sys.path if isinstance(p, str)]


def parse_requirements(value: "str | Iterable[str]") -> list[str]:
    """A string (one requirement per line, `#` comments) or an iterable of strings."""
    items = [value] if isinstance(value, str) else list(value)
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"a requirement must be a string, not {type(item).__name__}: {item!r}")
        for line in item.splitlines():
            line = line.split(" #", 1)[0].strip()
            if line and not line.startswith("#"):
                out.append(line)
    return out


def unpack_names(unpack: "bool | Iterable[str]" = ()) -> "list[str]":
    """The distributions to serve unpacked: `unpack` (`True`: all, as `*`) and `WHEELHOOK_UNPACK`."""
    names = os.environ.get(UNPACK_ENV, "").replace(",", " ").split()
    if unpack is True:
        names.append("*")
    elif unpack is not False:
        names.extend([unpack] if isinstance(unpack, str) else unpack)
    return names


def declared_requirements() -> list[str]:
    """`WHEELHOOK_REQUIRES` (pins from a parent), `__main__.__requires__`, then the
    `dependencies` of the main script's PEP 723 block (after its `requires-python` check)."""
    reqs = parse_requirements(os.environ.get(REQUIRES_ENV, ""))
    main = sys.modules.get("__main__")
    declared = getattr(main, "__requires__", None)
    if declared is not None:
        reqs.extend(parse_requirements(declared))
    filename = getattr(main, "__file__", None)
    if isinstance(filename, str) and filename.endswith(".py"):
        from wheelhook import _pep723

        reqs.extend(_pep723.script_requirements(filename))
    return reqs


def on_import() -> None:
    """What `import wheelhook` does: install the finder, activate what the program declares."""
    install()
    reqs = declared_requirements()
    if reqs:
        from wheelhook._api import require

        require(*reqs)
