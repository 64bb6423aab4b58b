"""The activation cache: a program started again with the same requirements neither lists the
store nor resolves, and never gets an answer the file system no longer supports."""

from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path

from helpers import Env, WheelSpec

#: How long a directory must have been left alone before a resolution that read it is kept
#: (`activation::SETTLE`, plus a margin).
SETTLE = 2.3

PROGRAM = """
__requires__ = ["kappa", "pip"]
import json, wheelhook, kappa
print(json.dumps({
    "hits": wheelhook.finder().stats()["activation_hits"],
    "x": kappa.X,
    "active": [[d.name, d.version, d.kind, d.path] for d in wheelhook.active()],
}))
"""


def start(host: Env, script: Path, store: Path, cache: Path) -> dict[str, object]:
    env = {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(cache)}
    proc = host.run_args(str(script), env=env, cwd=script.parent)
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def program(tmp_path: Path) -> Path:
    """The program, in a directory of its own that nothing else writes to (`sys.path[0]` is
    one of the directories a resolution reads)."""
    directory = tmp_path / "program"
    directory.mkdir()
    script = directory / "main.py"
    script.write_text(PROGRAM)
    return script


def remembered(host: Env, script: Path, store: Path, cache: Path) -> None:
    """Lets the directories settle, then starts the program until its resolution is
    remembered (the first start writes the entry, the second uses it)."""
    time.sleep(SETTLE)
    start(host, script, store, cache)
    assert start(host, script, store, cache)["hits"] == 1


def test_a_second_start_takes_the_resolution_from_the_cache(
    host: Env, make_wheel, store: Path, tmp_path: Path
) -> None:
    make_wheel(WheelSpec("kappa", "1.0", {"kappa.py": "X = 1\n"}))
    script, cache = program(tmp_path), tmp_path / "cache"
    time.sleep(SETTLE)
    first = start(host, script, store, cache)
    second = start(host, script, store, cache)
    assert (first["hits"], second["hits"]) == (0, 1)
    assert first["active"] == second["active"]
    active = {name: (version, kind) for name, version, kind, _ in second["active"]}  # type: ignore[attr-defined]
    assert active["kappa"] == ("1.0", "wheel") and active["pip"][1] == "default"
    assert second["x"] == 1
    assert len(list((cache / "activations").iterdir())) == 1


def test_a_new_wheel_in_the_store_is_seen_at_once(
    host: Env, make_wheel, store: Path, tmp_path: Path
) -> None:
    make_wheel(WheelSpec("kappa", "1.0", {"kappa.py": "X = 1\n"}))
    script, cache = program(tmp_path), tmp_path / "cache"
    remembered(host, script, store, cache)
    make_wheel(WheelSpec("kappa", "2.0", {"kappa.py": "X = 2\n"}))
    got = start(host, script, store, cache)
    assert (got["hits"], got["x"]) == (0, 2)


def test_a_directory_changed_just_now_is_never_remembered(
    host: Env, make_wheel, store: Path, tmp_path: Path
) -> None:
    # Clocks advance in ticks: a resolution that read a directory changed within the last
    # moments may have missed a change made in the same tick, so it is not kept.
    make_wheel(WheelSpec("kappa", "1.0", {"kappa.py": "X = 1\n"}))
    script, cache = program(tmp_path), tmp_path / "cache"
    first = start(host, script, store, cache)
    second = start(host, script, store, cache)
    assert (first["hits"], second["hits"]) == (0, 0)
    assert not (cache / "activations").exists() or not any((cache / "activations").iterdir())


def test_a_wheel_rewritten_in_place_misses(
    host: Env, make_wheel, store: Path, tmp_path: Path
) -> None:
    wheel = make_wheel(WheelSpec("kappa", "1.0", {"kappa.py": "X = 1\n"}))
    script, cache = program(tmp_path), tmp_path / "cache"
    remembered(host, script, store, cache)
    # Same file name, other content, written over the old file: the directory does not change.
    other = make_wheel(WheelSpec("kappa", "1.0", {"kappa.py": "X = 'rewritten'\n"}), tmp_path)
    wheel.write_bytes(other.read_bytes())
    got = start(host, script, store, cache)
    assert (got["hits"], got["x"]) == (0, "rewritten")


def test_cache_clear_forgets_resolutions(
    host: Env, make_wheel, store: Path, tmp_path: Path
) -> None:
    make_wheel(WheelSpec("kappa", "1.0", {"kappa.py": "X = 1\n"}))
    script, cache = program(tmp_path), tmp_path / "cache"
    remembered(host, script, store, cache)
    env = {"WHEELHOOK_CACHE": str(cache)}
    info = json.loads(host.run_args("-m", "wheelhook", "cache", "info", "--json", env=env).stdout)
    assert info["kinds"]["activations"]["entries"] == 1
    host.run_args("-m", "wheelhook", "cache", "clear", env=env)
    assert start(host, script, store, cache)["hits"] == 0


def test_a_remembered_wheel_keeps_its_layout(
    host: Env, make_wheel, store: Path, tmp_path: Path
) -> None:
    # The entry keeps what activation read from WHEEL (here Root-Is-Purelib: false, so the
    # platlib copy of the module comes first): a start served from it must import the same.
    make_wheel(
        WheelSpec(
            "kappa",
            "1.0",
            {
                "kappa-1.0.data/purelib/kappa.py": "X = 'purelib'\n",
                "kappa-1.0.data/platlib/kappa.py": "X = 'platlib'\n",
            },
            root_is_purelib=False,
        )
    )
    script, cache = program(tmp_path), tmp_path / "cache"
    time.sleep(SETTLE)
    first = start(host, script, store, cache)
    second = start(host, script, store, cache)
    assert (first["hits"], second["hits"]) == (0, 1)
    assert first["x"] == second["x"] == "platlib"


def test_a_wheel_that_fails_to_activate_is_never_remembered(
    host: Env, make_wheel, store: Path, tmp_path: Path
) -> None:
    good = make_wheel(WheelSpec("kappa", "1.0", {"kappa.py": "X = 1\n"}), tmp_path)
    bad = store / good.name
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith(".dist-info/WHEEL"):
                data = data.replace(b"Wheel-Version: 1.0", b"Wheel-Version: 2.0")
            dst.writestr(info, data)
    script, cache = program(tmp_path), tmp_path / "cache"
    time.sleep(SETTLE)
    env = {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(cache)}
    for _ in range(2):
        proc = host.run_args(str(script), env=env, cwd=script.parent, check=False)
        assert proc.returncode != 0
        assert "Wheel-Version" in proc.stderr and bad.name in proc.stderr, proc.stderr
    entries = cache / "activations"
    assert not entries.exists() or not any(entries.iterdir())
