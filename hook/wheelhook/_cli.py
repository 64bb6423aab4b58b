"""The command line: `python -m wheelhook COMMAND` (also the `wheelhook` script)."""

from __future__ import annotations

import argparse
import json
import sys

from wheelhook import _activate, _native, _store
from wheelhook.errors import InvalidWheel, ResolutionError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

EXIT_OK, EXIT_RESOLUTION, EXIT_BAD_INPUT = 0, 1, 2


class UsageError(Exception):
    """Bad input on the command line."""


def _cmd_drop(args: argparse.Namespace) -> int:
    store = args.store or _store.default_store()
    for wheel in args.wheels:
        info = _store.drop(wheel, store)
        print(f"dropped {info['name']} {info['version']} -> {info['path']}")
    return EXIT_OK


def _cmd_list(args: argparse.Namespace) -> int:
    candidates, rejected = _native.scan(_activate.store_dirs(), _activate.default_dirs())
    if args.name:
        from wheelhook.metadata import _normalize

        wanted = _normalize(args.name)
        candidates = [c for c in candidates if c["name"] == wanted]
        rejected = [r for r in rejected if r["name"] == wanted]
    if args.json:
        print(json.dumps({"candidates": candidates, "rejected": rejected}, indent=2))
        return EXIT_OK
    for c in candidates:
        print(f"{c['name']:30} {c['version']:15} {c['kind']:8} {c['path']}")
    for r in rejected:
        print(f"{r['name']:30} {r['version'] or '?':15} {'skipped':8} {r['path']}: {r['reason']}")
    if not candidates and not rejected:
        print("nothing found" + (f" for {args.name}" if args.name else ""), file=sys.stderr)
    return EXIT_OK


def _cmd_resolve(args: argparse.Namespace) -> int:
    finder = _native.Finder()  # a private finder: resolving here activates nothing
    reqs: list[str] = []
    for r in args.requirements:
        reqs.extend(_activate.parse_requirements(r))
    result = finder.require(reqs, _activate.store_dirs(), _activate.default_dirs())
    if args.json:
        rows = [
            {"name": d.name, "version": d.version, "kind": d.kind, "path": d.path} for d in result
        ]
        print(json.dumps(rows, indent=2))
    else:
        for d in result:
            print(f"{d.name}=={d.version}  ({d.kind}: {d.path})")
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wheelhook",
        description="Several versions of a distribution side by side, imported straight from wheels.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "drop",
        help="validate wheels and copy them into the store",
        epilog="example: python -m wheelhook drop six-1.15.0-py2.py3-none-any.whl",
    )
    p.add_argument("wheels", nargs="+", metavar="WHEEL")
    p.add_argument("--store", metavar="DIR", help="store directory (default: site-packages)")
    p.set_defaults(func=_cmd_drop)

    p = sub.add_parser(
        "list",
        help="list candidate distributions: wheels in the store and installed ones",
        epilog="example: python -m wheelhook list six --json",
    )
    p.add_argument("name", nargs="?")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser(
        "resolve",
        help="show what the requirements would activate, or why they cannot be met",
        epilog='example: python -m wheelhook resolve "requests==2.25.1"',
    )
    p.add_argument("requirements", nargs="+", metavar="REQ")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_resolve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
        return code
    except ResolutionError as exc:
        if args.debug:
            raise
        print(f"wheelhook: {exc}", file=sys.stderr)
        return EXIT_RESOLUTION
    except (InvalidWheel, UsageError, ValueError, OSError) as exc:
        if args.debug:
            raise
        print(f"wheelhook: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
