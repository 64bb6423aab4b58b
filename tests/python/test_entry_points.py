"""Entry points of the active set: `importlib.metadata` and `wheelhook.entry_points` report the
activated versions, agree with each other on real distributions, and `load_entry_point` checks
requirements first."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from helpers import Env, WheelSpec, build_wheel, last_json, new_env, pypi_wheel

#: Real distributions with console scripts: the first installed normally, the second a wheel in
#: the store that shadows it when activated.
INSTALLED = ["pycodestyle==2.12.1", "pyflakes==3.2.0"]
DROPPED = ["pycodestyle==2.11.1", "pyflakes==3.0.1"]


def collide(name: str) -> WheelSpec:
    """A distribution declaring the console script `collide`, as another one does."""
    module = name.replace("-", "_")
    return WheelSpec(
        name,
        "1.0",
        {
            f"{module}.py": "def main():\n    return 0\n",
            f"{module}-1.0.dist-info/entry_points.txt": (
                f"[console_scripts]\ncollide = {module}:main\n\n[collide.plugins]\n{name} = {module}\n"
            ),
        },
    )


def host_spec() -> WheelSpec:
    """A plugin host whose entry points need an extra, and a dependency only the store has."""
    return WheelSpec(
        "plug-host",
        "1.0",
        {
            "plug_host.py": "THING = 'thing'\n",
            "plug_host-1.0.dist-info/entry_points.txt": (
                "[plug.group]\n"
                "plain = plug_host:THING\n"
                "needs_missing = plug_host:THING [missing]\n"
                "needs_stored = plug_host:THING [stored]\n"
            ),
        },
        requires=["nowhere-dep>=1; extra == 'missing'", "plug-extra==2.0; extra == 'stored'"],
        extras=["missing", "stored"],
    )


@pytest.fixture(scope="module")
def plugin_env(tmp_path_factory: pytest.TempPathFactory) -> tuple[Env, Path]:
    """Real distributions installed and in the store, two colliding synthetic ones installed,
    and a plugin host whose extras need a wheel of the store."""
    root = tmp_path_factory.mktemp("plugins")
    built = root / "built"
    built.mkdir()
    store = root / "store"
    store.mkdir()
    installed = [str(pypi_wheel(r)) for r in INSTALLED]
    installed += [str(build_wheel(collide(n), built)) for n in ("collide-b", "collide-a")]
    installed.append(str(build_wheel(host_spec(), built)))
    for req in DROPPED:
        wheel = pypi_wheel(req)
        (store / wheel.name).write_bytes(wheel.read_bytes())
    build_wheel(WheelSpec("plug-extra", "2.0", {"plug_extra.py": "V = 2\n"}), store)
    env = new_env(root / "venv", "--no-deps", *installed)
    return env, store


COMPARE = """
    import json, sys
    {activate}
    import importlib.metadata as md
    import wheelhook

    def theirs():
        eps = md.entry_points()
        if sys.version_info < (3, 10):
            return [ep for group in eps.values() for ep in group], None
        groups = {g: eps.select(group=g) for g in eps.groups}
        return [ep for g in groups.values() for ep in g], groups

    def owner(ep):
        dist = getattr(ep, "dist", None)
        return None if dist is None else [dist.metadata["Name"], dist.version]

    def first_by_name(eps):
        out = {}
        for e in eps:
            out.setdefault(e.name, [e.group, e.value])
        return out

    def in_distribution_order():
        # What importlib.metadata.entry_points() lists (3.12 returns exactly this): each
        # distribution once, in distributions() order.
        seen, out = set(), []
        for d in md.distributions():
            key = d.metadata["Name"].lower().replace("_", "-").replace(".", "-")
            if key not in seen:
                seen.add(key)
                out += list(d.entry_points)
        return out

    listed, groups = theirs()
    ours = wheelhook.entry_points()
    winners = {}
    if groups is not None:
        for group, eps in groups.items():
            for name in eps.names:
                a = eps[name]
                b = wheelhook.entry_points(group=group)[name]
                winners[group + ":" + name] = [[a.value, owner(a)], [b.value, owner(b)]]
    print(json.dumps({
        "theirs": sorted([e.group, e.name, e.value] for e in listed),
        "ours": sorted([e.group, e.name, e.value] for e in ours),
        "owners": sorted([e.group, e.name, owner(e)] for e in ours),
        "winners": winners,
        "by_name": [first_by_name(in_distribution_order()), first_by_name(ours)],
        "versions": {d.metadata["Name"]: d.version for d in md.distributions()},
        "script": [[e.value, owner(e)] for e in wheelhook.entry_points(
            group="console_scripts", name="pycodestyle")],
    }))
"""


def compare(python: Path, store: Path, activate: str, tmp: Path) -> dict[str, object]:
    """Runs COMPARE under `python` (a venv's) with `store` on `WHEELHOOK_PATH`."""
    code = COMPARE.replace("{activate}", activate)
    env = Env(python.parent.parent)
    result: dict[str, object] = last_json(
        env.run(code, env={"WHEELHOOK_PATH": str(store)}, cwd=tmp).stdout
    )
    return result


@pytest.mark.parametrize("activate", [False, True], ids=["installed", "activated"])
def test_index_agrees_with_importlib_metadata(
    plugin_env: tuple[Env, Path], tmp_path: Path, activate: bool
) -> None:
    env, store = plugin_env
    code = f"import wheelhook; wheelhook.require(*{DROPPED!r})" if activate else ""
    got = compare(env.python, store, code, tmp_path)
    assert got["ours"] == got["theirs"]
    assert ["console_scripts", "collide", "collide_a:main"] in got["ours"]
    assert ["console_scripts", "collide", "collide_b:main"] in got["ours"]
    for key, (theirs, ours) in got["winners"].items():  # type: ignore[attr-defined]
        assert ours == theirs, key
    theirs_by_name, ours_by_name = got["by_name"]  # type: ignore[misc]
    assert ours_by_name == theirs_by_name
    versions = got["versions"]
    assert isinstance(versions, dict)
    want = DROPPED if activate else INSTALLED
    for req in want:
        name, _, version = req.partition("==")
        assert versions[name] == version, "importlib.metadata must list exactly the active version"
    if sys.version_info >= (3, 10):
        assert got["script"] == [["pycodestyle:_main", ["pycodestyle", want[0].split("==")[1]]]]
        assert ["console_scripts", "collide", ["collide-a", "1.0"]] in got["owners"]


def test_index_agrees_in_the_test_environment(plugin_env: tuple[Env, Path], tmp_path: Path) -> None:
    """Everything installed where the tests run, plus the real wheels activated."""
    _, store = plugin_env
    code = f"import wheelhook; wheelhook.require(*{DROPPED!r})"
    got = compare(Path(sys.executable), store, code, tmp_path)
    assert got["ours"] == got["theirs"]
    assert len(got["ours"]) >= 3  # type: ignore[arg-type]
    for key, (theirs, ours) in got["winners"].items():  # type: ignore[attr-defined]
        assert ours == theirs, key


CACHED = """
    import importlib, json, os, sys
    import wheelhook
    before = [ep.value for ep in wheelhook.entry_points(group="console_scripts", name="pyflakes")]
    # Read once: a changed file is not seen until the active set or the caches change.
    import importlib.metadata as md
    path = md.distribution("collide-a")._path / "entry_points.txt"
    path.write_text("[console_scripts]\\nlater = collide_a:main\\n")
    kept = wheelhook.entry_points(group="console_scripts", name="later")
    importlib.invalidate_caches()
    seen = wheelhook.entry_points(group="console_scripts", name="later")
    wheelhook.require("pyflakes==3.0.1")
    after = [ep.dist.version if sys.version_info >= (3, 10) else None
             for ep in wheelhook.entry_points(group="console_scripts", name="pyflakes")]
    print(json.dumps({"before": before, "kept": len(kept), "seen": len(seen), "after": after}))
"""


def test_the_index_is_read_once_and_follows_the_active_set(
    plugin_env: tuple[Env, Path], tmp_path: Path
) -> None:
    _, store = plugin_env
    # A copy of the environment's collide-a metadata is changed: work on a fresh venv.
    fresh = new_env(
        tmp_path / "venv",
        "--no-deps",
        str(pypi_wheel("pyflakes==3.2.0")),
        str(build_wheel(collide("collide-a"), tmp_path)),
    )
    got = fresh.run_json(CACHED, env={"WHEELHOOK_PATH": str(store)})
    assert got["before"] == ["pyflakes.api:main"]
    assert got["kept"] == 0, "the index must be read once, not on every call"
    assert got["seen"] == 1, "importlib.invalidate_caches() must refresh the index"
    assert got["after"] == (["3.0.1"] if sys.version_info >= (3, 10) else [None])


LOAD = """
    import json
    import wheelhook
    from wheelhook import entry_points, load_entry_point
    eps = {ep.name: ep for ep in entry_points(group="plug.group")}
    out = {"plain": load_entry_point(eps["plain"])}
    try:
        load_entry_point(eps["needs_missing"])
    except wheelhook.DistributionNotFound as e:
        out["missing"] = [type(e).__name__, str(e)]
    out["stored"] = load_entry_point(eps["needs_stored"])
    out["active"] = sorted(f"{a.name}=={a.version}" for a in wheelhook.active())
    real = next(iter(entry_points(group="console_scripts", name="pycodestyle")))
    out["real"] = load_entry_point(real).__name__
    print(json.dumps(out))
"""


def test_load_entry_point_checks_requirements_and_extras(plugin_env: tuple[Env, Path]) -> None:
    env, store = plugin_env
    got = env.run_json(LOAD, env={"WHEELHOOK_PATH": str(store)})
    assert got["plain"] == "thing"
    kind, message = got["missing"]
    assert kind == "DistributionNotFound"
    assert "nowhere-dep" in message
    assert got["stored"] == "thing"
    # The extra's requirement came from the store; the host and the real script were pinned.
    assert "plug-extra==2.0" in got["active"]
    assert "plug-host==1.0" in got["active"]
    assert got["real"] == "_main"


def test_load_entry_point_reports_a_conflict(tmp_path: Path) -> None:
    spec = WheelSpec(
        "needs-new",
        "1.0",
        {
            "needs_new.py": "X = 1\n",
            "needs_new-1.0.dist-info/entry_points.txt": "[g]\nx = needs_new:X\n",
        },
        requires=["plug-extra>=2"],
    )
    old = build_wheel(WheelSpec("plug-extra", "1.0", {"plug_extra.py": "V = 1\n"}), tmp_path)
    env = new_env(tmp_path / "venv", "--no-deps", str(build_wheel(spec, tmp_path)), str(old))
    out = env.run(
        "import wheelhook\n"
        "ep = next(iter(wheelhook.entry_points(group='g', name='x')))\n"
        "try:\n"
        "    wheelhook.load_entry_point(ep)\n"
        "except wheelhook.ResolutionError as e:\n"
        "    print(type(e).__name__, '|', e)\n"
    )
    assert "plug-extra" in out.stdout
    assert out.stdout.split(" |")[0] in {"VersionConflict", "DistributionNotFound"}
