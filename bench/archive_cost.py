"""What opening a wheel and listing a store cost in the extension, measured through it.

    python bench/archive_cost.py [WHEEL...] [--members N] [--store-wheels N] [--scan-dir DIR]
                                 [--rounds N] [--quick]

- open: a wheel of `--members` modules (1,500 by default, a large package) and each WHEEL
  given: `inspect_wheel` (map, index the central directory, validate every member against
  RECORD, read METADATA: what `drop` checks), and for the built wheel a private finder's
  `require` (map, index, resolve: what activation does on a first start), each timed
  `--rounds` times;
- scan: listing a store of `--store-wheels` wheel files (10,000 by default; listing reads only
  their names, so they are empty files) or of `--scan-dir`, with `scan` (what `wheelhook list`
  and a first start do) and, for a built store, a private finder's `require` of its one real
  wheel (a first start), against `os.listdir` of the same directory.

Prints one JSON line per measurement (times in milliseconds: median, min, max). Run it with the
interpreter that has the built wheelhook installed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable

from fixtures import write_wheel


def timed(work: Callable[[], object], rounds: int) -> dict[str, float]:
    """Median, min and max wall time of `work` (ms) over `rounds` calls."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1e3)
    return {
        "median": round(statistics.median(times), 3),
        "min": round(min(times), 3),
        "max": round(max(times), 3),
    }


def big_wheel(directory: str, members: int) -> str:
    """A wheel of `members` small modules spread over 37 subpackages."""
    modules = {"bigpkg/__init__.py": ""}
    for i in range(members - 1):
        modules[f"bigpkg/sub{i % 37:02}/module_{i:04}.py"] = f"X = {i}\n"
    return write_wheel(directory, "bigpkg", "1.0", modules)


def measure_open(wheel: str, rounds: int, require: bool) -> dict[str, object]:
    """`require`: also time a private finder activating the wheel (it must need nothing else
    of its store)."""
    from wheelhook import _native

    info = _native.inspect_wheel(wheel)
    out: dict[str, object] = {
        "measure": "open",
        "wheel": os.path.basename(wheel),
        "bytes": os.path.getsize(wheel),
        "inspect_wheel": timed(lambda: _native.inspect_wheel(wheel), rounds),
    }
    if require:
        store, pin = [os.path.dirname(wheel)], f"{info['name']}=={info['version']}"
        out["first_require"] = timed(lambda: _native.Finder().require([pin], store, []), rounds)
    return out


def measure_scan(directory: str, rounds: int, pin: str | None) -> dict[str, object]:
    """`pin`: also time a private finder activating it from the store (a first start: the
    store is listed, then one small wheel resolved and opened)."""
    from wheelhook import _native

    candidates, _rejected = _native.scan([directory], [])
    out: dict[str, object] = {
        "measure": "scan",
        "dir": directory,
        "files": len(os.listdir(directory)),
        "candidates": len(candidates),
        "scan": timed(lambda: _native.scan([directory], []), rounds),
        "listdir": timed(lambda: os.listdir(directory), rounds),
    }
    if pin is not None:
        out["first_require"] = timed(
            lambda: _native.Finder().require([pin], [directory], []), rounds
        )
    return out


def empty_store(directory: str, wheels: int) -> str:
    """A store of `wheels` empty wheel files (listing reads only names) and one real one,
    `target==1.0`."""
    os.mkdir(directory)
    write_wheel(directory, "target", "1.0", {"target.py": ""})
    for i in range(wheels):
        name = f"pad{i:05}-1.{i % 7}-py3-none-any.whl"
        with open(os.path.join(directory, name), "wb"):
            pass
    return directory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wheels", nargs="*", metavar="WHEEL", help="real wheels to open too")
    parser.add_argument("--members", type=int, default=1500, help="members of the built wheel")
    parser.add_argument("--store-wheels", type=int, default=10_000, help="wheels in the store")
    parser.add_argument("--scan-dir", help="list this directory instead of a built store")
    parser.add_argument("--rounds", type=int, default=200, help="timed calls per figure")
    parser.add_argument("--quick", action="store_true", help="small sizes, 3 rounds (smoke test)")
    args = parser.parse_args()
    if args.quick:
        args.members, args.store_wheels, args.rounds = 50, 100, 3
    with tempfile.TemporaryDirectory(prefix="wheelhook-archive-cost-") as tmp:
        built = os.path.join(tmp, "built")
        os.mkdir(built)
        print(json.dumps(measure_open(big_wheel(built, args.members), args.rounds, True)))
        for wheel in args.wheels:
            print(json.dumps(measure_open(os.path.abspath(wheel), args.rounds, False)), flush=True)
        rounds = max(5, args.rounds // 40)
        if args.scan_dir:
            print(json.dumps(measure_scan(args.scan_dir, rounds, None)))
        else:
            store = empty_store(os.path.join(tmp, "store"), args.store_wheels)
            print(json.dumps(measure_scan(store, rounds, "target==1.0")))


if __name__ == "__main__":
    main()
