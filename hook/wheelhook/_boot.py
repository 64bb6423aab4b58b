"""The start-up trigger that site-wide activation loads (see `_sitewide`)."""

# Loaded by path from the `.pth` file at every interpreter start, so it stays small (long
# explanations are comments: they cost nothing in the bytecode) and imports nothing beyond
# `os` and `sys` (not even `__future__`: annotations are quoted). It installs a pure-Python
# meta-path finder at the front of `sys.meta_path` that declines the imports the interpreter
# makes while it starts (`site`, `.pth` files, `sitecustomize`, `runpy` and `readline` imported
# from C) and activates in two steps:
# - requirements from the environment (`WHEELHOOK_REQUIRES`, `WHEELHOOK_LOCK`) need no main module: they are
#   activated at the first import the program's Python code makes, whoever makes it (`runpy` for
#   `-m`, a console script, the REPL, a function called later), so even `python -m pytest`,
#   whose `__main__` only calls into the package `runpy` imported, runs against them;
# - what the main module declares (`__requires__`, a PEP 723 block) is activated at the first
#   import the main module itself makes, and the trigger then removes itself.
# A program that declares nothing never imports `wheelhook._native`.

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType

# Literal copies of `wheelhook._constants` (this file imports nothing of the package); a test
# pins each one to its home there.
DISABLE_ENV = "WHEELHOOK_DISABLE"
#: Requirements the environment declares for the whole process (a parent's pins, or the user's).
REQUIRES_ENV = "WHEELHOOK_REQUIRES"
#: A lock file the environment declares for the whole process (a parent's, or the user's).
LOCK_ENV = "WHEELHOOK_LOCK"
#: What marks a PEP 723 block (encoded); the file is only searched further when it holds this.
SCRIPT_MARK = b"# /// script"


def _importer_globals() -> "dict[str, object] | None":
    """The globals of the frame executing the import statement (the first frame outside
    importlib's frozen bootstrap and this module)."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith("<frozen importlib"):
        frame = frame.f_back  # type: ignore[assignment]
    return None if frame is None else frame.f_globals


def _started_by_interpreter() -> bool:
    """Whether the import under way is the interpreter's start-up, not the program's."""
    # `site`'s code is running (`.pth` files, `sitecustomize`, the REPL's readline set-up), or
    # the oldest frame is importlib's (an import made from C: `site`, `runpy` before `-m`,
    # `readline`). There `sys.path` may not be complete, and no code of the program has run.
    site = sys.modules.get("site")
    site_globals = None if site is None else site.__dict__
    frame = sys._getframe(1)
    while frame.f_globals is not site_globals:
        if frame.f_back is None:
            return frame.f_code.co_filename.startswith("<frozen importlib")
        frame = frame.f_back
    return True


class Trigger:
    """Activates what the program declares at its first imports, then leaves."""

    # Costs one frame walk over importlib's frames per import until the main module imports
    # something not loaded yet (and, while the environment declares something, one walk to the
    # oldest frame per import the interpreter makes while it starts); then it is gone.

    wheelhook_trigger = True  # recognised across copies of this module (start-up and package)
    #: Whether the environment declares requirements not activated yet (set by `install`).
    environment = False

    def find_spec(
        self,
        fullname: str,
        path: "Sequence[str] | None" = None,
        target: "ModuleType | None" = None,
    ) -> "ModuleSpec | None":
        main = sys.modules.get("__main__")
        if main is not None and _importer_globals() is main.__dict__:
            # wheelhook's own modules are let be: importing the package activates what the
            # program declares, and activating from inside its `find_spec` would import it
            # there, after which importlib would execute it a second time.
            if fullname.partition(".")[0] == "wheelhook":
                return None
            try:
                sys.meta_path.remove(self)
            except ValueError:  # removed meanwhile (a nested import during activation)
                return None
            if wanted(main, self.environment):
                boot()
            # The list importlib is iterating changed under it: ask the finders now in place,
            # so that none is skipped for this one import.
            for finder in list(sys.meta_path):
                find = getattr(finder, "find_spec", None)
                if find is not None:
                    spec: ModuleSpec | None = find(fullname, path, target)
                    if spec is not None:
                        return spec
        elif (
            self.environment
            and fullname.partition(".")[0] != "wheelhook"
            and not _started_by_interpreter()
        ):
            self.environment = False  # first: activating imports come through here too
            if "wheelhook" not in sys.modules:  # else importing the package activated it all
                boot()
            # The finder went in after this one, where importlib's iteration still goes.
        return None

    def invalidate_caches(self) -> None:
        pass

    def __repr__(self) -> str:
        return "<wheelhook start-up trigger>"


def wanted(main: "ModuleType", environment: bool = True) -> bool:
    """Whether the program declares anything to activate (`environment`: counting what the
    environment declares)."""
    if (environment and _environment_declares()) or getattr(main, "__requires__", None) is not None:
        return True
    # A PEP 723 block (the parser decides), read through the loader: a module served from a
    # wheel has no file. (A main module without a loader, `runpy.run_path`'s, has imported
    # something already when the trigger sees it, as `wheelhook run` has read its block.)
    filename = getattr(main, "__file__", None)
    get_data = getattr(getattr(main, "__loader__", None), "get_data", None)
    if get_data is None or not isinstance(filename, str) or not filename.endswith(".py"):
        return False
    try:
        return SCRIPT_MARK in get_data(filename)
    except (ImportError, OSError, TypeError):
        return False


def _environment_declares() -> bool:
    """Whether the environment declares requirements or a lock file."""
    return bool(os.environ.get(REQUIRES_ENV, "").strip() or os.environ.get(LOCK_ENV, "").strip())


def boot() -> None:
    """Imports wheelhook, which activates what the environment and the main module declare."""
    # A requirement that cannot be met ends the program with one paragraph and exit 1; a
    # malformed declaration with exit 2.
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


class PkgResourcesAlias:
    """Gives `import pkg_resources` `wheelhook.pkg_resources`, from the end of `sys.meta_path`:
    only when no other finder has a real one (an installed setuptools before 82, a wheel of it
    activated, an editable install's finder appended later)."""

    wheelhook_pkg_resources = True

    def find_spec(
        self,
        fullname: str,
        path: "Sequence[str] | None" = None,
        target: "ModuleType | None" = None,
    ) -> "ModuleSpec | None":
        if fullname != "pkg_resources":
            return None
        later = sys.meta_path[sys.meta_path.index(self) + 1 :] if self in sys.meta_path else []
        for finder in later:
            find = getattr(finder, "find_spec", None)
            spec: ModuleSpec | None = None if find is None else find(fullname, path, target)
            if spec is not None:
                return spec
        from importlib.machinery import ModuleSpec as Spec

        # A loader by protocol: subclassing importlib.abc.Loader would import it at start-up.
        return Spec(fullname, self, origin="wheelhook.pkg_resources")  # type: ignore[arg-type]

    def create_module(self, spec: "ModuleSpec") -> "ModuleType":
        # The compatibility module itself: `pkg_resources` and `wheelhook.pkg_resources` are
        # one module, as a vendored copy would not be.
        import importlib

        return importlib.import_module("wheelhook.pkg_resources")

    def exec_module(self, module: "ModuleType") -> None:
        pass

    def invalidate_caches(self) -> None:
        pass

    def __repr__(self) -> str:
        return "<wheelhook pkg_resources alias>"


def install(environment: "bool | None" = None, pkg_resources: bool = False) -> None:
    """Puts the trigger at the front of `sys.meta_path` (once); `environment`: whether it has
    to activate what the environment declares (default: whether it declares anything);
    `pkg_resources`: also puts the `pkg_resources` alias at its end (once)."""
    if os.environ.get(DISABLE_ENV, "") not in ("", "0"):
        return
    if pkg_resources and not any(
        getattr(f, "wheelhook_pkg_resources", False) for f in sys.meta_path
    ):
        sys.meta_path.append(PkgResourcesAlias())
    if not any(getattr(f, "wheelhook_trigger", False) for f in sys.meta_path):
        trigger = Trigger()
        if environment is None:
            environment = _environment_declares()
        if environment:
            trigger.environment = True
        sys.meta_path.insert(0, trigger)
