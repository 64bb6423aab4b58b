"""Real distributions' own test suites, run against a dropped wheel and against a normal install.

Two venvs made from the same pins (`suite_packages.py`): "wheel" has every OLD version installed
normally and every NEW wheel dropped into its site-packages (`wheelhook drop`, with site-wide
activation enabled so subprocesses get the same versions); "installed" has every NEW version
installed normally. Each suite runs in both, offline, from copies of its tests taken out of the
sdist (without the package's own source) or, for tests shipped inside the package, with
`--pyargs` from the served copy: in "wheel" as `python -m wheelhook run --with NAME==NEW... -m
pytest`, in "installed" as `python -m pytest`. The probe plugin (`suite_probe.py`) stops a run
that imports the wrong copy and records the outcome of every node; both sides must agree node for
node. The interpreter is `SUITES_PYTHON` (default: the one running the tests); slow suites are
marked `suites` and run with `pytest -m suites` (`scripts/suites.sh` runs everything).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import PYPI_CACHE, built_wheel, normalise, pip_download, site_packages
from suite_packages import NEW_PINS, OLD_PINS, TABLE, TEST_DEPS, Suite

SUITES_CACHE = PYPI_CACHE / "suites"
HERE = Path(__file__).resolve().parent
#: Configuration files an sdist's tests rely on (pytest settings, a top-level conftest).
CONFIG_FILES = ("conftest.py", "pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml")
#: One suite's run may take this long before it is a failure.
RUN_TIMEOUT = 900
#: Per suite, the outcomes both sides agreed on (printed at the end of the run by conftest).
FIGURES: dict[str, str] = {}


def suites_python() -> str:
    return os.environ.get("SUITES_PYTHON") or sys.executable


def sdist(suite: Suite) -> Path:
    """The suite's sdist, fetched by pip once into `.cache/pypi/suites/sdist/`."""
    directory = SUITES_CACHE / "sdist"

    def find() -> Path | None:
        for path in directory.glob("*.tar.gz"):
            name, _, version = path.name[: -len(".tar.gz")].rpartition("-")
            if normalise(name) == normalise(suite.name) and version == suite.new:
                return path
        return None

    if find() is None:
        # `--no-binary` for this one only: its build requirements come as wheels (pip prepares
        # the sdist's metadata, which would otherwise compile Cython and friends from source).
        pin = f"{suite.name}=={suite.new}"
        pip_download(directory, f"--no-binary={suite.name}", pin)
    found = find()
    assert found is not None, f"pip fetched no sdist for {suite.name}=={suite.new}"
    return found


@dataclass
class Side:
    """One venv of the comparison."""

    label: str
    python: Path
    site_packages: Path
    #: Path prefixes the suites' packages must be imported from on this side.
    prefixes: list[str]
    #: The dropped NEW wheels, by distribution name ("wheel" side only).
    wheels: dict[str, Path]
    env: dict[str, str]


@dataclass
class World:
    root: Path
    wheel: Side
    installed: Side


def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    if proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(map(str, cmd))}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        )
    return proc  # type: ignore[no-any-return]


def pip(python: Path, *args: str) -> list[str]:
    """pip of the interpreter running the tests, acting on the venv of `python` (`--python`):
    the venvs are made without pip of their own, which saves most of their making."""
    return [sys.executable, "-m", "pip", "--python", str(python), *args]


def make_venv(path: Path, wheels: Path, reqs: list[str]) -> Path:
    """A venv with exactly `reqs` installed (wheels only, from the cache; fetched when missing)."""
    run([suites_python(), "-m", "venv", "--clear", "--without-pip", str(path)])
    python = path / "bin" / "python"
    install = pip(python, "install", "--quiet", "--no-deps", "--only-binary=:all:")
    offline = [*install, "--no-index", "--find-links", str(wheels), *reqs]
    if subprocess.run(offline, capture_output=True).returncode != 0:
        fetch = pip(python, "download", "--quiet", "--no-deps", "--only-binary=:all:")
        run([*fetch, "--dest", str(wheels), *(r for r in reqs if not r.endswith(".whl"))])
        run(offline)
    run(pip(python, "check"))  # the pins are a complete set
    return python


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WHEELHOOK_", "PYTEST_"))}
    for name in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONSTARTUP", "PYTHONHOME"):
        env.pop(name, None)
    return env


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("suites")
    tag = run(
        [suites_python(), "-c", "import sys; print(sys.implementation.cache_tag)"]
    ).stdout.strip()
    wheels = SUITES_CACHE / "wheels" / tag
    plugin = root / "plugin"
    plugin.mkdir()
    shutil.copyfile(HERE / "suite_probe.py", plugin / "suite_probe.py")

    made: dict[str, Path] = {}
    errors: list[BaseException] = []

    def build(label: str, reqs: list[str]) -> None:
        try:
            made[label] = make_venv(root / f"venv-{label}", wheels, reqs)
        except BaseException as exc:
            errors.append(exc)

    # The two venvs are independent: make them at the same time.
    threads = [
        threading.Thread(target=build, args=("wheel", [*OLD_PINS, *TEST_DEPS, str(built_wheel())])),
        threading.Thread(target=build, args=("installed", [*NEW_PINS, *TEST_DEPS])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]

    py = made["wheel"]
    sp = site_packages(py)
    new_wheels = {
        s.name: next(
            p
            for p in wheels.glob("*.whl")
            if normalise(p.name.split("-")[0]) == normalise(s.name)
            and p.name.split("-")[1] == s.new
        )
        for s in TABLE
    }
    run([str(py), "-m", "wheelhook", "drop", *map(str, new_wheels.values())])
    dropped = {name: sp / wheel.name for name, wheel in new_wheels.items()}
    for path in dropped.values():
        assert path.is_file(), f"wheelhook drop did not put {path.name} in {sp}"
    run([str(py), "-m", "wheelhook", "enable"])
    cache = root / "cache"
    # What a plain import gives in the wheel venv: the OLD versions, installed normally.
    versions = "import importlib.metadata as m, sys; print(*map(m.version, sys.argv[1:]))"
    plain = run([str(py), "-c", versions, *(s.name for s in TABLE)]).stdout.split()
    assert plain == [s.old for s in TABLE]

    env = base_env()
    env["PYTHONPATH"] = str(plugin)
    wheel_side = Side(
        "wheel",
        py,
        sp,
        [],
        dropped,
        {**env, "WHEELHOOK_CACHE": str(cache)},
    )
    isp = site_packages(made["installed"])
    installed_side = Side("installed", made["installed"], isp, [str(isp) + os.sep], {}, env)
    return World(root, wheel_side, installed_side)


def copy_tests(suite: Suite, dest: Path) -> list[str]:
    """The suite's tests in `dest`, and the paths (or `--pyargs` packages) to give pytest."""
    dest.mkdir(parents=True)
    if suite.source == "wheel":
        return ["--pyargs", *suite.tests]
    moves = dict(t.split(":", 1) if ":" in t else (t, t) for t in (*CONFIG_FILES, *suite.tests))
    with tarfile.open(sdist(suite)) as tar:
        top = tar.getnames()[0].split("/")[0]
        for member in tar.getmembers():
            name = member.name[len(top) + 1 :]
            for src, dst in moves.items():
                if member.isfile() and (name == src or name.startswith(src + "/")):
                    target = dest / (dst + name[len(src) :])
                    target.parent.mkdir(parents=True, exist_ok=True)
                    data = tar.extractfile(member)
                    assert data is not None  # a regular file always has contents
                    target.write_bytes(data.read())
    runs = [t.split(":", 1)[-1] for t in suite.tests]
    missing = [t for t in runs if not (dest / t).exists()]
    assert not missing, f"the sdist of {suite.id} has no {missing}"
    return runs


#: Where pytest reads its settings from, in the order it looks: the file and its section.
INI_SECTIONS = (
    ("pytest.ini", ""),
    ("pyproject.toml", "[tool.pytest.ini_options]"),
    ("tox.ini", "[pytest]"),
    ("setup.cfg", "[tool:pytest]"),
)


def ini_file(where: Path) -> Path:
    """The suite's pytest settings in `where` (an empty `pytest.ini` when it has none), given
    to pytest with `-c` and `--rootdir`, so no file above the run directory is ever read."""
    for name, section in INI_SECTIONS:
        path = where / name
        if path.is_file() and section in path.read_text(errors="replace"):
            return path
    path = where / "pytest.ini"
    path.write_text("[pytest]\n")
    return path


def node_id(suite: Suite, nodeid: str) -> str:
    """A node id independent of where the tests sit (for `--pyargs`, from the package name)."""
    nodeid = nodeid.replace(os.sep, "/")
    if suite.source == "wheel":
        package = suite.tests[0].replace(".", "/") + "/"
        at = nodeid.find(package)
        if at >= 0:
            return nodeid[at:]
    return nodeid


def start(
    world: World, side: Side, suite: Suite, plain: bool = False
) -> tuple[subprocess.Popen[str], Path]:
    """Starts the suite on one side; `plain`: as `python -m pytest` even on the wheel side."""
    where = world.root / "runs" / (side.label + ("-plain" if plain else "")) / suite.id
    paths = copy_tests(suite, where)
    result = where / "suite-result.json"
    prefixes = side.prefixes
    env = dict(side.env)
    if side.label == "wheel":
        cache = env["WHEELHOOK_CACHE"] + os.sep
        prefixes = [str(w) + os.sep for w in side.wheels.values()] + [cache]
        if suite.unpack:
            env["WHEELHOOK_UNPACK"] = normalise(suite.name)
    config = {
        "result": str(result),
        "dist": suite.name,
        "version": suite.new,
        "modules": list(suite.modules),
        "native": list(suite.native),
        "markers": list(suite.markers),
        "hypothesis": suite.hypothesis,
        "prefixes": prefixes,
        "watch": sorted({s.name for s in TABLE}),
        "watch_modules": sorted({m.partition(".")[0] for s in TABLE for m in s.modules}),
    }
    (where / "suite-probe.json").write_text(json.dumps(config))
    env["SUITE_PROBE"] = str(where / "suite-probe.json")
    pytest_args = ["-m", "pytest", "-p", "suite_probe", "-p", "no:cacheprovider", "-q"]
    pytest_args += ["-c", str(ini_file(where)), "--rootdir", str(where)]
    pytest_args += ["--tb=short", *suite.args]
    if suite.hypothesis:
        pytest_args.append("--hypothesis-seed=0")
    for node in suite.deselect:
        pytest_args += ["--deselect", node]
    pytest_args += paths
    if side.label == "wheel" and not plain:
        cmd = [str(side.python), "-m", "wheelhook", "run"]
        for pin in NEW_PINS:
            cmd += ["--with", pin]
        cmd += pytest_args
    else:
        cmd = [str(side.python), *pytest_args]
    (where / "suite-command.txt").write_text(" ".join(cmd) + "\n")
    with open(where / "suite-output.txt", "w") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen(
            cmd, cwd=where, env=env, stdout=log, stderr=subprocess.STDOUT, text=True
        )
    return proc, where


def finish(proc: subprocess.Popen[str], where: Path) -> dict[str, object]:
    try:
        proc.wait(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise
    result = where / "suite-result.json"
    output = (where / "suite-output.txt").read_text(errors="replace")
    tail = "\n".join(output.splitlines()[-40:])
    assert result.is_file(), f"no probe result in {where} (exit {proc.returncode}):\n{tail}"
    data: dict[str, object] = json.loads(result.read_text())
    data["returncode"] = proc.returncode
    data["tail"] = tail
    return data


def check_probe(side: Side, suite: Suite, data: dict[str, object], prefixes: list[str]) -> None:
    probe = data["probe"]
    assert isinstance(probe, dict)
    assert probe.get("ok"), f"{side.label}: the probe failed:\n{data['tail']}"
    assert probe["version"] == suite.new
    for name, info in probe["modules"].items():
        assert any(info["file"].startswith(p) for p in prefixes), (side.label, name, info)
    for name in suite.native:  # a compiled extension, not a pure-Python fallback
        file = probe["modules"][name]["file"]
        assert file.endswith((".so", ".pyd")), (side.label, name, file)


@pytest.mark.parametrize(
    "suite",
    [pytest.param(s, id=s.id, marks=[pytest.mark.suites] if s.slow else []) for s in TABLE],
)
def test_suite_same_outcomes_from_wheel(world: World, suite: Suite) -> None:
    runs = {side.label: start(world, side, suite) for side in (world.wheel, world.installed)}
    data = {label: finish(*pair) for label, pair in runs.items()}
    wheel, installed = data["wheel"], data["installed"]

    # The probes: each side imported NEW, the wheel side from the dropped wheel (or the cache).
    cache = world.wheel.env["WHEELHOOK_CACHE"] + os.sep
    dropped = str(world.wheel.wheels[suite.name]) + os.sep
    check_probe(world.wheel, suite, wheel, [dropped, cache])
    check_probe(world.installed, suite, installed, world.installed.prefixes)
    assert wheel["probe"]["versions"] == installed["probe"]["versions"]  # type: ignore[index]
    # Nothing of the suites' packages the run loaded came from the OLD versions installed
    # beside the wheels (aliases such as `six.moves` name standard-library files).
    wheel_prefixes = [str(w) + os.sep for w in world.wheel.wheels.values()] + [cache]
    installed_old = str(world.wheel.site_packages) + os.sep
    strays = {
        name: file
        for name, file in wheel["finish"].items()  # type: ignore[attr-defined]
        if file is not None
        and file.startswith(installed_old)
        and not any(file.startswith(p) for p in wheel_prefixes)
    }
    assert not strays, f"modules loaded from outside the dropped wheels: {strays}"

    a = {node_id(suite, k): v for k, v in wheel["outcomes"].items()}  # type: ignore[attr-defined]
    b = {node_id(suite, k): v for k, v in installed["outcomes"].items()}  # type: ignore[attr-defined]
    assert any(v == "passed" for v in b.values()), f"no test passed:\n{installed['tail']}"
    for node, cause in suite.differs.items():
        assert a.get(node) != b.get(node), f"{node} no longer differs ({cause}): remove it"
        a.pop(node, None)
        b.pop(node, None)
    only = {
        node: (a.get(node, "absent"), b.get(node, "absent"))
        for node in sorted(set(a) | set(b))
        if a.get(node) != b.get(node)
    }
    assert not only, (
        f"{len(only)} node(s) differ (wheel, installed): "
        + json.dumps(dict(list(only.items())[:30]), indent=1)
        + f"\n--- wheel run:\n{wheel['tail']}"
    )
    assert wheel["exitstatus"] == installed["exitstatus"]
    counts: dict[str, int] = {}
    for outcome in b.values():
        counts[outcome] = counts.get(outcome, 0) + 1
    FIGURES[suite.id] = " ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))


def test_probe_stops_a_run_of_the_installed_version(world: World) -> None:
    """Without wheelhook, the wheel venv's plain `python -m pytest` would test the OLD version
    installed there: the probe stops that run before any test, and says what it saw."""
    suite = next(s for s in TABLE if s.name == "six")
    data = finish(*start(world, world.wheel, suite, plain=True))
    assert data["returncode"] == 4, data["tail"]
    probe = data["probe"]
    assert isinstance(probe, dict)
    assert not probe["ok"]
    assert probe["version"] == suite.old
    file = probe["modules"]["six"]["file"]
    assert file == str(world.wheel.site_packages / "six.py")
    assert f"six was imported from {file}" in str(data["tail"])
    assert data["outcomes"] == {}
