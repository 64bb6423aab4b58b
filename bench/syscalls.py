"""The metadata-operation budget: the file-system system calls of one process that imports a
package set, counted under strace, split by where they land and by family.

Usage: python bench/syscalls.py [--wheel WHEELHOOK.whl] [--python PYTHON] [--sets sympy,...]
(alone: adds its figure to bench/results/latest.*); also a figure of `bench/run.py` (full runs).

Method. Each measured process is one `bench/child.py import` run (the interpreter's start, the
activation, the imports; the writer thread of a cold cache included) under
`strace -f -y -qq -e trace=CALLS -o FILE`. The calls counted are those that ask the file system
for metadata or names, the operations a network file system pays a round trip for: `open`,
`openat`, `openat2`, `creat` (family "open"); `stat`, `lstat`, `fstat`, `newfstatat`, `statx`
("stat"); `access`, `faccessat`, `faccessat2` ("access"); `readlink`, `readlinkat` ("readlink");
`getdents`, `getdents64` ("getdents"). Failed calls count (a probe for a file that is not there
costs the same round trip). Reads, maps and closes are not counted. Each call is attributed to
the path it lands on: the path argument of `open`/`stat`/`access`/`readlink`; for the `*at`
calls, the path argument joined to the directory descriptor's path when it is relative, and the
descriptor's own path when it is empty (`AT_EMPTY_PATH`); for the calls that take only a
descriptor (`fstat`, `getdents64`), the descriptor's path. `-y` makes strace print the path
behind every descriptor (`3</store/six-1.16.0-py3-none-any.whl>`), so a `statx` of an open wheel
and a listing of the store are put where they land. The places, in order of precedence:
- store: the store directory (its wheels, and published code under `.wheelhook/code/`);
- private cache: wheelhook's per-user cache (bytecode, native extensions, activations);
- site-packages: the measured venv's site-packages (the packages when installed normally; for
  the store columns, wheelhook's own package and the listing of installed distributions);
- rest: everything else (the standard library, `/proc`, `/etc`, the interpreter itself).

Each package set is measured four ways: (a) installed normally in a venv, with a warm
`__pycache__`; from the store (b) with a warm private cache (and the activation remembered),
(c) with an empty private cache, (d) with code published beside the wheels by
`python -m wheelhook compile` and an empty private cache (when the command exists). The counts
are deterministic up to the interpreter's own start-up (one run each; a second run is checked to
agree on the store column).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

TYPE_CHECKING = False
if TYPE_CHECKING:
    from run import Config, Setup

#: The system calls counted, by family.
FAMILIES = {
    "open": ("open", "openat", "openat2", "creat"),
    "stat": ("stat", "lstat", "fstat", "newfstatat", "statx"),
    "access": ("access", "faccessat", "faccessat2"),
    "readlink": ("readlink", "readlinkat"),
    "getdents": ("getdents", "getdents64"),
}
FAMILY_OF = {call: family for family, calls in FAMILIES.items() for call in calls}
#: Calls whose first argument is a path.
PATH_FIRST = {"open", "creat", "stat", "lstat", "access", "readlink"}
#: Calls whose first argument is a directory descriptor and the second a path.
AT_CALLS = {"openat", "openat2", "newfstatat", "statx", "faccessat", "faccessat2", "readlinkat"}
#: Calls that take only a descriptor.
FD_CALLS = {"fstat", "getdents", "getdents64"}
PLACES = ("store", "private cache", "site-packages", "rest")

_LINE = re.compile(r"^(?:\[pid\s+)?\d+\]?\s+(\w+)\((.*)$")
_STRING = r'"((?:[^"\\]|\\.)*)"'
_FD = r"(AT_FDCWD|-?\d+)(?:<(.*?)>)?"
_AT_ARGS = re.compile(rf"^{_FD}, {_STRING}")
_PATH_ARG = re.compile(rf"^{_STRING}")
_FD_ARG = re.compile(rf"^{_FD}")

#: The numpy whose manylinux wheels fit each interpreter (none covers 3.9 to 3.13 at once).
NUMPY = {(3, 9): "2.0.2", (3, 10): "2.2.6", (3, 11): "2.2.6", (3, 12): "2.2.6", (3, 13): "2.2.6"}


def _unescape(text: str) -> str:
    return text.replace('\\"', '"').replace("\\\\", "\\")


def calls(trace: str) -> list[tuple[str, str]]:
    """Every counted call of a `strace -f -y` log as (call, path); the path is "" when strace
    shows none. A call interrupted by another thread's line (`<unfinished ...>`) counts once,
    where it starts."""
    out = []
    for line in trace.splitlines():
        found = _LINE.match(line)
        if found is None:
            continue  # `<... resumed>`, signals, exits
        call, args = found.groups()
        if call not in FAMILY_OF:
            continue
        out.append((call, _path(call, args)))
    return out


def _path(call: str, args: str) -> str:
    if call in AT_CALLS:
        at = _AT_ARGS.match(args)
        if at is None:
            return ""
        directory, path = at.group(2) or "", _unescape(at.group(3))
        if not path:
            return directory
        return path if path.startswith("/") or not directory else f"{directory}/{path}"
    if call in PATH_FIRST:
        plain = _PATH_ARG.match(args)
        return _unescape(plain.group(1)) if plain else ""
    assert call in FD_CALLS, call
    fd = _FD_ARG.match(args)
    return (fd.group(2) or "") if fd else ""


def place_of(path: str, roots: dict[str, list[str]]) -> str:
    """Where `path` lands: the first place of `roots` (in its order) one of whose directories
    holds it, else "rest"."""
    path = os.path.normpath(path) if path else path
    for place, dirs in roots.items():
        if any(path == d or path.startswith(d + "/") for d in dirs):
            return place
    return "rest"


def tally(pairs: list[tuple[str, str]], roots: dict[str, list[str]]) -> dict[str, dict[str, int]]:
    """Counts by place, then by family (every place and family present, zeros included)."""
    counts = {place: {family: 0 for family in FAMILIES} for place in PLACES}
    for call, path in pairs:
        counts[place_of(path, roots)][FAMILY_OF[call]] += 1
    return counts


def strace_counts(
    argv: list[str], env: dict[str, str], roots: dict[str, str]
) -> tuple[dict[str, dict[str, int]], dict[str, object]]:
    """Runs `argv` under strace; returns its counts by place and family, and the JSON the child
    printed."""
    both = {place: sorted({os.path.normpath(d), os.path.realpath(d)}) for place, d in roots.items()}
    with tempfile.TemporaryDirectory(prefix="wheelhook-strace-") as tmp:
        log = os.path.join(tmp, "trace")
        cmd = ["strace", "-f", "-y", "-qq", "-e", "trace=" + ",".join(FAMILY_OF), "-o", log]
        proc = subprocess.run([*cmd, *argv], env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed under strace:\n{proc.stderr[-3000:]}")
        with open(log, errors="replace") as f:
            pairs = calls(f.read())
    line = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "{}"
    return tally(pairs, both), json.loads(line)


# -- the package sets -------------------------------------------------------------------------


class PackageSet:
    """Pins to download and activate, and the top-level modules to import."""

    def __init__(self, name: str, pins: list[str], modules: list[str]) -> None:
        self.name, self.pins, self.modules = name, pins, modules


def read_set_file(path: str) -> tuple[list[str], list[str]]:
    """A set file's pins and modules (`PIN MODULE  # comment` lines)."""
    pins, modules = [], []
    with open(path) as f:
        for line in f:
            fields = line.split("#", 1)[0].split()
            if fields:
                pins.append(fields[0])
                modules.append(fields[1])
    return pins, modules


def package_sets(python_version: tuple[int, int]) -> list[PackageSet]:
    from run import MPMATH, SYMPY

    popular = read_set_file(os.path.join(HERE, "sets", "popular.txt"))
    return [
        PackageSet("sympy", [SYMPY, MPMATH], ["sympy"]),
        PackageSet("numpy", [f"numpy=={NUMPY[python_version]}"], ["numpy"]),
        PackageSet("popular", *popular),
    ]


def compile_available(python: str) -> bool:
    """Whether this wheelhook has the `compile` command (published code)."""
    proc = subprocess.run([python, "-m", "wheelhook", "compile", "--help"], capture_output=True)
    return proc.returncode == 0


class Prepared:
    """One set's wheels, stores and venv."""

    def __init__(self, s: Setup, pset: PackageSet) -> None:
        from run import fill_dir, log, make_venv

        work = s.work
        self.pset = pset
        downloads = work.path("syscalls-downloads", pset.name)
        os.makedirs(downloads, exist_ok=True)
        wheels = [n for n in os.listdir(downloads) if n.endswith(".whl")]
        if len(wheels) < len(pset.pins):
            log(f"downloading the {pset.name} set ({len(pset.pins)} wheels) with pip")
            subprocess.run([s.tools, "-m", "pip", "download", "-q", "--disable-pip-version-check",
                            "--no-deps", "--only-binary=:all:", "-d", downloads, *pset.pins],
                           check=True)  # fmt: skip
            wheels = [n for n in os.listdir(downloads) if n.endswith(".whl")]
        self.wheels = sorted(os.path.join(downloads, n) for n in wheels)
        self.store = work.path(f"syscalls-store-{pset.name}")
        fill_dir(self.store, self.wheels, "hard")
        self.site = make_venv(work, f"syscalls-{pset.name}", s.args_python, "--no-index",
                              "--find-links", downloads, *pset.pins)  # fmt: skip
        self.warm_cache = work.path(f"syscalls-cache-{pset.name}")


def _site_packages(python: str) -> str:
    return subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip


def _settle(*dirs: str) -> None:
    """Waits until every directory has been left alone long enough for a resolution that read
    it to be remembered (see the activation cache)."""
    newest = max(max(os.stat(d).st_mtime, os.stat(d).st_ctime) for d in dirs)
    wait = newest + 2.5 - time.time()
    if wait > 0:
        time.sleep(wait)


def _publish(s: Setup, prep: Prepared) -> tuple[str | None, str]:
    """A fresh copy of the store with code published by `wheelhook compile` (run again each
    time: the packs belong to the wheelhook measured), or `None` and why not."""
    from run import clean_env, fill_dir

    store = s.work.path(f"syscalls-published-{prep.pset.name}")
    shutil.rmtree(store, ignore_errors=True)
    fill_dir(store, prep.wheels, "hard")
    wheels = [os.path.join(store, os.path.basename(w)) for w in prep.wheels]
    env = clean_env(WHEELHOOK_PATH=store)
    proc = subprocess.run(
        [s.wh, "-m", "wheelhook", "compile", *wheels], env=env, capture_output=True, text=True
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        return None, f"`wheelhook compile` failed: {last}"
    code = os.path.join(store, ".wheelhook", "code")
    if not (os.path.isdir(code) and os.listdir(code)):
        return None, "`wheelhook compile` wrote no pack"
    return store, ""


def measure_set(s: Setup, prep: Prepared, publish: bool) -> list[dict[str, object]]:
    from run import clean_env

    child = os.path.join(HERE, "child.py")
    pset = prep.pset
    mods = " ".join(pset.modules)
    reqs = "\n".join(pset.pins)
    wh_site, own_site = _site_packages(s.wh), _site_packages(prep.site)
    rows = []

    def row(case: str, python: str, env: dict[str, str], roots: dict[str, str]) -> None:
        argv = [python, child, "import", "site" if python == prep.site else "wheelhook"]
        counts, out = strace_counts(argv, env, roots)
        again, _ = strace_counts(argv, env, roots) if "warm" in case else (counts, out)
        if again["store"] != counts["store"]:
            raise RuntimeError(f"{pset.name}, {case}: two runs disagree on the store's calls")
        rows.append({"set": pset.name, "case": case, "counts": counts,
                     "wheels": len(prep.wheels), "modules": out.get("modules"),
                     "compiled": out.get("compiled"),
                     "activation_hits": out.get("activation_hits")})  # fmt: skip

    # (a) installed normally, `__pycache__` warmed by a first run.
    site_env = clean_env(BENCH_MODULE=mods)
    subprocess.run([prep.site, child, "import", "site"], env=site_env, check=True,
                   capture_output=True)  # fmt: skip
    row("installed, warm __pycache__", prep.site, site_env, {"site-packages": own_site})
    # (b) the store, warm private cache: a first run compiles, a second remembers the
    # activation once the directories have settled.
    _settle(prep.store, HERE)
    env = clean_env(WHEELHOOK_PATH=prep.store, WHEELHOOK_CACHE=prep.warm_cache,
                    BENCH_REQUIRES=reqs, BENCH_MODULE=mods)  # fmt: skip
    for _ in range(2):
        subprocess.run([s.wh, child, "import", "wheelhook"], env=env, check=True,
                       capture_output=True)  # fmt: skip
    roots = {"store": prep.store, "private cache": prep.warm_cache, "site-packages": wh_site}
    row("store, warm private cache", s.wh, env, roots)
    # (c) the store, empty private cache.
    with tempfile.TemporaryDirectory(prefix="wheelhook-syscalls-") as tmp:
        cache = os.path.join(tmp, "cache")
        roots = {"store": prep.store, "private cache": cache, "site-packages": wh_site}
        row("store, empty private cache", s.wh, {**env, "WHEELHOOK_CACHE": cache}, roots)
    # (d) published code beside the wheels, empty private cache.
    case = "store, published code, empty private cache"
    published, why = _publish(s, prep) if publish else (None, "no `wheelhook compile` here")
    if published is None:
        rows.append({"set": pset.name, "case": case, "counts": None, "wheels": len(prep.wheels),
                     "unavailable": f"not available ({why})"})  # fmt: skip
        return rows
    with tempfile.TemporaryDirectory(prefix="wheelhook-syscalls-") as tmp:
        cache = os.path.join(tmp, "cache")
        roots = {"store": published, "private cache": cache, "site-packages": wh_site}
        row(case, s.wh, {**env, "WHEELHOOK_PATH": published, "WHEELHOOK_CACHE": cache}, roots)
    return rows


def figure_syscalls(s: Setup, c: Config) -> dict[str, object]:
    """The figure: every set, every case (see the module's docstring)."""
    from run import log

    if shutil.which("strace") is None:
        return {"skipped": "strace is not installed"}
    version = tuple(int(x) for x in s.pyver.split("."))
    publish = compile_available(s.wh)
    rows = []
    for pset in package_sets(version):  # type: ignore[arg-type]
        if c.syscall_sets and pset.name not in c.syscall_sets:
            continue
        log(f"system calls: the {pset.name} set")
        rows += measure_set(s, Prepared(s, pset), publish)
    commit = subprocess.run(["git", "-C", os.path.dirname(HERE), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()  # fmt: skip
    return {
        "rows": rows,
        "commit": commit,
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }


def main() -> None:
    """Runs this figure alone and adds it to bench/results/latest.json and latest.md."""
    from report import write_report
    from run import Config, Setup, machine

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", help="a built wheelhook wheel (default: maturin build)")
    parser.add_argument("--python", default=sys.executable, help="the interpreter to measure")
    parser.add_argument("--sets", help="comma-separated sets (default: sympy,numpy,popular)")
    args = parser.parse_args()
    config = Config(False)
    config.syscall_sets = set(args.sets.split(",")) if args.sets else set()
    setup = Setup(args, config, light=True)
    figure = figure_syscalls(setup, config)
    out_dir = os.path.join(HERE, "results")
    path = os.path.join(out_dir, "latest.json")
    results: dict[str, object] = {"quick": False, "module": config.module, "seconds": 0}
    indent = 1  # as run.py writes it
    if os.path.exists(path):
        with open(path) as f:
            text = f.read()
        results = json.loads(text)
        # The file's own indentation, so that the figure is all the change.
        second = text.splitlines()[1] if text.count("\n") > 1 else ""
        indent = len(second) - len(second.lstrip()) or indent
    results.setdefault("machine", machine(setup))
    results["syscalls"] = figure
    with open(path, "w") as f:
        json.dump(results, f, indent=indent)
    with open(os.path.join(out_dir, "latest.md"), "w") as f:
        f.write(write_report(results))
    print(json.dumps(figure["rows"] if "rows" in figure else figure, indent=1))


if __name__ == "__main__":
    main()
