"""The path-entry finder for directories inside wheels: it finds the last component of the name
it is asked for in the directory it is handed, as `FileFinder` does for a directory on disk."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from helpers import Env, WheelSpec, last_json, pypi_wheel

#: The ydb 3.33.2 pattern: a package replaces itself in `sys.modules` with another (the
#: generated code for the protobuf in use), and its submodules are imported through it, so
#: importlib hands the other's `__path__` (its real directory) to the path-entry finder.
ALIASED = {
    "alias/__init__.py": "",
    "alias/_grpc/__init__.py": "",
    "alias/_grpc/common/__init__.py": (
        "import sys\nfrom alias._grpc import v6\nsys.modules[__name__] = v6\n"
    ),
    "alias/_grpc/v6/__init__.py": "V = 6\n",
    "alias/_grpc/v6/draft/__init__.py": "WHERE = __name__\n",
    "alias/_grpc/v6/draft/inner.py": "def f():\n    return 'inner'\n",
    "alias/_grpc/v6/mod.py": "def g():\n    return 'mod'\n",
    "alias/_grpc/v6/space/part.py": "P = 1\n",
}


def test_ok_submodules_of_an_aliased_package(host: Env, make_wheel, store: Path) -> None:
    make_wheel(WheelSpec("alias", "1.0", ALIASED))
    out = host.run(
        """
        import importlib, inspect, json, wheelhook
        wheelhook.require("alias==1.0")
        import alias._grpc.common.draft as draft
        import alias._grpc.common.draft.inner as inner
        import alias._grpc.common.mod as mod
        import alias._grpc.common.space.part as part
        try:
            import alias._grpc.common.missing
            missing = "imported"
        except ModuleNotFoundError as exc:
            missing = exc.name
        print(json.dumps({
            "draft": [draft.__name__, draft.WHERE, draft.__file__.split(".whl/")[1],
                      draft.__path__[0].split(".whl/")[1]],
            "inner": [inner.__name__, inner.f()],
            "mod": [mod.g(), inspect.getsource(mod.g).splitlines()[0]],
            "part": [part.P, part.__spec__.name],
            "missing": missing,
            "real_untouched": "alias._grpc.v6.draft" not in __import__("sys").modules,
        }))
        """,
        env={"WHEELHOOK_PATH": str(store)},
    )
    assert json.loads(out.stdout) == {
        "draft": [
            "alias._grpc.common.draft",
            "alias._grpc.common.draft",
            "alias/_grpc/v6/draft/__init__.py",
            "alias/_grpc/v6/draft",
        ],
        "inner": ["alias._grpc.common.draft.inner", "inner"],
        "mod": ["mod", "def g():"],
        "part": [1, "alias._grpc.common.space.part"],
        "missing": "alias._grpc.common.missing",
        "real_untouched": True,
    }


def test_ok_path_extended_with_another_wheels_directory(host: Env, make_wheel, store: Path) -> None:
    """A package that appends a directory of another wheel (a vendored or plugin directory) to
    its `__path__` imports and lists the modules there."""
    make_wheel(
        WheelSpec(
            "hostpkg",
            "1.0",
            {
                "hostpkg/__init__.py": (
                    "import os, addon\n"
                    "__path__.append(os.path.join(os.path.dirname(addon.__file__), 'plugins'))\n"
                ),
                "hostpkg/own.py": "OWN = True\n",
            },
            requires=["addon"],
        )
    )
    make_wheel(
        WheelSpec(
            "addon",
            "1.0",
            {
                "addon/__init__.py": "",
                "addon/plugins/one.py": "NAME = __name__\n",
                "addon/plugins/two/__init__.py": "NAME = __name__\n",
                "addon/plugins/two/sub.py": "NAME = __name__\n",
            },
        )
    )
    out = host.run(
        """
        import json, pkgutil, wheelhook
        wheelhook.require("hostpkg==1.0")
        import hostpkg, hostpkg.one, hostpkg.two.sub, hostpkg.own
        print(json.dumps({
            "names": [hostpkg.one.NAME, hostpkg.two.NAME, hostpkg.two.sub.NAME],
            "file": hostpkg.one.__file__.split(".whl/")[1],
            "listed": sorted((m.name, m.ispkg) for m in pkgutil.iter_modules(hostpkg.__path__)),
        }))
        """,
        env={"WHEELHOOK_PATH": str(store)},
    )
    assert json.loads(out.stdout) == {
        "names": ["hostpkg.one", "hostpkg.two", "hostpkg.two.sub"],
        "file": "addon/plugins/one.py",
        "listed": [["one", False], ["own", False], ["two", True]],
    }


def test_ok_extend_path_joins_a_directory_on_disk(host: Env, make_wheel, store: Path) -> None:
    """`pkgutil.extend_path` in a wheel's package adds the same package's directories on
    `sys.path`; names the wheel does not hold are declined by its entry and found on disk."""
    disk = host.root / "disk"
    (disk / "extpkg").mkdir(parents=True)
    (disk / "extpkg" / "ondisk.py").write_text("WHERE = 'disk'\n")
    make_wheel(
        WheelSpec(
            "extpkg",
            "1.0",
            {
                "extpkg/__init__.py": (
                    "from pkgutil import extend_path\n__path__ = extend_path(__path__, __name__)\n"
                ),
                "extpkg/inwheel.py": "WHERE = 'wheel'\n",
            },
        )
    )
    out = host.run(
        """
        import json, pkgutil, wheelhook
        wheelhook.require("extpkg==1.0")
        import extpkg, extpkg.inwheel, extpkg.ondisk
        print(json.dumps({
            "where": [extpkg.inwheel.WHERE, extpkg.ondisk.WHERE],
            "paths": len(extpkg.__path__),
            "listed": sorted(m.name for m in pkgutil.iter_modules(extpkg.__path__)),
        }))
        """,
        env={"WHEELHOOK_PATH": str(store), "PYTHONPATH": str(disk)},
    )
    assert json.loads(out.stdout) == {
        "where": ["wheel", "disk"],
        "paths": 2,
        "listed": ["inwheel", "ondisk"],
    }


#: ydb 3.33.2 and what it needs (pinned): `import ydb` imports `ydb._grpc.common.draft...`
#: through `ydb._grpc.common`, which replaces itself with `ydb._grpc.v6` for protobuf 6.
YDB = [
    "ydb==3.33.2",
    "grpcio==1.85.3",
    "protobuf==6.33.6",
    "packaging==26.4",
    "aiohttp==3.14.5",
    "aiohappyeyeballs==2.7.1",
    "aiosignal==1.4.0",
    "attrs==26.1.0",
    "frozenlist==1.8.0",
    "multidict==7.2.1",
    "propcache==0.5.4",
    "yarl==1.25.1",
    "idna==3.20",
    "typing_extensions==4.16.0",
]


@pytest.mark.skipif(
    sys.version_info < (3, 11),
    reason="ydb 3.33.2 needs Python 3.10+, and its pinned multidict 7.2.1 has no cp310 wheel",
)
@pytest.mark.parametrize("unpack", ["-ydb", ""], ids=["archive", "automatic"])
def test_ok_real_ydb_imports_through_its_alias(host: Env, store: Path, unpack: str) -> None:
    """From its archive, the path-entry finder answers for the alias's `__path__`; by default
    ydb is served unpacked (its sources use `__file__`), and the same import must work there."""
    for requirement in YDB:
        wheel = pypi_wheel(requirement)
        shutil.copyfile(wheel, store / wheel.name)
    out = host.run(
        f"""
        import json, sys, wheelhook
        wheelhook.require("ydb==3.33.2", unpack={[unpack] if unpack else []!r})
        import ydb
        draft = sys.modules["ydb._grpc.common.draft"]
        print(json.dumps([sys.modules["ydb._grpc.common"].__name__, draft.__name__,
                          draft.__file__]))
        """,
        env={"WHEELHOOK_PATH": str(store)},
    )
    common, name, file = last_json(out.stdout)
    assert [common, name] == ["ydb._grpc.v6", "ydb._grpc.common.draft"]
    assert file.endswith("/ydb/_grpc/v6/draft/__init__.py")
    assert (".whl/ydb/" in file) == (unpack == "-ydb")
