"""Splitting a command's own options from the arguments it passes to the program it runs
(`run ... -m tool --help`, `tool black --help`): argparse would take the program's options
for the command's own."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["split_own"]

#: Options without a value every such command takes.
FLAGS = ("--debug", "-h", "--help")


def split_own(
    argv: Sequence[str], valued: tuple[str, ...], stops: tuple[str, ...] = ()
) -> tuple[list[str], list[str]]:
    """(the command's own arguments, the program's). The own ones are the options in `FLAGS`
    and `valued` (`--with REQ` or `--with=REQ`), then the first positional (after `--` if
    given), or a `stops` option with its value (`-m MODULE`); everything after is the
    program's, untouched."""
    argv = list(argv)
    valued_inline = tuple(f"{option}=" for option in valued)
    own: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in stops:
            return own + argv[i : i + 2], argv[i + 2 :]
        if arg in valued:
            own += argv[i : i + 2]
            i += 2
            continue
        if arg in FLAGS or arg.startswith(valued_inline):
            own.append(arg)
            i += 1
            continue
        if arg == "--":
            return own + argv[i + 1 : i + 2], argv[i + 2 :]
        return [*own, arg], argv[i + 1 :]
    return own, []
