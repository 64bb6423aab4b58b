"""`python -m wheelhook`: the command line."""

import sys


def _main() -> int:
    if sys.argv[1:2] == ["tool"]:
        # A tool's start is its user's wait: `tool` runs without the CLI module (see `_tool`).
        from wheelhook._tool import main as tool

        return tool(sys.argv[2:])
    from wheelhook._cli import main

    return main()


raise SystemExit(_main())
