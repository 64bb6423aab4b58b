"""`wheelhook tool`: console scripts run straight from wheels in the store, as uvx runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import Env, WheelSpec, build_wheel, new_env, pypi_wheel

#: Real scripts, two versions side by side, and flake8 with what it needs.
REAL = [
    "pycodestyle==2.11.1",
    "pycodestyle==2.12.1",
    "pyflakes==3.0.1",
    "pyflakes==3.2.0",
    "flake8==7.0.0",
    "mccabe==0.7.0",
]

PROBE = """
import json, sys

def main():
    import with_dep
    heavy = [m for m in ("argparse", "importlib.metadata", "wheelhook._cli") if m in sys.modules]
    print(json.dumps({"argv": sys.argv, "with": getattr(with_dep, "V", None), "heavy": heavy}))
    return int(sys.argv[-1]) if sys.argv[-1].isdigit() else 0

def fails():
    raise RuntimeError("the tool broke")

def quits():
    sys.exit("a message and exit 1")

def window():
    print("gui", sys.argv[0])
"""


def probe_spec() -> WheelSpec:
    return WheelSpec(
        "probe-tool",
        "1.0",
        {
            "probe_tool.py": PROBE,
            "probe_tool-1.0.dist-info/entry_points.txt": (
                "[console_scripts]\n"
                "probe = probe_tool:main\n"
                "probe-fails = probe_tool:fails\n"
                "probe-quits = probe_tool:quits\n"
                "probe-extra = probe_tool:main [more]\n"
                "[gui_scripts]\n"
                "probe-gui = probe_tool:window\n"
            ),
        },
        requires=["with-dep>=1", "nowhere-dep; extra == 'more'"],
        extras=["more"],
    )


@pytest.fixture(scope="module")
def tool_env(tmp_path_factory: pytest.TempPathFactory) -> tuple[Env, Path]:
    """A venv with only wheelhook; the real wheels and the probe in a store directory."""
    root = tmp_path_factory.mktemp("tool")
    store = root / "store"
    store.mkdir()
    for req in REAL:
        wheel = pypi_wheel(req)
        (store / wheel.name).write_bytes(wheel.read_bytes())
    build_wheel(probe_spec(), store)
    build_wheel(WheelSpec("with-dep", "1.0", {"with_dep.py": "V = 1\n"}), store)
    build_wheel(WheelSpec("with-dep", "2.0", {"with_dep.py": "V = 2\n"}), store)
    (root / "bad.py").write_text("import os\nx=1\n")
    return new_env(root / "venv"), store


def tool(env: Env, store: Path, *args: str) -> tuple[int, str, str]:
    proc = env.run_args(
        "-m", "wheelhook", "tool", *args, env={"WHEELHOOK_PATH": str(store)}, check=False
    )
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("pycodestyle==2.11.1", "2.11.1"),
        ("pycodestyle@2.12.1", "2.12.1"),
        ("pycodestyle", "2.12.1"),
        ("pyflakes==3.0.1", "3.0.1"),
    ],
)
def test_real_scripts_by_version(tool_env: tuple[Env, Path], name: str, version: str) -> None:
    env, store = tool_env
    code, out, err = tool(env, store, name, "--version")
    assert code == 0, err
    assert out.split()[0] == version


def test_exit_codes_of_real_scripts_pass_through(tool_env: tuple[Env, Path]) -> None:
    env, store = tool_env
    bad = str(env.root.parent / "bad.py")
    code, out, _ = tool(env, store, "pyflakes==3.0.1", bad)
    assert code == 1
    assert "'os' imported but unused" in out
    code, out, _ = tool(env, store, "pycodestyle==2.11.1", bad)
    assert code == 1
    assert "E225" in out


def test_dependencies_are_resolved_from_the_store(tool_env: tuple[Env, Path]) -> None:
    env, store = tool_env
    code, out, err = tool(env, store, "flake8==7.0.0", "--version")
    assert code == 0, err
    # flake8 reports the plugins it loaded: its own pins of pycodestyle and pyflakes.
    assert out.startswith("7.0.0 (mccabe: 0.7.0, pycodestyle: 2.11.1, pyflakes: 3.2.0)")
    bad = str(env.root.parent / "bad.py")
    code, out, _ = tool(env, store, "flake8==7.0.0", "--select=F401", bad)
    assert code == 1
    assert "F401 'os' imported but unused" in out


def test_argv_with_and_exit_code(tool_env: tuple[Env, Path]) -> None:
    env, store = tool_env
    code, out, err = tool(
        env, store, "--from", "probe-tool", "--with", "with-dep==1.0", "probe", "3"
    )
    assert code == 3, err
    got = json.loads(out)
    assert got["argv"] == ["probe", "3"]
    assert got["with"] == 1
    assert got["heavy"] == [], "the tool's start must not import the CLI or importlib.metadata"
    code, out, err = tool(env, store, "--from", "probe-tool==1.0", "probe", "--", "-x")
    assert code == 0, err
    assert json.loads(out)["argv"] == ["probe", "--", "-x"]
    assert json.loads(out)["with"] == 2, "the highest with-dep, as the requirement allows"


def test_exceptions_and_system_exit(tool_env: tuple[Env, Path]) -> None:
    env, store = tool_env
    code, _, err = tool(env, store, "--from", "probe-tool", "probe-fails")
    assert code == 1
    assert "Traceback" in err
    assert "RuntimeError: the tool broke" in err
    code, _, err = tool(env, store, "--from", "probe-tool", "probe-quits")
    assert code == 1
    assert err.strip() == "a message and exit 1"


def test_gui_scripts(tool_env: tuple[Env, Path]) -> None:
    env, store = tool_env
    code, out, err = tool(env, store, "--from", "probe-tool", "probe-gui")
    assert code == 0, err
    assert out.strip() == "gui probe-gui"


def test_unknown_script_lists_the_distribution_scripts(tool_env: tuple[Env, Path]) -> None:
    env, store = tool_env
    code, _, err = tool(env, store, "probe-tool")
    assert code == 2
    assert '"probe-tool" is not a script of the distribution probe-tool' in err
    assert "probe, probe-extra, probe-fails, probe-gui, probe-quits" in err
    code, _, err = tool(env, store, "with-dep")
    assert code == 2
    assert "it has no scripts" in err


def test_missing_distribution_names_the_add_command(tool_env: tuple[Env, Path]) -> None:
    env, store = tool_env
    code, _, err = tool(env, store, "--with", "with-dep==1.0", "no-such-tool==1.0")
    assert code == 1
    assert 'named "no-such-tool" was found' in err
    assert 'python -m wheelhook add "no-such-tool==1.0" "with-dep==1.0"' in err


def test_an_extra_the_script_needs_is_checked(tool_env: tuple[Env, Path]) -> None:
    env, store = tool_env
    code, out, err = tool(env, store, "--from", "probe-tool", "probe-extra")
    assert code == 1
    assert out == ""
    assert "nowhere-dep" in err


def test_version_with_from_is_refused(tool_env: tuple[Env, Path]) -> None:
    env, store = tool_env
    code, _, err = tool(env, store, "--from", "probe-tool", "probe==1.0")
    assert code == 2
    assert 'put the version in --from ("--from probe==1.0")' in err
