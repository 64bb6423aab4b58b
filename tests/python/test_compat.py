"""Compatibility sweep: widely used PyPI distributions imported from their wheels, smoke-checked.

One venv with only wheelhook installed; the pinned wheels of `compat_packages.PINS` (fetched by
pip into the ignored `.cache/pypi/compat/`) form the store; each distribution runs in its own
subprocess, so one failure does not hide another. Inherent limits and known bugs are
`xfail(strict=True)` with their cause.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
from compat_packages import HELPERS, PINS, TABLE, Compat
from helpers import PYPI_CACHE, Env, cached_wheel, new_env, pip_download

COMPAT_CACHE = PYPI_CACHE / "compat"


def pinned_wheels() -> list[Path]:
    """The wheel of every pin (the table pins the dependencies too), fetched by pip when one is
    missing."""
    if any(cached_wheel(COMPAT_CACHE, pin) is None for pin in PINS):
        pip_download(COMPAT_CACHE, "--only-binary=:all:", *PINS)
    found = {pin: cached_wheel(COMPAT_CACHE, pin) for pin in PINS}
    missing = [pin for pin, path in found.items() if path is None]
    assert not missing, f"pip fetched no wheel for {missing}"
    return [path for path in found.values() if path is not None]


@pytest.fixture(scope="session")
def compat_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Env, dict[str, str]]:
    """A venv holding only wheelhook (and pip), a store of exactly the pinned wheels, a cache."""
    root = tmp_path_factory.mktemp("compat")
    store = root / "store"
    store.mkdir()
    for wheel in pinned_wheels():
        try:
            os.link(wheel, store / wheel.name)
        except OSError:
            shutil.copyfile(wheel, store / wheel.name)
    env = new_env(root / "venv")
    # Python < 3.12 venvs get setuptools, whose pkg_resources some packages fall back on:
    # without it, the sweep sees what a 3.12+ venv with only wheelhook sees.
    subprocess.run(
        [str(env.python), "-m", "pip", "uninstall", "--quiet", "--yes", "setuptools"], check=True
    )
    variables = {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(root / "cache")}
    return env, variables


def script(entry: Compat, store: str, cache: str) -> str:
    """The program run for `entry`: activate it, check where it comes from, run its smoke check."""
    return (
        HELPERS
        + textwrap.dedent(
            f"""
            import importlib, importlib.metadata, os, wheelhook
            wheelhook.require({entry.name + "==" + entry.version!r}, unpack={entry.unpack!r})
            mod = importlib.import_module({entry.module!r})
            assert mod.__file__.startswith(({store + os.sep!r}, {cache + os.sep!r})), mod.__file__
            assert importlib.metadata.version({entry.name!r}) == {entry.version!r}
            """
        )
        + textwrap.dedent(entry.smoke)
        + "\nprint('compat ok')\n"
    )


class KnownFailure(AssertionError):
    """The failure a limit or bug entry expects (its `symptom` is in the output)."""


def params() -> list[object]:
    out: list[object] = []
    for entry in TABLE:
        marks: list[pytest.MarkDecorator] = []
        if entry.limit:
            reason = f"inherent limit: {entry.limit}"
            marks.append(pytest.mark.xfail(strict=True, raises=KnownFailure, reason=reason))
        if entry.bug:
            reason = f"wheelhook bug: {entry.bug}"
            marks.append(pytest.mark.xfail(strict=True, raises=KnownFailure, reason=reason))
        out.append(pytest.param(entry, id=entry.id, marks=marks))
    return out


@pytest.mark.parametrize("entry", params())
def test_imports_from_wheel_and_works(
    compat_world: tuple[Env, dict[str, str]], entry: Compat
) -> None:
    env, variables = compat_world
    program = script(entry, variables["WHEELHOOK_PATH"], variables["WHEELHOOK_CACHE"])
    proc = env.run(program, env=variables, check=False)
    if proc.returncode != 0 or "compat ok" not in proc.stdout:
        tail = "\n".join(proc.stderr.strip().splitlines()[-25:])
        known = (entry.limit or entry.bug) and entry.symptom in proc.stderr
        raise (KnownFailure if known else AssertionError)(
            f"{entry.name} {entry.version} ({entry.kind}) failed:\n{tail}"
        )
