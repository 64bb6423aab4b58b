"""The import protocol as CPython 3.9-3.13 drives it (and as 3.14/3.15 will): complete specs,
every loader method, nothing read from `__package__`/`__cached__`, no `load_module`, and no
DeprecationWarning from importlib, importlib.resources or importlib.metadata (`-W error`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from helpers import Env, WheelSpec

FILES: dict[str, bytes | str] = {
    "pkg/__init__.py": "X = 1\n",
    "pkg/sub.py": "from . import helper\nY = helper.Z + 1\n",
    "pkg/helper.py": "Z = 2\n",
    "pkg/script.py": "from . import helper\nW = helper.Z * 10\n",
    "pkg/data.txt": "hello\n",
    "pkg/inner/__init__.py": "",
    "nsp/one.py": "A = 1\n",
}


@pytest.fixture
def env(host: Env, make_wheel, store: Path) -> dict[str, str]:
    make_wheel(WheelSpec("pkg", "1.0", FILES))
    make_wheel(WheelSpec("nsp-two", "1.0", {"nsp/two.py": "B = 2\n"}))
    return {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(store.parent / "cache")}


def probe(host: Env, env: dict[str, str], code: str) -> dict[str, object]:
    """Runs `code` after activating both wheels from their archives (the protocol under test;
    the automatic choice would unpack `pkg`, whose sources use `__file__`), warnings as errors;
    returns its `out`."""
    proc = host.run_args(
        "-W",
        "error",
        "-c",
        "import json, sys, wheelhook\n"
        "wheelhook.require('pkg', 'nsp-two', unpack=False)\n"
        "out = {}\n" + code + "\nprint(json.dumps(out))\n",
        env=env,
    )
    result: dict[str, object] = json.loads(proc.stdout)
    return result


SPEC = """
import importlib, importlib.util
for name in ["pkg", "pkg.sub", "pkg.inner", "nsp", "nsp.one"]:
    module = importlib.import_module(name)
    spec = module.__spec__
    out[name] = {
        "loader": type(spec.loader).__name__ if spec.loader is not None else None,
        "origin": spec.origin,
        "has_location": spec.has_location,
        "cached": spec.cached,
        "parent": spec.parent,
        "locations": list(spec.submodule_search_locations)
        if spec.submodule_search_locations is not None else None,
        "file": getattr(module, "__file__", None),
        "path": list(module.__path__) if hasattr(module, "__path__") else None,
        "package": module.__package__,
        "loader_is_module_loader": module.__loader__ is spec.loader,
        "find_spec_again": importlib.util.find_spec(name).origin == spec.origin,
    }
"""


def test_ok_namespace_module_as_importlib_makes_one(
    host: Env, env: dict[str, str], tmp_path: Path
) -> None:
    """A namespace package from wheels has the attributes of one from directories (3.9-3.13
    set `__file__ = None`); its loader stays the wheel's, so `importlib.resources` can read it."""
    disk = tmp_path / "disk"
    (disk / "dirns").mkdir(parents=True)
    (disk / "dirns" / "mod.py").write_text("")
    out = probe(
        host,
        {**env, "PYTHONPATH": str(disk)},
        """
import dirns, nsp
def shape(module):
    return {
        "attrs": sorted(k for k in vars(module) if k.startswith("__")),
        "file": module.__file__,
        "origin": module.__spec__.origin,
        "has_location": module.__spec__.has_location,
    }
out["dir"] = shape(dirns)
out["wheel"] = shape(nsp)
""",
    )
    assert out["wheel"] == out["dir"]
    assert isinstance(out["dir"], dict) and out["dir"]["file"] is None


def test_ok_specs_are_complete(host: Env, env: dict[str, str], store: Path) -> None:
    out = probe(host, env, SPEC)
    wheel = f"{store}/pkg-1.0-py3-none-any.whl"
    two = f"{store}/nsp_two-1.0-py3-none-any.whl"
    pkg, sub, inner, nsp, one = (out[n] for n in ["pkg", "pkg.sub", "pkg.inner", "nsp", "nsp.one"])
    assert pkg == {
        "loader": "Loader",
        "origin": f"{wheel}/pkg/__init__.py",
        "has_location": True,
        # As zipimport: computed from the origin by ModuleSpec; nothing is ever written there
        # (compiled code lives in the private cache), and 3.15 stops reading it.
        "cached": f"{wheel}/pkg/__pycache__/__init__.{sys.implementation.cache_tag}.pyc",
        "parent": "pkg",
        "locations": [f"{wheel}/pkg"],
        "file": f"{wheel}/pkg/__init__.py",
        "path": [f"{wheel}/pkg"],
        "package": "pkg",
        "loader_is_module_loader": True,
        "find_spec_again": True,
    }
    assert isinstance(sub, dict) and isinstance(inner, dict)
    assert (sub["parent"], sub["package"], sub["locations"], sub["path"]) == (
        "pkg",
        "pkg",
        None,
        None,
    )
    assert sub["origin"] == sub["file"] == f"{wheel}/pkg/sub.py"
    assert (inner["parent"], inner["locations"]) == ("pkg.inner", [f"{wheel}/pkg/inner"])
    # A namespace package: no origin, no location, no file; both wheels' portions.
    assert isinstance(nsp, dict)
    assert (nsp["origin"], nsp["has_location"], nsp["cached"], nsp["file"]) == (
        None,
        False,
        None,
        None,
    )
    assert nsp["parent"] == nsp["package"] == "nsp"
    assert sorted(nsp["locations"]) == sorted([f"{wheel}/nsp", f"{two}/nsp"])  # type: ignore[arg-type]
    assert nsp["path"] == nsp["locations"]
    assert isinstance(one, dict) and one["parent"] == "nsp" and one["has_location"] is True


LOADER = """
import importlib, inspect, pkgutil, runpy, types
import pkg, pkg.sub
loader = pkg.__spec__.loader
spec = pkg.sub.__spec__
out["create_module"] = loader.create_module(spec)
fresh = importlib.util.module_from_spec(spec)
loader.exec_module(fresh)
out["exec_module"] = [fresh.Y, fresh is not pkg.sub]
code = loader.get_code("pkg.sub")
out["get_code"] = [isinstance(code, types.CodeType), code.co_filename]
out["get_source"] = loader.get_source("pkg.sub")
out["get_filename"] = [loader.get_filename("pkg"), loader.get_filename("pkg.sub")]
out["is_package"] = [loader.is_package("pkg"), loader.is_package("pkg.sub"), loader.is_package("nsp")]
out["get_data"] = loader.get_data(pkg.__path__[0] + "/data.txt").decode()
try:
    loader.get_data(pkg.__path__[0] + "/missing.txt")
except OSError as e:
    out["get_data_missing"] = type(e).__name__
reader = loader.get_resource_reader("pkg")
out["get_resource_reader"] = [
    reader.files().joinpath("data.txt").read_text(),
    sorted(p.name for p in reader.files().iterdir()),
]
out["pkgutil.get_data"] = pkgutil.get_data("pkg", "data.txt").decode()
out["inspect"] = inspect.getsource(pkg.sub).splitlines()[0]
out["runpy"] = runpy.run_module("pkg.script")["W"]
out["reload"] = importlib.reload(pkg.sub).Y
out["load_module"] = hasattr(loader, "load_module")
"""


def test_ok_loader_methods(host: Env, env: dict[str, str], store: Path) -> None:
    out = probe(host, env, LOADER)
    wheel = f"{store}/pkg-1.0-py3-none-any.whl"
    assert out == {
        "create_module": None,
        "exec_module": [3, True],
        "get_code": [True, f"{wheel}/pkg/sub.py"],
        "get_source": FILES["pkg/sub.py"],
        "get_filename": [f"{wheel}/pkg/__init__.py", f"{wheel}/pkg/sub.py"],
        "is_package": [True, False, True],
        "get_data": "hello\n",
        "get_data_missing": "FileNotFoundError",
        "get_resource_reader": [
            "hello\n",
            ["__init__.py", "data.txt", "helper.py", "inner", "script.py", "sub.py"],
        ],
        "pkgutil.get_data": "hello\n",
        "inspect": "from . import helper",
        "runpy": 20,
        "reload": 3,
        # The import system has not called it since 3.4 and drops it in 3.15.
        "load_module": False,
    }


def test_ok_nothing_read_from_package_or_cached(host: Env, env: dict[str, str]) -> None:
    """3.15 stops setting `__package__`/`__cached__`: a loader must work without them."""
    out = probe(
        host,
        env,
        """
import importlib, pkgutil
import pkg, pkg.sub
for module in (pkg, pkg.sub):
    del module.__cached__
    module.__package__ = None
out["reload"] = importlib.reload(pkg.sub).Y
out["data"] = pkgutil.get_data("pkg", "data.txt").decode()
import importlib.resources
out["files"] = importlib.resources.files("pkg").joinpath("data.txt").read_text()
""",
    )
    assert out == {"reload": 3, "data": "hello\n", "files": "hello\n"}


RESOURCES = """
import importlib.resources as resources
import pkgutil
import pkg
files = resources.files("pkg")
out["files"] = files.joinpath("data.txt").read_bytes().decode()
out["is_file"] = [files.joinpath("data.txt").is_file(), files.joinpath("inner").is_dir()]
with resources.as_file(files.joinpath("data.txt")) as path:
    out["as_file"] = open(path).read()
out["iter_modules"] = sorted(m.name for m in pkgutil.iter_modules(pkg.__path__))
import importlib.metadata as metadata
out["metadata"] = [metadata.version("pkg"), sorted(str(f) for f in metadata.files("pkg"))[0]]
if sys.version_info >= (3, 10):
    import nsp
    out["namespace"] = sorted(p.name for p in resources.files("nsp").iterdir())
"""


def test_ok_resources_and_metadata_without_deprecation(host: Env, env: dict[str, str]) -> None:
    out = probe(host, env, RESOURCES)
    expected: dict[str, object] = {
        "files": "hello\n",
        "is_file": [True, True],
        "as_file": "hello\n",
        "iter_modules": ["helper", "inner", "script", "sub"],
        "metadata": ["1.0", "nsp/one.py"],
    }
    if sys.version_info >= (3, 10):
        expected["namespace"] = ["one.py", "two.py"]
    assert out == expected


def test_ok_resource_reader_is_traversable_resources(host: Env, env: dict[str, str]) -> None:
    """The reader is the ABC 3.14 keeps (`importlib.resources.abc.TraversableResources`), not
    the deprecated `importlib.abc.ResourceReader` protocol alone."""
    out = probe(
        host,
        env,
        """
import pkg
if sys.version_info >= (3, 11):
    from importlib.resources.abc import TraversableResources
else:
    from importlib.abc import TraversableResources
reader = pkg.__spec__.loader.get_resource_reader("pkg")
out["abc"] = isinstance(reader, TraversableResources)
out["open_resource"] = reader.open_resource("data.txt").read().decode()
out["is_resource"] = [reader.is_resource("data.txt"), reader.is_resource("inner")]
""",
    )
    assert out == {"abc": True, "open_resource": "hello\n", "is_resource": [True, False]}
