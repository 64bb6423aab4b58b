"""Inline script metadata (PEP 723): a script's `# /// script` block, and its `requires-python`.

<https://packaging.python.org/en/latest/specifications/inline-script-metadata/>
"""

from __future__ import annotations

import sys

from wheelhook.errors import ResolutionError, WheelhookError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: The block pattern given by the specification.
BLOCK = r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$"


class ScriptMetadataError(WheelhookError, ValueError):
    """A script's PEP 723 block is malformed or cannot be read."""


class UnsupportedPython(ResolutionError):
    """The script's `requires-python` excludes the running interpreter."""


def _toml_loads(text: str, filename: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.9/3.10 only
        try:
            import tomli as tomllib
        except ImportError:
            raise ScriptMetadataError(
                f"{filename} has a PEP 723 `script` block, and reading it needs a TOML parser: "
                "Python 3.11+ has one (tomllib); on this Python install `tomli` "
                "(pip install tomli)."
            ) from None
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScriptMetadataError(
            f"{filename}: the PEP 723 `script` block is not valid TOML: {exc}"
        ) from None
    return data


def read_block(source: str, filename: str) -> dict[str, Any] | None:
    """The parsed `script` block of `source`, or None when there is none."""
    if "# /// script" not in source:
        return None
    import re

    found = [m for m in re.finditer(BLOCK, source) if m.group("type") == "script"]
    if not found:
        return None
    if len(found) > 1:
        raise ScriptMetadataError(
            f"{filename} has {len(found)} PEP 723 `script` blocks; at most one is allowed."
        )
    lines = found[0].group("content").splitlines(keepends=True)
    text = "".join(line[2:] if line.startswith("# ") else line[1:] for line in lines)
    return _toml_loads(text, filename)


def script_requirements(filename: str) -> list[str]:
    """The `dependencies` of the file's `script` block, after checking its `requires-python`
    against the running interpreter. `[]` when the file has no block."""
    try:
        with open(filename, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise ScriptMetadataError(f"{filename}: cannot read the script: {exc.strerror}") from None
    if b"# /// script" not in raw:
        return []
    return source_requirements(raw.decode("utf-8", "replace"), filename)


def source_requirements(source: str, filename: str) -> list[str]:
    """`script_requirements` for source already read (through a module's loader: a module served
    from a wheel has no file of its own); `filename` names it in errors."""
    block = read_block(source, filename)
    if block is None:
        return []
    requires_python = block.get("requires-python")
    if requires_python is not None:
        if not isinstance(requires_python, str):
            raise ScriptMetadataError(f"{filename}: `requires-python` must be a string.")
        check_python(requires_python, filename)
    deps = block.get("dependencies", [])
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        raise ScriptMetadataError(f"{filename}: `dependencies` must be a list of strings.")
    return list(deps)


def check_python(specifier: str, filename: str) -> None:
    """Raises `UnsupportedPython` unless the running interpreter satisfies `specifier`."""
    version = sys.version_info[:3]
    for clause in specifier.split(","):
        if not _matches(version, clause.strip(), filename, specifier):
            running = ".".join(map(str, version))
            raise UnsupportedPython(
                f"{filename} requires Python {specifier} (its PEP 723 `requires-python`), and this "
                f"is Python {running} ({sys.executable}): run it with an interpreter that matches."
            )


_OPERATORS = ("~=", "===", "==", "!=", "<=", ">=", "<", ">")


def _release(text: str, filename: str, specifier: str) -> tuple[int, ...]:
    parts = text.split(".")
    if not text or not all(p.isdigit() for p in parts):
        raise ScriptMetadataError(
            f"{filename}: `requires-python = {specifier!r}` is not supported: only release "
            "versions (like 3.9 or 3.11.2) can be compared with the interpreter's."
        )
    return tuple(int(p) for p in parts)


def _matches(version: tuple[int, ...], clause: str, filename: str, specifier: str) -> bool:
    """One PEP 440 clause against a final-release interpreter version."""
    op = next((o for o in _OPERATORS if clause.startswith(o)), None)
    if op is None:
        raise ScriptMetadataError(
            f"{filename}: `requires-python = {specifier!r}`: {clause!r} is not a PEP 440 clause."
        )
    text = clause[len(op) :].strip()
    if op == "===":
        return text == ".".join(map(str, version))
    wildcard = text.endswith(".*") and op in ("==", "!=")
    want = _release(text[:-2] if wildcard else text, filename, specifier)
    if wildcard:
        padded_version = version + (0,) * max(0, len(want) - len(version))
        equal = padded_version[: len(want)] == want
        return equal if op == "==" else not equal
    width = max(len(want), len(version))
    have = version + (0,) * (width - len(version))
    padded = want + (0,) * (width - len(want))
    if op == "==":
        return have == padded
    if op == "!=":
        return have != padded
    if op == "<=":
        return have <= padded
    if op == ">=":
        return have >= padded
    if op == "<":
        return have < padded
    if op == ">":
        return have > padded
    # ~=X.Y: >= X.Y and == X.*
    if len(want) < 2:
        raise ScriptMetadataError(f"{filename}: {clause!r}: `~=` needs at least two version parts.")
    return have >= padded and version[: len(want) - 1] == want[:-1]
