"""Packages that read their own files by path: which wheels are served unpacked by default, the
overrides in both directions, and real packages that need it (pytz, jinja2, numpy, black)."""

from __future__ import annotations

import json
import os
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest
from helpers import Env, WheelSpec, new_env, pypi_wheel

#: A package that opens a data file of its own by path.
DATAFILE = {
    "datafile/__init__.py": (
        "import os\n"
        "def run():\n"
        "    with open(os.path.join(os.path.dirname(__file__), 'zoneinfo', 'CET')) as f:\n"
        "        return f.read()\n"
    ),
    "datafile/zoneinfo/CET": "tz data\n",
}
#: Pure Python, with stubs and a `py.typed` marker, nothing read by path.
PLAIN = {
    "plain/__init__.py": "from plain.sub import X\ndef run():\n    return X\n",
    "plain/sub.py": "X = 'pure'\n",
    "plain/sub.pyi": "X: str\n",
    "plain/py.typed": "",
}

#: Each file of a wheel's package; `check` is what the package's `run()` returns when it works.
RULES = [
    pytest.param(
        "datafile",
        DATAFILE,
        True,
        "tz data\n",
        id="data-file-read-by-path",
    ),
    pytest.param(
        "scanner",
        {
            "scanner/__init__.py": (
                "import os\n"
                "from pathlib import Path\n"
                "def run():\n"
                "    with os.scandir(Path(__file__).parent / 'models') as found:\n"
                "        return sorted(e.name for e in found if e.name.endswith('.py'))\n"
            ),
            "scanner/models/__init__.py": "",
            "scanner/models/bert.py": "X = 1\n",
        },
        True,
        ["__init__.py", "bert.py"],
        id="scandir-of-own-directory",
    ),
    pytest.param(
        "topmod",
        {
            "topmod.py": (
                "import os\n"
                "def run():\n"
                "    return sorted(os.listdir(os.path.dirname(__file__)))[:1]\n"
            ),
        },
        True,
        [".wheelhook-unpacked"],
        id="top-level-module-lists-its-directory",
    ),
    pytest.param(
        "plain",
        PLAIN,
        False,
        "pure",
        id="pure-python-no-data-stays-in-archive",
    ),
    pytest.param(
        "cysrc",
        {
            "cysrc/__init__.py": "def run():\n    return 'sources left by the build'\n",
            "cysrc/_speedups.pyx": "def f(): pass\n",
            "cysrc/_speedups.c": "int f(void) { return 0; }\n",
        },
        False,
        "sources left by the build",
        id="c-and-cython-sources-are-not-data",
    ),
    pytest.param(
        "platdata",
        {
            "platdata-1.0.data/platlib/platdata/__init__.py": (
                "import os\n"
                "def run():\n"
                "    return open(os.path.join(os.path.dirname(__file__), 'v.json')).read()\n"
            ),
            "platdata-1.0.data/platlib/platdata/v.json": "{}\n",
        },
        True,
        "{}\n",
        id="data-file-under-platlib",
    ),
]

SHOW = """
    import json, os, wheelhook
    wheelhook.require({name!r}, unpack={unpack})
    import {name}
    try:
        got = {name}.run()
    except OSError as e:
        got = type(e).__name__
    [dist] = [d for d in wheelhook.active() if d.name == {name!r}]
    print(json.dumps({{"got": got, "file": {name}.__file__,
                      "real": os.path.isfile({name}.__file__),
                      "by_path": dist.by_path, "unpacked": dist.unpacked,
                      "activation_hits": wheelhook.finder().stats()["activation_hits"]}}))
"""


def show(host: Env, env: dict[str, str], name: str, unpack: str = "()") -> dict[str, object]:
    out = host.run(SHOW.format(name=name, unpack=unpack), env=env)
    result: dict[str, object] = json.loads(out.stdout)
    return result


@pytest.fixture
def variables(store: Path, tmp_path: Path) -> dict[str, str]:
    return {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(tmp_path / "cache")}


@pytest.mark.parametrize(("name", "files", "unpacked", "check"), RULES)
def test_rule_decides_archive_or_unpacked(
    host: Env,
    make_wheel,
    variables: dict[str, str],
    name: str,
    files: dict[str, str],
    unpacked: bool,
    check: object,
) -> None:
    wheel = make_wheel(WheelSpec(name, "1.0", files, root_is_purelib=name != "platdata"))
    got = show(host, variables, name)
    assert got["got"] == check
    assert got["real"] is unpacked
    if unpacked:
        assert str(got["file"]).startswith(f"{got['unpacked']}{os.sep}")
        assert str(got["unpacked"]).startswith(variables["WHEELHOOK_CACHE"] + os.sep)
        assert str(got["by_path"]).split()[0] in ("data", "file-ref")
    else:
        assert str(got["file"]).startswith(f"{wheel}{os.sep}")
        assert got["by_path"] is None and got["unpacked"] is None


def test_the_choice_is_remembered_with_the_resolution(
    host: Env, make_wheel, tmp_path: Path, variables: dict[str, str]
) -> None:
    make_wheel(WheelSpec("datafile", "1.0", DATAFILE))
    make_wheel(WheelSpec("plain", "1.0", PLAIN))
    scripts = {}
    for name in ("datafile", "plain"):
        # In a directory nothing else writes to: `sys.path[0]` is read by the resolution.
        scripts[name] = tmp_path / f"program-{name}" / "main.py"
        scripts[name].parent.mkdir()
        scripts[name].write_text(textwrap.dedent(SHOW.format(name=name, unpack="()")))
    # A directory that changed within the last 2 s is not remembered (`activation::SETTLE`).
    time.sleep(2.3)
    for name, unpacked in (("datafile", True), ("plain", False)):
        script = scripts[name]
        first, again = (
            json.loads(host.run_args(str(script), env=variables, cwd=script.parent).stdout)
            for _ in range(2)
        )
        assert (first["activation_hits"], again["activation_hits"]) == (0, 1)
        assert first["real"] is again["real"] is unpacked
        assert first["by_path"] == again["by_path"]
        assert first["file"] == again["file"]


def test_extension_keeps_the_files_beside_it(
    host: Env, make_wheel, variables: dict[str, str]
) -> None:
    # A compiled module that reads a file beside its own `__file__` (black's mypyc-compiled
    # `blib2to3.pygram` and its Grammar.txt): a real extension, put in a package with a file.
    real = zipfile.ZipFile(pypi_wheel("markupsafe==3.0.2"))
    so = next(
        n for n in real.namelist() if n.startswith("markupsafe/_speedups.") and n.endswith(".so")
    )
    leaf = so.rsplit("/", 1)[1]
    make_wheel(
        WheelSpec(
            "beside",
            "1.0",
            {
                "beside/__init__.py": (
                    "import os\n"
                    "from beside import _speedups\n"
                    "def run():\n"
                    "    here = os.path.dirname(_speedups.__file__)\n"
                    "    return open(os.path.join(here, 'Grammar.txt')).read()\n"
                ),
                f"beside/{leaf}": real.read(so),
                "beside/Grammar.txt": "file_input: stmt* ENDMARKER\n",
            },
            tag=Path(real.filename).name.split("-", 2)[2].removesuffix(".whl"),
            root_is_purelib=False,
        )
    )
    got = show(host, variables, "beside")
    assert got["got"] == "file_input: stmt* ENDMARKER\n"
    assert got["real"] is True


@pytest.mark.parametrize(
    ("unpack", "extra", "real"),
    [
        ("False", {}, False),
        ("['-datafile']", {}, False),
        ("()", {"WHEELHOOK_UNPACK": "-datafile"}, False),
        ("()", {"WHEELHOOK_UNPACK": "-*"}, False),
        ("['datafile']", {"WHEELHOOK_UNPACK": "-*"}, True),
        ("['-*', 'datafile']", {}, True),
        ("()", {"WHEELHOOK_UNPACK": "-datafile,datafile"}, True),
    ],
)
def test_overrides_serve_from_the_archive_or_unpacked(
    host: Env,
    make_wheel,
    variables: dict[str, str],
    unpack: str,
    extra: dict[str, str],
    real: bool,
) -> None:
    make_wheel(WheelSpec("datafile", "1.0", DATAFILE))
    got = show(host, {**variables, **extra}, "datafile", unpack)
    assert got["by_path"] == "data datafile/zoneinfo/CET"  # the choice it overrides
    assert got["real"] is real and (got["unpacked"] is not None) is real
    assert got["got"] == ("tz data\n" if real else "NotADirectoryError")


@pytest.mark.parametrize(
    ("unpack", "wanted"),
    [("()", [True, False]), ("['-datafile', 'plain']", [False, True])],
)
def test_children_make_the_same_choice(
    host: Env, make_wheel, variables: dict[str, str], unpack: str, wanted: list[bool]
) -> None:
    make_wheel(WheelSpec("datafile", "1.0", DATAFILE))
    make_wheel(WheelSpec("plain", "1.0", PLAIN))
    out = host.run(
        f"""
        import json, multiprocessing, os, subprocess, sys
        import wheelhook

        def real():
            import datafile, plain
            return [os.path.isfile(datafile.__file__), os.path.isfile(plain.__file__)]

        if __name__ == "__main__":
            wheelhook.require("datafile", "plain", unpack={unpack})
            child = subprocess.run(
                [sys.executable, "-c", "import wheelhook, json, main_script;"
                 " print(json.dumps(main_script.real()))"],
                capture_output=True, text=True, check=True,
            ).stdout
            with multiprocessing.get_context("spawn").Pool(1) as pool:
                spawned = pool.apply(real)
            print(json.dumps([real(), json.loads(child), spawned]))
        """,
        env=variables,
    )
    assert json.loads(out.stdout) == [wanted, wanted, wanted]


# Real wheels, with no option given.


def run_real(env: Env, store: Path, cache: Path, code: str) -> dict[str, object]:
    variables = {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(cache)}
    result: dict[str, object] = env.run_json(code, env=variables)
    return result


def real_store(tmp_path: Path, *pins: str) -> Path:
    store = tmp_path / "real-store"
    store.mkdir(exist_ok=True)
    for pin in pins:
        wheel = pypi_wheel(pin)
        os.link(wheel, store / wheel.name)
    return store


def test_pytz_timezone(host: Env, tmp_path: Path) -> None:
    store = real_store(tmp_path, "pytz==2024.2")
    got = run_real(
        host,
        store,
        tmp_path / "cache",
        """
        import datetime, json, wheelhook
        wheelhook.require("pytz==2024.2")
        import pytz
        paris = pytz.timezone("Europe/Paris")
        summer = paris.localize(datetime.datetime(2024, 7, 1, 12))
        print(json.dumps([pytz.__version__, summer.utcoffset().total_seconds()]))
        """,
    )
    assert got == ["2024.2", 7200.0]


def test_jinja2_package_loader_on_a_wheel_served_package(
    host: Env, make_wheel, tmp_path: Path
) -> None:
    store = real_store(tmp_path, "jinja2==3.1.4", "markupsafe==3.0.2")
    make_wheel(
        WheelSpec(
            "site-templates",
            "1.0",
            {
                "site_templates/__init__.py": "",
                "site_templates/templates/page.html": "<h1>{{ title }}</h1>",
            },
            requires=["jinja2==3.1.4"],
        ),
        store,
    )
    got = run_real(
        host,
        store,
        tmp_path / "cache",
        """
        import json, wheelhook
        wheelhook.require("site-templates")
        import jinja2
        env = jinja2.Environment(loader=jinja2.PackageLoader("site_templates"))
        print(json.dumps([jinja2.__version__, env.get_template("page.html").render(title="a<b")]))
        """,
    )
    assert got == ["3.1.4", "<h1>a<b</h1>"]


@pytest.mark.skipif(sys.version_info < (3, 10), reason="numpy 2.1.3 requires Python 3.10+")
def test_numpy_get_include_is_a_directory_of_headers(host: Env, tmp_path: Path) -> None:
    store = real_store(tmp_path, "numpy==2.1.3")
    got = run_real(
        host,
        store,
        tmp_path / "cache",
        """
        import json, os, wheelhook
        wheelhook.require("numpy==2.1.3")
        import numpy
        inc = numpy.get_include()
        print(json.dumps([numpy.__version__, inc, os.path.isfile(os.path.join(inc, "numpy",
            "arrayobject.h"))]))
        """,
    )
    assert got[0] == "2.1.3"
    assert str(got[1]).startswith(str(tmp_path / "cache") + os.sep)
    assert got[2] is True


#: black 26.10.1 (mypyc-compiled: `blib2to3/pygram` is an extension that reads Grammar.txt
#: beside it) and the versions of its dependencies it was checked with.
BLACK = [
    "black==26.10.1",
    "click==8.1.7",
    "mypy_extensions==1.2.0",
    "packaging==24.2",
    "pathspec==1.1.1",
    "platformdirs==4.14.9",
    "pytokens==0.4.1",
]


@pytest.mark.skipif(
    sys.version_info < (3, 11),
    reason="black 26.10.1 requires Python 3.10+, "
    "and on 3.10 also tomli and typing-extensions wheels, not pinned here",
)
def test_black_mypyc_extension_reads_grammar_beside_it(tmp_path: Path) -> None:
    store = real_store(tmp_path, *BLACK)
    env = new_env(tmp_path / "venv")
    got = run_real(
        env,
        store,
        tmp_path / "cache",
        """
        import json, wheelhook
        wheelhook.require("black==26.10.1")
        import black
        from blib2to3 import pygram
        out = black.format_str("x = ( 1,2 )", mode=black.Mode())
        print(json.dumps([black.__version__, out, pygram.__file__.endswith(".so")]))
        """,
    )
    assert got == ["26.10.1", "x = (1, 2)\n", True]
