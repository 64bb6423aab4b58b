"""PEP 723 script blocks read by the extension (TOML and `requires-python`), and wheelhook
importing no distribution of the user's for its own needs, on the running Python and on 3.9."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import Env, new_env, pypi_wheel
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from wheelhook import _native, _pep723, errors


def pyenv_python(version: str) -> Path | None:
    """The pyenv interpreter `version` (Ex) `3.9.18`), when this machine has it."""
    root = os.environ.get("PYENV_ROOT")
    if root is None and shutil.which("pyenv"):
        root = subprocess.run(
            ["pyenv", "root"], capture_output=True, text=True, check=False
        ).stdout.strip()
    python = Path(root or Path.home() / ".pyenv") / "versions" / version / "bin" / "python3"
    return python if python.exists() else None


def env_for(python: Path | None, path: Path, *packages: str) -> Env:
    """A venv of `python` (the test interpreter's own when None) with wheelhook and `packages`."""
    if python is None:
        return new_env(path, *packages)
    env = new_env(path, python=python)
    if packages:
        env.pip("--no-deps", *packages)
    return env


DOCUMENTS = [
    'requires-python = ">=3.9"\ndependencies = [\n  "six==1.15.0",\n  \'rich>=13\',\n]\n',
    "[tool.uv]\nexclude-newer = 2024-03-25T00:00:00Z\n",
    "a = 0x1F\nb = 0o17\nc = 0b101\nd = -17\ne = 1_000\n",
    "f = 3.5e-2\ng = -inf\nh = nan\ni = +0.0\n",
    't = { x = 1, "quoted key" = [true, false] }\n[[arr]]\nn = 1\n[[arr]]\nn = 2\n',
    's = """\nmulti\\tline"""\nlit = \'C:\\path\'\nu = "\\u00e9"\n',
    "",
]


def _tomllib_loads(text: str) -> object:
    if sys.version_info < (3, 11):
        pytest.skip("tomllib (the reference) is 3.11+")
    import tomllib

    return tomllib.loads(text)


def _same(a: object, b: object) -> bool:
    """Equality, NaN equal to itself, datetimes compared as their RFC 3339 text."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, str) and not isinstance(b, str):
        return a == b.isoformat().replace("+00:00", "Z")  # type: ignore[attr-defined]
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("text", DOCUMENTS)
def test_ok_toml_matches_tomllib(text: str) -> None:
    parsed = _native.parse_toml(text)
    assert _same(parsed, _tomllib_loads(text)), parsed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("dependencies = [\n", "unclosed array"),
        ("a = 1\na = 2\n", "duplicate key (at line 2, column 1)"),
        ('a = "x', "(at line 1, column 7)"),
        ("a = 9223372036854775808\n", "out of range"),
        ("[t]\n[t]\n", "(at line 2, column"),
    ],
)
def test_err_toml(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _native.parse_toml(text)
    # The reference refuses them too (it reads integers of any size, TOML caps them at 64 bits).
    if sys.version_info >= (3, 11) and "9223372036854775808" not in text:
        import tomllib

        with pytest.raises(tomllib.TOMLDecodeError):
            tomllib.loads(text)
    script = tmp_path / "bad.py"
    block = "".join(f"# {line}\n" for line in text.splitlines())
    script.write_text(f"# /// script\n{block}# ///\n")
    with pytest.raises(errors.ScriptMetadataError) as caught:
        _pep723.script_requirements(str(script))
    assert str(caught.value).startswith(f"{script}: the PEP 723 `script` block is not valid TOML: ")


RUNNING = Version(".".join(map(str, sys.version_info[:3])))


@pytest.mark.parametrize(
    "specifier",
    [
        ">=3.9",
        ">=3.9, <3.0",
        f"=={RUNNING.major}.{RUNNING.minor}.*",
        f"!={RUNNING.major}.{RUNNING.minor}.*",
        f"~={RUNNING.major}.{RUNNING.minor}",
        f"~={RUNNING.major}.{RUNNING.minor}.0",
        f">{RUNNING.major}.{RUNNING.minor}",
        f"<{RUNNING.major}.{RUNNING.minor}.{RUNNING.micro}rc1",
        f"==={RUNNING}",
        f">={RUNNING.major}.{RUNNING.minor + 1}.0a1",
        "<4",
        "",
    ],
)
def test_ok_requires_python_matches_packaging(specifier: str) -> None:
    expected = SpecifierSet(specifier).contains(RUNNING, prereleases=True)
    assert _native.python_satisfies(specifier) is expected


def test_err_requires_python(tmp_path: Path) -> None:
    script = tmp_path / "s.py"
    script.write_text('# /// script\n# requires-python = ">= three"\n# ///\n')
    with pytest.raises(errors.ScriptMetadataError, match=r"s\.py: `requires-python`: "):
        _pep723.script_requirements(str(script))
    script.write_text('# /// script\n# requires-python = "<3"\n# ///\n')
    with pytest.raises(errors.UnsupportedPython, match=r"requires Python <3 \(its PEP 723"):
        _pep723.script_requirements(str(script))


# What a program sees after activating: the activated distribution's version, and every
# third-party top-level module in `sys.modules` beyond what the interpreter had at its start.
REPORT = """
import importlib.metadata, json, os, sys, sysconfig
def stdlib():
    names = getattr(sys, "stdlib_module_names", None)
    if names is not None:
        return set(names)
    # 3.9: the built-ins, and the top-level modules that live in the standard library.
    found = set(sys.builtin_module_names)
    roots = {os.path.realpath(sysconfig.get_paths()[k]) for k in ("stdlib", "platstdlib")}
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and any(os.path.realpath(file).startswith(r + os.sep) for r in roots):
            if "site-packages" not in file:
                found.add(name.partition(".")[0])
    return found
tops = {n.partition(".")[0] for n in list(sys.modules)}
print(json.dumps({
    "tomli": importlib.metadata.version("tomli"),
    "file": sys.modules["tomli"].__file__ if "tomli" in sys.modules else None,
    "third_party": sorted(tops - stdlib() - set(json.loads(os.environ["AT_START"]))),
}))
"""


def _at_start(env: Env) -> str:
    """The top-level modules this interpreter holds before any script runs (site, .pth files)."""
    proc = env.run_args(
        "-c",
        "import json, sys; print(json.dumps(sorted({n.partition('.')[0] for n in sys.modules})))",
        env={"WHEELHOOK_DISABLE": "1"},
    )
    return proc.stdout.strip()


@pytest.mark.parametrize("python", [None, "3.9.18"], ids=["running", "3.9"])
def test_ok_script_needs_another_tomli(tmp_path: Path, python: str | None) -> None:
    """tomli 2.0.1 installed, tomli 1.2.3 in the store: a PEP 723 script asking for 1.2.3 gets
    it (wheelhook read the block without tomli), and nothing else of the user's is imported."""
    interpreter = None
    if python is not None:
        interpreter = pyenv_python(python)
        if interpreter is None:
            pytest.skip(f"no Python {python} on this machine (pyenv)")
    env = env_for(interpreter, tmp_path / "venv", str(pypi_wheel("tomli==2.0.1")))
    store = tmp_path / "store"
    store.mkdir()
    shutil.copy(pypi_wheel("tomli==1.2.3"), store)
    base = {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(tmp_path / "cache")}
    base["AT_START"] = _at_start(env)

    script = tmp_path / "needs.py"
    block = '# /// script\n# requires-python = ">=3.9"\n# dependencies = ["tomli==1.2.3"]\n# ///\n'
    script.write_text(block + "import tomli\n" + REPORT)
    runs = {
        "run": env.run_args("-m", "wheelhook", "run", str(script), env=base),
    }
    script_imported = tmp_path / "imported.py"
    script_imported.write_text(block + "import wheelhook, tomli\n" + REPORT)
    runs["plain python"] = env.run_args(str(script_imported), env=base)
    required = tmp_path / "required.py"
    required.write_text(
        "import wheelhook\nwheelhook.require('tomli==1.2.3')\nimport tomli\n" + REPORT
    )
    runs["require()"] = env.run_args(str(required), env=base)
    for how, proc in runs.items():
        report = json.loads(proc.stdout)
        assert report["tomli"] == "1.2.3", (how, report)
        assert "tomli-1.2.3-py3-none-any.whl" in report["file"], (how, report)
        # Only the activated distribution's own module (and wheelhook) beyond the start.
        assert set(report["third_party"]) <= {"tomli", "wheelhook"}, (how, report)
        assert "tomli" in report["third_party"], (how, report)

    # Without tomli at all, the block is still read.
    env.run_args("-m", "pip", "uninstall", "--quiet", "--yes", "tomli")
    proc = env.run_args("-m", "wheelhook", "run", str(script), env=base)
    assert json.loads(proc.stdout)["tomli"] == "1.2.3"


def test_ok_sitewide_imports_nothing_of_the_users(tmp_path: Path) -> None:
    """Site-wide activation of a PEP 723 script's block: the same, from the `.pth` file."""
    env = new_env(tmp_path / "venv", str(pypi_wheel("tomli==2.0.1")))
    env.run_args("-m", "wheelhook", "drop", str(pypi_wheel("tomli==1.2.3")))
    base = {"WHEELHOOK_CACHE": str(tmp_path / "cache"), "AT_START": _at_start(env)}
    env.run_args("-m", "wheelhook", "enable")
    script = tmp_path / "needs.py"
    script.write_text(
        '# /// script\n# dependencies = ["tomli==1.2.3"]\n# ///\nimport tomli\n' + REPORT
    )
    report = json.loads(env.run_args(str(script), env=base).stdout)
    assert report["tomli"] == "1.2.3" and "tomli-1.2.3" in report["file"]
    # `_wheelhook_sitewide`: the `.pth` file's module, wheelhook's own.
    assert set(report["third_party"]) <= {"tomli", "wheelhook", "_wheelhook_sitewide"}, report
