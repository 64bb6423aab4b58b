"""Synthetic distributions for the benchmarks: small valid wheels, and the same as eggs.

A wheel gets a correct `RECORD` (sha256 + size of every member) so wheelhook accepts it; an egg
is the directory layout `pkg_resources` activates in multi-version mode
(`name-version-pyX.Y.egg/` holding the modules and `EGG-INFO/PKG-INFO`).
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import sys
import zipfile


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()


def _metadata(name: str, version: str, requires: list[str]) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines += [f"Requires-Dist: {r}" for r in requires]
    return "\n".join(lines) + "\n"


def write_wheel(
    directory: str,
    name: str,
    version: str,
    modules: dict[str, str],
    requires: list[str] | None = None,
) -> str:
    """Writes `{name}-{version}-py3-none-any.whl` into `directory`; returns its path.

    `modules` maps member names (`pkg/__init__.py`) to their source text.
    """
    dist = name.replace("-", "_")
    path = os.path.join(directory, f"{dist}-{version}-py3-none-any.whl")
    info = f"{dist}-{version}.dist-info"
    members = {k: v.encode() for k, v in modules.items()}
    members[f"{info}/METADATA"] = _metadata(name, version, requires or []).encode()
    members[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: wheelhook-bench\n"
        b"Root-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = [f"{m},{_record_hash(d)},{len(d)}" for m, d in members.items()]
    record.append(f"{info}/RECORD,,")
    members[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    tmp = path + ".tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    os.replace(tmp, path)
    return path


def egg_name(name: str, version: str) -> str:
    """The directory name `pkg_resources` parses. Ex) `bench_a-1.0-py3.11.egg`"""
    return f"{name.replace('-', '_')}-{version}-py{sys.version_info[0]}.{sys.version_info[1]}.egg"


def write_egg(
    directory: str,
    name: str,
    version: str,
    modules: dict[str, str],
    requires: list[str] | None = None,
    python: str | None = None,
) -> str:
    """Writes an unzipped egg directory (multi-version layout); returns its path."""
    base = egg_name(name, version)
    if python is not None:
        base = base.rsplit("-py", 1)[0] + f"-py{python}.egg"
    path = os.path.join(directory, base)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(os.path.join(path, "EGG-INFO"))
    for member, text in modules.items():
        target = os.path.join(path, member)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w") as f:
            f.write(text)
    with open(os.path.join(path, "EGG-INFO", "PKG-INFO"), "w") as f:
        f.write(_metadata(name, version, []))
    if requires:
        with open(os.path.join(path, "EGG-INFO", "requires.txt"), "w") as f:
            f.write("\n".join(requires) + "\n")
    return path


def egg_from_wheel(wheel: str, directory: str, python: str, requires: list[str]) -> str:
    """Unpacks a pure wheel into an egg directory (`EGG-INFO` from its METADATA).

    `requires` replaces `Requires-Dist` (egg `requires.txt` has no marker syntax).
    """
    base = os.path.basename(wheel)
    name, version = base.split("-")[:2]
    path = os.path.join(directory, f"{name}-{version}-py{python}.egg")
    if os.path.isdir(path):
        return path
    tmp = path + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    with zipfile.ZipFile(wheel) as zf:
        info = f"{name}-{version}.dist-info/"
        for member in zf.namelist():
            if member.startswith(info) or ".data/" in member.split("/")[0] + "/":
                continue
            zf.extract(member, tmp)
        metadata = zf.read(info + "METADATA")
    os.makedirs(os.path.join(tmp, "EGG-INFO"))
    with open(os.path.join(tmp, "EGG-INFO", "PKG-INFO"), "wb") as f:
        f.write(metadata)
    if requires:
        with open(os.path.join(tmp, "EGG-INFO", "requires.txt"), "w") as f:
            f.write("\n".join(requires) + "\n")
    os.replace(tmp, path)
    return path


def pad_name(i: int) -> str:
    """The distribution (and module) name of the i-th unrelated wheel. Ex) `pad00042`"""
    return f"pad{i:05d}"


def pad_module(i: int) -> dict[str, str]:
    return {f"{pad_name(i)}.py": f"VALUE = {i}\n"}
