"""Modules from wheels behave like modules from directories: namespace packages, pkgutil,
pickle, inspect, linecache, tracebacks, `-X importtime` and `-v`."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import Env, WheelSpec

PKG_FILES: dict[str, bytes | str] = {
    "pkg/__init__.py": "",
    "pkg/mod.py": (
        "class Point:\n"
        "    def __init__(self, x, y):\n"
        "        self.x, self.y = x, y\n"
        "\n"
        "\n"
        "def explode():\n"
        "    raise RuntimeError('from the wheel')  # the line a traceback shows\n"
    ),
    "pkg/sub/__init__.py": "",
    "pkg/sub/leaf.py": "LEAF = True\n",
    "pkg/data/readme.txt": "a data directory, not a package\n",
}


def run_json(env: Env, code: str, **extra: str) -> dict[str, object]:
    result: dict[str, object] = env.run_json(code, env=extra)
    return result


def make_ns_wheels(make_wheel, with_dirs: bool) -> tuple[Path, Path]:
    a = make_wheel(
        WheelSpec("ns-a", "1.0", {"ns/a/__init__.py": "NAME = 'a'\n"}, with_dirs=with_dirs)
    )
    b = make_wheel(
        WheelSpec(
            "ns-b",
            "1.0",
            {"ns/b/__init__.py": "NAME = 'b'\n", "ns/b/deep/mod.py": "X = 1\n"},
            with_dirs=with_dirs,
        )
    )
    return a, b


@pytest.mark.parametrize("with_dirs", [False, True], ids=["no-dir-entries", "dir-entries"])
def test_namespace_across_wheels_and_a_directory(
    host: Env, make_wheel, store: Path, tmp_path: Path, with_dirs: bool
) -> None:
    a, b = make_ns_wheels(make_wheel, with_dirs)
    disk = tmp_path / "disk"
    (disk / "ns" / "c").mkdir(parents=True)
    (disk / "ns" / "c" / "__init__.py").write_text("NAME = 'c'\n")
    got = run_json(
        host,
        """
        import json, wheelhook
        wheelhook.require("ns-a", "ns-b")
        import ns.a, ns.b, ns.c, ns.b.deep.mod
        print(json.dumps({
            "names": [ns.a.NAME, ns.b.NAME, ns.c.NAME],
            "path": list(ns.__path__),
            "files": [ns.a.__file__, ns.b.deep.mod.__file__, ns.c.__file__],
            "ns_file": getattr(ns, "__file__", "unset"),
            "deep": ns.b.deep.mod.X,
        }))
        """,
        WHEELHOOK_PATH=str(store),
        PYTHONPATH=str(disk),
    )
    assert got["names"] == ["a", "b", "c"]
    assert got["path"] == [f"{a}/ns", f"{b}/ns", str(disk / "ns")]
    assert got["files"] == [
        f"{a}/ns/a/__init__.py",
        f"{b}/ns/b/deep/mod.py",
        str(disk / "ns" / "c" / "__init__.py"),
    ]
    # As importlib makes a namespace module from directories (3.9-3.13): `__file__` is None.
    assert got["ns_file"] is None
    assert got["deep"] == 1


def test_pkgutil_lists_modules_inside_wheels(
    host: Env, make_wheel, store: Path, tmp_path: Path
) -> None:
    make_wheel(WheelSpec("pkg", "1.0", PKG_FILES))
    make_ns_wheels(make_wheel, False)
    disk = tmp_path / "disk"
    (disk / "ns" / "c").mkdir(parents=True)
    (disk / "ns" / "c" / "__init__.py").write_text("")
    got = run_json(
        host,
        """
        import json, pkgutil, wheelhook
        wheelhook.require("pkg", "ns-a", "ns-b")
        import pkg, ns
        print(json.dumps({
            "iter": sorted((m.name, m.ispkg) for m in pkgutil.iter_modules(pkg.__path__)),
            "walk": sorted(m.name for m in pkgutil.walk_packages(pkg.__path__, "pkg.")),
            "ns": sorted(m.name for m in pkgutil.iter_modules(ns.__path__, "ns.")),
            "ns_walk": sorted(m.name for m in pkgutil.walk_packages(ns.__path__, "ns.")),
            "finder": type(pkgutil.get_importer(pkg.__path__[0])).__name__,
        }))
        """,
        WHEELHOOK_PATH=str(store),
        PYTHONPATH=str(disk),
    )
    # `data` has no __init__.py: pkgutil does not list such a directory on disk either.
    assert got["iter"] == [["mod", False], ["sub", True]]
    assert got["walk"] == ["pkg.mod", "pkg.sub", "pkg.sub.leaf"]
    assert got["ns"] == ["ns.a", "ns.b", "ns.c"]
    assert got["ns_walk"] == ["ns.a", "ns.b", "ns.c"]
    assert got["finder"] == "PathEntry"


def test_pickle_inspect_linecache_and_tracebacks(host: Env, make_wheel, store: Path) -> None:
    wheel = make_wheel(WheelSpec("pkg", "1.0", PKG_FILES))
    got = run_json(
        host,
        """
        import json, pickle, inspect, linecache, traceback, subprocess, sys, wheelhook
        wheelhook.require("pkg")
        from pkg.mod import Point, explode
        data = pickle.dumps(Point(1, 2))
        back = pickle.loads(data)
        # A child inherits the pins (WHEELHOOK_REQUIRES) and unpickles from the same wheel.
        child = subprocess.run(
            [sys.executable, "-c",
             "import wheelhook, pickle, sys; p = pickle.loads(sys.stdin.buffer.read());"
             "print(p.x, p.y, type(p).__module__, sys.modules['pkg.mod'].__file__)"],
            input=data, capture_output=True, check=True,
        )
        try:
            explode()
        except RuntimeError:
            tb = traceback.format_exc()
        import pkg.mod
        print(json.dumps({
            "roundtrip": [back.x, back.y, type(back) is Point],
            "child": child.stdout.decode().split(),
            "source": inspect.getsource(Point),
            "getfile": inspect.getsourcefile(Point),
            "line": linecache.getline(pkg.mod.__file__, 7),
            "traceback": tb,
        }))
        """,
        WHEELHOOK_PATH=str(store),
        # It ships a data file, so it would be unpacked: paths inside the archive are tested here.
        WHEELHOOK_UNPACK="-pkg",
    )
    assert got["roundtrip"] == [1, 2, True]
    assert got["child"] == ["1", "2", "pkg.mod", f"{wheel}/pkg/mod.py"]
    assert str(got["source"]).startswith("class Point:\n    def __init__(self, x, y):")
    assert got["getfile"] == f"{wheel}/pkg/mod.py"
    assert "raise RuntimeError('from the wheel')" in str(got["line"])
    assert f'File "{wheel}/pkg/mod.py", line 7, in explode' in str(got["traceback"])
    assert "raise RuntimeError('from the wheel')" in str(got["traceback"])


def test_importtime_and_verbose(host: Env, make_wheel, store: Path) -> None:
    make_wheel(WheelSpec("pkg", "1.0", PKG_FILES))
    program = host.root / "prog.py"
    program.write_text(
        "import wheelhook\nwheelhook.require('pkg')\nimport pkg.sub.leaf\nprint(pkg.sub.leaf.LEAF)\n"
    )
    env = {"WHEELHOOK_PATH": str(store)}
    timed = host.run_args("-X", "importtime", str(program), env=env)
    assert timed.stdout.strip() == "True"
    timed_names = [line.rsplit("|", 1)[-1].strip() for line in timed.stderr.splitlines()]
    assert {"pkg", "pkg.sub", "pkg.sub.leaf"} <= set(timed_names)

    verbose = host.run_args("-v", str(program), env=env)
    assert verbose.stdout.strip() == "True"
    assert "import 'pkg.sub.leaf' # <wheelhook.Loader" in verbose.stderr
