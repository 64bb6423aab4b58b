"""Figures for plugins and tools: `wheelhook.entry_points` against `importlib.metadata` with 200
distributions installed, and `wheelhook tool` against the same console script installed (and
`uvx`, pinned to the uv of the tools lock).
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess

TYPE_CHECKING = False
if TYPE_CHECKING:
    from run import Config, Setup

#: The installed distributions of the entry-point figure, and the wheels activated beside them.
INSTALLED = 200
ACTIVATED = 3
TOOL = "pycodestyle==2.11.1"

#: One child process: the entry points of a group, first call and the mean of the next calls,
#: with `importlib.metadata` and wheelhook imported beforehand (neither call pays for them).
EP_CHILD = """
import json, sys, time
import importlib.metadata as md
import wheelhook, wheelhook._entry_points
wheelhook.require(*[f"bench-ep-{i}" for i in range(%(activated)d)])
peer, n = sys.argv[1], int(sys.argv[2])
if peer == "importlib":
    if sys.version_info >= (3, 10):
        call = lambda: md.entry_points(group="bench.plugins")
    else:
        call = lambda: md.entry_points().get("bench.plugins", ())
else:
    call = lambda: wheelhook.entry_points(group="bench.plugins")
t0 = time.perf_counter()
found = call()
first = time.perf_counter() - t0
t0 = time.perf_counter()
for _ in range(n):
    call()
later = (time.perf_counter() - t0) / n
print(json.dumps({"first": first, "later": later,
                  "found": sorted(f"{e.name}={e.value}" for e in found)}))
"""


def _write_dist_info(site: str, i: int) -> None:
    """An installed distribution `bench-ep-{i}` 1.0 with a console script and a plugin."""
    info = os.path.join(site, f"bench_ep_{i}-1.0.dist-info")
    os.makedirs(info, exist_ok=True)
    files = {
        "METADATA": f"Metadata-Version: 2.1\nName: bench-ep-{i}\nVersion: 1.0\n",
        "entry_points.txt": (
            f"[console_scripts]\nbench-ep-{i} = bench_ep_{i}:main\n\n"
            f"[bench.plugins]\nplugin-{i} = bench_ep_{i}:Plugin\n"
        ),
        "INSTALLER": "bench\n",
        "RECORD": "",
    }
    for name, text in files.items():
        with open(os.path.join(info, name), "w") as f:
            f.write(text)


def _site_packages(python: str) -> str:
    return subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip


def figure_entry_points(s: Setup, c: Config) -> dict[str, object]:
    from fixtures import write_wheel
    from run import Job, clean_env, install_wheelhook, make_venv, measure, summary

    python = make_venv(s.work, "plugins", s.args_python)
    install_wheelhook(s.work, python, s.wheel)
    site = _site_packages(python)
    for i in range(INSTALLED):
        _write_dist_info(site, i)
    # Newer versions of the first few, as wheels: activating them hides the installed ones.
    store = s.work.path("plugins-store")
    os.makedirs(store, exist_ok=True)
    for i in range(ACTIVATED):
        text = f"[bench.plugins]\nplugin-{i} = bench_ep_{i}:Plugin2\n"
        write_wheel(store, f"bench-ep-{i}", "2.0", {
            f"bench_ep_{i}.py": "class Plugin2: pass\n",
            f"bench_ep_{i}-2.0.dist-info/entry_points.txt": text,
        })  # fmt: skip
    code = EP_CHILD % {"activated": ACTIVATED}
    calls = "20" if c.quick else "200"
    env = clean_env(WHEELHOOK_PATH=store, WHEELHOOK_CACHE=s.warm_cache)
    jobs = [
        Job(peer, python, ["-c", code, peer, calls], env, c.import_rounds)
        for peer in ("importlib", "wheelhook")
    ]
    measure(jobs)
    theirs, ours = jobs
    if theirs.outputs[-1]["found"] != ours.outputs[-1]["found"]:
        raise RuntimeError("wheelhook.entry_points and importlib.metadata disagree")
    first = [a / b for a, b in zip(theirs.values("first"), ours.values("first"))]
    later = [a / b for a, b in zip(theirs.values("later"), ours.values("later"))]
    return {
        "installed": INSTALLED,
        "activated": ACTIVATED,
        "entry_points": len(ours.outputs[-1]["found"]),  # type: ignore[arg-type]
        "rows": [
            {
                "peer": f"{name}.entry_points(group=)",
                "first_ms": summary([x * 1000 for x in job.values("first")]),
                "later_us": summary([x * 1e6 for x in job.values("later")]),
            }
            for name, job in (("importlib.metadata", theirs), ("wheelhook", ours))
        ],
        "first_ratio": summary(first),
        "later_ratio": summary(later),
    }


def _uv_version() -> str | None:
    """The uv the tools lock pins (scripts/lock/tools.txt), so `uvx` is measured at a known
    version."""
    lock = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        "scripts", "lock", "tools.txt")  # fmt: skip
    try:
        with open(lock) as f:
            found = re.search(r"^uv==(\S+)", f.read(), re.MULTILINE)
    except OSError:
        return None
    return found.group(1) if found else None


def pinned_uv(s: Setup) -> tuple[str, str] | None:
    """The `uv` executable of the version the tools lock pins, in its own venv under the
    benchmark's work directory, and that version; `None` when the lock names no uv."""
    from run import make_venv

    version = _uv_version()
    if version is None:
        return None
    python = make_venv(s.work, "uv", s.args_python, f"uv=={version}")
    return os.path.join(os.path.dirname(python), "uv"), version


def figure_tool(s: Setup, c: Config) -> dict[str, object]:
    from run import Job, clean_env, make_venv, measure, sh, summary

    installed = make_venv(s.work, "tool-installed", s.args_python, TOOL)
    script = os.path.join(os.path.dirname(installed), "pycodestyle")
    store = s.work.path("tool-store")
    os.makedirs(store, exist_ok=True)
    if not any(n.startswith("pycodestyle-") for n in os.listdir(store)):
        sh(s.tools, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--no-deps",
           "--only-binary=:all:", "-d", store, TOOL)  # fmt: skip
    args = ["--version"]
    env = clean_env(WHEELHOOK_PATH=store, WHEELHOOK_CACHE=s.warm_cache)
    jobs = [
        Job("pycodestyle, installed", script, args, clean_env(), c.start_rounds),
        Job("python -m wheelhook tool", s.wh, ["-m", "wheelhook", "tool", TOOL, *args], env,
            c.start_rounds),
    ]  # fmt: skip
    pinned = pinned_uv(s)
    if pinned:
        uv_bin, uv = pinned
        uvx = os.path.join(os.path.dirname(uv_bin), "uvx")
        uv_env = clean_env(UV_CACHE_DIR=s.work.path("uv-cache"), UV_PYTHON=s.args_python)
        # The first run fills uv's cache from PyPI; the measured ones are warm and offline.
        sh(uvx, "--from", TOOL, "pycodestyle", *args, env=uv_env)
        jobs.append(Job(f"uvx {uv}", uvx, ["--offline", "--from", TOOL, "pycodestyle", *args],
                        uv_env, c.start_rounds))  # fmt: skip
    measure(jobs)
    base = jobs[0]
    rows = []
    for job in jobs:
        added = [(w - b) * 1000 for w, b in zip(job.walls, base.walls)]
        rows.append({"peer": job.key, "wall_ms": summary([w * 1000 for w in job.walls]),
                     "added_ms": summary(added)})  # fmt: skip
    return {
        "tool": TOOL,
        "rows": rows,
        "added_median_ms": statistics.median(
            [(w - b) * 1000 for w, b in zip(jobs[1].walls, base.walls)]
        ),
    }
