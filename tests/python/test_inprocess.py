"""Inside one process: `drop()` then `require()`, a version that cannot change once imported,
wheels replaced or removed on disk while mapped, and the opt-in stdlib override."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import Env, WheelSpec, build_wheel, pypi_wheel


def test_drop_then_require_in_one_process(six_env: Env, tmp_path: Path, store: Path) -> None:
    wheel = pypi_wheel("six==1.15.0")
    out = six_env.run(
        f"""
        import json, wheelhook
        try:
            wheelhook.require("six==1.15.0")
        except wheelhook.DistributionNotFound:
            before = "not found"
        path = wheelhook.drop({str(wheel)!r}, store={str(store)!r})
        wheelhook.require("six==1.15.0")
        import six
        print(json.dumps({{"before": before, "path": path, "six": six.__version__,
                           "file": six.__file__}}))
        """,
        env={"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(tmp_path / "cache")},
    )
    dropped = str(store / wheel.name)
    assert json.loads(out.stdout) == {
        "before": "not found",
        "path": dropped,
        "six": "1.15.0",
        "file": f"{dropped}/six.py",
    }


def test_require_after_import_says_restart_and_changes_nothing(
    six_env: Env, tmp_path: Path, store: Path
) -> None:
    out = six_env.run(
        f"""
        import json, sys, six, wheelhook
        wheelhook.drop({str(pypi_wheel("six==1.15.0"))!r}, store={str(store)!r})
        try:
            wheelhook.require("six==1.15.0")
        except wheelhook.VersionConflict as exc:
            err = str(exc)
        import six as again
        print(json.dumps({{"err": err, "six": again.__version__, "active": len(wheelhook.active()),
                           "env": "WHEELHOOK_REQUIRES" in __import__("os").environ}}))
        """,
        env={"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(tmp_path / "cache")},
    )
    got = json.loads(out.stdout)
    assert "already imported" in got["err"] and "restart" in got["err"]
    assert {k: got[k] for k in ("six", "active", "env")} == {
        "six": "1.16.0",
        "active": 0,
        "env": False,
    }


def test_mapped_wheel_survives_replacement_and_removal(
    host: Env, tmp_path: Path, store: Path
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    first = build_wheel(
        WheelSpec(
            "omega",
            "1.0",
            {
                "omega/__init__.py": "",
                "omega/a.py": "A = 'first'\n",
                "omega/b.py": "B = 'first'\n",
                "omega/c.py": "C = 'first'\n",
            },
        ),
        src,
    )
    host.run_args("-m", "wheelhook", "drop", str(first), "--store", str(store))
    rebuild = tmp_path / "rebuild"
    rebuild.mkdir()
    second = build_wheel(
        WheelSpec(
            "omega",
            "1.0",
            {
                "omega/__init__.py": "",
                "omega/a.py": "A = 'second'\n",
                "omega/b.py": "B = 'second'\n",
                "omega/c.py": "C = 'second'\n",
            },
        ),
        rebuild,
    )
    out = host.run(
        f"""
        import json, os, sys, wheelhook
        sys.dont_write_bytecode = True  # compile from the mapped archive every time
        wheelhook.require("omega==1.0")
        from omega import a
        wheelhook.drop({str(second)!r}, store={str(store)!r})  # a different build, same name
        from omega import b
        os.unlink({str(store / first.name)!r})
        from omega import c
        print(json.dumps([a.A, b.B, c.C]))
        """,
        env={"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(tmp_path / "cache")},
    )
    assert json.loads(out.stdout) == ["first", "first", "first"]


def test_stdlib_override_only_when_opted_in(host: Env, make_wheel, store: Path) -> None:
    make_wheel(WheelSpec("colorsys-ng", "1.0", {"colorsys.py": "NEWER = True\n"}))
    code = """
        import json, sys, wheelhook
        try:
            top = wheelhook.require("colorsys-ng", override_stdlib={flag})[0].top_level
        except wheelhook.StdlibConflict:
            top = None
        import colorsys
        print(json.dumps({{"newer": hasattr(colorsys, "NEWER"), "top": top}}))
        """
    env = {"WHEELHOOK_PATH": str(store)}
    assert json.loads(host.run(code.format(flag=False), env=env).stdout) == {
        "newer": False,
        "top": None,
    }
    assert json.loads(host.run(code.format(flag=True), env=env).stdout) == {
        "newer": True,
        "top": ["colorsys"],
    }
