"""`wheelhook run`: runs a program as `python FILE`, `python -m MODULE` or `python -c CODE`
would, with its requirements activated first."""

from __future__ import annotations

import os
import sys

from wheelhook import _activate, _boot, _pep723
from wheelhook.errors import WheelhookError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence


class ProgramError(WheelhookError, ValueError):
    """The program to run cannot be read."""


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
            return _activate.parse_requirements(value)
    return []


def requirements(
    with_: Sequence[str], file: str | None = None, code: str | None = None
) -> list[str]:
    """What to activate before the program starts: `--with`, then the file's PEP 723
    `dependencies` (its `requires-python` checked), then its literal `__requires__`."""
    reqs: list[str] = []
    for r in with_:
        reqs.extend(_activate.parse_requirements(r))
    if file is not None:
        try:
            with open(file, "rb") as f:
                raw = f.read()
        except OSError as exc:
            raise ProgramError(f"{file}: cannot open the program: {exc.strerror}.") from None
        if file.endswith(".py") or b"# /// script" in raw:
            reqs.extend(_pep723.script_requirements(file))
        reqs.extend(declared_in_source(raw.decode("utf-8", "replace"), file))
    if code is not None:
        reqs.extend(declared_in_source(code, "<string>"))
    return reqs


def program(
    file: str | None, module: str | None, code: str | None, args: Sequence[str]
) -> Callable[[], None]:
    """A function that runs the program; `sys.argv` and `sys.path[0]` as Python sets them."""
    import runpy

    # A `__requires__` the literal reading missed is activated at the program's first import.
    _boot.install()

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
