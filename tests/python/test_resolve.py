"""Resolution end to end: transitive, backtracking, explained; a failure changes nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import PYPI_CACHE, Env, WheelSpec, new_env, pypi_wheel

REQUESTS_STORE = PYPI_CACHE / "requests-2.25.1-store"
#: requests 2.25.1 and the dependency versions a resolution picked for it, pinned so that a new
#: release of any of them changes nothing here.
REQUESTS_2_25 = (
    "requests==2.25.1",
    "urllib3==1.26.20",
    "chardet==4.0.0",
    "idna==2.10",
    "certifi==2024.8.30",
)
#: The installed defaults: requests 2.32.3 with urllib3 2.
REQUESTS_2_32 = (
    "requests==2.32.3",
    "urllib3==2.2.3",
    "charset-normalizer==3.4.0",
    "idna==3.10",
    "certifi==2024.8.30",
)


def requests_store() -> Path:
    """requests 2.25.1 and its dependency wheels, fetched by pip once."""
    if not (REQUESTS_STORE / ".complete").exists():
        import subprocess
        import sys

        REQUESTS_STORE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                *(sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:"),
                *("--no-deps", "--dest", str(REQUESTS_STORE), *REQUESTS_2_25),
            ],
            check=True,
        )
        (REQUESTS_STORE / ".complete").write_text("")
    return REQUESTS_STORE


def test_requests_pins_its_own_urllib3_over_the_installed_one(tmp_path: Path) -> None:
    store = tmp_path / "store"
    shutil.copytree(requests_store(), store, ignore=shutil.ignore_patterns(".complete"))
    env = new_env(tmp_path / "venv", "--no-deps", "--only-binary=:all:", *REQUESTS_2_32)
    out = env.run(
        """
        __requires__ = ["requests==2.25.1"]
        import wheelhook, json, importlib.metadata as md
        import requests, urllib3
        print(json.dumps({
            "requests": [requests.__version__, md.version("requests")],
            "urllib3": [urllib3.__version__, md.version("urllib3")],
            "urllib3_file": urllib3.__file__,
            "active": {d.name: [d.version, d.kind] for d in wheelhook.active()},
        }))
        """,
        env={"WHEELHOOK_PATH": str(store)},
    )
    got = json.loads(out.stdout)
    assert got["requests"] == ["2.25.1", "2.25.1"]
    assert got["urllib3"][0].startswith("1.26.")
    assert got["urllib3"][1] == got["urllib3"][0]
    assert ".whl/urllib3/__init__.py" in got["urllib3_file"]
    active = got["active"]
    assert active["requests"] == ["2.25.1", "wheel"]
    assert active["urllib3"][1] == "wheel"
    assert active["idna"][0].startswith("2.") and active["idna"][1] == "wheel"
    # certifi's installed version satisfies requests 2.25.1: the default is kept.
    assert active["certifi"][1] == "default"

    plain = env.run("import requests, urllib3; print(requests.__version__, urllib3.__version__)")
    requests_version, urllib3_version = plain.stdout.split()
    assert requests_version == "2.32.3" and urllib3_version.startswith("2.")


def store_of(make_wheel, *specs: WheelSpec) -> None:
    for spec in specs:
        make_wheel(spec)


def run_json(host: Env, store: Path, code: str) -> dict[str, object]:
    result: dict[str, object] = host.run_json(code, env={"WHEELHOOK_PATH": str(store)})
    return result


def test_markers_extras_and_requires_python(host: Env, make_wheel, store: Path) -> None:
    store_of(
        make_wheel,
        WheelSpec(
            "app",
            "1.0",
            {"app.py": ""},
            requires=[
                'dep-yes; python_version >= "3"',
                'dep-no; python_version < "3"',
                'dep-extra; extra == "fancy"',
            ],
            extras=["fancy"],
        ),
        WheelSpec("dep-yes", "1.0", {"dep_yes.py": ""}),
        WheelSpec("dep-no", "1.0", {"dep_no.py": ""}),
        WheelSpec("dep-extra", "1.0", {"dep_extra.py": ""}),
        WheelSpec("modern", "2.0", {"modern.py": "V = 2\n"}, requires_python=">=4"),
        WheelSpec("modern", "1.0", {"modern.py": "V = 1\n"}, requires_python=">=3.8"),
    )
    got = run_json(
        host,
        store,
        """
        import wheelhook, json
        plain = sorted(d.name for d in wheelhook.require("app"))
        fancy = sorted(d.name for d in wheelhook.require("app[fancy]"))
        [modern] = wheelhook.require("modern")
        print(json.dumps({"plain": plain, "fancy": fancy, "modern": modern.version}))
        """,
    )
    assert got == {
        "plain": ["app", "dep-yes"],
        "fancy": ["app", "dep-extra", "dep-yes"],
        "modern": "1.0",
    }


def test_backtracking_finds_the_older_consistent_set(host: Env, make_wheel, store: Path) -> None:
    # The newest top needs lib>=2, which needs a base that does not exist: only top 1.0 works.
    store_of(
        make_wheel,
        WheelSpec("top", "2.0", {"top.py": "V = 2\n"}, requires=["lib>=2"]),
        WheelSpec("top", "1.0", {"top.py": "V = 1\n"}, requires=["lib<2"]),
        WheelSpec("lib", "2.0", {"lib.py": ""}, requires=["base>=5"]),
        WheelSpec("lib", "1.0", {"lib.py": ""}, requires=["base"]),
        WheelSpec("base", "1.0", {"base.py": ""}),
    )
    got = run_json(
        host,
        store,
        """
        import wheelhook, json
        res = {d.name: d.version for d in wheelhook.require("top")}
        import top
        print(json.dumps({"res": res, "top": top.V}))
        """,
    )
    assert got == {"res": {"base": "1.0", "lib": "1.0", "top": "1.0"}, "top": 1}


def test_unsatisfiable_diamond_is_explained(host: Env, make_wheel, store: Path) -> None:
    store_of(
        make_wheel,
        WheelSpec("left", "1.0", {"left.py": ""}, requires=["shared<2"]),
        WheelSpec("right", "1.0", {"right.py": ""}, requires=["shared>=2"]),
        WheelSpec("shared", "1.0", {"shared.py": ""}),
        WheelSpec("shared", "2.0", {"shared.py": ""}),
    )
    proc = host.run(
        "import wheelhook\nwheelhook.require('left', 'right')\n",
        env={"WHEELHOOK_PATH": str(store)},
        check=False,
    )
    assert proc.returncode == 1
    explanation = proc.stderr.split("wheelhook.errors.VersionConflict: ", 1)[1]
    for needle in ("left 1.0", "right 1.0", "shared<2", "shared>=2", "cannot be met"):
        assert needle in explanation, (needle, explanation)


def test_failed_require_changes_nothing(host: Env, make_wheel, store: Path) -> None:
    store_of(
        make_wheel,
        WheelSpec("ok-dist", "1.0", {"ok_dist.py": ""}),
        WheelSpec("needs-missing", "1.0", {"needs_missing.py": ""}, requires=["missing-dist"]),
    )
    got = run_json(
        host,
        store,
        """
        import sys, os, json, wheelhook
        wheelhook.require("ok-dist")
        wheelhook.DistributionNotFound  # the exception classes are loaded on first use
        before = (sorted(sys.modules), list(sys.meta_path), [d.name for d in wheelhook.active()],
                  os.environ.get("WHEELHOOK_REQUIRES"))
        try:
            wheelhook.require("needs-missing")
        except wheelhook.DistributionNotFound as exc:
            message = str(exc)
        after = (sorted(sys.modules), list(sys.meta_path), [d.name for d in wheelhook.active()],
                 os.environ.get("WHEELHOOK_REQUIRES"))
        try:
            import needs_missing
            importable = True
        except ImportError:
            importable = False
        print(json.dumps({"same": before == after, "message": message, "importable": importable,
                          "pins": after[3]}))
        """,
    )
    assert got["same"] is True
    assert got["importable"] is False
    assert got["pins"] == "ok-dist==1.0"
    assert "missing-dist" in str(got["message"]) and "needs-missing" in str(got["message"])


def test_conflict_with_an_already_imported_module(six_env: Env, store: Path) -> None:
    wheel = pypi_wheel("six==1.15.0")
    (store / wheel.name).write_bytes(wheel.read_bytes())
    proc = six_env.run(
        "import six, wheelhook, sys\n"
        "try:\n"
        "    wheelhook.require('six==1.15.0')\n"
        "except wheelhook.VersionConflict as e:\n"
        "    print(e)\n"
        "print(six.__version__, [d.name for d in wheelhook.active()], 'six' in sys.modules)\n",
        env={"WHEELHOOK_PATH": str(store)},
    )
    message, state = proc.stdout.strip().splitlines()
    assert 'the module "six" is already imported from' in message
    assert "six 1.16.0 is installed" in message
    assert "restart" in message
    assert state == "1.16.0 [] True"


def test_second_require_extends_and_never_changes_a_version(
    host: Env, make_wheel, store: Path
) -> None:
    store_of(
        make_wheel,
        WheelSpec("one", "1.0", {"one.py": ""}),
        WheelSpec("one", "2.0", {"one.py": ""}),
        WheelSpec("two", "1.0", {"two.py": ""}, requires=["one>=2"]),
    )
    proc = host.run(
        "import wheelhook\n"
        "wheelhook.require('one<2')\n"
        "try:\n"
        "    wheelhook.require('two')\n"
        "except wheelhook.VersionConflict as e:\n"
        "    print('conflict:', e)\n"
        "print([(d.name, d.version) for d in wheelhook.active()])\n",
        env={"WHEELHOOK_PATH": str(store)},
    )
    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith("conflict:") and "already active" in lines[0]
    assert lines[-1] == "[('one', '1.0')]"


@pytest.mark.parametrize("how", ["json", "text"])
def test_resolve_command_shows_wheel_and_default(six_env: Env, store: Path, how: str) -> None:
    wheel = pypi_wheel("six==1.15.0")
    (store / wheel.name).write_bytes(wheel.read_bytes())
    args = ["-m", "wheelhook", "resolve", "six<1.16"] + (["--json"] if how == "json" else [])
    out = six_env.run_args(*args, env={"WHEELHOOK_PATH": str(store)}).stdout
    if how == "json":
        assert [(r["name"], r["version"], r["kind"]) for r in json.loads(out)] == [
            ("six", "1.15.0", "wheel")
        ]
    else:
        assert out.startswith("six==1.15.0  (wheel: ")


def test_a_requirement_the_parser_panics_on_is_a_value_error(host: Env, store: Path) -> None:
    # pep508_rs panics on this input (found by fuzzing); the panic must unwind through the
    # extension's own unwinder to the guard around the parser, never abort the interpreter.
    proc = host.run(
        """
        import wheelhook
        text = "pkg; os_name == '\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00nt' and (extra == 'tesmiaplemenTatkonZQ\\x00\\x00\\x00\\x00\\x00\\x00\\x00lemenTation\\x00\\x00D-4n@=Ð<=:Ðc/\\x01\\x00\\x00:0Ð<z:Ð')caa0Ð<=:DDDÐD"
        try:
            wheelhook.require(text)
        except ValueError as exc:
            print("refused:", "parser failed" in str(exc))
        print(wheelhook.require("pip")[0].name)
        """,
        env={"WHEELHOOK_PATH": str(store)},
    )
    assert proc.stdout.split() == ["refused:", "True", "pip"]
    # The panic is an expected, handled error: no Rust panic message on stderr.
    assert "panicked" not in proc.stderr, proc.stderr
