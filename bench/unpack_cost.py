"""What serving a wheel from an unpacked copy costs against its archive: disk, first start, warm
start and warm import, for real wheels.

    python bench/unpack_cost.py WHEEL[,DEPENDENCY...]:MODULE... [--rounds N]

Each wheel is put in a scratch store with the wheels of its dependencies (served from their
archives); for each mode of the wheel (its archive, or unpacked) a fresh cache is made, one cold start is timed (it compiles, and unpacks), then
`--rounds` warm starts, each a fresh interpreter that activates the wheel and imports the
module. Prints one JSON line per wheel (times in milliseconds, medians).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROGRAM = """
import sys, time, wheelhook
start = time.perf_counter()
wheelhook.require({name!r}, unpack={unpack!r})
activated = time.perf_counter()
import {module}
done = time.perf_counter()
print((activated - start) * 1e3, (done - activated) * 1e3)
"""


def run(program: str, env: dict[str, str]) -> tuple[float, float, float]:
    """Wall time of a whole interpreter run, and its activation and import times (ms)."""
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", program], env=env, check=True, capture_output=True, text=True
    ).stdout.split()
    wall = (time.perf_counter() - start) * 1e3
    return wall, float(out[0]), float(out[1])


def disk(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def measure(
    wheel: Path, dependencies: list[Path], module: str, rounds: int, scratch: Path
) -> dict[str, object]:
    store = scratch / "store"
    shutil.rmtree(store, ignore_errors=True)
    store.mkdir()
    for each in (wheel, *dependencies):
        shutil.copyfile(each, store / each.name)
    # A resolution is remembered only once the store has been left alone for 2 s
    # (`activation::SETTLE`): warm starts of both modes should reuse it.
    time.sleep(2.5)
    # Pinned: a normally installed version of it must not be chosen instead.
    name, version = wheel.name.split("-")[:2]
    result: dict[str, object] = {"wheel": wheel.name, "wheel_kib": wheel.stat().st_size // 1024}
    for unpack in (False, True):
        cache = scratch / f"cache-{unpack}"
        shutil.rmtree(cache, ignore_errors=True)
        env = {**os.environ, "WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(cache)}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        # Only the measured wheel differs between the two: its dependencies stay archived.
        entries = ["-*", name] if unpack else ["-*"]
        program = PROGRAM.format(name=f"{name}=={version}", unpack=entries, module=module)
        mode = "unpacked" if unpack else "archive"
        try:
            cold = run(program, env)
        except subprocess.CalledProcessError as e:
            result[mode] = {"fails": e.stderr.strip().splitlines()[-1]}
            continue
        warm = [run(program, env) for _ in range(rounds)]
        result[mode] = {
            "cold_start": round(cold[0], 1),
            "cold_activate": round(cold[1], 1),
            "warm_start": round(statistics.median(w[0] for w in warm), 1),
            "warm_activate": round(statistics.median(w[1] for w in warm), 2),
            "warm_import": round(statistics.median(w[2] for w in warm), 2),
            "cache_kib": disk(cache) // 1024,
            "native_kib": disk(cache / "native") // 1024 if (cache / "native").exists() else 0,
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheels", nargs="+", metavar="WHEEL:MODULE")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="unpack-cost-") as scratch:
        for item in args.wheels:
            wheels, _, module = item.rpartition(":")
            first, *rest = (Path(w) for w in wheels.split(","))
            result = measure(first, rest, module, args.rounds, Path(scratch))
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
