"""The start-up trigger that site-wide activation loads (see `_sitewide`).

Loaded by path from the `.pth` file at every interpreter start, so it stays small and imports
nothing beyond `os` and `sys` (not even `__future__`: annotations are quoted). It installs a
pure-Python meta-path finder at the front of `sys.meta_path` that declines every import made
during start-up and, at the first import made by the main program itself, activates what the
program declares (`WHEELHOOK_REQUIRES`, `__main__.__requires__`, a PEP 723 block) and removes
itself. A program that declares nothing never imports `wheelhook._native`.
"""

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType

DISABLE_ENV = "WHEELHOOK_DISABLE"
#: What marks a PEP 723 block; the file is only searched further when it holds this.
SCRIPT_MARK = b"# /// script"


def _importer_globals() -> "dict[str, object] | None":
    """The globals of the frame executing the import statement (the first frame outside
    importlib's frozen bootstrap and this module)."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith("<frozen importlib"):
        frame = frame.f_back  # type: ignore[assignment]
    return None if frame is None else frame.f_globals


class Trigger:
    """Activates the main program's requirements at its first import, then leaves.

    Costs one frame walk over importlib's frames per import until the main program imports
    something that is not loaded yet; after that it is gone from `sys.meta_path`.
    """

    wheelhook_trigger = True  # recognised across copies of this module (start-up and package)

    def find_spec(
        self,
        fullname: str,
        path: "Sequence[str] | None" = None,
        target: "ModuleType | None" = None,
    ) -> "ModuleSpec | None":
        main = sys.modules.get("__main__")
        if main is None or _importer_globals() is not main.__dict__:
            return None
        try:
            sys.meta_path.remove(self)
        except ValueError:  # removed meanwhile (a nested import during activation)
            return None
        activate(main)
        # The list importlib is iterating changed under it: ask the finders now in place, so
        # that none is skipped for this one import.
        for finder in list(sys.meta_path):
            find = getattr(finder, "find_spec", None)
            if find is not None:
                spec: ModuleSpec | None = find(fullname, path, target)
                if spec is not None:
                    return spec
        return None

    def invalidate_caches(self) -> None:
        pass

    def __repr__(self) -> str:
        return "<wheelhook start-up trigger>"


def has_script_block(filename: object) -> bool:
    """Whether the file of the main program holds a PEP 723 `script` block (a substring test;
    the parser decides)."""
    if not isinstance(filename, str) or not filename.endswith(".py"):
        return False
    try:
        with open(filename, "rb") as f:
            return SCRIPT_MARK in f.read()
    except OSError:
        return False


def wanted(main: "ModuleType") -> bool:
    """Whether the program declares anything to activate."""
    return bool(
        os.environ.get("WHEELHOOK_REQUIRES", "").strip()
        or getattr(main, "__requires__", None) is not None
        or has_script_block(getattr(main, "__file__", None))
    )


def activate(main: "ModuleType") -> None:
    """Imports wheelhook (which activates what the program declares) when there is something to
    activate. A requirement that cannot be met ends the program with one paragraph and exit 1;
    a malformed declaration with exit 2."""
    if not wanted(main):
        return
    try:
        if "wheelhook" in sys.modules:  # `wheelhook run`: the package is loaded already
            from wheelhook._native import boot

            boot()
        else:
            import wheelhook  # noqa: F401  (activates on import)
    except ImportError as exc:
        if exc.__class__.__module__.startswith("wheelhook"):
            sys.stderr.write(f"wheelhook: {exc}\n")
            raise SystemExit(1) from None
        raise
    except ValueError as exc:
        if exc.__class__.__module__.startswith("wheelhook"):
            sys.stderr.write(f"wheelhook: {exc}\n")
            raise SystemExit(2) from None
        raise


def install() -> None:
    """Puts the trigger at the front of `sys.meta_path` (once)."""
    if os.environ.get(DISABLE_ENV, "") not in ("", "0"):
        return
    if not any(getattr(f, "wheelhook_trigger", False) for f in sys.meta_path):
        sys.meta_path.insert(0, Trigger())
