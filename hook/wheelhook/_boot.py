"""The start-up trigger that site-wide activation loads (see `_sitewide`).

Loaded by path from the `.pth` file at every interpreter start, so it stays small and imports
nothing beyond `os` and `sys` (not even `__future__`: annotations are quoted). It installs a
pure-Python meta-path finder at the front of `sys.meta_path` that declines the imports the
interpreter makes while it starts (`site`, `.pth` files, `sitecustomize`, `runpy`, `readline`)
and activates in two steps. Requirements from the environment (`WHEELHOOK_REQUIRES`) need no
main module: they are activated at the first import the program's Python code makes, whoever
makes it (`runpy` for `-m`, a console script, the REPL, a function called later), so even
`python -m pytest`, whose `__main__` only calls into a package `runpy` imported, runs against
them. What the main module declares (`__requires__`, a PEP 723 block) is activated at the first
import made by the main module itself, and the trigger then removes itself. A program that
declares nothing never imports `wheelhook._native`.
"""

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType

DISABLE_ENV = "WHEELHOOK_DISABLE"
#: Requirements the environment declares for the whole process (a parent's pins, or the user's).
REQUIRES_ENV = "WHEELHOOK_REQUIRES"
#: What marks a PEP 723 block; the file is only searched further when it holds this.
SCRIPT_MARK = b"# /// script"


def _importer_globals() -> "dict[str, object] | None":
    """The globals of the frame executing the import statement (the first frame outside
    importlib's frozen bootstrap and this module)."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith("<frozen importlib"):
        frame = frame.f_back  # type: ignore[assignment]
    return None if frame is None else frame.f_globals


def _started_by_interpreter() -> bool:
    """Whether the import under way is the interpreter's own start-up rather than the program's:
    `site`'s code is running (the `.pth` files, `sitecustomize`, the REPL's readline set-up), or
    the oldest frame is importlib's (an import made from C: `site`, `runpy` before `-m`,
    `readline`). `sys.path` may not be complete yet, and no code of the program has run."""
    site = sys.modules.get("site")
    site_globals = None if site is None else site.__dict__
    frame = sys._getframe(1)
    while frame.f_globals is not site_globals:
        if frame.f_back is None:
            return frame.f_code.co_filename.startswith("<frozen importlib")
        frame = frame.f_back
    return True


class Trigger:
    """Activates what the environment declares at the program's first import, what the main
    module declares at the main module's first import, then leaves.

    Costs one frame walk over importlib's frames per import until the main module imports
    something that is not loaded yet (and, while the environment declares something, one walk
    to the oldest frame per import the interpreter makes during start-up); after that it is
    gone from `sys.meta_path`.
    """

    wheelhook_trigger = True  # recognised across copies of this module (start-up and package)

    def __init__(self, environment: bool) -> None:
        #: Whether the environment declares requirements not activated yet.
        self.environment = environment

    def find_spec(
        self,
        fullname: str,
        path: "Sequence[str] | None" = None,
        target: "ModuleType | None" = None,
    ) -> "ModuleSpec | None":
        if fullname.partition(".")[0] == "wheelhook":
            # Never served from a wheel, and importing the package activates what the program
            # declares: importing it from here would have importlib execute it a second time.
            return None
        main = sys.modules.get("__main__")
        if main is not None and _importer_globals() is main.__dict__:
            try:
                sys.meta_path.remove(self)
            except ValueError:  # removed meanwhile (a nested import during activation)
                return None
            activate(main, self.environment)
            self.environment = False
            # The list importlib is iterating changed under it: ask the finders now in place,
            # so that none is skipped for this one import.
            for finder in list(sys.meta_path):
                find = getattr(finder, "find_spec", None)
                if find is not None:
                    spec: ModuleSpec | None = find(fullname, path, target)
                    if spec is not None:
                        return spec
            return None
        if self.environment and not _started_by_interpreter():
            self.environment = False  # before activating: its own imports come through here
            if "wheelhook" not in sys.modules:  # else importing the package activated them
                boot()
            # The finder was inserted after this one, where importlib's iteration still goes.
        return None

    def invalidate_caches(self) -> None:
        pass

    def __repr__(self) -> str:
        return "<wheelhook start-up trigger>"


def has_script_block(main: "ModuleType") -> bool:
    """Whether the main module's source holds a PEP 723 `script` block (a substring test; the
    parser decides), read through its loader: a module served from a wheel has no file."""
    filename = getattr(main, "__file__", None)
    if not isinstance(filename, str) or not filename.endswith(".py"):
        return False
    data: object = None
    get_data = getattr(getattr(main, "__loader__", None), "get_data", None)
    if get_data is not None:
        try:
            data = get_data(filename)
        except (ImportError, OSError):
            pass
    if not isinstance(data, bytes):
        try:
            with open(filename, "rb") as f:
                data = f.read()
        except OSError:
            return False
    return SCRIPT_MARK in data


def environment_declares() -> bool:
    """Whether the environment names requirements for the whole process."""
    return bool(os.environ.get(REQUIRES_ENV, "").strip())


def wanted(main: "ModuleType", environment: bool = True) -> bool:
    """Whether the program declares anything to activate (`environment`: counting what the
    environment declares, unless that is active already)."""
    return bool(
        (environment and environment_declares())
        or getattr(main, "__requires__", None) is not None
        or has_script_block(main)
    )


def activate(main: "ModuleType", environment: bool = True) -> None:
    """Activates what the program declares, if anything (see `boot`)."""
    if wanted(main, environment):
        boot()


def boot() -> None:
    """Imports wheelhook, which activates what the environment and the main module declare. A
    requirement that cannot be met ends the program with one paragraph and exit 1; a malformed
    declaration with exit 2."""
    try:
        if "wheelhook" in sys.modules:  # `wheelhook run`: the package is loaded already
            from wheelhook._native import boot as boot_native

            boot_native()
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


def install(environment: "bool | None" = None) -> None:
    """Puts the trigger at the front of `sys.meta_path` (once). `environment`: whether it still
    has to activate what the environment declares (default: whether it declares anything)."""
    if os.environ.get(DISABLE_ENV, "") not in ("", "0"):
        return
    if not any(getattr(f, "wheelhook_trigger", False) for f in sys.meta_path):
        if environment is None:
            environment = environment_declares()
        sys.meta_path.insert(0, Trigger(environment))
