"""Failures found by the corpus sweep (corpus/sweep.py), reduced to synthetic wheels."""

from __future__ import annotations

import _json
import os
from pathlib import Path

import pytest
from conftest import Env, WheelSpec
from packaging.tags import sys_tags


@pytest.mark.xfail(
    strict=True,
    reason="ray 2.60.0: a namespace package looked up while a directory inside a wheel is on "
    "sys.path recurses without end (the path entry asks the finder, which asks PathFinder over "
    "sys.path, which asks the path entry)",
)
def test_namespace_package_with_a_wheel_directory_on_sys_path(
    host: Env, make_wheel, store: Path, tmp_path: Path
) -> None:
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
        wheelhook.require("nsdemo==1.0")
        import pkg.sub.mod
        print(pkg.sub.mod.Y, pkg.sub.mod.__file__)
        """,
        env={"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(tmp_path / "cache")},
        check=False,
    )
    assert out.returncode == 0, out.stderr[-1500:]
    assert out.stdout.split() == ["2", f"{store}/nsdemo-1.0-py3-none-any.whl/pkg/sub/mod.py"]


@pytest.mark.xfail(
    strict=True,
    reason="black 26.10.1: a compiled module (mypyc's blib2to3/pygram) reads Grammar.txt beside "
    "its __file__, which is its copy in the native cache, where the wheel's data files are not",
)
def test_data_file_beside_an_extension_module(
    host: Env, make_wheel, store: Path, tmp_path: Path
) -> None:
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
