"""The reference answers of `packaging` for wheelhook's differential tests.

Run by tests/rust/wheel_names.rs and tests/rust/tags.rs with the `python3` on
PATH (or $PYTHON); needs packaging >= 26.3. Every mode writes one JSON value
a line on stdout:

    filenames   stdin: one wheel filename a line. Out: packaging's parse of it,
                {"ok": true, "name", "version", "build": [n, "s"] | null,
                "tags": [sorted]} or {"ok": false, "error"}.
    sys-tags    Out: {"facts": {...}, "tags": [...]}: the running interpreter's
                facts (implementation, version, debug, free_threaded, abi,
                glibc, musl) and `packaging.tags.sys_tags()`.
    platforms   stdin: one platform spec a line (JSON, see `platforms_of`).
                Out: the platform tags packaging generates for it.
    tags        stdin: one interpreter spec a line (JSON, with a "platform"
                spec). Out: the tags sys_tags() would give on it.

Machine facts (glibc, musl, the ELF checks, sysconfig's platform, config
variables) are patched in; packaging's own generators do all the work. That
patching, and reading glibc and musl, go through packaging's private modules
(`_manylinux`, `_musllinux`, `tags._linux_platforms`...): packaging has no
public API for "the tags of another machine". The exact pin of packaging in
scripts/lock/ is what keeps them stable; a new packaging is taken on purpose,
with scripts/lock/update.sh, and this file adjusted then.
"""

from __future__ import annotations

import json
import re
import sys
import sysconfig
from contextlib import ExitStack
from unittest import mock

import packaging
from packaging import _manylinux, _musllinux, tags
from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import Version

if Version(packaging.__version__) < Version("26.3"):
    sys.exit(f"packaging >= 26.3 is needed (linux_* tags first), found {packaging.__version__}")


def emit(value: object) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False) + "\n")


def input_lines() -> list[str]:
    data = sys.stdin.buffer.read().decode("utf-8")
    return [line for line in data.split("\n") if line]


def filenames() -> None:
    for line in input_lines():
        try:
            name, version, build, tag_set = parse_wheel_filename(line)
        except InvalidWheelFilename as exc:
            emit({"ok": False, "error": str(exc)})
            continue
        emit(
            {
                "ok": True,
                "name": str(name),
                "version": str(version),
                "build": list(build) if build else None,
                "tags": sorted(str(t) for t in tag_set),
            }
        )


def sys_tags() -> None:
    implementation = sys.implementation.name
    generated = [str(t) for t in tags.sys_tags()]
    # The first tag is the most specific one: its ABI is packaging's verdict on the interpreter
    # (`cp313t`: free-threaded; `cp311d`: debug; `pypy310_pp73`: a generic ABI), read through
    # the public API rather than the private helpers that compute it.
    first_abi = generated[0].split("-")[1] if generated else "none"
    flags = ""
    if implementation == "cpython":
        match = re.fullmatch(r"cp\d+([a-z]*)", first_abi)
        flags = match.group(1) if match else ""
    # glibc and musl have no public API: these private helpers are protected by the exact pin of
    # packaging in scripts/lock/.
    glibc = _manylinux._get_glibc_version()
    musl = _musllinux._get_musl_version(sys.executable)
    facts = {
        "implementation": implementation,
        "version": list(sys.version_info[:2]),
        "debug": "d" in flags,
        "free_threaded": "t" in flags,
        "abi": None if implementation == "cpython" or first_abi == "none" else first_abi,
        "glibc": list(glibc) if glibc.major >= 0 else None,
        "musl": list(musl) if musl else None,
        "sysconfig_platform": sysconfig.get_platform(),
    }
    emit({"facts": facts, "tags": generated})


def platforms_of(spec: dict) -> list[str]:
    """The platform tags of a spec:

    {"os": "linux", "arch": "x86_64", "glibc": [2, 31] | null, "musl": [1, 2] | null}
    {"os": "macos", "arch": "arm64", "version": [14, 2]}
    {"os": "windows", "sysconfig": "win-amd64"}
    """
    if spec["os"] == "macos":
        return list(tags.mac_platforms(tuple(spec["version"]), spec["arch"]))
    with ExitStack() as stack:
        patch = lambda *args, **kwargs: stack.enter_context(mock.patch(*args, **kwargs))  # noqa: E731
        if spec["os"] == "windows":
            patch("sysconfig.get_platform", return_value=spec["sysconfig"])
            return list(tags._generic_platforms())
        glibc = spec.get("glibc")
        musl = spec.get("musl")
        patch("sysconfig.get_platform", return_value=f"linux-{spec['arch']}")
        version = _manylinux._GLibCVersion(*glibc) if glibc else _manylinux._GLibCVersion(-1, -1)
        patch(f"{_manylinux.__name__}._get_glibc_version", return_value=version)
        patch(f"{_manylinux.__name__}._get_manylinux_module", return_value=None)
        # The ELF header checks of the interpreter: the spec says what it is.
        patch(f"{_manylinux.__name__}._is_linux_armhf", return_value=True)
        patch(f"{_manylinux.__name__}._is_linux_i686", return_value=True)
        musl_version = _musllinux._MuslVersion(*musl) if musl else None
        patch(f"{_musllinux.__name__}._get_musl_version", return_value=musl_version)
        return list(tags._linux_platforms(is_32bit=False))


def tags_of(spec: dict) -> list[str]:
    """The sys_tags() of an interpreter spec:

    {"implementation": "cpython", "version": [3, 12], "debug": false,
     "free_threaded": false, "abi": null | "pypy310_pp73", "platform": {...}}
    """
    platforms = platforms_of(spec["platform"])
    version = tuple(spec["version"])
    implementation = spec["implementation"]
    name = tags.INTERPRETER_SHORT_NAMES.get(implementation) or implementation
    nodot = "".join(map(str, version))
    config = {
        "Py_DEBUG": int(spec["debug"]),
        "Py_GIL_DISABLED": int(spec["free_threaded"]),
        "WITH_PYMALLOC": 1,
        # Before 3.3 (PEP 393), wheelhook assumes a wide (UCS-4) build.
        "Py_UNICODE_SIZE": 4,
        "py_version_nodot": nodot,
    }
    with ExitStack() as stack:
        stack.enter_context(
            mock.patch.object(tags, "_get_config_var", lambda var, warn=False: config.get(var))
        )
        # packaging falls back to the running machine's platforms when a list is empty
        # (macOS 10.3 runs no x86_64 code); on that machine the fallback is empty too.
        stack.enter_context(mock.patch.object(tags, "platform_tags", lambda: iter(())))
        if name == "cp":
            generated = list(tags.cpython_tags(version, platforms=platforms))
        else:
            abis = [spec["abi"]] if spec.get("abi") else []
            generated = list(tags.generic_tags(f"{name}{nodot}", abis, platforms))
        interpreter = {"pp": "pp3", "cp": f"cp{nodot}"}.get(name)
        generated += tags.compatible_tags(version, interpreter, platforms)
    return [str(t) for t in generated]


def main() -> None:
    mode = sys.argv[1]
    if mode == "filenames":
        filenames()
    elif mode == "sys-tags":
        sys_tags()
    elif mode == "platforms":
        for line in input_lines():
            emit(platforms_of(json.loads(line)))
    elif mode == "tags":
        for line in input_lines():
            emit(tags_of(json.loads(line)))
    else:
        sys.exit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main()
