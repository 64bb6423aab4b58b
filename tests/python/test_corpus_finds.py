"""Failures found by the corpus sweep (corpus/sweep.py), reduced to synthetic wheels."""

from __future__ import annotations

import _json
import os
from pathlib import Path

import pytest
from helpers import Env, WheelSpec
from packaging.tags import sys_tags


@pytest.mark.parametrize("unpack", ["-nsdemo", "nsdemo"], ids=["archive", "unpacked"])
def test_namespace_package_with_a_wheel_directory_on_sys_path(
    host: Env, make_wheel, store: Path, tmp_path: Path, unpack: str
) -> None:
    """ray 2.60.0 puts a directory of its wheel on sys.path (`ray/thirdparty_files`); looking up a
    namespace package then recursed without end (the path entry asked the finder, which asked
    PathFinder over sys.path, which asked the path entry). Served from the archive, the path
    entry is what answers; unpacked (the automatic choice, as the package uses `__file__`), the
    directory is a real one."""
    make_wheel(
        WheelSpec(
            "nsdemo",
            "1.0",
            files={
                # As ray does with ray/thirdparty_files: a directory of the wheel on sys.path.
                "pkg/__init__.py": "import os, sys\n"
                "sys.path.append(os.path.join(os.path.dirname(__file__), 'vendor'))\n",
                "pkg/vendor/helper.py": "X = 1\n",
                "pkg/sub/mod.py": "Y = 2\n",  # pkg/sub has no __init__.py: a namespace package
            },
        )
    )
    out = host.run(
        """
        import wheelhook
        wheelhook.require("nsdemo==1.0", unpack=[UNPACK])
        import pkg.sub.mod
        print(pkg.sub.mod.Y, pkg.sub.mod.__file__)
        """.replace("UNPACK", repr(unpack)),
        env={"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(tmp_path / "cache")},
        check=False,
    )
    assert out.returncode == 0, out.stderr[-1500:]
    value, file = out.stdout.split()
    assert value == "2"
    if unpack.startswith("-"):
        assert file == f"{store}/nsdemo-1.0-py3-none-any.whl/pkg/sub/mod.py"
    else:
        assert file.startswith(f"{tmp_path / 'cache'}/") and file.endswith("/pkg/sub/mod.py")


def test_data_file_beside_an_extension_module(
    host: Env, make_wheel, store: Path, tmp_path: Path
) -> None:
    """black 26.10.1: a compiled module (mypyc's blib2to3/pygram) reads Grammar.txt beside its
    `__file__`. A wheel whose package ships a data file is served unpacked, with its compiled
    modules in the same copy, so the file is there."""
    # A copy of the standard library's `_json` stands for the compiled module: it loads as
    # `pkg._json`, and nothing is compiled.
    extension = Path(_json.__file__).read_bytes()
    make_wheel(
        WheelSpec(
            "extdata",
            "1.0",
            files={
                "pkg/__init__.py": "",
                f"pkg/{os.path.basename(_json.__file__)}": extension,
                "pkg/Grammar.txt": "file_input: stmt* ENDMARKER\n",
            },
            tag=str(next(iter(sys_tags()))),
            root_is_purelib=False,
        )
    )
    out = host.run(
        """
        import os, wheelhook
        wheelhook.require("extdata==1.0")
        import pkg._json
        with open(os.path.join(os.path.dirname(pkg._json.__file__), "Grammar.txt")) as f:
            print(f.read().strip())
        """,
        env={"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(tmp_path / "cache")},
        check=False,
    )
    assert out.returncode == 0, out.stderr[-1500:]
    assert out.stdout.strip() == "file_input: stmt* ENDMARKER"
