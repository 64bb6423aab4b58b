"""Crash safety and concurrency: writers killed with SIGKILL at random points leave the store and
the cache in the old or the new state; cold imports, threads and drops race without errors."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from helpers import child_environ, pack_payloads, packs
from safety_zip import FIGURES, STORED, build_zip, entries_for, wheel_files
from wheelhook import _drop, _files, _native

#: Fixed so a failure can be replayed; the delays still cover the whole run of each writer.
SEED = 20261122
MODULES = 60


def env_for(tmp: Path, store: Path) -> dict[str, str]:
    return child_environ({"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(tmp / "cache")})


def many_modules(version: str, blob: int = 2 << 20) -> bytes:
    """A wheel of `MODULES` modules (each knows the version) and a stored random blob, big enough
    that copying, fsyncing and precompiling it take a while to interrupt."""
    files = {"evil/__init__.py": f"VERSION = {version!r}\n".encode()}
    for i in range(MODULES):
        body = f"VERSION = {version!r}\nNUMBER = {i}\n" + "".join(
            f"def f{j}(x):\n    return x * {j} + NUMBER\n" for j in range(40)
        )
        files[f"evil/m{i}.py"] = body.encode()
    files["evil/blob.bin"] = random.Random(version).randbytes(blob)
    return build_zip(entries_for(wheel_files(version=version, files=files), method=STORED))


IMPORT_ALL = f"""
import sys, wheelhook
[dist] = wheelhook.require(sys.argv[1])
import evil
for i in range({MODULES}):
    m = __import__(f"evil.m{{i}}", fromlist=["f1"])
    assert m.VERSION == evil.VERSION == dist.version and m.NUMBER == i and m.f3(2) == 6 + i, m
stats = wheelhook.finder().stats()
print(dist.version, stats["compiled"], stats["cache_hits"])
"""


def store_state(store: Path, expected: dict[str, set[bytes]]) -> list[str]:
    """What is wrong with `store`: a wheel that is neither its old nor its new bytes, or one
    that does not validate. Temporary files are fine (they are collected later)."""
    problems = []
    for p in store.iterdir():
        if p.suffix != ".whl":
            continue
        data = p.read_bytes()
        if data not in expected.get(p.name, set()):
            problems.append(f"{p.name}: {len(data)} bytes, neither old nor new")
        try:
            _native.inspect_wheel(str(p))
        except Exception as exc:
            problems.append(f"{p.name}: {exc}")
    return problems


def temp_files(directory: Path) -> list[Path]:
    return list(directory.rglob("*.tmp"))


def test_sigkill_during_drop(tmp_path: Path) -> None:
    """`drop` (validate, copy, fsync, rename, precompile) killed at random points: every wheel in
    the store is complete (old or new bytes, valid), the bytecode cache serves correct code, and
    the next writer collects the dead writer's temporary file."""
    src = tmp_path / "src"
    src.mkdir()
    old = many_modules("1.0")
    new_same = many_modules("1.0") + b""  # same bytes: a re-drop
    replacement = build_zip(entries_for(wheel_files(version="1.0"), method=STORED))
    newer = many_modules("2.0")
    (src / "old").mkdir()
    (src / "old" / "evil-1.0-py3-none-any.whl").write_bytes(old)
    (src / "evil-1.0-py3-none-any.whl").write_bytes(replacement)
    (src / "evil-2.0-py3-none-any.whl").write_bytes(newer)
    expected = {
        "evil-1.0-py3-none-any.whl": {old, new_same, replacement},
        "evil-2.0-py3-none-any.whl": {newer},
    }
    store = tmp_path / "store"
    env = env_for(tmp_path, store)
    cmd = [
        sys.executable,
        "-m",
        "wheelhook",
        "drop",
        "--store",
        str(store),
        str(src / "evil-2.0-py3-none-any.whl"),
        str(src / "evil-1.0-py3-none-any.whl"),
    ]

    def reset() -> None:
        shutil.rmtree(store, ignore_errors=True)
        shutil.rmtree(tmp_path / "cache", ignore_errors=True)
        store.mkdir()
        shutil.copy(src / "old" / "evil-1.0-py3-none-any.whl", store)

    reset()
    started = time.monotonic()
    subprocess.run(cmd, check=True, env=env, capture_output=True)
    full = time.monotonic() - started
    rng = random.Random(SEED)
    kills = corrupt = stale = attempts = 0
    # Until 40 kills landed while drop ran (a kill after it finished tests nothing); the timing
    # of one run swings on a loaded machine, so the number of attempts is not fixed.
    while kills < 40 and attempts < 200:
        attempts += 1
        reset()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, full * 1.1))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += proc.returncode == -signal.SIGKILL
        problems = store_state(store, expected)
        stale += len(temp_files(store))
        if (store / "evil-2.0-py3-none-any.whl").exists():
            check = subprocess.run(
                [sys.executable, "-c", IMPORT_ALL, "evil==2.0"],
                env=env,
                capture_output=True,
                text=True,
            )
            if check.returncode != 0:
                problems.append(check.stderr)
        corrupt += bool(problems)
        assert problems == []
    FIGURES["drop SIGKILLs"] += kills
    FIGURES["drop corrupt states"] += corrupt
    assert kills >= 20, f"only {kills} of {attempts} kills landed while drop ran"
    # A dead writer's temporary file goes at the next write to the store.
    dead = store / f"{_files.TEMP_PREFIX}999999999-abc{_files.TEMP_SUFFIX}"
    dead.write_bytes(b"partial")
    subprocess.run(cmd, check=True, env=env, capture_output=True)
    assert temp_files(store) == []
    FIGURES["drop temp files left by kills"] += stale


def test_stale_temp_files_are_collected_only_when_abandoned(tmp_path: Path) -> None:
    live = tmp_path / f"{_files.TEMP_PREFIX}{os.getppid()}-live{_files.TEMP_SUFFIX}"
    dead = tmp_path / f"{_files.TEMP_PREFIX}999999999-dead{_files.TEMP_SUFFIX}"
    old = tmp_path / f"{_files.TEMP_PREFIX}{os.getppid()}-old{_files.TEMP_SUFFIX}"
    other = tmp_path / "unrelated.tmp"
    for p in (live, dead, old, other):
        p.write_bytes(b"x")
    past = time.time() - _files.STALE_AFTER - 60
    os.utime(old, (past, past))
    assert sorted(_files.collect_stale(str(tmp_path))) == sorted([dead.name, old.name])
    assert live.exists() and other.exists() and not dead.exists() and not old.exists()


def test_sigkill_during_cold_import(tmp_path: Path) -> None:
    """A cold import filling the bytecode cache, killed at random points: the next import is
    correct (entries valid or rejected and recompiled), and the one after that is all hits."""
    store = tmp_path / "store"
    store.mkdir()
    (store / "evil-1.0-py3-none-any.whl").write_bytes(many_modules("1.0", blob=0))
    env = env_for(tmp_path, store)
    cmd = [sys.executable, "-c", IMPORT_ALL, "evil==1.0"]
    started = time.monotonic()
    first = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    full = time.monotonic() - started
    assert first.stdout.split() == ["1.0", str(MODULES + 1), "0"]
    rng = random.Random(SEED + 1)
    kills = corrupt = left = 0
    for _ in range(30):
        shutil.rmtree(tmp_path / "cache")
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, full))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += proc.returncode == -signal.SIGKILL
        left += len(temp_files(tmp_path / "cache"))
        after = subprocess.run(cmd, env=env, capture_output=True, text=True)
        ok = after.returncode == 0
        if ok:
            _, compiled, hits = after.stdout.split()
            ok = int(compiled) + int(hits) == MODULES + 1
        warm = subprocess.run(cmd, env=env, capture_output=True, text=True)
        ok = ok and warm.stdout.split() == ["1.0", "0", str(MODULES + 1)]
        corrupt += not ok
        assert ok, (after.stdout, after.stderr, warm.stdout, warm.stderr)
    FIGURES["cache SIGKILLs"] += kills
    FIGURES["cache corrupt states"] += corrupt
    # Never read as packs; the first write of a later process collects them.
    FIGURES["cache temp files left by kills"] += left


def test_corrupt_cache_entries_are_recompiled(tmp_path: Path) -> None:
    """Zeroed, flipped, swapped or overwritten entries inside a pack fail their checks and are
    recompiled, the rest of the pack still serves; a torn pack, or one with a byte more, is not
    used at all. The module's own code runs."""
    store = tmp_path / "store"
    store.mkdir()
    (store / "evil-1.0-py3-none-any.whl").write_bytes(many_modules("1.0", blob=0))
    env = env_for(tmp_path, store)
    cmd = [sys.executable, "-c", IMPORT_ALL, "evil==1.0"]
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    [pack] = packs(tmp_path / "cache")
    entries = pack_payloads(pack)
    assert len(entries) == MODULES + 1
    good = pack.read_bytes()
    data = bytearray(good)
    rng = random.Random(SEED + 2)
    spans = sorted(entries.values())
    damaged = 0
    for i, (at, length) in enumerate(spans[:50]):
        kind = i % 4
        if kind == 0:
            data[at : at + length] = bytes(length)
        elif kind == 1:
            data[at + rng.randrange(length)] ^= 0x10
        elif kind == 2:  # another module's valid code, cut or padded to this entry's length
            other_at, other_length = spans[-1]
            data[at : at + length] = good[other_at : other_at + other_length].ljust(length)[:length]
        else:
            data[at : at + length] = rng.randbytes(length)
        damaged += 1
    pack.write_bytes(bytes(data))
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    _, compiled, hits = out.stdout.split()
    FIGURES["corrupt bytecode entries planted"] += damaged
    # An entry that was not recompiled was used: that would be the damaged code running.
    FIGURES["tampered cache entries executed"] += damaged - int(compiled)
    assert (int(compiled), int(hits)) == (damaged, MODULES + 1 - damaged)
    for whole in (good[: rng.randrange(len(good))], good + b"\0"):
        pack.write_bytes(whole)
        out = subprocess.run(cmd, env=env, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert out.stdout.split() == ["1.0", str(MODULES + 1), "0"]
        FIGURES["corrupt code packs planted"] += 1


def test_concurrent_cold_imports(tmp_path: Path) -> None:
    """Processes importing the same wheel at once into one empty cache."""
    store = tmp_path / "store"
    store.mkdir()
    (store / "evil-1.0-py3-none-any.whl").write_bytes(many_modules("1.0", blob=0))
    env = env_for(tmp_path, store)
    runs = errors = 0
    for _ in range(3):
        shutil.rmtree(tmp_path / "cache", ignore_errors=True)
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", IMPORT_ALL, "evil==1.0"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(6)
        ]
        for p in procs:
            out, err = p.communicate(timeout=120)
            runs += 1
            errors += p.returncode != 0 or not out.startswith("1.0 ")
            assert p.returncode == 0, err
        assert temp_files(tmp_path / "cache") == []
    FIGURES["concurrent import runs"] += runs
    FIGURES["concurrent import errors"] += errors


THREADS = f"""
import random, sys, threading, wheelhook
wheelhook.require("evil==1.0")
errors = []
barrier = threading.Barrier(8)
def work(seed):
    order = list(range({MODULES}))
    random.Random(seed).shuffle(order)
    barrier.wait()
    for i in order:
        try:
            m = __import__(f"evil.m{{i}}", fromlist=["f1"])
            assert m.NUMBER == i and m.f2(1) == 2 + i
        except BaseException as exc:
            errors.append(repr(exc))
threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print(len(errors), errors[:3])
"""


def test_threads_import_from_one_wheel(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    (store / "evil-1.0-py3-none-any.whl").write_bytes(many_modules("1.0", blob=0))
    env = env_for(tmp_path, store)
    for cold in (True, False, True):
        if cold:
            shutil.rmtree(tmp_path / "cache", ignore_errors=True)
        out = subprocess.run(
            [sys.executable, "-c", THREADS], env=env, capture_output=True, text=True
        )
        FIGURES["threaded import runs"] += 1
        assert out.returncode == 0, out.stderr
        FIGURES["threaded import errors"] += int(out.stdout.split()[0])
        assert out.stdout.startswith("0 "), out.stdout


def test_drops_race_imports(tmp_path: Path) -> None:
    """Drops replacing and adding wheels while other processes activate and import from the
    same store: every import sees one consistent version."""
    src = tmp_path / "src"
    src.mkdir()
    versions = ["1.0", "1.1", "1.2"]
    builds = {
        v: [many_modules(v, blob=1 << 20), many_modules(v, blob=(1 << 20) + 7)] for v in versions
    }
    store = tmp_path / "store"
    store.mkdir()
    (store / "evil-1.0-py3-none-any.whl").write_bytes(builds["1.0"][0])
    env = env_for(tmp_path, store)
    stop = threading.Event()
    drop_errors: list[str] = []

    def dropper() -> None:
        n = 0
        while not stop.is_set():
            v = versions[n % len(versions)]
            d = src / str(n)
            d.mkdir()
            (d / f"evil-{v}-py3-none-any.whl").write_bytes(builds[v][n % 2])
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "wheelhook",
                    "drop",
                    "--store",
                    str(store),
                    str(d / f"evil-{v}-py3-none-any.whl"),
                ],
                env=env,
                capture_output=True,
                text=True,
            )
            if out.returncode != 0:
                drop_errors.append(out.stderr)
            n += 1

    thread = threading.Thread(target=dropper)
    thread.start()
    runs = errors = 0
    try:
        for _ in range(4):
            procs = [
                subprocess.Popen(
                    [sys.executable, "-c", IMPORT_ALL, req],
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for req in ["evil==1.0", "evil>=1.0", "evil"]
            ]
            for p in procs:
                _, err = p.communicate(timeout=120)
                runs += 1
                errors += p.returncode != 0
                assert p.returncode == 0, err
    finally:
        stop.set()
        thread.join()
    FIGURES["drop-vs-import runs"] += runs
    FIGURES["drop-vs-import errors"] += errors + len(drop_errors)
    assert drop_errors == []
    assert temp_files(store) == []


def test_readers_never_wait_for_the_store_lock(tmp_path: Path) -> None:
    """An import from a store whose writer lock is held (a drop in progress) goes ahead."""
    store = tmp_path / "store"
    store.mkdir()
    (store / "evil-1.0-py3-none-any.whl").write_bytes(many_modules("1.0", blob=0))
    env = env_for(tmp_path, store)
    with _drop.locked(str(store)):
        out = subprocess.run(
            [sys.executable, "-c", IMPORT_ALL, "evil==1.0"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("1.0 ")
