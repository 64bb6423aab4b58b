"""Site-wide activation end to end in a fresh venv: six 1.16.0 installed, the six 1.15.0 wheel
dropped into site-packages, `enable` writing the `.pth` file, `disable` undoing it exactly."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest
from helpers import ROOT, Env, WheelSpec, build_wheel, new_env, pypi_wheel

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

SHOW = """
import json, sys
import six
print(json.dumps({"six": six.__version__, "native": "wheelhook._native" in sys.modules}))
"""

CHILDREN = """
__requires__ = ["six==1.15.0"]
import json, multiprocessing, os, subprocess, sys

def version():
    import six
    return six.__version__

if __name__ == "__main__":
    out = {"parent": version(), "env": os.environ.get("WHEELHOOK_REQUIRES")}
    for method in ("spawn", "forkserver"):
        with multiprocessing.get_context(method).Pool(1) as pool:
            out[method] = pool.apply(version)
    out["subprocess"] = subprocess.run(
        [sys.executable, "-c", "import six; print(six.__version__)"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    print(json.dumps(out))
"""


def tree_hashes(root: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in sorted(root.rglob("*")):
        if p.is_symlink():
            out[str(p.relative_to(root))] = "-> " + str(p.readlink())
        elif p.is_file():
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
        else:
            out[str(p.relative_to(root))] = "dir"
    return out


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    env = new_env(tmp_path_factory.mktemp("sitewide") / "venv", str(pypi_wheel("six==1.16.0")))
    env.run_args("-m", "wheelhook", "drop", str(pypi_wheel("six==1.15.0")))
    return env


def run(env: Env, tmp_path: Path, source: str, *args: str, **kw: object) -> dict[str, object]:
    script = tmp_path / "prog.py"
    script.write_text(source)
    proc = env.run_args(str(script), *args, env={"WHEELHOOK_CACHE": str(tmp_path / "cache")}, **kw)  # type: ignore[arg-type]
    return json.loads(proc.stdout)


def test_enable_activates_every_path_and_disable_restores_the_venv(
    env: Env, tmp_path: Path
) -> None:
    site = env.site_packages
    (site / "sitecustomize.py").write_text("import os\nos.environ['SITECUSTOMIZE_RAN'] = '1'\n")
    # The interpreter caches sitecustomize's bytecode at its first start: let that happen
    # before the snapshot, so the comparison sees only what enable/disable did.
    env.run_args("-c", "pass")
    before = tree_hashes(env.root)
    cache = {"WHEELHOOK_CACHE": str(tmp_path / "cache")}

    out = env.run_args("-m", "wheelhook", "enable")
    assert f"enabled: {site / 'wheelhook-activate.pth'}" in out.stdout
    assert "already enabled" in env.run_args("-m", "wheelhook", "enable").stdout

    # `__requires__` alone, no `import wheelhook`; the existing sitecustomize still runs.
    got = run(
        env,
        tmp_path,
        '__requires__ = ["six==1.15.0"]\nimport os\n'
        + SHOW.replace(
            '"native"', '"sitecustomize": os.environ.get("SITECUSTOMIZE_RAN"), "native"'
        ),
    )
    assert got == {"six": "1.15.0", "sitecustomize": "1", "native": True}
    # Nothing declared: the default, and the extension module is never loaded.
    assert run(env, tmp_path, SHOW) == {"six": "1.16.0", "native": False}
    # WHEELHOOK_DISABLE=1 turns it off for one run.
    script = tmp_path / "req.py"
    script.write_text('__requires__ = ["six==1.15.0"]\n' + SHOW)
    proc = env.run_args(str(script), env={**cache, "WHEELHOOK_DISABLE": "1"})
    assert json.loads(proc.stdout) == {"six": "1.16.0", "native": False}
    # python -c and python -m see it too.
    proc = env.run_args("-c", '__requires__ = "six<1.16"\n' + SHOW, env=cache)
    assert json.loads(proc.stdout)["six"] == "1.15.0"
    (tmp_path / "pkgmain.py").write_text('__requires__ = "six<1.16"\n' + SHOW)
    proc = env.run_args("-m", "pkgmain", env=cache, cwd=tmp_path)
    assert json.loads(proc.stdout)["six"] == "1.15.0"

    # A PEP 723 block, the script run directly.
    block = '# /// script\n# dependencies = ["six==1.15.0"]\n# requires-python = ">=3.9"\n# ///\n'
    assert run(env, tmp_path, block + SHOW)["six"] == "1.15.0"
    script = tmp_path / "old.py"
    script.write_text(block.replace(">=3.9", "<3") + SHOW)
    proc = env.run_args(str(script), env=cache, check=False)
    assert proc.returncode == 1
    assert proc.stderr.startswith("wheelhook: ") and "requires Python <3" in proc.stderr
    assert "Traceback" not in proc.stderr

    # Children: spawn, forkserver and a subprocess of sys.executable get the parent's version.
    got = run(env, tmp_path, CHILDREN)
    assert got == {
        "parent": "1.15.0",
        "env": "six==1.15.0",
        "spawn": "1.15.0",
        "forkserver": "1.15.0",
        "subprocess": "1.15.0",
    }

    out = env.run_args("-m", "wheelhook", "disable")
    assert "disabled: removed" in out.stdout
    assert "not enabled" in env.run_args("-m", "wheelhook", "disable").stdout
    assert run(env, tmp_path, '__requires__ = ["six==1.15.0"]\n' + SHOW)["six"] == "1.16.0"
    assert tree_hashes(env.root) == before


def test_enable_user_is_refused_in_a_venv(env: Env) -> None:
    proc = env.run_args("-m", "wheelhook", "enable", "--user", check=False)
    assert proc.returncode == 2
    assert "user site directory is disabled" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_disable_leaves_a_foreign_file(env: Env) -> None:
    pth = env.site_packages / "wheelhook-activate.pth"
    pth.write_text("# someone else's\n")
    try:
        proc = env.run_args("-m", "wheelhook", "disable", check=False)
        assert proc.returncode == 2
        assert "not written by wheelhook" in proc.stderr
        assert pth.read_text() == "# someone else's\n"
    finally:
        pth.unlink()


# Every way a program starts, with site-wide activation on and the requirement coming only from
# the environment: `reach` (installed normally) imports six only inside a function, and its
# `__main__` imports nothing new (runpy imported the package already), as pytest's does.
REACH = {
    "reach/__init__.py": (
        "import json, sys\n\n"
        "def main():\n"
        "    import six\n"
        "    report = {'six': six.__version__, 'native': 'wheelhook._native' in sys.modules}\n"
        "    print(json.dumps(report))\n"
    ),
    "reach/__main__.py": "from reach import main\nmain()\n",
    "reach-1.0.dist-info/entry_points.txt": "[console_scripts]\nreach = reach:main\n",
}
CALL = "from reach import main\nmain()\n"
#: pytest and its dependencies, exactly as the test command pins them for this interpreter.
PYTEST_LOCK = ROOT / "scripts" / "lock" / "pytest.txt"

#: How each way starts: the command after the interpreter (`{bin}`: the venv's scripts; `{dir}`:
#: a scratch directory holding `prog.py` = CALL and `test_reach.py`) and what goes to stdin.
WAYS = {
    "file": (["{dir}/prog.py"], None),
    "-m package": (["-m", "reach"], None),
    "-m pytest": (["-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "{dir}"], None),
    "-c": (["-c", CALL], None),
    "console script": (["{bin}/reach"], None),
    "console script pytest": (
        ["{bin}/pytest", "-q", "-s", "-p", "no:cacheprovider", "{dir}"],
        None,
    ),
    "REPL": (["-i"], CALL),
    "stdin": (["-"], CALL),
    "runpy.run_module": (
        ["-c", "import runpy; runpy.run_module('reach', run_name='__main__')"],
        None,
    ),
    "runpy.run_path": (
        ["-c", "import runpy; runpy.run_path('{dir}/prog.py', run_name='__main__')"],
        None,
    ),
}


@pytest.fixture(scope="module")
def reach_env(env: Env, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """`env` with `reach` and pytest installed normally and site-wide activation enabled."""
    wheel = build_wheel(WheelSpec("reach", "1.0", files=dict(REACH)), tmp_path_factory.mktemp("w"))
    env.pip("--no-deps", "--require-hashes", "-r", str(PYTEST_LOCK))
    env.pip("--no-deps", str(wheel))
    env.run_args("-m", "wheelhook", "enable")
    yield env
    env.run_args("-m", "wheelhook", "disable")
    subprocess.run([str(env.python), "-m", "pip", "uninstall", "-q", "-y", "reach"], check=True)


def start(
    env: Env, way: str, directory: Path, extra: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Starts the program `way` names in `env`, as a user would (a console script runs by its
    own `#!` line)."""
    (directory / "prog.py").write_text(CALL)
    (directory / "test_reach.py").write_text(
        f"def test_reach():\n    {CALL.replace(chr(10), '; ')}\n"
    )
    args, stdin = WAYS[way]
    argv = [a.format(bin=env.python.parent, dir=directory) for a in args]
    if not argv[0].startswith(str(env.python.parent)):
        argv.insert(0, str(env.python))
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("WHEELHOOK_")}
    full_env.pop("PYTHONPATH", None)
    full_env.update(WHEELHOOK_CACHE=str(directory / "cache"), **extra)
    return subprocess.run(
        argv, input=stdin, capture_output=True, text=True, env=full_env, cwd=directory
    )


def reported(proc: subprocess.CompletedProcess[str]) -> object:
    """What `reach.main` printed (pytest and the REPL print around it)."""
    lines = [line for line in proc.stdout.splitlines() if "{" in line]
    assert len(lines) == 1, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return json.loads(lines[0][lines[0].index("{") :])


@pytest.mark.parametrize("way", list(WAYS))
def test_environment_requirements_reach_every_way_a_program_starts(
    reach_env: Env, tmp_path: Path, way: str
) -> None:
    proc = start(reach_env, way, tmp_path, {"WHEELHOOK_REQUIRES": "six==1.15.0"})
    assert proc.returncode == 0, proc.stderr
    assert reported(proc) == {"six": "1.15.0", "native": True}
    # Nothing declared: the default, and the extension module is never loaded.
    proc = start(reach_env, way, tmp_path, {})
    assert proc.returncode == 0, proc.stderr
    assert reported(proc) == {"six": "1.16.0", "native": False}


@pytest.mark.parametrize("way", list(WAYS))
def test_environment_requirement_that_cannot_be_met_ends_every_way(
    reach_env: Env, tmp_path: Path, way: str
) -> None:
    proc = start(reach_env, way, tmp_path, {"WHEELHOOK_REQUIRES": "six==9.9"})
    assert proc.returncode == 1
    assert 'wheelhook: No distribution satisfies "six==9.9"' in proc.stderr
    # One paragraph: no traceback, nothing from the interpreter's start-up, the program never ran.
    assert "Traceback" not in proc.stderr and "runpy" not in proc.stderr
    assert '"six"' not in proc.stdout
