"""Activation end to end: `__requires__`, `require()`, the finder's view of a real wheel."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import Env, WheelSpec, new_env, pypi_wheel

SHOW_SIX = """
    import sys
    before = list(sys.path)
    {requires}
    import wheelhook
    import six, importlib.metadata, json
    print(json.dumps({{
        "version": six.__version__,
        "metadata": importlib.metadata.version("six"),
        "file": six.__file__,
        "path_same": sys.path == before,
        "loader": type(six.__spec__.loader).__name__,
    }}))
"""


def show_six(venv: Env, requires: str, env: dict[str, str] | None = None) -> dict[str, object]:
    out = venv.run(SHOW_SIX.format(requires=requires), env=env)
    return json.loads(out.stdout)


def test_wheel_dropped_in_site_packages_shadows_the_default(tmp_path: Path) -> None:
    env = new_env(tmp_path / "venv", str(pypi_wheel("six==1.16.0")))
    wheel = pypi_wheel("six==1.15.0")
    env.run_args("-m", "wheelhook", "drop", str(wheel))
    dropped = env.site_packages / wheel.name
    assert dropped.is_file()

    got = show_six(env, '__requires__ = ["six==1.15.0"]')
    assert got["version"] == "1.15.0"
    assert got["metadata"] == "1.15.0"
    assert got["file"] == f"{dropped}/six.py"
    assert got["path_same"] is True
    assert got["loader"] == "Loader"

    plain = show_six(env, "")
    assert plain["version"] == "1.16.0"
    assert plain["metadata"] == "1.16.0"
    assert str(plain["file"]).startswith(str(env.site_packages / "six.py"))


def test_default_wins_when_it_satisfies(six_env: Env, store: Path) -> None:
    (store / pypi_wheel("six==1.15.0").name).write_bytes(pypi_wheel("six==1.15.0").read_bytes())
    got = show_six(six_env, '__requires__ = "six>=1.10"', env={"WHEELHOOK_PATH": str(store)})
    assert got["version"] == "1.16.0"
    got = show_six(six_env, '__requires__ = "six<1.16"', env={"WHEELHOOK_PATH": str(store)})
    assert got["version"] == "1.15.0"


def test_unmet_requirement_fails_at_import_naming_what_exists(six_env: Env, store: Path) -> None:
    (store / pypi_wheel("six==1.15.0").name).write_bytes(pypi_wheel("six==1.15.0").read_bytes())
    proc = six_env.run(
        '__requires__ = ["six==9.9"]\nimport wheelhook\n',
        env={"WHEELHOOK_PATH": str(store)},
        check=False,
    )
    assert proc.returncode == 1
    assert "wheelhook.errors.DistributionNotFound" in proc.stderr
    assert "six==9.9" in proc.stderr
    assert "1.16.0" in proc.stderr and "1.15.0" in proc.stderr


def test_require_returns_the_activation_and_is_an_import_error(
    host: Env, make_wheel, store: Path
) -> None:
    make_wheel(WheelSpec("alpha", "1.0", {"alpha.py": "X = 1\n"}))
    make_wheel(WheelSpec("alpha", "2.0", {"alpha.py": "X = 2\n"}))
    out = host.run(
        """
        import wheelhook, json
        got = wheelhook.require("alpha<2")
        import alpha
        try:
            wheelhook.require("nothing-here>=1")
        except ImportError as e:
            err = type(e).__name__
        print(json.dumps({
            "got": [(d.name, d.version, d.kind) for d in got],
            "x": alpha.X,
            "err": err,
            "active": [d.name for d in wheelhook.active()],
        }))
        """,
        env={"WHEELHOOK_PATH": str(store)},
    )
    assert json.loads(out.stdout) == {
        "got": [["alpha", "1.0", "wheel"]],
        "x": 1,
        "err": "DistributionNotFound",
        "active": ["alpha"],
    }


def test_highest_compatible_wheel_wins(host: Env, make_wheel, store: Path) -> None:
    for v in ("1.0", "1.5", "2.0"):
        make_wheel(WheelSpec("beta", v, {"beta.py": f"V = {v!r}\n"}))
    make_wheel(WheelSpec("beta", "3.0", {"beta.py": "V = '3.0'\n"}, tag="cp27-cp27m-win32"))
    out = host.run(
        '__requires__ = "beta"\nimport wheelhook, beta\nprint(beta.V)\n',
        env={"WHEELHOOK_PATH": str(store)},
    )
    assert out.stdout.strip() == "2.0"


PACKAGE = {
    "pkg/__init__.py": "from . import sub\nNAME = 'pkg'\n",
    "pkg/sub.py": "def boom():\n    raise ValueError('from the wheel')\n",
    "pkg/data/info.txt": "hello resource\n",
    "pkg/nested/__init__.py": "",
    "pkg/nested/deep.py": "# -*- coding: latin-1 -*-\nTEXT = 'caf\xe9'\n",
}


def test_package_attributes_source_and_data(host: Env, make_wheel, store: Path) -> None:
    files: dict[str, bytes | str] = dict(PACKAGE)
    files["pkg/nested/deep.py"] = "# -*- coding: latin-1 -*-\nTEXT = 'caf\xe9'\n".encode("latin-1")
    wheel = make_wheel(WheelSpec("pkg", "1.0", files))
    out = host.run(
        """
        __requires__ = ["pkg==1.0"]
        import wheelhook, json, inspect, traceback, importlib.util
        import pkg, pkg.nested.deep
        try:
            pkg.sub.boom()
        except ValueError:
            tb = traceback.format_exc()
        spec = importlib.util.find_spec("pkg.sub")
        print(json.dumps({
            "file": pkg.__file__,
            "path": list(pkg.__path__),
            "sub_file": pkg.sub.__file__,
            "tb_has_line": "raise ValueError('from the wheel')" in tb,
            "getsource": inspect.getsource(pkg.sub.boom),
            "is_package": pkg.__loader__.is_package("pkg"),
            "data": pkg.__loader__.get_data(pkg.__path__[0] + "/data/info.txt").decode(),
            "deep": pkg.nested.deep.TEXT,
            "origin": spec.origin,
        }))
        """,
        # It ships a data file, so it would be unpacked: served from the archive here.
        env={"WHEELHOOK_PATH": str(store), "WHEELHOOK_UNPACK": "-pkg"},
    )
    got = json.loads(out.stdout)
    assert got["file"] == f"{wheel}/pkg/__init__.py"
    assert got["path"] == [f"{wheel}/pkg"]
    assert got["sub_file"] == f"{wheel}/pkg/sub.py"
    assert got["origin"] == f"{wheel}/pkg/sub.py"
    assert got["tb_has_line"] is True
    assert got["getsource"] == "def boom():\n    raise ValueError('from the wheel')\n"
    assert got["is_package"] is True
    assert got["data"] == "hello resource\n"
    assert got["deep"] == "caf\xe9"


def test_sys_path_untouched_and_finder_installed_once(host: Env, make_wheel, store: Path) -> None:
    make_wheel(WheelSpec("gamma", "1.0", {"gamma.py": ""}))
    out = host.run(
        """
        import sys, json
        before = list(sys.path)
        __requires__ = "gamma"
        import wheelhook, importlib
        importlib.reload(wheelhook)
        wheelhook.require("gamma")
        import gamma
        finders = [f for f in sys.meta_path if type(f).__name__ == "Finder"]
        names = [getattr(f, "__name__", type(f).__name__) for f in sys.meta_path]
        print(json.dumps({"same": sys.path == before, "finders": len(finders),
                          "before_path_finder": names.index("Finder") < names.index("PathFinder")}))
        """,
        env={"WHEELHOOK_PATH": str(store)},
    )
    assert json.loads(out.stdout) == {"same": True, "finders": 1, "before_path_finder": True}


def test_stdlib_names_are_never_served(host: Env, make_wheel, store: Path) -> None:
    make_wheel(WheelSpec("evil", "1.0", {"json/__init__.py": "HIJACKED = True\n", "evil.py": ""}))
    out = host.run(
        '__requires__ = "evil"\nimport wheelhook, json\nprint(hasattr(json, "HIJACKED"))\n',
        env={"WHEELHOOK_PATH": str(store)},
    )
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("with_dirs", [False, True])
def test_namespace_package_across_two_wheels(
    host: Env, make_wheel, store: Path, with_dirs: bool
) -> None:
    make_wheel(WheelSpec("ns-one", "1.0", {"nsp/one/__init__.py": "V = 1\n"}, with_dirs=with_dirs))
    make_wheel(WheelSpec("ns-two", "1.0", {"nsp/two/__init__.py": "V = 2\n"}, with_dirs=with_dirs))
    out = host.run(
        '__requires__ = ["ns-one", "ns-two"]\nimport wheelhook\nimport nsp.one, nsp.two\n'
        "print(nsp.one.V + nsp.two.V, len(list(nsp.__path__)))\n",
        env={"WHEELHOOK_PATH": str(store)},
    )
    assert out.stdout.split() == ["3", "2"]


def test_imported_namespace_gains_a_wheels_portion(host: Env, make_wheel, store: Path) -> None:
    disk = host.root / "disk"
    (disk / "nsg" / "c").mkdir(parents=True)
    (disk / "nsg" / "c" / "__init__.py").write_text("V = 'disk'\n")
    make_wheel(WheelSpec("nsg-a", "1.0", {"nsg/a/__init__.py": "V = 'wheel'\n"}))
    out = host.run(
        """
        import json, nsg.c, wheelhook
        wheelhook.require("nsg-a")
        import nsg.a
        print(json.dumps([nsg.c.V, nsg.a.V, [p.split("/")[-2] for p in nsg.__path__]]))
        """,
        env={"WHEELHOOK_PATH": str(store), "PYTHONPATH": str(disk)},
    )
    assert json.loads(out.stdout) == ["disk", "wheel", ["disk", "nsg_a-1.0-py3-none-any.whl"]]


BY_PATH = {
    "bypath/__init__.py": (
        "import os\n"
        "def data():\n"
        "    with open(os.path.join(os.path.dirname(__file__), 'data', 'v.txt')) as f:\n"
        "        return f.read()\n"
    ),
    "bypath/data/v.txt": "read by path\n",
    "bypath/sub.py": "X = 1\n",
}
SHOW_BY_PATH = """
    import wheelhook, json, os, sys
    wheelhook.require("bypath", unpack={unpack})
    import bypath, bypath.sub
    try:
        got = bypath.data()
    except OSError as e:
        got = type(e).__name__
    print(json.dumps({{"got": got, "file": bypath.__file__, "real": os.path.isfile(bypath.__file__),
                      "source": bypath.__loader__.get_source("bypath.sub"),
                      "stats": wheelhook.finder().stats()}}))
"""


def test_unpack_serves_real_files_for_packages_that_read_by_path(
    host: Env, make_wheel, store: Path, tmp_path: Path
) -> None:
    wheel = make_wheel(WheelSpec("bypath", "1.0", dict(BY_PATH)))
    env = {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(tmp_path / "cache")}
    # Served from the archive when told so: as under zipimport, the path is no file.
    zipped = json.loads(host.run(SHOW_BY_PATH.format(unpack="False"), env=env).stdout)
    assert zipped["got"] == "NotADirectoryError"
    assert zipped["file"] == f"{wheel}/bypath/__init__.py" and zipped["real"] is False

    # It ships a data file, so it is unpacked by default, and when named.
    for unpack, extra in (
        ("()", {}),
        ("['bypath']", {}),
        ("()", {"WHEELHOOK_UNPACK": "bypath"}),
    ):
        got = json.loads(host.run(SHOW_BY_PATH.format(unpack=unpack), env={**env, **extra}).stdout)
        assert got["got"] == "read by path\n"
        assert got["real"] is True
        assert got["file"].startswith(str(tmp_path / "cache" / "native"))
        assert got["source"] == "X = 1\n"
        # The code still comes from the archive through the bytecode cache.
        assert got["stats"]["compiled"] + got["stats"]["cache_hits"] == 2

    # Children (a subprocess, a spawned worker) serve it unpacked too.
    kids = host.run(
        """
        import json, multiprocessing, os, subprocess, sys
        import wheelhook

        def real():
            import bypath
            return os.path.isfile(bypath.__file__)

        if __name__ == "__main__":
            wheelhook.require("bypath", unpack=["bypath"])
            child = subprocess.run(
                [sys.executable, "-c", "import wheelhook, bypath, os; print(os.path.isfile(bypath.__file__))"],
                capture_output=True, text=True, check=True,
            ).stdout.strip()
            with multiprocessing.get_context("spawn").Pool(1) as pool:
                spawned = pool.apply(real)
            print(json.dumps([real(), child, spawned, os.environ["WHEELHOOK_UNPACK"]]))
        """,
        env=env,
    )
    assert json.loads(kids.stdout) == [True, "True", True, "bypath"]

    # A changed wheel (same name, other content) is unpacked again, never served stale.
    wheel.unlink()
    changed = dict(BY_PATH, **{"bypath/data/v.txt": "second build\n"})
    make_wheel(WheelSpec("bypath", "1.0", changed))
    got = json.loads(host.run(SHOW_BY_PATH.format(unpack="True"), env=env).stdout)
    assert got["got"] == "second build\n"
