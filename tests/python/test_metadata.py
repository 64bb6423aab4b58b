"""`importlib.metadata` reports the active wheel, and never the default it shadows."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from helpers import Env, WheelSpec, build_wheel, new_env

#: `importlib.metadata.packages_distributions()` is new in Python 3.10: on 3.9 the tests that read
#: it check everything else.
OLD_METADATA = sys.version_info < (3, 10)


def ep_spec(version: str, script: str) -> WheelSpec:
    return WheelSpec(
        "ep-dist",
        version,
        {
            "ep_mod/__init__.py": f"VERSION = {version!r}\n",
            "ep_mod/data.txt": f"data of {version}\n",
            f"ep_dist-{version}.dist-info/entry_points.txt": (
                f"[console_scripts]\n{script} = ep_mod:main\n\n[ep.plugins]\n{script} = ep_mod\n"
            ),
        },
        requires=[f"colorama>={version}; extra == 'color'"],
        extras=["color"],
    )


@pytest.fixture(scope="module")
def ep_env(tmp_path_factory: pytest.TempPathFactory) -> tuple[Env, Path, Path]:
    """ep-dist 2.0 installed normally; 1.0 as a wheel in a store directory."""
    root = tmp_path_factory.mktemp("ep")
    built = root / "built"
    built.mkdir()
    store = root / "store"
    store.mkdir()
    installed = build_wheel(ep_spec("2.0", "ep-two"), built)
    wheel = build_wheel(ep_spec("1.0", "ep-one"), store)
    return new_env(root / "venv", str(installed)), store, wheel


SHOW = """
    import json, sys
    {activate}
    import importlib.metadata as md

    def group(name):
        eps = md.entry_points()
        if isinstance(eps, dict):   # 3.9
            return sorted(e.name for e in eps.get(name, ()) if e.name.startswith("ep-"))
        return sorted(e.name for e in eps.select(group=name) if e.name.startswith("ep-"))

    dist = md.distribution("ep-dist")
    files = md.files("ep_dist")
    data = [f for f in files if f.name == "data.txt"][0]
    print(json.dumps({
        "version": md.version("Ep_Dist"),
        "metadata": md.metadata("ep-dist")["Version"],
        "dist_version": dist.version,
        "requires": md.requires("ep-dist"),
        "files": sorted(str(f) for f in files),
        "located": str(data.locate()),
        "data": data.read_text(),
        "console_scripts": group("console_scripts"),
        "plugins": group("ep.plugins"),
        "dist_entry_points": sorted(f"{e.group}:{e.name}" for e in dist.entry_points),
        "listed": sorted(d.version for d in md.distributions() if d.metadata["Name"] == "ep-dist"),
        "packages": getattr(md, "packages_distributions", lambda: {})().get("ep_mod"),
        "pip": md.version("pip") is not None,
        "explicit_path": sorted(
            d.version for d in md.distributions(path=sys.path)
            if d.metadata["Name"] == "ep-dist"
        ),
        "module": __import__("ep_mod").VERSION,
    }))
"""


def show(env: Env, store: Path, activate: str) -> dict[str, object]:
    out = env.run(
        SHOW.replace("{activate}", activate.replace("\n", "\n    ")),
        env={"WHEELHOOK_PATH": str(store)},
    )
    result: dict[str, object] = json.loads(out.stdout)
    return result


def test_the_active_wheel_replaces_the_default_everywhere(ep_env: tuple[Env, Path, Path]) -> None:
    env, store, wheel = ep_env
    got = show(env, store, '__requires__ = ["ep-dist==1.0"]\nimport wheelhook')
    assert got["module"] == "1.0"
    assert got["version"] == got["metadata"] == got["dist_version"] == "1.0"
    assert got["requires"] == ["colorama>=1.0; extra == 'color'"]
    assert "ep_mod/data.txt" in got["files"]
    assert "ep_dist-1.0.dist-info/METADATA" in got["files"]
    # It ships a data file, so it is served unpacked: the file is a real one.
    located = Path(str(got["located"]))
    assert located.parts[-2:] == ("ep_mod", "data.txt")
    assert not str(located).startswith(str(wheel))
    assert located.read_text() == "data of 1.0\n"
    assert got["data"] == "data of 1.0\n"
    assert got["console_scripts"] == ["ep-one"], "the shadowed default's entry points leaked"
    assert got["plugins"] == ["ep-one"]
    assert got["dist_entry_points"] == ["console_scripts:ep-one", "ep.plugins:ep-one"]
    assert got["listed"] == ["1.0"], "distributions() must not list the shadowed default"
    assert got["packages"] == (None if OLD_METADATA else ["ep-dist"])
    assert got["pip"] is True
    # Asking about directories by name reports what is installed there.
    assert got["explicit_path"] == ["2.0"]


def test_without_activation_the_default_is_reported(ep_env: tuple[Env, Path, Path]) -> None:
    env, store, _ = ep_env
    got = show(env, store, "import wheelhook")
    assert got["module"] == "2.0"
    assert got["version"] == "2.0"
    assert got["console_scripts"] == ["ep-two"]
    assert got["listed"] == ["2.0"]
    assert got["packages"] in (None, ["ep-dist"])


def test_top_level_names_without_top_level_txt(host: Env, make_wheel, store: Path) -> None:
    make_wheel(
        WheelSpec(
            "multi-top",
            "1.0",
            {"alpha/__init__.py": "", "beta.py": "", "gamma/sub/__init__.py": ""},
        )
    )
    out = host.run(
        """
        import json, wheelhook
        wheelhook.require("multi-top")
        import importlib.metadata as md
        dist = md.distribution("multi-top")
        pd = getattr(md, "packages_distributions", lambda: None)()
        print(json.dumps({
            "top_level": dist.read_text("top_level.txt").split(),
            "packages": pd and {k: pd[k] for k in ("alpha", "beta", "gamma")},
            "missing": dist.read_text("nothing.txt"),
        }))
        """,
        env={"WHEELHOOK_PATH": str(store)},
    )
    got = json.loads(out.stdout)
    assert got["top_level"] == ["alpha", "beta", "gamma"]
    if not OLD_METADATA:
        assert got["packages"] == {k: ["multi-top"] for k in ("alpha", "beta", "gamma")}
    assert got["missing"] is None


def test_six_from_a_wheel_over_installed_six(six_env: Env, store: Path) -> None:
    from helpers import pypi_wheel

    wheel = pypi_wheel("six==1.15.0")
    (store / wheel.name).write_bytes(wheel.read_bytes())
    out = six_env.run(
        """
        __requires__ = ["six==1.15.0"]
        import wheelhook, json
        import importlib.metadata as md
        print(json.dumps({
            "versions": sorted(d.version for d in md.distributions()
                               if (d.metadata["Name"] or "").lower() == "six"),
            "packages": getattr(md, "packages_distributions", lambda: {})().get("six"),
            "record": [str(f.locate()) for f in md.files("six") if f.name == "six.py"],
        }))
        """,
        env={"WHEELHOOK_PATH": str(store)},
    )
    got = json.loads(out.stdout)
    assert got["versions"] == ["1.15.0"]
    assert got["packages"] == (None if OLD_METADATA else ["six"])
    assert got["record"] == [f"{store / wheel.name}/six.py"]
