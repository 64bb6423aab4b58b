"""`wheelhook tool`: run a distribution's console script straight from the store, in this
process, as `uvx` runs one from a throwaway virtual environment.

The conventions are uvx's: `NAME` (optionally `NAME==VERSION` or `NAME@VERSION`) is both the
distribution and the script, unless `--from REQ` names the distribution; `--with REQ` adds
requirements. The requirements are activated (a wheel of the store, or the installed
distribution when it satisfies them, as every activation chooses), then the entry point is loaded
through `load_entry_point`, which checks the extras it names, and called as a console script
wrapper calls it: `sys.argv[0]` is the script name and its return value is the exit code.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

from wheelhook._names import normalize
from wheelhook.errors import DistributionNotFound, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from importlib.metadata import EntryPoint

__all__ = ["Tool", "prepare", "split_arguments"]

#: The groups whose entry points are scripts, in the order a name is looked up.
SCRIPT_GROUPS = ("console_scripts", "gui_scripts")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass
class Tool:
    """What `tool` was asked to run."""

    #: The script's name, and the requirement for the distribution that provides it.
    script: str
    requirement: str
    extra: list[str]
    args: list[str]


def split_arguments(argv: list[str]) -> tuple[list[str], list[str]]:
    """Splits `tool`'s own options (and NAME) from the script's arguments, which are passed
    through untouched (`tool black --help` is black's help)."""
    own: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("--from", "--with"):
            own += argv[i : i + 2]
            i += 2
            continue
        if arg.startswith(("--from=", "--with=")) or arg in ("--debug", "-h", "--help"):
            own.append(arg)
            i += 1
            continue
        if arg == "--":
            return own + argv[i + 1 : i + 2], argv[i + 2 :]
        return [*own, arg], argv[i + 1 :]
    return own, []


def parse(name: str, from_: str | None, with_: list[str], args: list[str]) -> Tool:
    """The tool `NAME[==VERSION]` (or `NAME@VERSION`) names, as uvx reads it."""
    match = _NAME.match(name)
    if match is None:
        raise UsageError(f'"{name}" is not a script name (NAME, NAME==VERSION or NAME@VERSION).')
    script, rest = match.group(), name[match.end() :]
    if from_ is not None:
        if rest:
            raise UsageError(
                f'With --from, NAME is only the script\'s name, not "{name}": put the version '
                f'in --from ("--from {script}{rest}").'
            )
        return Tool(script, from_, with_, args)
    if rest.startswith("@"):
        rest = "==" + rest[1:]
    return Tool(script, script + rest, with_, args)


def prepare(tool: Tool) -> Callable[[], None]:
    """Activates the tool's requirements and loads its script; returns what runs it."""
    from wheelhook._api import require
    from wheelhook._entry_points import load_entry_point

    requirements = [tool.requirement, *tool.extra]
    try:
        require(*requirements)
    except DistributionNotFound as exc:
        fetch = " ".join(f'"{r}"' for r in requirements)
        raise DistributionNotFound(
            f"{exc}. To fetch it (and what it needs) into the store: "
            f"python -m wheelhook add {fetch}"
        ) from None
    ep = _find_script(tool)
    function = load_entry_point(ep)
    if not callable(function):
        raise UsageError(f'The entry point "{ep.name} = {ep.value}" is not callable.')

    def run() -> None:
        sys.argv = [tool.script, *tool.args]
        # As a console script wrapper does: `sys.exit(main())`.
        raise SystemExit(function())

    return run


def _find_script(tool: Tool) -> EntryPoint:
    from wheelhook._entry_points import entry_points_of

    match = _NAME.match(tool.requirement)
    dist = normalize(match.group() if match else tool.requirement)
    scripts = [ep for group in SCRIPT_GROUPS for ep in entry_points_of(dist, group)]
    for ep in scripts:
        if ep.name == tool.script:
            return ep
    have = ", ".join(sorted({ep.name for ep in scripts}))
    if not have:
        raise UsageError(
            f'"{tool.script}" is not a script of the distribution {dist}: it has no scripts '
            "(a library: run one of its modules with `wheelhook run --with REQ -m MODULE`)."
        )
    raise UsageError(
        f'"{tool.script}" is not a script of the distribution {dist}; its scripts: {have} '
        f'(run one with `wheelhook tool --from "{tool.requirement}" SCRIPT`).'
    )
