"""`wheelhook run`: runs a program as `python FILE`, `python -m MODULE` or `python -c CODE`
would, with its requirements activated first."""

from __future__ import annotations

import os
import sys

from wheelhook import _boot, _native, _pep723
from wheelhook._constants import SCRIPT_MARK
from wheelhook.errors import ProgramError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from importlib.machinery import ModuleSpec


def declared_in_source(source: str, filename: str) -> list[str]:
    """The literal value of a top-level `__requires__ = ...` assignment, read with `ast` before
    the program runs (a computed value is left to the start-up trigger)."""
    if "__requires__" not in source:
        return []
    import ast

    try:
        tree = ast.parse(source, filename)
    except SyntaxError:
        return []  # running it reports the error as Python would
    for node in tree.body:
        targets: list[ast.expr] = []
        value_node: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value_node = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value_node = [node.target], node.value
        if value_node is not None and any(
            isinstance(t, ast.Name) and t.id == "__requires__" for t in targets
        ):
            try:
                value = ast.literal_eval(value_node)
            except ValueError:
                return []
            return _native.requirement_lines(value)
    return []


def requirements(
    with_: Sequence[str], file: str | None = None, code: str | None = None
) -> list[str]:
    """What to activate before the program starts: `--with`, then the file's PEP 723
    `dependencies` (its `requires-python` checked), then its literal `__requires__`."""
    reqs: list[str] = []
    for r in with_:
        reqs.extend(_native.requirement_lines(r))
    if file is not None:
        try:
            with open(file, "rb") as f:
                raw = f.read()
        except OSError as exc:
            raise ProgramError(f"{file}: cannot open the program: {exc.strerror}.") from None
        if file.endswith(".py") or SCRIPT_MARK.encode() in raw:
            reqs.extend(_pep723.script_requirements(file))
        reqs.extend(declared_in_source(raw.decode("utf-8", "replace"), file))
    if code is not None:
        reqs.extend(declared_in_source(code, "<string>"))
    return reqs


def _find(name: str, path: Sequence[str] | None) -> ModuleSpec | None:
    """Asks `sys.meta_path` for `name`, as importlib does, without importing anything."""
    for finder in sys.meta_path:
        find = getattr(finder, "find_spec", None)
        if find is None or getattr(finder, "wheelhook_trigger", False):
            continue
        spec: ModuleSpec | None = find(name, path)
        if spec is not None:
            return spec
    return None


def main_spec(module: str) -> ModuleSpec | None:
    """The spec of the code `python -m MODULE` runs (a package's `__main__`), found through the
    finders, the activated wheels' first, without importing the module or its packages, so that
    nothing it declares is loaded before it is activated. `None` when it cannot be found that
    way (running it reports why, as Python would)."""
    spec: ModuleSpec | None = None
    path: Sequence[str] | None = None
    parts = module.split(".")
    for i in range(len(parts)):
        name = ".".join(parts[: i + 1])
        if i and path is None:
            return None  # a dotted name below a module that is no package
        loaded = sys.modules.get(name)
        if loaded is not None:
            spec = getattr(loaded, "__spec__", None)
            path = getattr(loaded, "__path__", None)
        else:
            spec = _find(name, path)
            path = None if spec is None else spec.submodule_search_locations
        if spec is None:
            return None
    if path is not None:  # a package runs its `__main__`
        return _find(f"{module}.__main__", path)
    return spec


def module_requirements(module: str) -> list[str]:
    """What `-m MODULE` declares: the PEP 723 `dependencies` (its `requires-python` checked) and
    the literal `__requires__` of the code it runs, read through that module's loader, so a
    module served from a wheel reads like an installed one. Found after `--with` is activated,
    which decides the version that runs."""
    # Looked up as it will run: with the working directory first on `sys.path` (the `wheelhook`
    # script has its own directory there).
    saved, sys.path[0] = sys.path[0], os.getcwd()
    try:
        spec = main_spec(module)
    finally:
        sys.path[0] = saved
    get_source = getattr(spec.loader, "get_source", None) if spec is not None else None
    if spec is None or get_source is None:
        return []
    try:
        source = get_source(spec.name)
    except (ImportError, OSError):
        return []  # running the module reports it
    if not isinstance(source, str):
        return []  # no source (a sourceless or extension module): nothing to read
    filename = spec.origin or module
    reqs: list[str] = []
    if SCRIPT_MARK in source:
        reqs.extend(_pep723.source_requirements(source, filename))
    reqs.extend(declared_in_source(source, filename))
    return reqs


def program(
    file: str | None, module: str | None, code: str | None, args: Sequence[str]
) -> Callable[[], None]:
    """A function that runs the program; `sys.argv` and `sys.path[0]` as Python sets them."""
    import runpy

    # A `__requires__` the literal reading missed is activated at the program's first import
    # (what the environment declares is active already: `import wheelhook` did it).
    _boot.install(environment=False)

    if module is not None:
        mod = module

        def run_module() -> None:
            sys.argv[:] = ["-m", *args]  # runpy puts the module's file in argv[0]
            sys.path[0] = os.getcwd()
            runpy.run_module(mod, run_name="__main__", alter_sys=True)

        return run_module

    if code is not None:
        source = code

        def run_code() -> None:
            import types

            sys.argv[:] = ["-c", *args]
            sys.path[0] = ""
            main = types.ModuleType("__main__")
            main.__dict__["__builtins__"] = __builtins__
            saved = sys.modules["__main__"]
            sys.modules["__main__"] = main
            try:
                exec(compile(source, "<string>", "exec"), main.__dict__)
            finally:
                sys.modules["__main__"] = saved

        return run_code

    assert file is not None  # one of the three is always given (the parser ensures it)
    path = file

    def run_file() -> None:
        sys.argv[:] = [path, *args]
        sys.path[0] = os.path.dirname(os.path.abspath(path))
        runpy.run_path(path, run_name="__main__")

    return run_file
