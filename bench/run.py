"""The benchmark suite: sets up every peer, measures, writes a table and a plot to bench/results/.

Usage: python bench/run.py [--quick] [--wheel WHEELHOOK.whl]

Every peer runs in its own throwaway virtual environment under bench/.work/ (ignored), built
from the same interpreter, and all peers of a figure are measured in the same rounds, in a
shuffled order, so the noise of a shared machine falls on all of them alike. Figures are
medians with min-max. `--quick` runs every figure with tiny repetition counts: a smoke test of
the suite, not a measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from fixtures import (  # noqa: E402
    egg_from_wheel,
    pad_module,
    pad_name,
    write_egg,
    write_wheel,
)
from plugins import figure_entry_points, figure_tool, pinned_uv  # noqa: E402
from report import write_report  # noqa: E402
from syscalls import figure_syscalls  # noqa: E402

SYMPY = "sympy==1.13.3"
MPMATH = "mpmath==1.3.0"
SETUPTOOLS = "setuptools==81.0.0"
DISTLIB = "distlib==0.4.4"
ACTIVATED = ["bench-a", "bench-b", "bench-c"]
#: Standard-library modules the toll figure never imports (GUI, side effects, slow self-tests).
STDLIB_SKIP = (
    "antigravity this idlelib tkinter turtle turtledemo ensurepip venv lib2to3 pydoc_data "
    "test unittest msilib winreg winsound nt msvcrt"
)


class Config:
    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.store_sizes = [10, 100] if quick else [10, 100, 1000, 10000]
        self.start_rounds = 1 if quick else 25
        # Start-ups that cost milliseconds get more rounds: their added time is a difference
        # of two ~13 ms starts that each swing by several ms on a shared machine.
        self.fast_start_rounds = 1 if quick else 75
        self.import_rounds = 1 if quick else 21
        self.slow_rounds = 1 if quick else 5
        self.toll_rounds = 1 if quick else 31
        self.scale_rounds = 1 if quick else 21
        self.rss_rounds = 1 if quick else 5
        self.toll_wheels = 50
        self.lock_wheels = 10 if quick else 50
        self.lock_rounds = 1 if quick else 41
        self.scale_wheels = 200
        self.rss_wheels = 100
        # The package imported by figures 2, 3 and 5: sympy (+ mpmath, ~540 modules), or in
        # quick mode mpmath alone (~60 modules), to keep the slow peers short.
        self.module = "mpmath" if quick else "sympy"
        self.requirement = MPMATH if quick else SYMPY
        # The package sets of the system-call figure (empty: all of them).
        self.syscall_sets: set[str] = set()


class Work:
    """Paths of the throwaway set-up under bench/.work/."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.dist = os.path.join(root, "dist")
        self.downloads = os.path.join(root, "downloads")
        self.pads = os.path.join(root, "pads")
        self.pad_eggs = os.path.join(root, "pad-eggs")

    def venv(self, name: str) -> str:
        return os.path.join(self.root, f"venv-{name}")

    def python(self, name: str) -> str:
        return os.path.join(self.venv(name), "bin", "python")

    def path(self, *parts: str) -> str:
        return os.path.join(self.root, *parts)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def sh(*args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(args, check=True, env=env)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a measured child: nothing inherited that changes what it imports."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "WHEELHOOK_", "BENCH_", "VIRTUAL_ENV"))
    }
    env.update(extra)
    return env


# -- set-up -------------------------------------------------------------------------------------


def make_venv(work: Work, name: str, python: str, *packages: str) -> str:
    venv = work.venv(name)
    marker = os.path.join(venv, "bench-packages.txt")
    wanted = "\n".join(packages)
    # A requirements file is part of what is wanted: a re-pinned lock makes a new venv.
    for flag, value in zip(packages, packages[1:]):
        if flag == "-r":
            with open(value) as f:
                wanted += "\n" + f.read()
    if os.path.exists(marker):
        with open(marker) as f:
            if f.read() == wanted:
                return work.python(name)
    shutil.rmtree(venv, ignore_errors=True)
    log(f"creating {venv} with {', '.join(packages) or 'nothing'}")
    sh(python, "-m", "venv", venv)
    if packages:
        sh(
            work.python(name),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            *packages,
        )
    with open(marker, "w") as f:
        f.write(wanted)
    return work.python(name)


def wheelhook_wheel(work: Work, given: str | None, tools: str) -> str:
    if given:
        return os.path.abspath(given)
    log("building wheelhook (maturin build --release)")
    shutil.rmtree(work.dist, ignore_errors=True)
    maturin = os.path.join(os.path.dirname(tools), "maturin")
    sh(maturin, "build", "--release", "--quiet", "--out", work.dist, "-m", f"{ROOT}/Cargo.toml")
    (name,) = [n for n in os.listdir(work.dist) if n.endswith(".whl")]
    return os.path.join(work.dist, name)


def install_wheelhook(work: Work, python: str, wheel: str) -> None:
    # The stamp lives in the venv the interpreter belongs to (bin/python -> the venv).
    stamp = os.path.join(os.path.dirname(os.path.dirname(python)), "bench-wheelhook.txt")
    key = f"{wheel} {os.path.getmtime(wheel)}"
    if os.path.exists(stamp) and open(stamp).read() == key:
        return
    sh(python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--force-reinstall",
       "--no-deps", wheel)  # fmt: skip
    with open(stamp, "w") as f:
        f.write(key)


def download(work: Work, tools: str) -> dict[str, str]:
    os.makedirs(work.downloads, exist_ok=True)
    found = {n.split("-")[0]: n for n in os.listdir(work.downloads) if n.endswith(".whl")}
    if not {"sympy", "mpmath"} <= found.keys():
        log(f"downloading {SYMPY} and {MPMATH} with pip")
        sh(tools, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--no-deps",
           "--only-binary=:all:", "-d", work.downloads, SYMPY, MPMATH)  # fmt: skip
        found = {n.split("-")[0]: n for n in os.listdir(work.downloads) if n.endswith(".whl")}
    return {k: os.path.join(work.downloads, found[k]) for k in ("sympy", "mpmath")}


def make_pads(work: Work, count: int) -> None:
    """`count` unrelated small wheels and eggs (one module each), made once and reused."""
    os.makedirs(work.pads, exist_ok=True)
    os.makedirs(work.pad_eggs, exist_ok=True)
    have = len(os.listdir(work.pads))
    if have >= count:
        return
    log(f"writing {count - have} synthetic wheels and eggs")
    for i in range(count):
        name = pad_name(i)
        if not os.path.exists(os.path.join(work.pads, f"{name}-1.0-py3-none-any.whl")):
            write_wheel(work.pads, name, "1.0", pad_module(i))
            write_egg(work.pad_eggs, name, "1.0", pad_module(i))


def fill_dir(directory: str, sources: list[str], link: str) -> None:
    """`directory` holding exactly `sources` (hard links for wheels, symlinks for eggs)."""
    if os.path.isdir(directory) and len(os.listdir(directory)) == len(sources):
        return
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    for src in sources:
        dst = os.path.join(directory, os.path.basename(src))
        if link == "hard":
            os.link(src, dst)
        else:
            os.symlink(src, dst)


#: A package that loads a small C extension and does nothing else (see `install_floor_extension`).
FLOOR_EXT = "bench_floor_ext"


def install_floor_extension(python: str) -> None:
    """Puts into `python`'s site-packages a package whose `__init__` imports a copy of the
    standard library's `_json` extension: what loading any package with a native
    extension costs, the floor under a finder built as one. Nothing is compiled."""
    out = subprocess.run(
        [python, "-c", "import _json, sysconfig; print(_json.__file__); "
         "print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.split("\n")  # fmt: skip
    extension, site = out[0], out[1]
    package = os.path.join(site, FLOOR_EXT)
    os.makedirs(package, exist_ok=True)
    shutil.copyfile(extension, os.path.join(package, os.path.basename(extension)))
    with open(os.path.join(package, "__init__.py"), "w") as f:
        f.write(f"from {FLOOR_EXT} import _json\n")
    sh(python, "-m", "compileall", "-q", package)


class Setup:
    def __init__(self, args: argparse.Namespace, config: Config, light: bool = False) -> None:
        """`light`: only the tools and the wheelhook venv (what the system-call figure needs
        when it runs alone)."""
        work = self.work = Work(os.path.join(HERE, ".work"))
        os.makedirs(work.root, exist_ok=True)
        python = args.python
        # matplotlib for the plot and maturin to build wheelhook, as pinned in the lock.
        lock = os.path.join(ROOT, "scripts", "lock", "bench.txt")
        self.tools = make_venv(work, "tools", python, "--require-hashes", "--no-deps", "-r", lock)
        wheel = wheelhook_wheel(work, args.wheel, self.tools)
        self.downloads = download(work, self.tools)
        self.wh = make_venv(work, "wheelhook", python)
        install_wheelhook(work, self.wh, wheel)
        self.args_python, self.wheel = python, wheel
        if light:
            self.pyver = subprocess.run(
                [self.wh, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                check=True, capture_output=True, text=True,
            ).stdout.strip()  # fmt: skip
            return
        self.site = make_venv(work, "site", python, "--no-index", "--find-links",
                              work.downloads, SYMPY, MPMATH)  # fmt: skip
        self.peers = make_venv(work, "peers", python, SETUPTOOLS, DISTLIB)
        install_floor_extension(self.peers)
        self.pyver = subprocess.run(
            [self.peers, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip

        most = max([*config.store_sizes, config.scale_wheels])
        make_pads(work, most)
        self.pad_wheels = [os.path.join(work.pads, f"{pad_name(i)}-1.0-py3-none-any.whl")
                           for i in range(most)]  # fmt: skip
        self.pad_eggs = [os.path.join(work.pad_eggs, f"{pad_name(i)}-1.0-py{self.pyver}.egg")
                         for i in range(most)]  # fmt: skip

        # The three distributions the activation figure asks for, as wheels and as eggs.
        req_dir = work.path("required")
        os.makedirs(req_dir, exist_ok=True)
        self.req_wheels, self.req_eggs = [], []
        for name in ACTIVATED:
            module = {f"{name.replace('-', '_')}.py": "X = 1\n"}
            self.req_wheels.append(write_wheel(req_dir, name, "1.0", module))
            self.req_eggs.append(write_egg(req_dir, name, "1.0", module, python=self.pyver))
        for n in config.store_sizes:
            fill_dir(work.path(f"store-{n}"), self.pad_wheels[:n] + self.req_wheels, "hard")
            fill_dir(work.path(f"eggs-{n}"), self.pad_eggs[:n] + self.req_eggs, "sym")

        # sympy + mpmath, with the pads the scaling figure activates beside them.
        big = [self.downloads["sympy"], self.downloads["mpmath"]]
        self.main_store = work.path("store-main")
        fill_dir(self.main_store, big + self.pad_wheels[: config.scale_wheels], "hard")
        egg_dir = work.path("eggs-built")
        os.makedirs(egg_dir, exist_ok=True)
        big_eggs = [
            egg_from_wheel(self.downloads["sympy"], egg_dir, self.pyver, ["mpmath>=1.1.0,<1.4"]),
            egg_from_wheel(self.downloads["mpmath"], egg_dir, self.pyver, []),
        ]
        self.main_eggs = work.path("eggs-main")
        fill_dir(self.main_eggs, big_eggs + self.pad_eggs[: config.scale_wheels], "sym")
        self.main_wheels = big
        self.warm_cache = work.path("cache-warm")
        self.published_store = work.path("store-published")
        self.start_cache = work.path("cache-start")
        self.floor_table = work.path("floor.json")
        self.stdlib_list = work.path("stdlib.json")

    def prepare(self, config: Config) -> None:
        """Warm caches, the floor's table, the standard-library module list."""
        env = clean_env(BENCH_MODULE=config.module, BENCH_ROOTS="sympy mpmath")
        child = os.path.join(HERE, "child.py")
        subprocess.run([self.site, child, "import", "site"], env=env, check=True,
                       capture_output=True)  # fmt: skip
        out = subprocess.run([self.site, child, "manifest", "site"], env=env, check=True,
                             capture_output=True, text=True).stdout  # fmt: skip
        with open(self.floor_table, "w") as f:
            json.dump(json.loads(out)["table"], f)
        probe_env = clean_env(
            WHEELHOOK_PATH=self.main_store,
            WHEELHOOK_CACHE=self.warm_cache,
            BENCH_REQUIRES="\n".join(pad_name(i) for i in range(config.toll_wheels)),
            BENCH_SKIP=STDLIB_SKIP,
        )
        out = subprocess.run([self.wh, child, "probe", "wheelhook"], env=probe_env, check=True,
                             capture_output=True, text=True).stdout  # fmt: skip
        with open(self.stdlib_list, "w") as f:
            f.write(out)
        self.publish(config)

    def publish(self, config: Config) -> None:
        """sympy and mpmath in a store of their own, with the compiled code of the wheels the
        figures import published beside them (`wheelhook compile`), afresh."""
        shutil.rmtree(self.published_store, ignore_errors=True)
        os.makedirs(self.published_store)
        for wheel in self.main_wheels:
            os.link(wheel, os.path.join(self.published_store, os.path.basename(wheel)))
        wanted = [self.downloads["mpmath"]] if config.quick else self.main_wheels
        names = [os.path.basename(w) for w in wanted]
        subprocess.run([self.wh, "-m", "wheelhook", "compile", "--store", self.published_store,
                        *names], env=clean_env(), check=True, capture_output=True)  # fmt: skip


# -- measuring ----------------------------------------------------------------------------------


def run_child(python: str, args: list[str], env: dict[str, str]) -> tuple[float, dict[str, object]]:
    """Runs one child; returns its wall time and the JSON it printed (if any)."""
    t0 = time.perf_counter()
    proc = subprocess.run([python, *args], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{python} {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    line = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    return wall, (json.loads(line) if line.startswith("{") else {})


class Job:
    """One peer's command in a figure; `samples` collects one value per round."""

    def __init__(
        self, key: str, python: str, args: list[str], env: dict[str, str], rounds: int,
        fresh_cache: bool = False, fresh_pycache: bool = False,
    ) -> None:  # fmt: skip
        self.key, self.python, self.args, self.env = key, python, args, env
        self.rounds = rounds
        self.fresh_cache, self.fresh_pycache = fresh_cache, fresh_pycache
        self.walls: list[float] = []
        self.outputs: list[dict[str, object]] = []

    def run(self) -> None:
        env = dict(self.env)
        tmp = None
        if self.fresh_cache or self.fresh_pycache:
            tmp = tempfile.mkdtemp(prefix="wheelhook-bench-")
            if self.fresh_cache:
                env["WHEELHOOK_CACHE"] = os.path.join(tmp, "cache")
            if self.fresh_pycache:
                env["PYTHONPYCACHEPREFIX"] = os.path.join(tmp, "pycache")
        try:
            wall, out = run_child(self.python, self.args, env)
        finally:
            if tmp:
                shutil.rmtree(tmp, ignore_errors=True)
        self.walls.append(wall)
        self.outputs.append(out)

    def values(self, field: str) -> list[float]:
        return [float(o[field]) for o in self.outputs]  # type: ignore[arg-type]


def measure(jobs: list[Job], warmup: bool = True) -> None:
    """Runs every job once per round, in a shuffled order; round 0 (warm-up) is discarded."""
    rng = random.Random(42)
    if warmup:
        for job in jobs:
            if not (job.fresh_cache or job.fresh_pycache):
                job.run()
                job.walls.clear()
                job.outputs.clear()
    for r in range(max(j.rounds for j in jobs)):
        todo = [j for j in jobs if r < j.rounds]
        rng.shuffle(todo)
        for job in todo:
            job.run()


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "n": len(values),
    }


# -- figures ------------------------------------------------------------------------------------

CHILD = os.path.join(HERE, "child.py")


def activation_scripts(s: Setup) -> dict[str, str]:
    """The activation each start-up peer does, as a script file (`__requires__` must be in
    `__main__`)."""
    reqs = repr(ACTIVATED)
    want = repr({n.replace("-", "_") for n in ACTIVATED})
    listing = (
        "import os, sys\n"
        "_d = os.environ['BENCH_STORE']\n"
        "_w = [os.path.join(_d, f) for f in os.listdir(_d)\n"
        f"      if f.endswith('.whl') and f.split('-', 1)[0] in {want}]\n"
    )
    texts = {
        "wheelhook": f"__requires__ = {reqs}\nimport wheelhook\n",
        "floor-ext": f"import {FLOOR_EXT}\n",
        "pkg_resources": f"__requires__ = {reqs}\nimport pkg_resources\n",
        "zipimport": listing + "for _p in _w:\n    sys.path.insert(0, _p)\n",
        "distlib": listing
        + "from distlib.wheel import Wheel\nfor _p in _w:\n    Wheel(_p).mount()\n",
    }
    # The scripts' directory is `sys.path[0]` of every start, so one of the directories a
    # resolution reads: it gets a directory of its own, left alone while the figure runs.
    directory = s.work.path("activation-scripts")
    os.makedirs(directory, exist_ok=True)
    paths = {}
    for peer, text in texts.items():
        path = os.path.join(directory, f"activate-{peer}.py")
        old = None
        if os.path.exists(path):
            with open(path) as f:
                old = f.read()
        if old != text:
            with open(path, "w") as f:
                f.write(text)
        paths[peer] = path
    return paths


def figure_activation(s: Setup, c: Config) -> dict[str, object]:
    scripts = activation_scripts(s)
    fast, slow = c.fast_start_rounds, c.start_rounds
    base_wh = Job("baseline wheelhook venv", s.wh, ["-c", "pass"], clean_env(), fast)
    base_peers = Job("baseline peers venv", s.peers, ["-c", "pass"], clean_env(), fast)
    # For scale: loading a package with a small C extension, no finder, nothing activated.
    floor_ext = Job("floor: package with a C extension", s.peers, [scripts["floor-ext"]],
                    clean_env(), fast)  # fmt: skip
    jobs, rows = [base_wh, base_peers, floor_ext], []
    for n in c.store_sizes:
        store, eggs = s.work.path(f"store-{n}"), s.work.path(f"eggs-{n}")
        per_n = [
            ("wheelhook", Job(f"wheelhook {n}", s.wh, [scripts["wheelhook"]],
                              clean_env(WHEELHOOK_PATH=store, WHEELHOOK_CACHE=s.start_cache),
                              fast), base_wh),
            # The first start of a program (or the first after the store changed): no entry
            # in the activation cache, so it lists the store and resolves.
            ("wheelhook, first start", Job(f"wheelhook first {n}", s.wh, [scripts["wheelhook"]],
                                           clean_env(WHEELHOOK_PATH=store), fast,
                                           fresh_cache=True), base_wh),
            ("pkg_resources", Job(f"pkg_resources {n}", s.peers, [scripts["pkg_resources"]],
                                  clean_env(PYTHONPATH=eggs), slow), base_peers),
            ("zipimport", Job(f"zipimport {n}", s.peers, [scripts["zipimport"]],
                              clean_env(BENCH_STORE=store), fast), base_peers),
            ("distlib", Job(f"distlib {n}", s.peers, [scripts["distlib"]],
                            clean_env(BENCH_STORE=store), slow), base_peers),
        ]  # fmt: skip
        for peer, job, base in per_n:
            jobs.append(job)
            rows.append((n, peer, job, base))
    # A resolution is remembered only once the directories it read have been left alone
    # for two seconds (file-system clocks tick coarsely): let the scripts' directory settle.
    time.sleep(2.5)
    measure(jobs)
    out = []
    for n, peer, job, base in rows:
        added = [(w - b) * 1000 for w, b in zip(job.walls, base.walls)]
        out.append({
            "wheels": n,
            "peer": peer,
            "added_ms": summary(added),
            "wall_ms": summary([w * 1000 for w in job.walls]),
        })  # fmt: skip
    return {
        "baseline_ms": summary([w * 1000 for w in base_wh.walls]),
        "rows": out,
        "floor_ext_added_ms": summary(
            [(w - b) * 1000 for w, b in zip(floor_ext.walls, base_peers.walls)]
        ),
    }


def import_jobs(s: Setup, c: Config) -> list[Job]:
    mod = {"BENCH_MODULE": c.module}
    wh_env = {"WHEELHOOK_PATH": s.main_store, "BENCH_REQUIRES": c.requirement}
    wheels = os.pathsep.join(s.main_wheels)
    fast, slow = c.import_rounds, c.slow_rounds
    return [
        Job("site-packages, warm __pycache__", s.site, [CHILD, "import", "site"],
            clean_env(**mod), fast),
        Job("floor (unmarshal + exec)", s.site, [CHILD, "import", "floor"],
            clean_env(BENCH_FLOOR=s.floor_table, **mod), fast),
        Job("wheelhook, warm cache", s.wh, [CHILD, "import", "wheelhook"],
            clean_env(WHEELHOOK_CACHE=s.warm_cache, **wh_env, **mod), fast),
        Job("pkg_resources eggs, warm __pycache__", s.peers, [CHILD, "import", "pkg_resources"],
            clean_env(PYTHONPATH=s.main_eggs, BENCH_REQUIRES=c.requirement, **mod), fast),
        Job("zipimport", s.peers, [CHILD, "import", "zipimport"],
            clean_env(BENCH_WHEELS=wheels, **mod), slow),
        Job("distlib mount", s.peers, [CHILD, "import", "distlib"],
            clean_env(BENCH_WHEELS=wheels, **mod), slow),
        Job("wheelhook, cold (empty cache)", s.wh, [CHILD, "import", "wheelhook"],
            clean_env(**wh_env, **mod), slow, fresh_cache=True),
        Job("site-packages, cold (no __pycache__)", s.site, [CHILD, "import", "site"],
            clean_env(**mod), slow, fresh_pycache=True),
        # Compiling alone, as a plain directory without `__pycache__` that may not write one.
        Job("site-packages, cold, writing no __pycache__", s.site, [CHILD, "import", "site"],
            clean_env(PYTHONDONTWRITEBYTECODE="1", **mod), slow, fresh_pycache=True),
        # A fresh node of a shared store: the private cache empty, the store's code published.
        Job("wheelhook, published code (empty private cache)", s.wh,
            [CHILD, "import", "wheelhook"],
            clean_env(**{**wh_env, "WHEELHOOK_PATH": s.published_store}, **mod), slow,
            fresh_cache=True),
    ]  # fmt: skip


def figure_import(s: Setup, c: Config) -> dict[str, object]:
    jobs = import_jobs(s, c)
    measure(jobs)
    ref = statistics.median(jobs[0].values("seconds"))
    rows = []
    for job in jobs:
        secs = job.values("seconds")
        rows.append({
            "peer": job.key,
            "import_ms": summary([x * 1000 for x in secs]),
            "ratio": statistics.median(secs) / ref,
            "process_ms": summary([w * 1000 for w in job.walls]),
            "modules": job.outputs[-1].get("modules"),
            "compiled": job.outputs[-1].get("compiled"),
        })  # fmt: skip
    # Rounds interleave the peers, so the round's load falls on both: the per-round ratio of
    # wheelhook's warm import to site-packages' is the steadier figure on a noisy machine.
    site, warm = jobs[0].values("seconds"), jobs[2].values("seconds")
    paired = [w / b for w, b in zip(warm, site)]
    out: dict[str, object] = {"rows": rows, "warm_paired": summary(paired)}
    if not c.quick:
        out["instructions"] = import_instructions(jobs[:3])
    return out


def count_instructions(job: Job, **env: str) -> int | None:
    """Instructions one run of `job` executes, counted by callgrind (`None` without valgrind)."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    cmd = [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", job.python, *job.args]
    # A fixed hash seed: with a random one, dict and set layouts (and so the counts) vary by
    # about 0.4% from run to run.
    env = {**job.env, "PYTHONHASHSEED": "0", **env}
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    found = re.search(r"refs:\s+([\d,]+)", proc.stderr)
    if proc.returncode != 0 or found is None:
        raise RuntimeError(f"callgrind of {job.key} failed:\n{proc.stderr[-3000:]}")
    return int(found.group(1).replace(",", ""))


def import_instructions(jobs: list[Job]) -> dict[str, object]:
    """Instructions executed by each warm import (site-packages, the floor, wheelhook): the
    whole child minus the same child importing a module that is already loaded, so start-up
    and activation cancel out. Unlike times, counts do not move with the machine's load
    (they leave out the time system calls and page faults take)."""
    rows = []
    for job in jobs:
        full = count_instructions(job)
        if full is None:
            return {"skipped": "valgrind is not installed"}
        empty = count_instructions(job, BENCH_MODULE="sys")
        rows.append({"peer": job.key, "instructions": full - (empty or 0)})
    return {"rows": rows}


def figure_toll(s: Setup, c: Config) -> dict[str, object]:
    with open(s.stdlib_list) as f:
        probe = json.load(f)
    common = {"BENCH_STDLIB": " ".join(probe["stdlib"])}
    pads = "\n".join(pad_name(i) for i in range(c.toll_wheels))
    without = Job(
        "without wheelhook",
        s.wh,
        [CHILD, "stdlib", "none"],
        clean_env(BENCH_PRELOAD=" ".join(probe["preload"]), **common),
        c.toll_rounds,
    )
    with_ = Job(f"wheelhook, {c.toll_wheels} wheels active", s.wh, [CHILD, "stdlib", "wheelhook"],
                clean_env(WHEELHOOK_PATH=s.main_store, WHEELHOOK_CACHE=s.warm_cache,
                          BENCH_REQUIRES=pads, **common), c.toll_rounds)  # fmt: skip
    measure([without, with_])
    a, b = without.values("seconds"), with_.values("seconds")
    ratios = [y / x for x, y in zip(a, b)]
    decline = (
        "import timeit, wheelhook\n"
        f"wheelhook.require(*{[pad_name(i) for i in range(c.toll_wheels)]!r})\n"
        "f = wheelhook.finder().find_spec\n"
        "n = 20000 if __import__('os').environ.get('BENCH_QUICK') else 200000\n"
        "print(min(timeit.repeat(lambda: f('no_such_module'), number=n, repeat=5)) / n * 1e9)\n"
    )
    proc = subprocess.run(
        [s.wh, "-c", decline],
        env=clean_env(WHEELHOOK_PATH=s.main_store, WHEELHOOK_CACHE=s.warm_cache,
                      **({"BENCH_QUICK": "1"} if c.quick else {})),
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return {
        "modules": len(probe["stdlib"]),
        "without_ms": summary([x * 1000 for x in a]),
        "with_ms": summary([x * 1000 for x in b]),
        "ratio_of_medians": statistics.median(b) / statistics.median(a),
        "paired_ratio": summary(ratios),
        "decline_ns": float(proc.stdout.strip()),
    }


def figure_scaling(s: Setup, c: Config) -> dict[str, object]:
    k = c.scale_wheels
    pads = [pad_name(i) for i in range(k)]
    mod = {"BENCH_MODULE": c.module}
    jobs = []
    for extra in (0, k):
        reqs = "\n".join([c.requirement, *pads[:extra]])
        wheels = os.pathsep.join(s.main_wheels + s.pad_wheels[:extra])
        jobs += [
            Job(f"wheelhook {extra}", s.wh, [CHILD, "import", "wheelhook"],
                clean_env(WHEELHOOK_PATH=s.main_store, WHEELHOOK_CACHE=s.warm_cache,
                          BENCH_REQUIRES=reqs, **mod), c.scale_rounds),
            Job(f"pkg_resources {extra}", s.peers, [CHILD, "import", "pkg_resources"],
                clean_env(PYTHONPATH=s.main_eggs, BENCH_REQUIRES=reqs, **mod), c.scale_rounds),
            Job(f"zipimport {extra}", s.peers, [CHILD, "import", "zipimport"],
                clean_env(BENCH_WHEELS=wheels, **mod), c.slow_rounds),
        ]  # fmt: skip
    measure(jobs)
    rows = []
    for peer in ("wheelhook", "pkg_resources", "zipimport"):
        one, many = (j for j in jobs if j.key.split()[0] == peer)
        rows.append({
            "peer": peer,
            "one_ms": summary([x * 1000 for x in one.values("seconds")]),
            "many_ms": summary([x * 1000 for x in many.values("seconds")]),
            "ratio": statistics.median(many.values("seconds"))
            / statistics.median(one.values("seconds")),
            # Each round's two runs back to back: steadier on a shared machine.
            "paired": summary([m / o for m, o in zip(many.values("seconds"), one.values("seconds"))]),
            "sys_path_one": one.outputs[-1]["sys_path"],
            "sys_path_many": many.outputs[-1]["sys_path"],
        })  # fmt: skip
    return {"extra": k, "rows": rows}


def figure_rss(s: Setup, c: Config) -> dict[str, object]:
    pads = "\n".join(pad_name(i) for i in range(c.rss_wheels))
    env = {"WHEELHOOK_PATH": s.main_store, "WHEELHOOK_CACHE": s.warm_cache}
    jobs = [
        Job("python, no wheelhook", s.wh, [CHILD, "rss", "none"], clean_env(), c.rss_rounds),
        Job("import wheelhook, nothing active", s.wh, [CHILD, "rss", "wheelhook"],
            clean_env(**env), c.rss_rounds),
        Job(f"wheelhook, {c.rss_wheels} wheels active", s.wh, [CHILD, "rss", "wheelhook"],
            clean_env(BENCH_REQUIRES=pads, **env), c.rss_rounds),
        Job(f"pkg_resources, {c.rss_wheels} eggs active", s.peers, [CHILD, "rss", "pkg_resources"],
            clean_env(PYTHONPATH=s.main_eggs, BENCH_REQUIRES=pads), c.rss_rounds),
    ]  # fmt: skip
    measure(jobs, warmup=False)
    return {
        "rows": [
            {"peer": j.key, "maxrss_mb": summary([x / 1024 for x in j.values("maxrss_kb")])}
            for j in jobs
        ]
    }


def figure_lock(s: Setup, c: Config) -> dict[str, object]:
    """Activation from a PEP 751 lock of `lock_wheels` distributions (warm: the activation, the
    digests of its wheels and the bytecode remembered; and with no activation entry, as after
    the lock or the store changed: the lock parsed, the store listed, each digest recalled by
    stamp), against a resolution of the same set (warm activation cache) and against `uv pip
    sync` of the lock into a fresh venv (warm uv cache)."""
    pinned = pinned_uv(s)
    uv = pinned[0] if pinned else None
    names = [pad_name(i) for i in range(c.lock_wheels)]
    store = s.work.path("store-lock")
    fill_dir(store, s.pad_wheels[: c.lock_wheels], "hard")
    cache = s.work.path("cache-lock")
    lock = s.work.path("pylock.lock-figure.toml")
    env = clean_env(WHEELHOOK_PATH=store, WHEELHOOK_CACHE=cache)
    sh(s.wh, "-m", "wheelhook", "lock", *names, "-o", lock, env=env)
    directory = s.work.path("lock-scripts")
    os.makedirs(directory, exist_ok=True)
    scripts = {
        "wheelhook, from the lock": f"import wheelhook\nwheelhook.require(lock={lock!r})\n",
        "wheelhook, resolving": f"__requires__ = {names!r}\nimport wheelhook\n",
    }
    commands: dict[str, list[str]] = {"python -c pass": [s.wh, "-c", "pass"]}
    for key, text in scripts.items():
        path = os.path.join(directory, f"{len(commands)}.py")
        with open(path, "w") as f:
            f.write(text + f"import {names[-1]}\n")
        commands[key] = [s.wh, path]
    envs = {key: env for key in commands}
    cold, cold_cache = (
        "wheelhook, from the lock, no activation entry",
        s.work.path("cache-lock-cold"),
    )
    commands[cold] = commands["wheelhook, from the lock"]
    envs[cold] = clean_env(WHEELHOOK_PATH=store, WHEELHOOK_CACHE=cold_cache)
    venv_dir = s.work.path("uv-lock-venv")
    if uv:
        commands["uv pip sync, fresh venv"] = [
            uv, "pip", "sync", "-q", "--preview-features", "pylock", "--python",
            os.path.join(venv_dir, "bin", "python"), lock,
        ]  # fmt: skip

    def before(key: str) -> None:
        if commands[key][0] == uv:
            sh(uv, "venv", "-q", "--clear", "--python", s.args_python, venv_dir)
        if key == cold:
            shutil.rmtree(os.path.join(cold_cache, "activations"), ignore_errors=True)

    for key, argv in commands.items():  # warm every cache, then let the directories settle
        before(key)
        subprocess.run(argv, env=envs.get(key, env), check=True, capture_output=True)
    time.sleep(2.5)
    walls: dict[str, list[float]] = {key: [] for key in commands}
    for _ in range(c.lock_rounds):
        order = list(commands)
        random.shuffle(order)
        for key in order:
            before(key)
            start = time.perf_counter()
            subprocess.run(commands[key], env=envs.get(key, env), check=True, capture_output=True)
            walls[key].append(time.perf_counter() - start)
    base = walls["python -c pass"]
    return {
        "wheels": c.lock_wheels,
        "rounds": c.lock_rounds,
        "rows": [
            {
                "peer": k,
                "wall_ms": summary([w * 1000 for w in v]),
                # Paired with the baseline of the same round, as figure 1.
                "added_ms": summary([(w - b) * 1000 for w, b in zip(v, base)]),
            }
            for k, v in walls.items()
            if k != "python -c pass"
        ],
        "baseline_ms": summary([w * 1000 for w in base]),
    }


def site_wide(s: Setup, c: Config) -> dict[str, object]:
    """The start-up cost of `python -m wheelhook enable` for a program that declares nothing:
    `python -c pass` in a venv where it is enabled vs the same wheelhook venv without it."""
    enabled = make_venv(s.work, "sitewide", s.args_python)
    install_wheelhook(s.work, enabled, s.wheel)
    sh(enabled, "-m", "wheelhook", "enable", env=clean_env())
    plain = Job("python -c pass, wheelhook installed", s.wh, ["-c", "pass"], clean_env(),
                c.start_rounds)  # fmt: skip
    sitewide = Job("python -c pass, site-wide activation enabled", enabled, ["-c", "pass"],
                   clean_env(), c.start_rounds)  # fmt: skip
    measure([plain, sitewide])
    added = [(w - b) * 1000 for w, b in zip(sitewide.walls, plain.walls)]
    return {
        "available": True,
        "baseline_ms": summary([w * 1000 for w in plain.walls]),
        "added_ms": summary(added),
    }


def machine(s: Setup) -> dict[str, str]:
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "")
    except OSError:
        pass
    version = subprocess.run([s.wh, "-VV"], capture_output=True, text=True).stdout.strip()
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()  # fmt: skip
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu or platform.processor(),
        "python": version,
        "platform": platform.platform(),
        "commit": commit,
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="every figure once (smoke test)")
    parser.add_argument("--wheel", help="a built wheelhook wheel (default: maturin build)")
    parser.add_argument("--python", default=sys.executable, help="the interpreter to measure")
    parser.add_argument("--only", help="comma-separated figures to run (default: all)")
    args = parser.parse_args()
    config = Config(args.quick)
    started = time.perf_counter()
    setup = Setup(args, config)
    log("warming caches and listing standard-library modules")
    setup.prepare(config)
    figures = {
        "activation": figure_activation,
        "import": figure_import,
        "toll": figure_toll,
        "scaling": figure_scaling,
        "rss": figure_rss,
        "lock": figure_lock,
        "entry_points": figure_entry_points,
        "tool": figure_tool,
    }
    if not args.quick:  # counts under strace: a measurement, not part of the smoke run
        figures["syscalls"] = figure_syscalls
    if not args.quick:  # mounts a FUSE filesystem (root, /dev/fuse): full runs only
        import netfs

        missing = netfs.unavailable()
        if missing:
            log(f"the netfs figure is skipped: {missing}")
        else:
            figures["netfs"] = netfs.figure_netfs
    only = set(args.only.split(",")) if args.only else {*figures, "sitewide"}
    results: dict[str, object] = {
        "quick": args.quick,
        "module": config.module,
        "machine": machine(setup),
    }
    for name, fn in figures.items():
        if name in only:
            log(f"figure: {name}")
            results[name] = fn(setup, config)
    if "sitewide" in only:
        log("figure: site-wide activation")
        results["site_wide"] = site_wide(setup, config)
    results["seconds"] = time.perf_counter() - started
    out_dir = os.path.join(HERE, "results")
    os.makedirs(out_dir, exist_ok=True)
    stem = "quick" if args.quick else "latest"
    json_path = os.path.join(out_dir, f"{stem}.json")
    with open(json_path, "w") as f:
        json.dump(results, f, indent=1)
    md_path = os.path.join(out_dir, f"{stem}.md")
    with open(md_path, "w") as f:
        f.write(write_report(results))
    png_path = os.path.join(out_dir, f"{stem}.png")
    subprocess.run([setup.tools, os.path.join(HERE, "plot.py"), json_path, png_path], check=True)
    log(f"wrote {md_path}, {json_path}, {png_path} in {results['seconds']:.0f} s")


if __name__ == "__main__":
    main()
