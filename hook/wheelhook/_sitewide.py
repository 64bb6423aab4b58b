"""Site-wide activation: the start-up trigger a `.pth` file loads, and `enable`/`disable`.

The `.pth` line written by `enable` loads this file by path (not as `wheelhook._sitewide`, which
would import the package and its extension) and calls `install()`. The trigger it installs is a
pure-Python meta-path finder at the front of `sys.meta_path`: it declines every import made
during start-up (other `.pth` files, `sitecustomize`) and, at the first import made by the main
program itself, activates whatever the program declares (`WHEELHOOK_REQUIRES`,
`__main__.__requires__`, a PEP 723 block) and removes itself. A program that declares nothing
never imports `wheelhook._native`. This module imports nothing beyond `os` and `sys` at start-up.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType

#: The file `enable` writes into site-packages (`.pth` files run in name order; any order works).
PTH_NAME = "wheelhook-activate.pth"
#: The first line of that file: `disable` removes only a file that starts with it.
PTH_MARKER = "# wheelhook site-wide activation (python -m wheelhook disable removes this file)"
DISABLE_ENV = "WHEELHOOK_DISABLE"
#: The name this file is loaded under at start-up (a venv's site-packages is often reached
#: twice, through `lib` and `lib64`: the second `.pth` run finds it in `sys.modules`).
MODULE_NAME = "_wheelhook_sitewide"
#: What marks a PEP 723 block; the file is only searched further when it holds this.
SCRIPT_MARK = b"# /// script"


def _importer_globals() -> dict[str, object] | None:
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
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
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


def wanted(main: ModuleType) -> bool:
    """Whether the program declares anything to activate."""
    return bool(
        os.environ.get("WHEELHOOK_REQUIRES", "").strip()
        or getattr(main, "__requires__", None) is not None
        or has_script_block(getattr(main, "__file__", None))
    )


def activate(main: ModuleType) -> None:
    """Imports wheelhook (which activates what the program declares) when there is something to
    activate. A requirement that cannot be met ends the program with one paragraph and exit 1;
    a malformed declaration with exit 2."""
    if not wanted(main):
        return
    try:
        if "wheelhook" in sys.modules:  # `wheelhook run`: the package is loaded already
            from wheelhook._activate import on_import

            on_import()
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


def pth_line(sitewide_file: str) -> str:
    """The `.pth` line: loads this file by path through importlib's frozen loader (which keeps
    its bytecode in `wheelhook/__pycache__`) unless `WHEELHOOK_DISABLE` is set or the file is
    gone (wheelhook uninstalled)."""
    code = (
        f"p = {sitewide_file!r}\n"
        f"if os.environ.get({DISABLE_ENV!r}, '') in ('', '0') and {MODULE_NAME!r} not in "
        "sys.modules and os.path.isfile(p):\n"
        "    import _frozen_importlib as b, _frozen_importlib_external as x\n"
        f"    s = x.spec_from_file_location({MODULE_NAME!r}, p)\n"
        "    m = sys.modules[s.name] = b.module_from_spec(s)\n"
        "    s.loader.exec_module(m)\n"
        "    m.install()\n"
    )
    return f"import os, sys; exec({code!r})"


def pth_text() -> str:
    return f"{PTH_MARKER}\n{pth_line(os.path.abspath(__file__))}\n"


def target_dir(user: bool) -> str:
    """Where `enable` writes: the interpreter's site-packages (the venv's, in a venv), or the
    user site with `--user`."""
    import site
    import sysconfig

    if not user:
        return sysconfig.get_path("purelib")
    if not site.ENABLE_USER_SITE:
        why = "a virtual environment" if sys.prefix != sys.base_prefix else "it is turned off"
        raise ValueError(
            f"The user site directory is disabled for this interpreter ({why}): run "
            "`python -m wheelhook enable` without --user to activate in its site-packages."
        )
    return site.getusersitepackages()


def enable(user: bool = False) -> tuple[str, bool]:
    """Writes the `.pth` file atomically; returns its path and whether it was written (False:
    already there, unchanged)."""
    directory = target_dir(user)
    path = os.path.join(directory, PTH_NAME)
    text = pth_text()
    try:
        with open(path, encoding="utf-8") as f:
            current: str | None = f.read()
    except FileNotFoundError:
        current = None
    if current == text:
        return path, False
    if current is not None and not current.startswith(PTH_MARKER):
        raise ValueError(f"{path} exists and was not written by wheelhook: remove it first.")
    os.makedirs(directory, exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path, True


def disable(user: bool = False) -> tuple[str, bool]:
    """Removes the `.pth` file `enable` wrote (and nothing else); returns its path and whether
    there was one."""
    path = os.path.join(target_dir(user), PTH_NAME)
    try:
        with open(path, encoding="utf-8") as f:
            ours = f.readline().rstrip("\n") == PTH_MARKER
    except FileNotFoundError:
        return path, False
    if not ours:
        raise ValueError(f"{path} was not written by wheelhook: it is left in place.")
    os.unlink(path)
    return path, True
