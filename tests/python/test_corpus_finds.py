"""Failures found by the corpus sweep (corpus/sweep.py), reduced to synthetic wheels."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Env, WheelSpec


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
