"""Checks that the crate's modules depend on each other in one direction.

Reads the `crate::...` and `super::...` paths of every file under `src/` and prints the
dependency graph between the top-level modules (a folder or a file under `src/`), lowest layer
first. Fails when a module uses one above it in `LAYERS`, when a module is missing from
`LAYERS`, or when files inside one folder depend on each other in a cycle.

Usage: python3 scripts/layers.py [--quiet]
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"

#: The top-level modules, lowest first: each may use only those before it.
LAYERS = [
    "hash",  # FNV-1a
    "archive",  # ZIP archives: mapping, central directory, member reads, ZIP-level checks
    "wheel",  # names, filenames, tags, WHEEL/METADATA/RECORD, requirements, verification
    "candidate",  # a usable version of a distribution and where it comes from
    "resolve",  # markers, specifiers, the backtracking resolver, explanations
    "script",  # PEP 723 inline metadata
    "store",  # candidate discovery: wheels in store directories, installed distributions
    "import",  # serving modules from activated wheels: module index, registry
    "cache",  # the private cache: directory policy, bytecode, native extensions, activations
    "lock",  # PEP 751 lock files: parse, select for this interpreter, match hash-checked wheels
    "session",  # one activation, in plain Rust: resolve, remember, check conflicts
    "error",  # the crate-wide error gathering every module's own
    "python",  # the pyo3 layer: the import protocol and the extension module
]

PATH = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
LINE_COMMENT = re.compile(r"//.*")


def unit_of(path: Path) -> tuple[str, str]:
    """(top-level module, file's module inside it) of a source file."""
    parts = path.relative_to(SRC).with_suffix("").parts
    if len(parts) == 1:
        return parts[0], ""
    inner = parts[1] if parts[1] != "mod" else ""
    return parts[0], inner


def references(path: Path) -> list[tuple[str, str]]:
    """The (top-level module, inner module) each `crate::`/`super::` path in a file names."""
    top, inner = unit_of(path)
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = LINE_COMMENT.sub("", line)
        for root, rest in PATH.findall(line):
            names = [n for n in rest.split("::") if n]
            if root == "crate":
                if not names:
                    continue
                found.append((names[0], names[1] if len(names) > 1 else ""))
            elif inner and names:
                # `super::x` inside `top/inner.rs` is the sibling `top/x.rs` (or an item of
                # `top/mod.rs`, which is no file-to-file edge).
                found.append((top, names[0]))
    # Items brought in through a folder's own `use` of a sibling's `pub use` are resolved by
    # the folder's mod.rs; nothing more to follow.
    return found


def main() -> int:
    quiet = "--quiet" in sys.argv
    folders: dict[str, set[str]] = defaultdict(set)
    files: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    inner_files: dict[str, set[str]] = defaultdict(set)
    for path in sorted(SRC.rglob("*.rs")):
        top, inner = unit_of(path)
        if top == "lib":
            continue
        inner_files[top].add(inner)
        for ref_top, ref_inner in references(path):
            if ref_top != top:
                folders[top].add(ref_top)
            elif inner and ref_inner and ref_inner != inner:
                files[top][inner].add(ref_inner)
    problems = []
    rank = {name: i for i, name in enumerate(LAYERS)}
    for top in sorted(inner_files):
        if top not in rank:
            problems.append(f"src/{top}: not in LAYERS (scripts/layers.py): place it")
    for top, used in sorted(folders.items()):
        for dep in sorted(used):
            if dep in rank and top in rank and rank[dep] >= rank[top]:
                problems.append(f"{top} -> {dep}: uses a module at or above its own layer")
    for top, graph in sorted(files.items()):
        problems.extend(f"{top}: files in a cycle: {c}" for c in cycles(graph, inner_files[top]))
    if not quiet:
        for top in LAYERS:
            if top in inner_files:
                below = ", ".join(d for d in LAYERS if d in folders.get(top, ()))
                print(f"{top:<10} -> {below or '(nothing)'}")
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        return 1
    if not quiet:
        print(f"layers: {len(inner_files)} modules, no upward dependency, no cycle between files")
    return 0


def cycles(graph: dict[str, set[str]], nodes: set[str]) -> list[str]:
    """Each cycle of a folder's file graph, written `a -> b -> a` (one per strongly connected group)."""
    found = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in nodes:
                continue
            if state.get(nxt) == 1:
                loop = stack[stack.index(nxt) :] + [nxt]
                found.append(" -> ".join(loop))
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(nodes):
        if node not in state:
            visit(node)
    return found


if __name__ == "__main__":
    sys.exit(main())
