"""Imports one name in a fresh interpreter and writes what happened as JSON (run by sweep.py).

    python -I corpus/probe.py OUT.json wheelhook REQUIREMENT DIST IMPORT_NAME
    python -I corpus/probe.py OUT.json plain TARGET_DIR DIST IMPORT_NAME

`wheelhook`: `wheelhook.require(REQUIREMENT)` against the store in `WHEELHOOK_PATH`, then
`import IMPORT_NAME`. `plain`: TARGET_DIR (a `pip install --target` of the same wheels) goes
first on `sys.path`, wheelhook is not imported, then `import IMPORT_NAME`. Either way the
result names the module's file, the extension modules (outside the standard library) the import loaded, and the version
`importlib.metadata` reports for DIST.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.metadata
import json
import os
import sys
import traceback


def _error(exc: BaseException) -> dict[str, object]:
    text = str(exc).strip().splitlines()
    frames = traceback.extract_tb(exc.__traceback__)
    missing = getattr(exc, "name", None) if isinstance(exc, ModuleNotFoundError) else None
    if missing and "." in missing:
        # A parent put into sys.modules under another name (`sys.modules["a.b"] = a.v5`):
        # the submodule is then looked up under the alias, through the parent's __path__.
        parent = missing.rpartition(".")[0]
        spec = getattr(sys.modules.get(parent), "__spec__", None)
        if spec is not None and spec.name != parent:
            text = [f"{text[0] if text else ''} (its parent {parent} is an alias of {spec.name})"]
    return {
        "type": type(exc).__name__,
        "message": (text[0] if text else "")[:400],
        "where": f"{frames[-1].filename}:{frames[-1].lineno}" if frames else None,
    }


def main() -> None:
    out, mode, arg, dist, name = sys.argv[1:6]
    result: dict[str, object] = {"mode": mode, "name": name}
    try:
        if mode == "wheelhook":
            import wheelhook

            result["active"] = [
                {
                    "name": d.name,
                    "version": d.version,
                    "kind": d.kind,
                    "path": d.path,
                    "unpacked": getattr(d, "unpacked", None),
                }
                for d in wheelhook.require(arg)
            ]
        else:
            sys.path.insert(0, arg)
    except BaseException as exc:  # the failure is the finding
        result["require_error"] = _error(exc)
        _write(out, result)
        return
    before = set(sys.modules)
    try:
        module = importlib.import_module(name)
    except BaseException as exc:  # SystemExit too: the failure is the finding
        result["ok"] = False
        result["error"] = _error(exc)
    else:
        result["ok"] = True
        result["file"] = getattr(module, "__file__", None)
        result["path"] = [str(p) for p in (getattr(module, "__path__", None) or [])]
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    stdlib = os.path.dirname(os.__file__) + os.sep  # lib-dynload is below it
    result["extensions"] = sorted(
        {
            m: str(getattr(sys.modules.get(m), "__file__", None))
            for m in set(sys.modules) - before
            if str(getattr(sys.modules.get(m), "__file__", None)).endswith(suffixes)
            and not str(getattr(sys.modules.get(m), "__file__", None)).startswith(stdlib)
            and not m.startswith("wheelhook.")
        }.items()
    )
    try:
        result["version"] = importlib.metadata.version(dist)
    except BaseException as exc:
        result["version_error"] = _error(exc)
    if mode == "wheelhook":
        import wheelhook

        result["active_after"] = [
            {"name": d.name, "unpacked": getattr(d, "unpacked", None)} for d in wheelhook.active()
        ]
    _write(out, result)


def _write(out: str, result: dict[str, object]) -> None:
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(result, fh)
    # A package may leave threads or atexit handlers that hang or crash at exit: the result is
    # already written, so leave at once.
    os._exit(0)


if __name__ == "__main__":
    main()
