"""Concurrency: many threads importing from the same and different wheels, activations racing
imports and each other, `importlib.metadata` racing activation. Run in fresh interpreters with
a tiny switch interval (and truly parallel on a free-threaded build)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import Env, WheelSpec

WHEELS = 6
MODULES = 12

# Shared by every scenario: start all threads at once, collect every exception.
PRELUDE = """
import importlib, importlib.metadata, json, sys, threading, traceback
import wheelhook
from wheelhook.errors import VersionConflict
sys.setswitchinterval(1e-6)
errors = []

def run_threads(targets):
    barrier = threading.Barrier(len(targets))
    def wrap(target, *args):
        def go():
            barrier.wait()
            try:
                target(*args)
            except BaseException:
                errors.append(traceback.format_exc())
        return go
    threads = [threading.Thread(target=wrap(*t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
"""


def package_wheel(i: int, version: str = "1.0") -> WheelSpec:
    """Package `pkg{i}`: submodules that import their predecessor, and a data file.

    No import cycle: threads importing modules that import each other in a cycle can get
    CPython's own `_DeadlockError` (3.9 reports it readily), from directories as from wheels."""
    files: dict[str, bytes | str] = {
        f"pkg{i}/__init__.py": f"VERSION = {version!r}\n",
        f"pkg{i}/data.txt": f"pkg{i} {version}\n",
    }
    for j in range(MODULES):
        body = f"VALUE = ({i}, {j}, {version!r})\n"
        if j:
            body += f"from pkg{i} import m{j - 1} as previous\n"
        files[f"pkg{i}/m{j}.py"] = body
    return WheelSpec(f"pkg{i}", version, files)


@pytest.fixture
def wheels(make_wheel, store: Path) -> dict[str, str]:
    for i in range(WHEELS):
        make_wheel(package_wheel(i))
    make_wheel(package_wheel(0, "2.0"))
    return {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(store.parent / "cache")}


def run(host: Env, code: str, env: dict[str, str]) -> dict[str, object]:
    proc = host.run(PRELUDE + code, env=env)
    out: dict[str, object] = json.loads(proc.stdout)
    return out


@pytest.mark.parametrize("cache", ["cold", "warm"])
def test_ok_threads_import_same_and_different_wheels(
    host: Env, wheels: dict[str, str], cache: str
) -> None:
    code = f"""
wheelhook.require(*["pkg%d==1.0" % i for i in range({WHEELS})])
seen = {{}}
def importer(seed):
    order = [(i, j) for i in range({WHEELS}) for j in range({MODULES})]
    order = order[seed:] + order[:seed]
    for i, j in order:
        m = importlib.import_module("pkg%d.m%d" % (i, j))
        assert m.VALUE == (i, j, "1.0"), m.VALUE
        assert m.__spec__.loader.get_data(m.__file__.rsplit("/", 1)[0] + "/data.txt")
        if j:
            assert m.previous is sys.modules["pkg%d.m%d" % (i, j - 1)]
        seen[(seed, i, j)] = id(m)
run_threads([(importer, seed) for seed in range(16)])
ids = {{}}
for (_, i, j), ident in seen.items():
    ids.setdefault((i, j), set()).add(ident)
print(json.dumps({{
    "errors": errors,
    "one_module_each": all(len(v) == 1 for v in ids.values()),
    "imported": len(ids),
    "stats": wheelhook.finder().stats(),
}}))
"""
    if cache == "warm":
        run(host, code, wheels)
    out = run(host, code, wheels)
    assert out["errors"] == []
    assert out["one_module_each"] is True
    assert out["imported"] == WHEELS * MODULES
    stats = out["stats"]
    assert isinstance(stats, dict)
    # Each module compiled or unmarshalled once, whatever the number of threads.
    assert stats["compiled"] + stats["cache_hits"] == WHEELS * (MODULES + 1)
    if cache == "warm":
        assert stats["compiled"] == 0


def test_ok_activation_races_imports_and_metadata(host: Env, wheels: dict[str, str]) -> None:
    out = run(
        host,
        f"""
done = threading.Event()
versions = []
def activate(i):
    got = wheelhook.require("pkg%d==1.0" % i)
    assert [(d.name, d.version) for d in got] == [("pkg%d" % i, "1.0")], got
    m = importlib.import_module("pkg%d.m%d" % (i, {MODULES - 1}))
    assert m.VALUE == (i, {MODULES - 1}, "1.0")
def importer(i):
    # Retries until another thread has activated the wheel.
    while True:
        try:
            m = importlib.import_module("pkg%d" % i)
        except ModuleNotFoundError:
            continue
        assert m.VERSION == "1.0"
        return
def metadata(i):
    name = "pkg%d" % i
    while True:
        try:
            versions.append(importlib.metadata.version(name))
        except importlib.metadata.PackageNotFoundError:
            continue
        dists = [d.metadata["Name"] for d in importlib.metadata.distributions()]
        assert name in dists, dists
        return
targets = []
for i in range({WHEELS}):
    targets += [(activate, i), (importer, i), (metadata, i), (importer, i)]
run_threads(targets)
print(json.dumps({{
    "errors": errors,
    "versions": sorted(set(versions)),
    "active": [(d.name, d.version) for d in wheelhook.active()],
}}))
""",
        wheels,
    )
    assert out["errors"] == []
    assert out["versions"] == ["1.0"]
    assert out["active"] == [[f"pkg{i}", "1.0"] for i in range(WHEELS)]


@pytest.mark.parametrize("attempt", range(4))
def test_ok_conflicting_activations_pin_one_version(
    host: Env, wheels: dict[str, str], attempt: int
) -> None:
    """Threads asking for pkg0 1.0 and 2.0 at once: one version wins everywhere (the pins,
    the modules served, the metadata), the others get `VersionConflict`."""
    out = run(
        host,
        """
won, lost = [], []
def activate(version):
    try:
        got = wheelhook.require("pkg0==" + version)
    except VersionConflict:
        lost.append(version)
    else:
        won.append([d.version for d in got])
run_threads([(activate, v) for v in ["1.0", "2.0"] * 6])
import os, pkg0, pkg0.m5
print(json.dumps({
    "errors": errors,
    "won": won,
    "lost": lost,
    "module": [pkg0.VERSION, pkg0.m5.VALUE[2], pkg0.__file__],
    "metadata": importlib.metadata.version("pkg0"),
    "pins": os.environ["WHEELHOOK_REQUIRES"],
}))
""",
        wheels,
    )
    assert out["errors"] == []
    won, lost = out["won"], out["lost"]
    assert isinstance(won, list) and isinstance(lost, list)
    winner = won[0][0]
    assert won == [[winner]] * 6, won
    # Every request for the other version fails: none is answered with the winner's.
    assert lost == [next(iter({"1.0", "2.0"} - {winner}))] * 6, lost
    module = out["module"]
    assert isinstance(module, list)
    assert module[:2] == [winner, winner] and f"pkg0-{winner}-" in module[2]
    assert out["metadata"] == winner
    assert out["pins"] == f"pkg0=={winner}"
