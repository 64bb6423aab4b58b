"""A pytest plugin (`-p suite_probe`) that proves which copy of a package a test suite ran against.

Loaded into a real distribution's own test suite by `test_suites.py`. Its configuration is a JSON
file named by `SUITE_PROBE`: the modules to probe, the distribution and version expected, the
path prefixes the modules must come from, and where to write the result. At session start it
imports the modules, records `__file__` and `importlib.metadata.version()` and stops the run
(exit 4) when they are not the expected copy: a run that would silently test the installed
(wrong) version never gets to its tests. It then records each test node's outcome, and at the
end where every module of the watched distributions was loaded from.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import os
import sys
from typing import Any

import pytest

CONFIG: dict[str, Any] = {}
RESULT: dict[str, Any] = {"probe": {}, "outcomes": {}, "finish": {}}


def _where(name: str) -> dict[str, Any]:
    module = importlib.import_module(name)
    spec = getattr(module, "__spec__", None)
    return {
        "file": getattr(module, "__file__", None),
        "origin": getattr(spec, "origin", None),
        "loader": type(getattr(spec, "loader", None)).__name__,
    }


def _inside(path: str | None, prefixes: list[str]) -> bool:
    return path is not None and any(path.startswith(p) for p in prefixes)


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """After the suite's own conftest: it may load a hypothesis profile this one extends."""
    with open(os.environ["SUITE_PROBE"], encoding="utf-8") as f:
        CONFIG.update(json.load(f))
    for line in CONFIG.get("markers", []):
        config.addinivalue_line("markers", line)
    if CONFIG.get("hypothesis"):
        # A deadline of a few hundred ms is a coin toss on a loaded machine, and the two sides
        # run at the same time: keep the suite's profile, minus its deadline, on both sides.
        from hypothesis import settings

        settings.register_profile("suite-probe", settings(settings.default, deadline=None))
        settings.load_profile("suite-probe")


def pytest_sessionstart(session: pytest.Session) -> None:
    probe = RESULT["probe"]
    probe["python"] = sys.version
    probe["modules"] = {name: _where(name) for name in CONFIG["modules"] + CONFIG["native"]}
    probe["version"] = importlib.metadata.version(CONFIG["dist"])
    probe["versions"] = {name: importlib.metadata.version(name) for name in sorted(CONFIG["watch"])}
    problems = [
        f"{name} was imported from {info['file']}, not from {CONFIG['prefixes']}"
        for name, info in probe["modules"].items()
        if not _inside(info["file"], CONFIG["prefixes"])
    ]
    if probe["version"] != CONFIG["version"]:
        problems.append(f"importlib.metadata.version({CONFIG['dist']!r}) is {probe['version']}")
    probe["ok"] = not problems
    _write()
    if problems:
        pytest.exit("suite probe: " + "; ".join(problems), returncode=4)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        RESULT["outcomes"][report.nodeid] = "collect-error"


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    outcomes = RESULT["outcomes"]
    if hasattr(report, "wasxfail"):
        outcome = "xfailed" if report.skipped else "xpassed"
    elif report.when == "call":
        outcome = report.outcome
    elif report.failed:
        outcome = "error"
    elif report.skipped:
        outcome = "skipped"
    else:
        return  # a setup or teardown that passed says nothing of its own
    if outcomes.get(report.nodeid) in (None, "passed"):
        outcomes[report.nodeid] = outcome


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    tops = {name.partition(".")[0] for name in CONFIG["modules"]} | set(CONFIG["watch_modules"])
    RESULT["finish"] = {
        name: getattr(module, "__file__", None)
        for name, module in sorted(sys.modules.items())
        if name.partition(".")[0] in tops and module is not None
    }
    RESULT["exitstatus"] = int(exitstatus)
    _write()


def _write() -> None:
    path = CONFIG["result"]
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(RESULT, f, indent=1, sort_keys=True)
    os.replace(path + ".tmp", path)
