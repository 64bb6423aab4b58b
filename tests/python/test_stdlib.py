"""Standard-library names never lie: a wheel providing a standard-library module is activated
only with `override_stdlib=True`, so `import` and `importlib.metadata` always agree."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import Env, WheelSpec, pypi_wheel

#: Prints what `import NAME`, `importlib.metadata` and the active set say about DIST.
REPORT = """
def report(dist, name):
    import importlib, importlib.metadata as md, sys, wheelhook
    try:
        version = md.version(dist)
    except md.PackageNotFoundError:
        version = None
    module = importlib.import_module(name)
    return {
        "version": version,
        "from_wheel": ".whl" in (getattr(module, "__file__", None) or ""),
        "active": sorted(d.name for d in wheelhook.active() if d.kind == "wheel"),
    }
"""


@pytest.fixture
def argparse_store(store: Path) -> Path:
    wheel = pypi_wheel("argparse==1.4.0")
    shutil.copyfile(wheel, store / wheel.name)
    return store


def test_err_direct_stdlib_name_then_override(host: Env, argparse_store: Path) -> None:
    out = host.run(
        REPORT
        + """
import json, wheelhook
try:
    wheelhook.require("argparse==1.4.0")
    error = None
except wheelhook.StdlibConflict as exc:
    error = [str(exc), isinstance(exc, wheelhook.ResolutionError), isinstance(exc, ImportError)]
import importlib.metadata as md
try:
    before = md.version("argparse")
except md.PackageNotFoundError:
    before = None
got = wheelhook.require("argparse==1.4.0", override_stdlib=True)
print(json.dumps({"error": error, "before": before, "top": got[0].top_level,
                  "after": report("argparse", "argparse")}))
""",
        env={"WHEELHOOK_PATH": str(argparse_store)},
    )
    got = json.loads(out.stdout)
    message, is_resolution, is_import = got["error"]
    assert is_resolution and is_import
    assert 'its module "argparse" is also in the standard library' in message
    assert "argparse 1.4.0 from " in message and "argparse-1.4.0-py2.py3-none-any.whl" in message
    assert "override_stdlib=True" in message
    assert got["before"] is None  # nothing claimed 1.4.0 while the stdlib's served
    assert got["top"] == ["argparse"]
    assert got["after"] == {"version": "1.4.0", "from_wheel": True, "active": ["argparse"]}


def test_ok_without_override_the_stdlib_serves_and_metadata_agrees(
    host: Env, argparse_store: Path
) -> None:
    out = host.run(
        REPORT
        + """
import json, wheelhook
try:
    wheelhook.require("argparse==1.4.0")
except wheelhook.StdlibConflict:
    pass
print(json.dumps(report("argparse", "argparse")))
""",
        env={"WHEELHOOK_PATH": str(argparse_store)},
    )
    assert json.loads(out.stdout) == {"version": None, "from_wheel": False, "active": []}


def test_err_override_after_the_stdlib_module_is_imported(host: Env, argparse_store: Path) -> None:
    out = host.run(
        """
import argparse, json, wheelhook
try:
    wheelhook.require("argparse==1.4.0", override_stdlib=True)
    print(json.dumps(None))
except wheelhook.VersionConflict as exc:
    print(json.dumps([str(exc), argparse.__file__, [d.name for d in wheelhook.active()]]))
""",
        env={"WHEELHOOK_PATH": str(argparse_store)},
    )
    message, stdlib_file, active = json.loads(out.stdout)
    assert (
        f"""the standard library's module "argparse" is already imported from {stdlib_file}"""
        in (message)
    )
    assert "only before its first import" in message
    assert active == []


BACKPORT = WheelSpec("colorsys-back", "1.0", {"colorsys.py": "BACKPORT = True\n"})
MIXED = WheelSpec(
    "colorsys-mixed", "1.0", {"colorsys.py": "BACKPORT = True\n", "colorsys_mixed.py": ""}
)


@pytest.mark.parametrize(
    ("backport", "override", "expected"),
    [
        # Pulled in without a marker: the stdlib's module serves, the backport is not active.
        (BACKPORT, False, {"version": None, "from_wheel": False, "active": ["oldtool"]}),
        (
            BACKPORT,
            True,
            {"version": "1.0", "from_wheel": True, "active": ["colorsys-back", "oldtool"]},
        ),
        (
            MIXED,
            True,
            {"version": "1.0", "from_wheel": True, "active": ["colorsys-mixed", "oldtool"]},
        ),
    ],
    ids=["left-to-stdlib", "override", "mixed-override"],
)
def test_ok_transitive_backport(
    host: Env,
    make_wheel,
    store: Path,
    backport: WheelSpec,
    override: bool,
    expected: dict[str, object],
) -> None:
    make_wheel(backport)
    make_wheel(WheelSpec("oldtool", "1.0", {"oldtool.py": ""}, requires=[backport.name]))
    out = host.run(
        REPORT
        + f"""
import json, wheelhook
wheelhook.require("oldtool==1.0", override_stdlib={override})
print(json.dumps(report("{backport.name}", "colorsys")))
""",
        env={"WHEELHOOK_PATH": str(store)},
    )
    assert json.loads(out.stdout) == expected


@pytest.mark.parametrize("direct", [True, False], ids=["direct", "transitive"])
def test_ok_other_modules_served_stdlib_names_left(
    host: Env, make_wheel, store: Path, direct: bool
) -> None:
    """A wheel with other modules besides a stdlib-named one serves those; the stdlib-named one
    is the standard library's, as with a normal install (site-packages after the stdlib)."""
    make_wheel(MIXED)
    make_wheel(WheelSpec("oldtool", "1.0", {"oldtool.py": ""}, requires=["colorsys-mixed"]))
    requirement = "colorsys-mixed==1.0" if direct else "oldtool==1.0"
    out = host.run(
        REPORT
        + f"""
import json, logging, wheelhook
logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
got = wheelhook.require("{requirement}")
import colorsys_mixed
print(json.dumps([[d.top_level for d in got if d.name == "colorsys-mixed"],
                  colorsys_mixed.__file__.split(".whl/")[1],
                  report("colorsys-mixed", "colorsys")]))
""",
        env={"WHEELHOOK_PATH": str(store)},
    )
    top, file, report = json.loads(out.stdout)
    assert top == [["colorsys_mixed"]]
    assert file == "colorsys_mixed.py"
    active = ["colorsys-mixed"] if direct else ["colorsys-mixed", "oldtool"]
    assert report == {"version": "1.0", "from_wheel": False, "active": active}
    assert 'its modules "colorsys" are left to the standard library' in out.stderr


def test_ok_left_to_stdlib_is_logged(host: Env, make_wheel, store: Path) -> None:
    make_wheel(BACKPORT)
    make_wheel(WheelSpec("oldtool", "1.0", {"oldtool.py": ""}, requires=["colorsys-back"]))
    out = host.run(
        """
import logging, wheelhook
logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
print([d.name for d in wheelhook.require("oldtool==1.0")])
""",
        env={"WHEELHOOK_PATH": str(store)},
    )
    assert out.stdout.strip() == "['oldtool']"
    assert "wheelhook: colorsys-back 1.0 from " in out.stderr
    assert 'is not activated: its modules "colorsys" are the standard library\'s' in out.stderr


def test_err_requires_in_main_names_the_flag(host: Env, make_wheel, store: Path) -> None:
    make_wheel(WheelSpec("jsonback", "1.0", {"json/__init__.py": "HIJACKED = True\n"}))
    proc = host.run(
        '__requires__ = "jsonback"\nimport wheelhook\n',
        env={"WHEELHOOK_PATH": str(store)},
        check=False,
    )
    assert proc.returncode != 0
    assert "StdlibConflict" in proc.stderr and 'its module "json"' in proc.stderr


#: unittest2 1.1.0 requires argparse with no marker (it predates them): on Python 3 the
#: standard library's argparse serves it.
UNITTEST2 = [
    "unittest2==1.1.0",
    "argparse==1.4.0",
    "six==1.16.0",
    "traceback2==1.4.0",
    "linecache2==1.0.0",
]


@pytest.mark.parametrize("override", [False, True])
def test_ok_real_transitive_argparse(host: Env, store: Path, override: bool) -> None:
    for requirement in UNITTEST2:
        wheel = pypi_wheel(requirement)
        shutil.copyfile(wheel, store / wheel.name)
    out = host.run(
        REPORT
        + f"""
import json, wheelhook
got = wheelhook.require("unittest2==1.1.0", override_stdlib={override})
print(json.dumps([sorted(d.name for d in got), report("argparse", "argparse")]))
""",
        env={"WHEELHOOK_PATH": str(store)},
    )
    resolved, report = json.loads(out.stdout)
    others = ["linecache2", "six", "traceback2", "unittest2"]
    if override:
        assert resolved == ["argparse", *others]
        assert report == {"version": "1.4.0", "from_wheel": True, "active": resolved}
    else:
        assert resolved == others
        assert report == {"version": None, "from_wheel": False, "active": others}


def test_ok_children_serve_what_the_parent_overrode(host: Env, argparse_store: Path) -> None:
    """The pins a child gets name argparse; the child serves it from the wheel too, rather than
    refusing a pin its parent activated with the flag."""
    out = host.run(
        """
import json, os, subprocess, sys, wheelhook
wheelhook.require("argparse==1.4.0", override_stdlib=True)
child = "import wheelhook, argparse, importlib.metadata as md; " \\
        "print(md.version('argparse'), '.whl' in argparse.__file__)"
got = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True)
print(json.dumps([os.environ["WHEELHOOK_OVERRIDE_STDLIB"], got.stdout.split(), got.stderr]))
""",
        env={"WHEELHOOK_PATH": str(argparse_store)},
    )
    assert json.loads(out.stdout) == ["argparse", ["1.4.0", "True"], ""]
