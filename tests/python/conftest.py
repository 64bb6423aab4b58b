"""Fixtures: wheels built on the fly, real wheels from PyPI (cached), and scenario venvs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from helpers import Env, WheelSpec, build_wheel, new_env, pypi_wheel


@pytest.fixture
def make_wheel(tmp_path: Path):
    """`make_wheel(WheelSpec(...), directory=None) -> Path`: a synthetic wheel in a store dir."""
    store = tmp_path / "store"
    store.mkdir(exist_ok=True)

    def make(spec: WheelSpec, directory: Path | None = None) -> Path:
        return build_wheel(spec, directory or store)

    return make


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="session")
def six_env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    """A venv with six 1.16.0 installed normally (the default) and wheelhook."""
    return new_env(tmp_path_factory.mktemp("six-env"), str(pypi_wheel("six==1.16.0")))


@pytest.fixture
def host(tmp_path: Path) -> Env:
    """The test interpreter's own environment (wheelhook installed), run from a scratch dir.

    Tests point `WHEELHOOK_PATH` at their own store; nothing is written to site-packages."""

    class Host(Env):
        @property
        def python(self) -> Path:
            return Path(sys.executable)

    return Host(tmp_path)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line of the safety suite's figures (hostile wheels refused, SIGKILLs survived...), one
    of the outcomes the real test suites agreed on."""
    figures = getattr(sys.modules.get("safety_zip"), "FIGURES", None)
    if figures:
        line = ", ".join(f"{key} {value}" for key, value in sorted(figures.items()))
        terminalreporter.write_line(f"safety figures: {line}")
    suites = getattr(sys.modules.get("test_suites"), "FIGURES", None)
    if suites:
        line = "; ".join(f"{key}: {value}" for key, value in sorted(suites.items()))
        terminalreporter.write_line(f"real test suites, identical from wheel and installed: {line}")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "suites: a slow real test suite (test_suites.py); run with `pytest -m suites`"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Slow real test suites stay out of the normal run; `-m suites` (any `-m`) selects them."""
    if config.option.markexpr:
        return
    slow = [item for item in items if item.get_closest_marker("suites")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker("suites")]
