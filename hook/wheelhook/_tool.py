"""`wheelhook tool`: run a distribution's console script straight from the store, in this
process, as `uvx` runs one from a throwaway virtual environment.

The conventions are uvx's: `NAME` (optionally `NAME==VERSION` or `NAME@VERSION`) is both the
distribution and the script, unless `--from REQ` names the distribution; `--with REQ` adds
requirements. The requirements are activated (a wheel of the store, or the installed
distribution when it satisfies them, as every activation chooses), the extras the entry point
names are checked as `load_entry_point` checks them, and the script is called as a console
script wrapper calls it: `sys.argv[0]` is the script name, its return value the exit code.

This is the one command `python -m wheelhook` runs without the CLI module: a tool's start is
its user's wait, so nothing is imported here that the command does not need (no `argparse`,
no `importlib.metadata`, no `re`): the extension parses the distribution's `entry_points.txt`.
"""

from __future__ import annotations

import sys

from wheelhook import _native
from wheelhook._argv import split_own
from wheelhook._names import normalize
from wheelhook.errors import DistributionNotFound, ResolutionError, UsageError, WheelhookError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["Tool", "main", "parse", "prepare", "split_arguments"]

#: The groups whose entry points are scripts, in the order a name is looked up.
SCRIPT_GROUPS = ("console_scripts", "gui_scripts")
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


class Tool:
    """What `tool` was asked to run: the script's name, the requirement for the distribution
    that provides it, the other requirements (`--with`) and the script's arguments."""

    def __init__(self, script: str, requirement: str, extra: list[str], args: list[str]) -> None:
        self.script, self.requirement, self.extra, self.args = script, requirement, extra, args


def split_arguments(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """Splits `tool`'s own options (and NAME) from the script's arguments, which are passed
    through untouched (`tool black --help` is black's help)."""
    return split_own(argv, valued=("--from", "--with"))


def _name_end(text: str) -> int:
    """Where the distribution name at the start of `text` ends (PEP 508 name characters)."""
    end = 0
    while end < len(text) and text[end] in _NAME_CHARS:
        end += 1
    return end


def parse(name: str, from_: str | None, with_: list[str], args: list[str]) -> Tool:
    """The tool `NAME[==VERSION]` (or `NAME@VERSION`) names, as uvx reads it."""
    end = _name_end(name)
    if end == 0 or not name[0].isalnum():
        raise UsageError(f'"{name}" is not a script name (NAME, NAME==VERSION or NAME@VERSION).')
    script, rest = name[:end], name[end:]
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

    requirements = [tool.requirement, *tool.extra]
    try:
        require(*requirements)
    except DistributionNotFound as exc:
        fetch = " ".join(f'"{r}"' for r in requirements)
        raise DistributionNotFound(
            f"{exc}. To fetch it (and what it needs) into the store: "
            f"python -m wheelhook add {fetch}"
        ) from None
    dist, version, value = _find_script(tool)
    module, _, rest = value.partition(":")
    attr, _, extras = rest.partition("[")
    extras = extras.rstrip().rstrip("]").strip()
    if extras:
        # What `load_entry_point` checks: the extras the entry point names are met.
        require(f"{dist}[{extras}]=={version}")
    import importlib

    function: object = importlib.import_module(module.strip())
    for part in attr.strip().split(".") if attr.strip() else ():
        function = getattr(function, part)
    if not callable(function):
        raise UsageError(f'The entry point "{tool.script} = {value}" is not callable.')

    def run() -> None:
        sys.argv = [tool.script, *tool.args]
        # As a console script wrapper does: `sys.exit(main())`.
        raise SystemExit(function())

    return run


def _find_script(tool: Tool) -> tuple[str, str, str]:
    """The distribution, its version and the entry point's value of the script, from the
    active distribution's `entry_points.txt` (a wheel's, or the installed one's)."""
    wanted = normalize(tool.requirement[: _name_end(tool.requirement)])
    active = next(a for a in _native.install().active() if normalize(a.name) == wanted)
    if active.loader is not None:
        data = active.loader.read(f"{active.loader.dist_info}/entry_points.txt")
        text = data.decode("utf-8") if data is not None else ""
    else:
        try:
            with open(f"{active.path}/entry_points.txt", encoding="utf-8") as f:
                text = f.read()
        except OSError:
            text = ""
    scripts: list[str] = []
    declared = _native.parse_entry_points(text)
    for group in SCRIPT_GROUPS:
        for ep_group, name, value in declared:
            if ep_group != group:
                continue
            if name == tool.script:
                return active.name, active.version, value
            scripts.append(name)
    if not scripts:
        raise UsageError(
            f'"{tool.script}" is not a script of the distribution {wanted}: it has no scripts '
            "(a library: run one of its modules with `wheelhook run --with REQ -m MODULE`)."
        )
    raise UsageError(
        f'"{tool.script}" is not a script of the distribution {wanted}; its scripts: '
        f"{', '.join(sorted(set(scripts)))} "
        f'(run one with `wheelhook tool --from "{tool.requirement}" SCRIPT`).'
    )


def _options(own: list[str]) -> tuple[str | None, list[str], str, bool] | None:
    """`--from`, `--with`s, NAME and `--debug` of `own`; `None` when argparse must answer
    (`--help`, a missing value or NAME)."""
    from_: str | None = None
    with_: list[str] = []
    debug = False
    i = 0
    while i < len(own) - 1:
        arg = own[i]
        if arg in ("--from", "--with"):
            if i + 2 > len(own) - 1:
                return None
            value = own[i + 1]
            i += 2
        elif arg.startswith(("--from=", "--with=")):
            arg, _, value = arg.partition("=")
            i += 1
        elif arg == "--debug":
            debug = True
            i += 1
            continue
        else:
            return None
        if arg == "--from":
            from_ = value
        else:
            with_.append(value)
    if not own or own[-1].startswith("-"):
        return None
    return from_, with_, own[-1], debug


def main(argv: Sequence[str]) -> int:
    """`python -m wheelhook tool ARGV...`; anything unusual (`--help`, a malformed command
    line) is answered by the CLI module's parser, as every other command is."""
    own, program_args = split_arguments(argv)
    options = _options(own)
    if options is None:
        from wheelhook._cli import main as cli

        return cli(["tool", *argv])
    from_, with_, name, debug = options
    try:
        run = prepare(parse(name, from_, with_, program_args))
    except ResolutionError as exc:
        if debug:
            raise
        print(f"wheelhook: {exc}", file=sys.stderr, flush=True)
        return 1
    except (WheelhookError, ValueError, OSError) as exc:
        if debug:
            raise
        print(f"wheelhook: {exc}", file=sys.stderr, flush=True)
        return 2
    run()
    return 0
