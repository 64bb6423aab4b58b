"""Inline script metadata (PEP 723): a script's `# /// script` block, and its `requires-python`.

<https://packaging.python.org/en/latest/specifications/inline-script-metadata/>
"""

from __future__ import annotations

import sys

from wheelhook import _native
from wheelhook._constants import SCRIPT_MARK
from wheelhook.errors import ScriptMetadataError, UnsupportedPython

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: The block pattern given by the specification.
BLOCK = r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$"


def _toml_loads(text: str, filename: str) -> dict[str, Any]:
    # Parsed by the extension: importing tomllib's backport `tomli` on 3.9/3.10 would import
    # the user's own distribution, which could then not be activated at another version.
    try:
        return _native.parse_toml(text)
    except ValueError as exc:
        raise ScriptMetadataError(
            f"{filename}: the PEP 723 `script` block is not valid TOML: {exc}"
        ) from None


def read_block(source: str, filename: str) -> dict[str, Any] | None:
    """The parsed `script` block of `source`, or None when there is none."""
    if SCRIPT_MARK not in source:
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
    if SCRIPT_MARK.encode() not in raw:
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
    try:
        satisfied = _native.python_satisfies(specifier)
    except ValueError as exc:
        raise ScriptMetadataError(f"{filename}: `requires-python`: {exc}") from None
    if not satisfied:
        running = ".".join(map(str, sys.version_info[:3]))
        raise UnsupportedPython(
            f"{filename} requires Python {specifier} (its PEP 723 `requires-python`), and this "
            f"is Python {running} ({sys.executable}): run it with an interpreter that matches."
        )
