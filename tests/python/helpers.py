"""What the Python tests share: building wheels, fetching real ones, and running children (a
venv's interpreter or the test interpreter) in a clean environment. Fixtures are in conftest."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import struct
import subprocess
import sys
import textwrap
import venv
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Real wheels fetched by pip at test time (ignored by git), one folder per interpreter: pip
#: picks the wheel that fits the interpreter running the tests, and the matrix runs several at once.
PYPI_CACHE = ROOT / ".cache" / "pypi" / f"cp{sys.version_info[0]}{sys.version_info[1]}"
#: The wheelhook wheel the test command built.
BUILT = ROOT / "target" / "wheels"


def record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


@dataclass
class WheelSpec:
    """A synthetic wheel: files by member path, and its metadata."""

    name: str
    version: str
    files: dict[str, bytes | str] = field(default_factory=dict)
    requires: list[str] = field(default_factory=list)
    requires_python: str | None = None
    extras: list[str] = field(default_factory=list)
    tag: str = "py3-none-any"
    root_is_purelib: bool = True
    with_dirs: bool = False


def build_wheel(spec: WheelSpec, directory: Path) -> Path:
    """Writes a well-formed wheel (WHEEL, METADATA, RECORD with sha256) and returns its path."""
    dist = spec.name.replace("-", "_").replace(".", "_")
    dist_info = f"{dist}-{spec.version}.dist-info"
    meta = ["Metadata-Version: 2.1", f"Name: {spec.name}", f"Version: {spec.version}"]
    if spec.requires_python:
        meta.append(f"Requires-Python: {spec.requires_python}")
    meta += [f"Provides-Extra: {e}" for e in spec.extras]
    meta += [f"Requires-Dist: {r}" for r in spec.requires]
    files: dict[str, bytes] = {
        k: (v.encode() if isinstance(v, str) else v) for k, v in spec.files.items()
    }
    files[f"{dist_info}/METADATA"] = ("\n".join(meta) + "\n\n").encode()
    purelib = "true" if spec.root_is_purelib else "false"
    files[f"{dist_info}/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: wheelhook-tests\nRoot-Is-Purelib: {purelib}\nTag: {spec.tag}\n"
    ).encode()
    record = [f"{name},{record_hash(data)},{len(data)}" for name, data in files.items()]
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = directory / f"{dist}-{spec.version}-{spec.tag}.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        if spec.with_dirs:
            dirs = sorted({n.rsplit("/", 1)[0] + "/" for n in files if "/" in n})
            for d in dirs:
                zf.writestr(zipfile.ZipInfo(d), b"")
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def pypi_wheel(requirement: str) -> Path:
    """A real wheel from PyPI (`name==version`), fetched once by pip into the ignored cache."""
    # The cache is per interpreter: what is there, pip chose for this one.
    found = cached_wheel(PYPI_CACHE, requirement)
    if found is None:
        pip_download(PYPI_CACHE, "--only-binary=:all:", requirement)
        found = cached_wheel(PYPI_CACHE, requirement)
    assert found is not None, f"pip did not fetch a wheel for {requirement}"
    return found


def normalise(name: str) -> str:
    """A distribution name as PEP 503 compares it (`Foo_Bar.baz` -> `foo-bar-baz`)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def cached_wheel(directory: Path, pin: str) -> Path | None:
    """The wheel of `pin` (`name==version`, the version as the filename spells it) in
    `directory`, or None."""
    name, _, version = pin.partition("==")
    for path in sorted(directory.glob("*.whl")):
        parts = path.name.split("-")
        if normalise(parts[0]) == normalise(name) and parts[1] == version:
            return path
    return None


def pip_download(dest: Path, *args: str, python: str = sys.executable) -> None:
    """`pip download --no-deps ARGS` into `dest` (the only step of the tests that needs the
    network)."""
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [python, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", str(dest)]
    subprocess.run([*cmd, *args], check=True)


#: A code pack's trailer and records (src/cache/pack.rs): trailer = magic, record count, names
#: offset, records offset, table CRC-32, format; record = name hash, name offset, name length,
#: source CRC-32, source size, payload offset, payload length, payload CRC-32.
PACK_TRAILER = struct.Struct("<4sIQQI8s")
PACK_RECORD = struct.Struct("<QQIIQQQI")


def pack_payloads(path: Path) -> dict[str, tuple[int, int]]:
    """The members a code pack holds, and where each one's marshalled code lies in the file
    (offset, length): for tests that damage or count entries."""
    data = path.read_bytes()
    _magic, count, _names, records, _crc, _format = PACK_TRAILER.unpack_from(
        data, len(data) - PACK_TRAILER.size
    )
    out = {}
    for i in range(count):
        fields = PACK_RECORD.unpack_from(data, records + i * PACK_RECORD.size)
        name_at, name_len, payload_at, payload_len = fields[1], fields[2], fields[5], fields[6]
        out[data[name_at : name_at + name_len].decode()] = (payload_at, payload_len)
    return out


def packs(cache: Path) -> list[Path]:
    """The code packs of a private cache directory, sorted."""
    return sorted((cache / "code").glob("*.whcp"))


def child_environ(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a child interpreter: this one's without wheelhook's variables and
    `PYTHONPATH`, writing bytecode as a user's normal environment does (tests that need
    otherwise say so in `extra`), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WHEELHOOK_")}
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(extra or {})
    return env


def last_json(stdout: str) -> Any:
    """The JSON a child printed on its last line of output (earlier lines are its chatter)."""
    return json.loads(stdout.strip().splitlines()[-1])


@dataclass
class Env:
    """A virtual environment with wheelhook installed."""

    root: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    @property
    def site_packages(self) -> Path:
        return site_packages(self.python)

    def pip(self, *args: str) -> None:
        subprocess.run([str(self.python), "-m", "pip", "install", "--quiet", *args], check=True)

    def run(
        self,
        code: str,
        *args: str,
        env: dict[str, str] | None = None,
        check: bool = True,
        cwd: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Runs `code` as the main script (a file, so `__main__` is real)."""
        script = (cwd or self.root) / "main_script.py"
        script.write_text(textwrap.dedent(code))
        return self.run_args(str(script), *args, env=env, check=check, cwd=cwd)

    def run_json(self, code: str, env: dict[str, str] | None = None) -> Any:
        """Runs `code` (as `run` does) and returns the JSON it printed last."""
        return last_json(self.run(code, env=env).stdout)

    def run_args(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        check: bool = True,
        cwd: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [str(self.python), *args],
            capture_output=True,
            text=True,
            env=child_environ(env),
            cwd=cwd or self.root,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
            )
        return proc


def site_packages(python: Path) -> Path:
    """The purelib directory of the interpreter `python`."""
    out = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(out.stdout.strip())


def built_wheel() -> Path:
    wheels = sorted(BUILT.glob("wheelhook-*.whl"))
    if not wheels:
        pytest.fail(
            "no built wheelhook wheel in target/wheels: run scripts/test.sh (it builds one)"
        )
    return wheels[-1]


def new_env(path: Path, *packages: str, python: Path | str | None = None) -> Env:
    """A fresh venv with wheelhook and `packages` (wheel paths or requirements) installed
    normally; a venv of the interpreter `python` when given (else of the test interpreter)."""
    if python is None:
        venv.EnvBuilder(with_pip=True, clear=True).create(path)
    else:
        subprocess.run([str(python), "-m", "venv", "--clear", str(path)], check=True)
    env = Env(path)
    env.pip("--no-deps", str(built_wheel()))
    if packages:
        env.pip(*packages)
    return env
