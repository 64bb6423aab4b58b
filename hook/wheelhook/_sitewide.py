"""Site-wide activation: `enable` writes a `.pth` file, `disable` removes it.

The `.pth` line loads `wheelhook/_boot.py` by path (not as `wheelhook._boot`, which would import
the package and its extension) and calls its `install()`: see `_boot` for the trigger.
"""

from __future__ import annotations

import os
import sys

from wheelhook._constants import DISABLE_ENV
from wheelhook._files import atomic_write

#: The file `enable` writes into site-packages (`.pth` files run in name order; any order works).
PTH_NAME = "wheelhook-activate.pth"
#: The first line of that file: `disable` removes only a file that starts with it.
PTH_MARKER = "# wheelhook site-wide activation (python -m wheelhook disable removes this file)"
#: The name this file is loaded under at start-up (a venv's site-packages is often reached
#: twice, through `lib` and `lib64`: the second `.pth` run finds it in `sys.modules`).
MODULE_NAME = "_wheelhook_sitewide"


def pth_line(boot_file: str, pkg_resources: bool = False) -> str:
    """The `.pth` line (one expression statement, compiled once by `site`): unless
    `WHEELHOOK_DISABLE` is set, already done (a venv's site-packages is often reached twice,
    through `lib` and `lib64`) or the file is gone (wheelhook uninstalled), loads `_boot.py` by
    path through importlib's frozen loader, which keeps its bytecode in `wheelhook/__pycache__`.
    `pkg_resources`: `import pkg_resources` gives `wheelhook.pkg_resources` where no real one
    is importable."""
    call = "m.install(pkg_resources=True)" if pkg_resources else "m.install()"
    return (
        "import os, sys, _frozen_importlib as b, _frozen_importlib_external as x; "
        f"p = {boot_file!r}; "
        f"os.environ.get({DISABLE_ENV!r}, '') in ('', '0') and {MODULE_NAME!r} not in sys.modules "
        f"and os.path.isfile(p) and (s := x.spec_from_file_location({MODULE_NAME!r}, p)) "
        "and (m := sys.modules.setdefault(s.name, b.module_from_spec(s))) "
        f"and (s.loader.exec_module(m) or {call})"
    )


def pth_text(pkg_resources: bool = False) -> str:
    boot = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_boot.py")
    return f"{PTH_MARKER}\n{pth_line(boot, pkg_resources)}\n"


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


def enable(user: bool = False, pkg_resources: bool = False) -> tuple[str, bool]:
    """Writes the `.pth` file atomically; returns its path and whether it was written (False:
    already there, unchanged). `pkg_resources`: with the `pkg_resources` alias (enabling again
    without it removes the alias)."""
    directory = target_dir(user)
    path = os.path.join(directory, PTH_NAME)
    text = pth_text(pkg_resources)
    try:
        with open(path, encoding="utf-8") as f:
            current: str | None = f.read()
    except FileNotFoundError:
        current = None
    if current == text:
        return path, False
    if current is not None and not current.startswith(PTH_MARKER):
        raise ValueError(f"{path} exists and was not written by wheelhook: remove it first.")
    from wheelhook._drop import writable_store

    writable_store(directory)  # site-packages is a store directory too
    os.makedirs(directory, exist_ok=True)
    atomic_write(path, lambda f: f.write(text.encode("utf-8")))
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
    from wheelhook._drop import writable_store

    writable_store(os.path.dirname(path))
    os.unlink(path)
    return path, True
