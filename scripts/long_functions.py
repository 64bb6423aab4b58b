"""Lists the functions of `src/` (Rust) and `hook/` (Python) longer than a limit.

A long function is allowed when the line just above it (its doc comment or attributes
included) says why, with a comment containing `long:`, for example
`// long: one match over every ZIP record type, split it and the table is lost`.

Usage: python3 scripts/long_functions.py [--limit N]   (default 60 lines; exit 1 if any)
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUST_FN = re.compile(r"^(\s*)(?:pub(?:\([a-z]+\))?\s+)?(?:const\s+)?(?:unsafe\s+)?fn\s+(\w+)")
REASON = "long:"


def rust_functions(path: Path) -> list[tuple[str, int, int, bool]]:
    """(name, first line, length, has a reason) of every `fn` with a body in a Rust file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found = []
    in_tests = False
    for i, line in enumerate(lines):
        if line.startswith("#[cfg(test)]"):
            in_tests = True  # test modules sit at the bottom of a file and are not checked
        if in_tests:
            break
        match = RUST_FN.match(line)
        if not match:
            continue
        indent = match.group(1)
        end = i
        while end < len(lines) and not lines[end].rstrip().endswith("{"):
            if lines[end].rstrip().endswith(";"):
                break  # a declaration without a body (trait item, extern)
            end += 1
        else:
            pass
        if end >= len(lines) or not lines[end].rstrip().endswith("{"):
            continue
        close = indent + "}"
        stop = end + 1
        while stop < len(lines) and lines[stop].rstrip() != close:
            stop += 1
        found.append((match.group(2), i + 1, stop - i + 1, has_reason(lines, i)))
    return found


def has_reason(lines: list[str], start: int) -> bool:
    """Whether the comments and attributes right above line `start` carry a `long:` reason."""
    j = start - 1
    while j >= 0 and lines[j].strip().startswith(("//", "#[", "#", "@")):
        if REASON in lines[j]:
            return True
        j -= 1
    return False


def python_functions(path: Path) -> list[tuple[str, int, int, bool]]:
    """(name, first line, length, has a reason) of every function in a Python file."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            length = (node.end_lineno or node.lineno) - first + 1
            found.append((node.name, first, length, has_reason(lines, first - 1)))
    return found


def main() -> int:
    limit = 60
    if "--limit" in sys.argv:
        limit = int(sys.argv[sys.argv.index("--limit") + 1])
    long = []
    for path in sorted((ROOT / "src").rglob("*.rs")):
        long += [(path, *f) for f in rust_functions(path)]
    for path in sorted((ROOT / "hook").rglob("*.py")):
        long += [(path, *f) for f in python_functions(path)]
    failing = 0
    for path, name, line, length, reason in sorted(long, key=lambda f: -f[3]):
        if length > limit:
            status = "allowed" if reason else "too long"
            failing += not reason
            print(f"{path.relative_to(ROOT)}:{line}: {name}: {length} lines ({status})")
    print(f"long functions: {failing} over {limit} lines without a `{REASON}` reason")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
