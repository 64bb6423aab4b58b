"""Fixtures: wheels built on the fly, real wheels from PyPI (cached), and scenario venvs."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import textwrap
import venv
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

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


@pytest.fixture
def make_wheel(tmp_path: Path):
    """`make_wheel(WheelSpec(...), directory=None) -> Path`: a synthetic wheel in a store dir."""
    store = tmp_path / "store"
    store.mkdir(exist_ok=True)

    def make(spec: WheelSpec, directory: Path | None = None) -> Path:
        return build_wheel(spec, directory or store)

    return make


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store"
    path.mkdir(exist_ok=True)
    return path


def pypi_wheel(requirement: str) -> Path:
    """A real wheel from PyPI (`name==version`), fetched once by pip into the ignored cache."""
    name, _, version = requirement.partition("==")
    PYPI_CACHE.mkdir(parents=True, exist_ok=True)

    def find() -> Path | None:
        # The cache is per interpreter: what is there, pip chose for this one.
        norm = name.lower().replace("-", "_")
        for p in sorted(PYPI_CACHE.glob("*.whl")):
            parts = p.name.split("-")
            if parts[0].lower() == norm and parts[1] == version:
                return p
        return None

    found = find()
    if found is None:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "--dest",
                str(PYPI_CACHE),
                requirement,
            ],
            check=True,
        )
        found = find()
    assert found is not None, f"pip did not fetch a wheel for {requirement}"
    return found


@dataclass
class Env:
    """A virtual environment with wheelhook installed."""

    root: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    @property
    def site_packages(self) -> Path:
        out = subprocess.run(
            [str(self.python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            check=True,
            capture_output=True,
            text=True,
        )
        return Path(out.stdout.strip())

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

    def run_args(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        check: bool = True,
        cwd: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("WHEELHOOK_")}
        full_env.pop("PYTHONPATH", None)
        # A user's normal environment writes bytecode; tests that need otherwise say so.
        full_env.pop("PYTHONDONTWRITEBYTECODE", None)
        full_env.update(env or {})
        proc = subprocess.run(
            [str(self.python), *args],
            capture_output=True,
            text=True,
            env=full_env,
            cwd=cwd or self.root,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
            )
        return proc


def built_wheel() -> Path:
    wheels = sorted(BUILT.glob("wheelhook-*.whl"))
    if not wheels:
        pytest.fail(
            "no built wheelhook wheel in target/wheels: run scripts/test.sh (it builds one)"
        )
    return wheels[-1]


def new_env(path: Path, *packages: str) -> Env:
    """A fresh venv with wheelhook and `packages` (wheel paths or requirements) installed normally."""
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    env = Env(path)
    env.pip("--no-deps", str(built_wheel()))
    if packages:
        env.pip(*packages)
    return env


@pytest.fixture(scope="session")
def six_env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    """A venv with six 1.16.0 installed normally (the default) and wheelhook."""
    return new_env(tmp_path_factory.mktemp("six-env"), str(pypi_wheel("six==1.16.0")))


@pytest.fixture
def host(tmp_path: Path) -> Env:
    """The test interpreter's own environment (wheelhook installed), run from a scratch dir.

    Tests point `WHEELHOOK_PATH` at their own store; nothing is written to site-packages."""

    class Host(Env):
        @property
        def python(self) -> Path:
            return Path(sys.executable)

    return Host(tmp_path)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line of the safety suite's figures (hostile wheels refused, SIGKILLs survived...), one
    of the outcomes the real test suites agreed on."""
    figures = getattr(sys.modules.get("safety_zip"), "FIGURES", None)
    if figures:
        line = ", ".join(f"{key} {value}" for key, value in sorted(figures.items()))
        terminalreporter.write_line(f"safety figures: {line}")
    suites = getattr(sys.modules.get("test_suites"), "FIGURES", None)
    if suites:
        line = "; ".join(f"{key}: {value}" for key, value in sorted(suites.items()))
        terminalreporter.write_line(f"real test suites, identical from wheel and installed: {line}")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "suites: a slow real test suite (test_suites.py); run with `pytest -m suites`"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Slow real test suites stay out of the normal run; `-m suites` (any `-m`) selects them."""
    if config.option.markexpr:
        return
    slow = [item for item in items if item.get_closest_marker("suites")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker("suites")]
