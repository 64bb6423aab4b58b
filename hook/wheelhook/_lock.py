"""Lock files (PEP 751 `pylock.toml`) on the command line: `add -r pylock.toml` fetches exactly
the locked wheels this interpreter needs, each checked against the lock's sha256 before it is
dropped; nothing touches the network when the store has them all."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import tempfile

from wheelhook import _drop, _native
from wheelhook._files import atomic_write
from wheelhook.errors import InvalidWheel, LockedWheelsMissing

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

#: The file names PEP 751 gives lock files. Ex) `pylock.toml`, `pylock.dev.toml`
LOCK_NAME = re.compile(r"pylock(\.[^./\\]+)?\.toml")


def is_lock_file(path: str) -> bool:
    """Whether `path` is named as a PEP 751 lock file."""
    return LOCK_NAME.fullmatch(os.path.basename(path)) is not None


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(
    lock: str,
    store: str,
    pip_options: Sequence[str],
    limits: dict[str, int],
    say: Callable[[str], None],
) -> list[dict[str, Any]]:
    """Drops into `store` the locked wheels the store lacks for this interpreter; returns what
    `drop` says of each. A locked file path that exists is copied, else the URL or the name and
    version fetched by `pip download`; every wheel must be one the lock lists, with its sha256,
    before anything is dropped."""
    dirs = list(dict.fromkeys([store, *_native.store_dirs()]))
    wanted = _native.lock_wanted(lock, dirs, _native.default_dirs())
    missing = [w for w in wanted if w["have"] is None]
    unfit = [w for w in missing if not w["wheels"]]
    if unfit:
        lines = "".join(
            f"\n  {w['name']} {w['version'] or ''}: no locked wheel fits this interpreter "
            f"({w['reason']})"
            for w in unfit
        )
        raise LockedWheelsMissing(f"{lock}: cannot fetch every locked package:{lines}")
    if not missing:
        say(f"all {len(wanted)} locked distributions are in the store")
        return []
    _drop.writable_store(store)  # before fetching what could not be added
    expected = {e["filename"]: e["sha256"] for w in missing for e in w["wheels"]}
    base = os.path.dirname(os.path.abspath(lock))
    with tempfile.TemporaryDirectory(prefix="wheelhook-add-") as tmp:
        targets: list[str] = []
        for w in missing:
            best = w["wheels"][0]
            # A locked path (absolute, or relative to the lock) where it exists, else the URL,
            # else the name and version from the index.
            local = None if best["path"] is None else os.path.join(base, best["path"])
            if local is not None and os.path.isfile(local):
                shutil.copyfile(local, os.path.join(tmp, best["filename"]))
            else:
                targets.append(best["url"] or f"{w['name']}=={w['version']}")
        if targets:
            _pip_download(tmp, targets, pip_options, say)
        wheels = sorted(os.path.join(tmp, n) for n in os.listdir(tmp) if n.endswith(".whl"))
        # Check everything before the first copy, so a wrong download adds nothing.
        for wheel in wheels:
            name = os.path.basename(wheel)
            want = expected.get(name)
            if want is None:
                raise InvalidWheel(f"{name}: fetched for {lock}, which does not lock this file")
            got = sha256_file(wheel)
            if got != want:
                raise InvalidWheel(
                    f"{name}: sha256 {got} does not match {lock}'s {want}; nothing was added"
                )
            _native.inspect_wheel(wheel, **limits)
        return [_drop.drop(wheel, store, **limits) for wheel in wheels]


def _pip_download(
    dest: str, targets: list[str], pip_options: Sequence[str], say: Callable[[str], None]
) -> None:
    say(f"fetching {len(targets)} locked wheel(s) with pip ...")
    returncode = _drop.pip_download(dest, targets, pip_options, deps=False)
    if returncode != 0:
        raise LockedWheelsMissing(
            f"pip download failed (exit {returncode}) for {', '.join(targets)}: see pip's "
            "message above. Nothing was added to the store."
        )


def write(requirements: list[str], out: str) -> list[Any]:
    """Resolves `requirements` against the wheels of the store (activating nothing) and writes
    the result to `out` as a PEP 751 lock: one `[[packages]]` per distribution, its wheel with
    file name, path, size and sha256. Installed distributions are not candidates here: a lock
    entry needs a file and its hash (activating the lock still uses an installation of the
    locked version). The resolution evaluated every marker for this interpreter, so the lock
    says so once, in `environments`, rather than per package. Returns the resolution."""
    import platform

    finder = _native.Finder()  # a private finder: resolving here activates nothing
    result = finder.require(requirements, _native.store_dirs(), [])
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    environment = (
        f"implementation_name == {_quote(sys.implementation.name)} and "
        f"python_version == {_quote(version)} and "
        f"sys_platform == {_quote(sys.platform)} and "
        f"platform_machine == {_quote(platform.machine())}"
    )
    lines = [
        "# Written by `python -m wheelhook lock`; activate it with `wheelhook.require(lock=...)`.",
        'lock-version = "1.0"',
        'created-by = "wheelhook"',
        f"requires-python = {_quote('>=' + version)}",
        f"environments = [{_quote(environment)}]",
    ]
    for dist in sorted(result, key=lambda d: d.name):
        lines += ["", "[[packages]]", f"name = {_quote(dist.name)}"]
        lines.append(f"version = {_quote(dist.version)}")
        path = os.path.abspath(dist.path)
        wheel = (
            f"{{ name = {_quote(os.path.basename(path))}, path = {_quote(path)}, "
            f"size = {os.path.getsize(path)}, hashes = {{ sha256 = {_quote(sha256_file(path))} }} }}"
        )
        lines.append(f"wheels = [{wheel}]")
    text = "\n".join(lines) + "\n"
    from wheelhook._native import parse_toml

    parse_toml(text)  # never write what a reader would refuse
    atomic_write(out, lambda fh: fh.write(text.encode("utf-8")))
    return result


def _quote(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    import json

    return json.dumps(text, ensure_ascii=False)
