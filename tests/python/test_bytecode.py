"""The bytecode cache: a warm import unmarshals, never compiles; stale entries are rewritten."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Env, WheelSpec

PROGRAM = """
    __requires__ = ["kappa"]
    import wheelhook, json
    import kappa, kappa.a, kappa.b
    print(json.dumps(wheelhook.finder().stats()))
"""


def wheel(make_wheel, body: str = "X = 1\n") -> Path:
    files: dict[str, bytes | str] = {
        "kappa/__init__.py": body,
        "kappa/a.py": "A = 1\n",
        "kappa/b.py": "B = 2\n",
    }
    return make_wheel(WheelSpec("kappa", "1.0", files))  # type: ignore[no-any-return]


def stats(host: Env, store: Path, cache: Path, **extra: str) -> dict[str, int]:
    """What the import cost: modules compiled, and entries taken from the cache."""
    env = {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(cache), **extra}
    got = json.loads(host.run(PROGRAM, env=env).stdout)
    return {key: got[key] for key in ("compiled", "cache_hits")}


def test_second_run_compiles_nothing(host: Env, make_wheel, store: Path, tmp_path: Path) -> None:
    wheel(make_wheel)
    cache = tmp_path / "cache"
    assert stats(host, store, cache) == {"compiled": 3, "cache_hits": 0}
    assert stats(host, store, cache) == {"compiled": 0, "cache_hits": 3}
    assert (cache.stat().st_mode & 0o777) == 0o700


def test_dont_write_bytecode_is_honoured(
    host: Env, make_wheel, store: Path, tmp_path: Path
) -> None:
    wheel(make_wheel)
    cache = tmp_path / "cache"
    assert stats(host, store, cache, PYTHONDONTWRITEBYTECODE="1") == {
        "compiled": 3,
        "cache_hits": 0,
    }
    assert stats(host, store, cache, PYTHONDONTWRITEBYTECODE="1") == {
        "compiled": 3,
        "cache_hits": 0,
    }
    assert list(cache.rglob("*.whc")) == []


def test_changed_wheel_and_corrupt_entries_are_recompiled(
    host: Env, make_wheel, store: Path, tmp_path: Path
) -> None:
    path = wheel(make_wheel)
    cache = tmp_path / "cache"
    stats(host, store, cache)
    # The same file name with other content: CRC-32 differs, only that module recompiles.
    path.unlink()
    wheel(make_wheel, body="X = 2\n")
    assert stats(host, store, cache) == {"compiled": 1, "cache_hits": 2}
    # Corrupt every entry: all are rejected and rewritten, none trusted.
    entries = list((cache / "bytecode").rglob("*.whc"))
    assert len(entries) == 3
    for entry in entries:
        data = bytearray(entry.read_bytes())
        data[-1] ^= 0xFF
        entry.write_bytes(bytes(data))
    assert stats(host, store, cache) == {"compiled": 3, "cache_hits": 0}
    assert stats(host, store, cache) == {"compiled": 0, "cache_hits": 3}


def test_unsafe_cache_falls_back_to_memory_with_one_warning(
    host: Env, make_wheel, store: Path, tmp_path: Path
) -> None:
    wheel(make_wheel)
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o777)
    cache.chmod(0o777)
    env = {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(cache)}
    proc = host.run(PROGRAM, env=env)
    got = json.loads(proc.stdout)
    assert (got["compiled"], got["cache_hits"], got["activation_hits"]) == (3, 0, 0)
    assert proc.stderr.count("writable by group or others") == 1
    assert list(cache.iterdir()) == []
