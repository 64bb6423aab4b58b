"""`wheelhook run`, PEP 723 and children without site-wide activation, in the six venv
(six 1.16.0 installed; the six 1.15.0 wheel in a `WHEELHOOK_PATH` store)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import Env, WheelSpec, build_wheel, new_env, pypi_wheel

SHOW = (
    "import json, sys, six\n"
    "print(json.dumps({'six': six.__version__, 'argv': sys.argv, 'name': __name__}))\n"
)


@pytest.fixture
def six_store(store: Path) -> dict[str, str]:
    wheel = pypi_wheel("six==1.15.0")
    (store / wheel.name).write_bytes(wheel.read_bytes())
    return {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(store.parent / "cache")}


def test_run_with_file_module_and_code(
    six_env: Env, tmp_path: Path, six_store: dict[str, str]
) -> None:
    script = tmp_path / "prog.py"
    script.write_text(SHOW + "raise SystemExit(7)\n")
    proc = six_env.run_args(
        "-m",
        "wheelhook",
        "run",
        "--with",
        "six==1.15.0",
        str(script),
        "-v",
        "x",
        env=six_store,
        check=False,
    )
    assert proc.returncode == 7, proc.stderr
    assert json.loads(proc.stdout) == {
        "six": "1.15.0",
        "argv": [str(script), "-v", "x"],
        "name": "__main__",
    }

    (tmp_path / "tool.py").write_text(SHOW)
    proc = six_env.run_args(
        "-m",
        "wheelhook",
        "run",
        "--with=six<1.16",
        "-m",
        "tool",
        "--help",
        env=six_store,
        cwd=tmp_path,
    )
    assert json.loads(proc.stdout) == {
        "six": "1.15.0",
        "argv": [str(tmp_path / "tool.py"), "--help"],
        "name": "__main__",
    }

    proc = six_env.run_args(
        "-m", "wheelhook", "run", "--with", "six==1.15.0", "-c", SHOW, "a", env=six_store
    )
    assert json.loads(proc.stdout) == {"six": "1.15.0", "argv": ["-c", "a"], "name": "__main__"}

    # No requirement: the default, as plain python would give.
    proc = six_env.run_args("-m", "wheelhook", "run", str(script), env=six_store, check=False)
    assert json.loads(proc.stdout)["six"] == "1.16.0"


def test_run_reads_requires_and_pep723(
    six_env: Env, tmp_path: Path, six_store: dict[str, str]
) -> None:
    script = tmp_path / "declared.py"
    script.write_text('__requires__ = ["six==1.15.0"]\n' + SHOW)
    proc = six_env.run_args("-m", "wheelhook", "run", str(script), env=six_store)
    assert json.loads(proc.stdout)["six"] == "1.15.0"

    # A module's own __requires__ (only known when it runs) is activated at its first import.
    (tmp_path / "declmod.py").write_text('__requires__ = "six<1.16"\n' + SHOW)
    proc = six_env.run_args("-m", "wheelhook", "run", "-m", "declmod", env=six_store, cwd=tmp_path)
    assert json.loads(proc.stdout)["six"] == "1.15.0"

    block = (
        '# /// script\n# requires-python = ">=3.9"\n'
        '# dependencies = [\n#   "six==1.15.0",\n# ]\n# ///\n'
    )
    script = tmp_path / "inline.py"
    script.write_text(block + SHOW)
    proc = six_env.run_args("-m", "wheelhook", "run", str(script), env=six_store)
    assert json.loads(proc.stdout)["six"] == "1.15.0"
    # The same script with `import wheelhook` and plain python (no site-wide activation).
    script.write_text(block + "import wheelhook\n" + SHOW)
    assert json.loads(six_env.run_args(str(script), env=six_store).stdout)["six"] == "1.15.0"


@pytest.mark.parametrize(
    ("block", "code", "message"),
    [
        ('# requires-python = ">=3.9, <3.0"\n', 1, "requires Python >=3.9, <3.0"),
        ('# dependencies = ["six==9.9"]\n', 1, "six==9.9"),
        ('# dependencies = "six"\n', 2, "`dependencies` must be a list of strings"),
        ("# dependencies = [\n", 2, "not valid TOML"),
    ],
)
def test_run_errors(
    six_env: Env, tmp_path: Path, six_store: dict[str, str], block: str, code: int, message: str
) -> None:
    script = tmp_path / "bad.py"
    script.write_text(f"# /// script\n{block}# ///\nprint('ran')\n")
    proc = six_env.run_args("-m", "wheelhook", "run", str(script), env=six_store, check=False)
    assert proc.returncode == code
    assert proc.stderr.startswith("wheelhook: ") and message in proc.stderr
    assert "Traceback" not in proc.stderr and "ran" not in proc.stdout


#: What a module run with `-m` prints: six's version and what `python -m` sets.
MAIN = (
    "import json, sys, six\n"
    "print(json.dumps({'six': six.__version__, 'argv': sys.argv, 'name': __name__, "
    "'file': __file__}))\n"
)
BLOCK = '# /// script\n# dependencies = ["six==1.15.0"]\n# ///\n'


@pytest.mark.parametrize(
    ("files", "module", "member", "code"),
    [
        pytest.param(
            {"tool/__init__.py": "", "tool/__main__.py": MAIN + "raise SystemExit(3)\n"},
            "tool",
            "tool/__main__.py",
            3,
            id="package-main",
        ),
        pytest.param({"tool.py": MAIN}, "tool", "tool.py", 0, id="single-module"),
        pytest.param(
            {"tool/__init__.py": "", "tool/cli.py": MAIN}, "tool.cli", "tool/cli.py", 0, id="dotted"
        ),
        # The package imports six itself: the `__requires__` of its `__main__` must be active
        # before the package is imported, as it is read (through the loader) before it runs.
        pytest.param(
            {
                "tool/__init__.py": "import six\n",
                "tool/__main__.py": '__requires__ = ["six==1.15.0"]\n' + MAIN,
            },
            "tool",
            "tool/__main__.py",
            0,
            id="main-declares-requires",
        ),
        pytest.param(
            {"tool/__init__.py": "import six\n", "tool/__main__.py": BLOCK + MAIN},
            "tool",
            "tool/__main__.py",
            0,
            id="main-pep723",
        ),
    ],
)
def test_run_module_served_from_a_wheel(
    six_env: Env,
    tmp_path: Path,
    six_store: dict[str, str],
    store: Path,
    files: dict[str, str | bytes],
    module: str,
    member: str,
    code: int,
) -> None:
    wheel = build_wheel(WheelSpec("tool", "1.0", files=dict(files)), store)
    # The module's own declaration, else --with, asks for six 1.15.0.
    main = str(files.get("tool/__main__.py", ""))
    declared = "__requires__" in main or "# /// script" in main
    with_ = ["--with", "tool==1.0"] + ([] if declared else ["--with", "six==1.15.0"])
    # From the archive, where the module's source is read through its loader (the automatic
    # choice would serve this wheel unpacked, since its code uses `__file__`).
    archive = {**six_store, "WHEELHOOK_UNPACK": "-tool"}
    proc = six_env.run_args(
        "-m", "wheelhook", "run", *with_, "-m", module, "a", "--b", env=archive, check=False
    )
    assert proc.returncode == code, proc.stderr
    got = json.loads(proc.stdout)
    # As `python -m`: the module's file (inside the wheel) in argv[0], the arguments after it.
    assert got == {
        "six": "1.15.0",
        "argv": [f"{wheel}/{member}", "a", "--b"],
        "name": "__main__",
        "file": f"{wheel}/{member}",
    }


@pytest.mark.parametrize("launcher", ["python -m wheelhook", "wheelhook script"])
def test_run_module_declaration_is_active_before_its_package(
    six_env: Env, tmp_path: Path, six_store: dict[str, str], launcher: str
) -> None:
    # A package in the working directory that imports six itself; its `__main__` pins another
    # six. `python -m` would import the package (and the installed six) first.
    (tmp_path / "pinned").mkdir()
    (tmp_path / "pinned" / "__init__.py").write_text("import six\n")
    (tmp_path / "pinned" / "__main__.py").write_text('__requires__ = "six==1.15.0"\n' + MAIN)
    cmd = (
        ["-m", "wheelhook"]
        if launcher == "python -m wheelhook"
        else [str(six_env.python.parent / "wheelhook")]
    )
    proc = six_env.run_args(*cmd, "run", "-m", "pinned", env=six_store, cwd=tmp_path)
    assert json.loads(proc.stdout)["six"] == "1.15.0"


@pytest.fixture(scope="module")
def flakes_env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    """pyflakes 3.2.0 installed normally; the 3.0.1 wheel is in the store (`WHEELHOOK_PATH`)."""
    return new_env(tmp_path_factory.mktemp("flakes") / "venv", str(pypi_wheel("pyflakes==3.2.0")))


@pytest.fixture
def flakes_store(store: Path) -> dict[str, str]:
    wheel = pypi_wheel("pyflakes==3.0.1")
    (store / wheel.name).write_bytes(wheel.read_bytes())
    return {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(store.parent / "cache")}


def test_run_module_real_pyflakes_from_its_wheel(
    flakes_env: Env, tmp_path: Path, flakes_store: dict[str, str]
) -> None:
    (tmp_path / "unused.py").write_text("import os\n")
    (tmp_path / "clean.py").write_text("print(1)\n")
    run = ("-m", "wheelhook", "run", "--with", "pyflakes==3.0.1", "-m", "pyflakes")

    plain = flakes_env.run_args("-m", "pyflakes", "--version", env=flakes_store)
    assert plain.stdout.startswith("3.2.0 ")
    proc = flakes_env.run_args(*run, "--version", env=flakes_store)
    assert proc.stdout.startswith("3.0.1 "), proc.stderr
    # Its exit codes pass through: 1 with a warning, 0 without.
    proc = flakes_env.run_args(*run, "unused.py", env=flakes_store, cwd=tmp_path, check=False)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == "unused.py:1:1: 'os' imported but unused\n"
    proc = flakes_env.run_args(*run, "clean.py", env=flakes_store, cwd=tmp_path, check=False)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def test_run_without_program_is_bad_input(six_env: Env) -> None:
    proc = six_env.run_args("-m", "wheelhook", "run", "--with", "six", check=False)
    assert proc.returncode == 2 and "exactly one of FILE, -m MODULE or -c CODE" in proc.stderr
    proc = six_env.run_args("-m", "wheelhook", "run", "/nonexistent/prog.py", check=False)
    assert proc.returncode == 2 and "/nonexistent/prog.py" in proc.stderr


CHILDREN = """
import json, multiprocessing, os, subprocess, sys
{head}

def version():
    import six
    return six.__version__

if __name__ == "__main__":
    {main}
    out = {{"parent": version()}}
    for method in ("spawn", "forkserver"):
        with multiprocessing.get_context(method).Pool(1) as pool:
            out[method] = pool.apply(version)
    out["subprocess"] = subprocess.run(
        [sys.executable, "-c", "import wheelhook, six; print(six.__version__)"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    print(json.dumps(out))
"""

SAME = {"parent": "1.15.0", "spawn": "1.15.0", "forkserver": "1.15.0", "subprocess": "1.15.0"}


def test_children_without_sitewide(six_env: Env, tmp_path: Path, six_store: dict[str, str]) -> None:
    # require() only under `if __name__ == "__main__":`: the children never import wheelhook
    # before they unpickle the work, yet they get the parent's six.
    script = tmp_path / "kids.py"
    script.write_text(
        CHILDREN.format(head="", main='import wheelhook; wheelhook.require("six==1.15.0")')
    )
    assert json.loads(six_env.run_args(str(script), env=six_store).stdout) == SAME
    # `wheelhook run --with` on a program that never mentions wheelhook.
    script.write_text(CHILDREN.format(head="", main="pass"))
    proc = six_env.run_args(
        "-m", "wheelhook", "run", "--with", "six==1.15.0", str(script), env=six_store
    )
    assert json.loads(proc.stdout) == SAME
