"""Many processes starting at the same instant against one store (the ranks of a parallel job
on one node): with published code none compiles; sharing one empty private cache, none fails,
the cache they leave is sound, and no temporary file is left behind."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

from helpers import Env, WheelSpec, build_wheel, child_environ, pypi_wheel

PROCESSES = 64
MODULES = 200

#: Each process imports wheelhook, says it is ready, waits at the barrier (a pipe the parent
#: writes to once every process is ready), then activates and imports the package.
CHILD = f"""
import json, os, sys
import wheelhook
ready, go = int(sys.argv[1]), int(sys.argv[2])
os.write(ready, b"r")
os.read(go, 1)
wheelhook.require("many==1.0")
import many
assert many.total() == sum(range({MODULES})) * 3, many.total()
print(json.dumps(wheelhook.finder().stats()))
"""


def many_wheel(store: Path) -> Path:
    """A package of MODULES modules with some code each; its `__init__` imports them all."""
    files: dict[str, bytes | str] = {}
    for i in range(MODULES):
        files[f"many/m{i:03}.py"] = (
            f'"""Module {i}."""\n\n\n'
            f"class Thing{i}:\n"
            f"    def __init__(self):\n"
            f"        self.values = [n * 3 for n in range({i} + 1)]\n\n"
            f"    def value(self):\n"
            f"        return self.values[-1] if self.values else 0\n\n\n"
            f"def value():\n"
            f"    return Thing{i}().value()\n"
        )
    imports = "".join(f"from many import m{i:03}\n" for i in range(MODULES))
    total = " + ".join(f"m{i:03}.value()" for i in range(MODULES))
    files["many/__init__.py"] = f"{imports}\n\ndef total():\n    return {total}\n"
    return build_wheel(WheelSpec("many", "1.0", files), store)


def start_at_once(env: Env, script: Path, envs: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Starts one process per environment, waits until all are ready, releases them together,
    and returns each one's stats; every one must succeed, quietly."""
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    procs = []
    try:
        for extra in envs:
            procs.append(
                subprocess.Popen(
                    [str(env.python), str(script), str(ready_w), str(go_r)],
                    pass_fds=(ready_w, go_r),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    env=child_environ(extra),
                )
            )
        waiting = len(procs)
        while waiting:
            got = os.read(ready_r, waiting)
            assert got, "a process ended before the barrier"
            waiting -= len(got)
        os.write(go_w, b"g" * len(procs))
    finally:
        for fd in (ready_r, ready_w, go_r, go_w):
            os.close(fd)
    stats = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert err == "", err
        stats.append(json.loads(out.strip().splitlines()[-1]))
    return stats


def temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".tmp")]


def test_published_code_no_process_compiles(host: Env, store: Path, tmp_path: Path) -> None:
    many_wheel(store)
    host.run_args("-m", "wheelhook", "compile", "--store", str(store))
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    envs = [
        {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(tmp_path / f"cache-{i}")}
        for i in range(PROCESSES)
    ]
    stats = start_at_once(host, script, envs)
    assert len(stats) == PROCESSES
    assert {s["compiled"] for s in stats} == {0}
    assert {s["published_hits"] for s in stats} == {MODULES + 1}
    assert temp_files(store) == []


def test_one_shared_private_cache(host: Env, store: Path, tmp_path: Path) -> None:
    """64 ranks of one user on one node: one private cache, empty, no published code.

    Every process compiles what it does not find and writes it. Concurrent writers may lose each
    other's work (an entry or pack replaced by rename holds one writer's view), never corrupt
    it: so the 65th process may compile what was lost, and must do so without error, and a
    second round then finds everything. What is asserted: no error in any process, right
    results, a 65th process and a 66th that succeed, the 66th compiling nothing, and no
    temporary file left in the cache or the store."""
    many_wheel(store)
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    cache = tmp_path / "shared-cache"
    env = {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(cache)}
    stats = start_at_once(host, script, [env] * PROCESSES)
    assert all(s["compiled"] + s["cache_hits"] == MODULES + 1 for s in stats)
    assert sum(s["compiled"] for s in stats) >= MODULES + 1, "the cache started empty"
    late = start_at_once(host, script, [env])[0]
    assert late["compiled"] + late["cache_hits"] == MODULES + 1
    again = start_at_once(host, script, [env])[0]
    assert again == {**again, "compiled": 0, "cache_hits": MODULES + 1}
    assert temp_files(cache) == []
    assert temp_files(store) == []


#: Each process loads a native extension whose bundled libraries (pillow.libs: libjpeg...) are
#: materialised beside it, and reads data files by path from a wheel served unpacked (pytz).
NATIVE_CHILD = """
import hashlib, io, json, os, sys
import wheelhook
ready, go = int(sys.argv[1]), int(sys.argv[2])
os.write(ready, b"r")
os.read(go, 1)
wheelhook.require("pillow==10.4.0", "pytz==2024.2")
from PIL import Image
import pytz
buf = io.BytesIO()
Image.new("RGB", (4, 3), (200, 10, 30)).save(buf, "JPEG")
zone = os.path.join(os.path.dirname(pytz.__file__), "zoneinfo", "Europe", "Paris")
with open(zone, "rb") as f:
    digest = hashlib.sha256(f.read()).hexdigest()
print(json.dumps({"jpeg": buf.getvalue()[:2].hex(), "zone": digest,
                  "paris": str(pytz.timezone("Europe/Paris")),
                  "core": Image.core.__file__, "pytz": pytz.__file__}))
"""


def test_native_code_and_unpacked_copies_shared(host: Env, store: Path, tmp_path: Path) -> None:
    """64 processes of one user materialise the same native extension and its bundled
    libraries, and unpack the same wheel, into one empty private cache at the same instant:
    each loads a whole, verified copy (none sees another's half-written file), and the files
    they leave are those of one copy, with no temporary file."""
    for pin in ("pillow==10.4.0", "pytz==2024.2"):
        shutil.copy(pypi_wheel(pin), store)
    script = tmp_path / "child.py"
    script.write_text(NATIVE_CHILD)
    cache = tmp_path / "shared-cache"
    env = {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(cache)}
    results = start_at_once(host, script, [env] * PROCESSES)
    zone = hashlib.sha256(
        zipfile.ZipFile(pypi_wheel("pytz==2024.2")).read("pytz/zoneinfo/Europe/Paris")
    ).hexdigest()
    assert {r["jpeg"] for r in results} == {"ffd8"}
    assert {(r["zone"], r["paris"]) for r in results} == {(zone, "Europe/Paris")}
    assert len({r["core"] for r in results}) == 1 and results[0]["core"].startswith(str(cache))
    assert len({r["pytz"] for r in results}) == 1 and results[0]["pytz"].startswith(str(cache))
    assert temp_files(cache) == []
    # A later process finds both copies whole and writes nothing.
    before = {p: p.stat().st_mtime_ns for p in cache.rglob("*") if p.is_file()}
    late = start_at_once(host, script, [env])[0]
    assert late == results[0]
    written = {p for p in cache.rglob("*") if p.is_file() and before.get(p) != p.stat().st_mtime_ns}
    assert all("activations" in p.parts for p in written), written
