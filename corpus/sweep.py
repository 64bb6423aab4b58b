"""The corpus sweep: every distribution of corpus/selection.txt, dropped, verified and imported.

    python corpus/sweep.py [--wheel WHEELHOOK.whl] [--only NAME]... [--rerun-failures] [--all]
    python corpus/sweep.py --report     # rewrite COMPATIBILITY.md from the cached results

Fetches exactly the wheels of corpus/closure.txt with `pip download --no-deps
--only-binary=:all:` into `.cache/corpus/wheels/`, and sets up `.cache/corpus/venv/`: a
virtual environment holding wheelhook and nothing else (no pip, no setuptools), so nothing
normally installed can stand in for a wheel. Then, two distributions at a time, for each:

1. `python -m wheelhook drop --store STORE` of its closure into a scratch store;
2. `python -m wheelhook verify --json` of the dropped wheels;
3. for every top-level import name of its wheel, in a fresh interpreter (corpus/probe.py):
   `wheelhook.require("name==version")` with `WHEELHOOK_PATH=STORE`, then `import NAME`;
4. the same wheels installed normally (`pip install --no-deps --target DIR`), and each name
   imported with DIR first on `sys.path` in a fresh interpreter, without wheelhook.

A distribution is "identical" when drop accepts its closure, verify passes, every name has the
same outcome both ways (imported, or failed with the same exception type), every module
imported through wheelhook comes from the wheel (its `__file__` or `__path__` is inside the
store's archive or wheelhook's cache), and `importlib.metadata.version` gives the pin both ways.

Import names: the top-level modules and packages the wheel's members define (`.py` files,
extension modules, directories holding either); a directory without `__init__.py` (a namespace
package such as `google`) is replaced by the names one level down, since importing the bare
namespace proves nothing. Skipped: names that are not identifiers (`numpy.libs`), dunder names,
and the generic directories some wheels ship by accident (`tests`, `test`, `docs`, `examples`,
`benchmarks`), which collide between distributions and are not meant to be imported.

Results are kept per distribution in `.cache/corpus/results.json`; a run redoes only what it has
no result for (or a result for other pins), unless asked (`--only`, `--rerun-failures`,
`--all`). Each import has a timeout (`--timeout`, 60 s). `--report` (also done after every run) writes COMPATIBILITY.md.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import zipfile

from _shared import CACHE, HERE, ROOT, WHEELS, fetch_wheels, normalize, wheel_name_version

VENV = os.path.join(CACHE, "venv")
VENV_PY = os.path.join(VENV, "bin", "python")
WORK = os.path.join(CACHE, "work")
WH_CACHE = os.path.join(CACHE, "wheelhook-cache")
RESULTS = os.path.join(CACHE, "results.json")
PROBE = os.path.join(HERE, "probe.py")
TABLE = os.path.join(ROOT, "COMPATIBILITY.md")

# A namespace package can hold dozens of modules (googleapis-common-protos): the first few do.
MAX_NAMES = 10
SKIP_NAMES = {"tests", "test", "docs", "examples", "benchmarks"}
_EXT = re.compile(r"\.(cpython-\d+[a-z]*-[\w-]+|abi3)?\.so$")


def read_corpus() -> list[tuple[int, str, str, list[str]]]:
    """(position, name, version, closure wheel files) in selection order."""
    closure: dict[str, list[str]] = {}
    with open(os.path.join(HERE, "closure.txt"), encoding="utf-8") as fh:
        for line in fh:
            if line.strip() and not line.startswith("#"):
                pin, *files = line.split()
                closure[pin] = files
    corpus = []
    with open(os.path.join(HERE, "selection.txt"), encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line and not line.startswith("#"):
                name, _, version = line.partition("==")
                corpus.append((len(corpus) + 1, name, version, closure[line]))
    return corpus


def skipped_at_selection() -> list[str]:
    with open(os.path.join(HERE, "selection.txt"), encoding="utf-8") as fh:
        return [ln[len("# skipped ") :].strip() for ln in fh if ln.startswith("# skipped ")]


def fetch(corpus: list[tuple[int, str, str, list[str]]]) -> None:
    """Downloads every closure wheel not yet in the cache, by its exact name and version."""
    os.makedirs(WHEELS, exist_ok=True)
    missing = sorted({f for *_, files in corpus for f in files} - set(os.listdir(WHEELS)))
    for i in range(0, len(missing), 40):
        batch = missing[i : i + 40]
        print(f"fetching {len(batch)} wheels ({i + len(batch)}/{len(missing)})", flush=True)
        fetch_wheels(batch, check=True)
    still = sorted(set(missing) - set(os.listdir(WHEELS)))
    if still:
        sys.exit(f"pip did not fetch these pinned wheels (another file was chosen?): {still}")


def setup_venv(wheel: str) -> str:
    """A venv with wheelhook alone; returns the sha256 of the wheelhook wheel installed."""
    with open(wheel, "rb") as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()
    stamp = os.path.join(VENV, "wheelhook.sha256")
    if os.path.exists(stamp) and open(stamp, encoding="utf-8").read() == digest:
        return digest
    shutil.rmtree(VENV, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", VENV], check=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            VENV_PY,
            "install",
            "--quiet",
            "--no-deps",
            wheel,
        ],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    with open(stamp, "w", encoding="utf-8") as fh:
        fh.write(digest)
    return digest


def import_names(wheel: str) -> list[str]:
    """The top-level import names of a wheel (see the module doc for what is left out)."""
    with zipfile.ZipFile(wheel) as zf:
        members = zf.namelist()
    paths: list[list[str]] = []
    for m in members:
        parts = m.split("/")
        if parts[0].endswith(".dist-info") or not parts[-1]:
            continue
        if parts[0].endswith(".data"):
            if len(parts) > 2 and parts[1] in ("purelib", "platlib"):
                parts = parts[2:]
            else:
                continue
        paths.append(parts)

    def names_under(prefix: list[str]) -> list[str]:
        found: set[str] = set()
        for parts in paths:
            if parts[: len(prefix)] != prefix or len(parts) <= len(prefix):
                continue
            first = parts[len(prefix)]
            if len(parts) == len(prefix) + 1:
                if first.endswith(".py"):
                    found.add(first[:-3])
                elif _EXT.search(first):
                    found.add(first.split(".")[0])
            elif any(
                p[: len(prefix) + 1] == [*prefix, first]
                and (p[-1].endswith(".py") or _EXT.search(p[-1]))
                for p in paths
            ):
                found.add(first)
        out: list[str] = []
        for n in sorted(found):
            if not n.isidentifier() or n.startswith("__") or (not prefix and n in SKIP_NAMES):
                continue
            d = [*prefix, n]
            is_dir = any(p[: len(d)] == d and len(p) > len(d) for p in paths)
            has_init = any(
                p == [*d, "__init__.py"]
                or (
                    len(p) == len(d) + 1
                    and p[:-1] == d
                    and p[-1].startswith("__init__.")
                    and _EXT.search(p[-1])
                )
                for p in paths
            )
            if is_dir and not has_init and len(d) < 3:
                out.extend(names_under(d) or [".".join(d)])
            else:
                out.append(".".join(d))
        return out

    names = names_under([])
    return names[:MAX_NAMES]


def run(cmd: list[str], timeout: float, **kw: object) -> subprocess.CompletedProcess[str]:
    """Runs `cmd` in its own process group, killed whole at the timeout."""
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        **kw,  # type: ignore[call-overload]
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        out, _ = proc.communicate()
        return subprocess.CompletedProcess(cmd, -9999, out, None)
    return subprocess.CompletedProcess(cmd, proc.returncode, out, None)


def probe(
    mode: str, arg: str, dist: str, name: str, env: dict[str, str], cwd: str, timeout: float
) -> dict[str, object]:
    out = os.path.join(cwd, f"probe-{mode}.json")
    if os.path.exists(out):
        os.unlink(out)
    proc = run([VENV_PY, "-I", PROBE, out, mode, arg, dist, name], timeout, env=env, cwd=cwd)
    if proc.returncode == -9999:
        return {
            "mode": mode,
            "name": name,
            "ok": False,
            "error": {"type": "Timeout", "message": f"no answer in {timeout:.0f} s"},
        }
    if not os.path.exists(out):
        return {
            "mode": mode,
            "name": name,
            "ok": False,
            "error": {
                "type": "Crash",
                "message": f"exit {proc.returncode}: "
                + " | ".join(proc.stdout.strip().splitlines()[-3:])[:400],
            },
        }
    with open(out, encoding="utf-8") as fh:
        result: dict[str, object] = json.load(fh)
    return result


def served_from(result: dict[str, object], store: str) -> str:
    """Where a module imported through wheelhook came from.

    `archive`: inside a stored wheel; `native`: an extension module's copy in wheelhook's native
    cache (a package whose `__init__` is compiled keeps its `__path__` there too); `unpacked`: a
    source file in an unpacked copy in the cache; else `elsewhere: PATH`.
    """
    places = [str(p) for p in [result.get("file"), *list(result.get("path") or [])] if p]  # type: ignore[call-overload]
    if not places:
        return "unknown"
    kinds = set()
    for p in places:
        if p.startswith(store + os.sep):
            kinds.add("archive")
        elif p.startswith(WH_CACHE + os.sep):
            compiled = _EXT.search(str(result.get("file") or ""))
            kinds.add("native" if compiled else "unpacked")
        else:
            return "elsewhere: " + p
    return "+".join(sorted(kinds))


def check(name: str, version: str, files: list[str], timeout: float) -> dict[str, object]:
    """Everything about one distribution (steps 1-4 of the module doc)."""
    work = os.path.join(WORK, name)
    shutil.rmtree(work, ignore_errors=True)
    store, target, cwd = (os.path.join(work, d) for d in ("store", "target", "cwd"))
    for d in (store, target, cwd):
        os.makedirs(d)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WHEELHOOK_", "PYTHON"))}
    env.update(WHEELHOOK_CACHE=WH_CACHE, PYTHONDONTWRITEBYTECODE="1")
    paths = [os.path.join(WHEELS, f) for f in files]
    own = next(f for f in files if wheel_name_version(f)[0] == name)
    r: dict[str, object] = {"name": name, "version": version, "wheel": own, "closure": files}

    # 1. drop: all at once; on a refusal, one by one to name each refused wheel.
    proc = run([VENV_PY, "-m", "wheelhook", "drop", "--store", store, *paths], 600, env=env)
    refused: dict[str, str] = {}
    if proc.returncode != 0:
        for p in paths:
            one = run([VENV_PY, "-m", "wheelhook", "drop", "--store", store, p], 600, env=env)
            if one.returncode != 0:
                refused[os.path.basename(p)] = one.stdout.strip()[:600].replace(store, "STORE")
    r["refused"] = refused
    r["dropped"] = not refused

    # 2. verify what was dropped.
    stored = sorted(glob.glob(os.path.join(store, "*.whl")))
    proc = run([VENV_PY, "-m", "wheelhook", "verify", "--json", *stored], 600, env=env)
    try:
        rows = json.loads(proc.stdout[proc.stdout.index("[") :]) if stored else []
        r["verify_failed"] = {
            os.path.basename(x["path"]): x.get("error") for x in rows if not x["ok"]
        }
    except ValueError:
        r["verify_failed"] = {"(verify)": proc.stdout.strip()[:400]}
    r["verified"] = bool(stored) and not r["verify_failed"]

    # 3 and 4: every import name, through wheelhook and installed normally.
    r["names"] = names = import_names(os.path.join(WHEELS, own))
    pip = run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-compile",
            "--quiet",
            "--disable-pip-version-check",
            "--target",
            target,
            *paths,
        ],
        900,
    )
    r["target_install"] = pip.returncode == 0 or pip.stdout.strip()[-400:]
    r["imports"] = {}
    for n in names:
        wh_env = dict(env, WHEELHOOK_PATH=store)
        wh = probe("wheelhook", f"{name}=={version}", name, n, wh_env, cwd, timeout)
        if wh.get("ok"):
            wh["served"] = served_from(wh, store)
        plain = probe("plain", target, name, n, env, cwd, timeout)
        r["imports"][n] = {"wheelhook": wh, "plain": plain}  # type: ignore[index]
    shutil.rmtree(work, ignore_errors=True)
    return r


def verdict(r: dict[str, object]) -> tuple[bool, list[str]]:
    """Whether a result is identical to the normal install, and the causes of each difference."""
    causes: list[str] = []
    for f, err in sorted(dict(r["refused"]).items()):  # type: ignore[call-overload]
        who = "its wheel" if f == r["wheel"] else f"dependency {wheel_name_version(f)[0]}"
        causes.append(f"drop refuses {who}: {refusal_reason(err)}")
    if r["verify_failed"]:
        causes.append(
            "verify fails: " + "; ".join(f"{k}: {v}" for k, v in dict(r["verify_failed"]).items())
        )  # type: ignore[call-overload]
    if r["target_install"] is not True:
        last = str(r["target_install"]).strip().splitlines()[-1:] or [""]
        causes.append(f"the normal install of the same wheels fails: {last[0][:200]}")
    for n, pair in dict(r["imports"]).items():  # type: ignore[call-overload]
        wh, plain = pair["wheelhook"], pair["plain"]
        if "require_error" in wh:
            if not r["refused"]:
                causes.append(f"require fails: {short(wh['require_error'])}")
            break
        if wh.get("ok") != plain.get("ok"):
            if plain.get("ok"):
                causes.append(f"import {n} fails only through wheelhook: {short(wh['error'])}")
            else:
                causes.append(f"import {n} works only through wheelhook ({short(plain['error'])})")
        elif not wh.get("ok") and wh["error"]["type"] != plain["error"]["type"]:
            causes.append(
                f"import {n} fails differently: {short(wh['error'])} vs {short(plain['error'])}"
            )
        served = served_from(wh, os.path.join(WORK, str(r["name"]), "store"))
        if wh.get("ok") and served.startswith(("elsewhere", "unknown")):
            causes.append(f"import {n} not served from the wheel: {served}")
        if wh.get("ok") and wh.get("version") != r["version"]:
            causes.append(f"metadata version {wh.get('version')!r} through wheelhook")
        if plain.get("ok") and plain.get("version") != r["version"]:
            causes.append(f"metadata version {plain.get('version')!r} installed normally")
    return not causes, causes


def extensions(r: dict[str, object]) -> set[str]:
    """The extension modules that the imports loaded from wheelhook's native cache."""
    return {
        m
        for p in dict(r["imports"]).values()  # type: ignore[call-overload]
        for m, file in p["wheelhook"].get("extensions") or []
        if file.startswith(WH_CACHE + os.sep)
    }


def refusal_reason(text: str) -> str:
    line = text.strip().splitlines()[-1] if text.strip() else "(no message)"
    return re.sub(r"/\S+/", "", line)[:300]


def short(err: dict[str, object]) -> str:
    msg = re.sub(re.escape(ROOT) + r"/\S*?/(work/[^/]+/)?", "", str(err.get("message", "")))
    return f"{err.get('type')}: {msg[:200]}"


def load_results() -> dict[str, dict[str, object]]:
    if os.path.exists(RESULTS):
        with open(RESULTS, encoding="utf-8") as fh:
            data: dict[str, dict[str, object]] = json.load(fh)
            return data
    return {}


def save_results(results: dict[str, dict[str, object]]) -> None:
    fd, tmp = tempfile.mkstemp(dir=CACHE, prefix="results.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(results, fh, indent=1, sort_keys=True)
    os.replace(tmp, RESULTS)


def report(
    corpus: list[tuple[int, str, str, list[str]]],
    results: dict[str, dict[str, object]],
    meta: dict[str, str],
) -> None:
    """Writes COMPATIBILITY.md from the results of the current corpus."""
    rows = [(pos, n, v, results.get(f"{n}=={v}"), files) for pos, n, v, files in corpus]
    rows = [
        (pos, n, v, r if r and r.get("closure") == files else None) for pos, n, v, r, files in rows
    ]
    done = [(pos, n, v, r) for pos, n, v, r in rows if r]
    judged = [(pos, n, v, r, *verdict(r)) for pos, n, v, r in done]
    dropped = sum(1 for *_, r, _, _ in judged if r["dropped"])
    verified = sum(1 for *_, r, _, _ in judged if not r["verify_failed"])
    identical = sum(1 for *_, ok, _ in judged if ok)
    plain_ok = [
        x
        for x in judged
        if all(p["plain"].get("ok") for p in dict(x[3]["imports"]).values()) and x[3]["names"]
    ]
    plain_ok_wh = sum(
        1 for x in plain_ok if all(p["wheelhook"].get("ok") for p in dict(x[3]["imports"]).values())
    )
    unpacked = sum(
        1
        for *_, r, _, _ in judged
        if any(
            "unpacked" in served_from(p["wheelhook"], os.path.join(WORK, str(r["name"]), "store"))
            or any(a.get("unpacked") for a in p["wheelhook"].get("active_after") or [])
            for p in dict(r["imports"]).values()
        )
    )
    native = sum(1 for *_, r, _, _ in judged if extensions(r))
    stubs = sum(1 for *_, r, _, _ in judged if not r["names"])
    skipped = skipped_at_selection()
    by_cause: dict[str, list[str]] = {}
    for _pos, n, v, _r, _ok, causes in judged:
        for c in dict.fromkeys(causes):
            by_cause.setdefault(c, []).append(f"{n}=={v}")
    lines = [
        "# Compatibility: the corpus sweep",
        "",
        f"{meta['label']}",
        "",
        f"Last run of `corpus/sweep.py` on {meta['date']}: CPython {meta['python']}, {meta['platform']}, "
        f"wheelhook {meta['wheelhook']}, pip {meta['pip']}. The corpus (`corpus/selection.txt`) is "
        f"the {len(corpus)} most downloaded distributions on PyPI that publish a wheel for this "
        "interpreter and platform, each pinned with the closure of wheels pip chose for it "
        "(`corpus/closure.txt`). How each is checked: `corpus/sweep.py`'s docstring. To "
        "re-generate after a change: build wheelhook into `target/wheels/`, then "
        "`python corpus/sweep.py --rerun-failures` (only what differed) or `--all`.",
        "",
        "| | count |",
        "|---|---|",
        f"| tried | {len(done)} of {len(corpus)} |",
        f"| closure accepted by `drop` | {dropped} |",
        f"| `verify` passes (on the wheels drop accepted) | {verified} |",
        f"| imported identically (same outcome per name, served from the wheel, same version) "
        f"| {identical} |",
        f"| every name imports when installed normally | {len(plain_ok)} |",
        f"| ... and through wheelhook | {plain_ok_wh} |",
        f"| loaded native extensions through wheelhook | {native} |",
        f"| served from an unpacked copy (automatically) | {unpacked} |",
        f"| nothing to import (type stubs or metadata only) | {stubs} |",
        f"| skipped at selection (below) | {len(skipped)} |",
        "",
        "## Differences, by cause",
        "",
    ]
    if not by_cause:
        lines += ["None.", ""]
    groups: dict[str, list[tuple[str, list[str]]]] = {}
    for c, dists in by_cause.items():
        groups.setdefault(cause_group(c), []).append((c, dists))
    for g in sorted(groups, key=lambda g: (-sum(len(d) for _, d in groups[g]), g)):
        total = len({d for _, ds in groups[g] for d in ds})
        lines += [f"### {g} ({total})", ""]
        for c, dists in sorted(groups[g], key=lambda x: (-len(x[1]), x[0])):
            lines.append(f"- {', '.join(dists)}: {c.replace('|', '/')}")
        lines.append("")
    lines += ["## Skipped at selection", ""]
    lines += [f"- {s}" for s in skipped] or ["None."]
    lines += [
        "",
        "## Every distribution",
        "",
        "| # | distribution | drop | verify | names (same / all) | native | result |",
        "|---|---|---|---|---|---|---|",
    ]
    for pos, n, v, r, ok, _causes in judged:
        imps = dict(r["imports"])
        same = sum(1 for p in imps.values() if p["wheelhook"].get("ok") == p["plain"].get("ok"))
        ext = len(extensions(r))
        lines.append(
            f"| {pos} | {n}=={v} | {'yes' if r['dropped'] else 'REFUSED'} | "
            f"{'FAILED' if r['verify_failed'] else 'yes' if r['verified'] else '-'} | "
            f"{same}/{len(imps)} | {ext or ''} | "
            f"{'identical' if ok else 'differs'} |"
        )
    with open(TABLE, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


# Known causes, matched on the one-line cause text; the first match names the group.
CAUSE_GROUPS = [
    (r"normal install of the same wheels fails", "no normal install to compare with"),
    (r"compression ratio|inflate", "drop refuses a high compression ratio"),
    # setuptools' _distutils_hack puts setuptools._distutils into sys.modules as `distutils`.
    (
        r"is an alias of|No module named 'distutils\.",
        "a subpackage imported through an aliased parent's __path__",
    ),
    (
        r"RecursionError",
        "a namespace package looked up while a directory inside a wheel is on sys.path recurses "
        "without end (PathEntry.find_spec -> PathFinder.find_spec over sys.path -> PathEntry)",
    ),
    (r"drop refuses", "drop refuses a wheel"),
    (r"verify fails", "verify fails"),
    (r"require fails", "require() fails"),
    (
        r"wheelhook-cache/native/.*(NotADirectory|FileNotFound|No such file)|"
        r"(NotADirectory|FileNotFound|No such file).*wheelhook-cache/native/",
        "a compiled module reads data beside its __file__, which is in the native cache",
    ),
    # botocore lists its `data/` directory by path: from an archive it finds no service at all.
    (
        r"\.whl/|NotADirectoryError|FileNotFoundError|UnknownServiceError",
        "the package reads its own files by path",
    ),
    (r"not served from the wheel: elsewhere: .*/lib/python3", "a standard-library name"),
    (r"not served from the wheel", "module not served from the wheel"),
    (r"works only through wheelhook", "imports only through wheelhook"),
    (r"metadata version", "importlib.metadata version"),
    (r"Timeout", "import timed out"),
    (r"Crash", "the interpreter crashed"),
]


def cause_group(cause: str) -> str:
    for pattern, group in CAUSE_GROUPS:
        if re.search(pattern, cause):
            return group
    return "other"


WHEELHOOK_SOURCES = ["src", "hook", "Cargo.toml", "Cargo.lock", "pyproject.toml", "build.rs"]


def run_meta(digest: str) -> dict[str, str]:
    pyinfo = subprocess.run(
        [
            VENV_PY,
            "-c",
            "import sys,sysconfig,platform;print(sys.version.split()[0]);"
            "print(sysconfig.get_platform(), *platform.libc_ver())",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "--version"], capture_output=True, text=True
    ).stdout.split()[1]
    # The last commit that changed wheelhook itself (not the corpus or the docs).
    commit = subprocess.run(
        ["git", "-C", ROOT, "log", "-1", "--format=%h", "--", *WHEELHOOK_SOURCES],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return {
        "python": pyinfo[0],
        "platform": pyinfo[1],
        "pip": pip,
        "wheelhook": f"at commit {commit} (wheel sha256 {digest[:12]})",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", help="the wheelhook wheel (default: target/wheels/wheelhook-*)")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help="check only this distribution, again (repeatable)",
    )
    parser.add_argument(
        "--rerun-failures",
        action="store_true",
        help="redo every distribution whose result is not identical",
    )
    parser.add_argument("--all", action="store_true", help="redo everything")
    parser.add_argument("--limit", type=int, help="only the first N of the corpus")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per import")
    parser.add_argument("--report", action="store_true", help="only rewrite COMPATIBILITY.md")
    parser.add_argument("--label", default="", help="a line for the top of COMPATIBILITY.md")
    args = parser.parse_args(argv)

    corpus = read_corpus()[: args.limit]
    results = load_results()
    wheels = (
        [args.wheel]
        if args.wheel
        else glob.glob(os.path.join(ROOT, "target/wheels/wheelhook-*.whl"))
    )
    if len(wheels) != 1:
        sys.exit(f"need exactly one wheelhook wheel (--wheel), found {wheels}")
    os.makedirs(CACHE, exist_ok=True)
    digest = setup_venv(wheels[0])
    meta_path = os.path.join(CACHE, "meta.json")
    if args.report:
        with open(meta_path, encoding="utf-8") as fh:
            meta = json.load(fh)
        meta["label"] = args.label or meta.get("label", "")
        report(corpus, results, meta)
        return 0

    fetch(corpus)
    only = {normalize(n) for n in args.only}
    unknown = only - {name for _, name, _, _ in corpus}
    if unknown:
        sys.exit(f"not in the corpus: {', '.join(sorted(unknown))}")
    todo = []
    for _pos, name, version, files in corpus:
        r = results.get(f"{name}=={version}")
        if only:
            redo = name in only
        else:
            redo = args.all or r is None or r.get("closure") != files  # new pins: new result
            redo = redo or (args.rerun_failures and not verdict(r)[0])
        if redo:
            todo.append((name, version, files))
    print(f"{len(todo)} to check", flush=True)
    lock = threading.Lock()

    def one(name: str, version: str, files: list[str]) -> None:
        try:
            r = check(name, version, files, args.timeout)
        except Exception as exc:  # a fault of the sweep itself: say so, and go on with the rest
            print(f"{name}=={version}: SWEEP ERROR {exc!r}", flush=True)
            return
        r["wheelhook"] = digest
        ok, causes = verdict(r)
        with lock:
            results[f"{name}=={version}"] = r
            save_results(results)
            print(
                f"{name}=={version}: " + ("identical" if ok else "; ".join(causes))[:300],
                flush=True,
            )

    meta = run_meta(digest)
    if not args.label and os.path.exists(meta_path):  # a partial re-run keeps the run's label
        with open(meta_path, encoding="utf-8") as fh:
            args.label = json.load(fh).get("label", "")
    meta["label"] = args.label
    with open(meta_path, "w", encoding="utf-8") as fh:
        json.dump(meta, fh)
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for f in [pool.submit(one, *t) for t in todo]:
            f.result()
    report(corpus, results, meta)
    return 0


if __name__ == "__main__":
    sys.exit(main())
