"""Picks the corpus: the most downloaded distributions that publish a wheel for this interpreter.

    python corpus/pick.py RANKED.tsv [--count 500] [--cap-mb 300]

RANKED.tsv is a tab-separated list with a header naming at least `name`, `version` and a column
whose name starts with `rank` (an empty rank: not ranked). In rank order, each distribution is
resolved with its dependencies by `pip install --dry-run --ignore-installed --only-binary=:all:
--report` (wheels only, for the running interpreter and platform), and the wheels of that
resolution are fetched into `.cache/corpus/wheels/`: at the version in the list when that has a
wheel here, else at the newest version that has one. A distribution is skipped, with the reason
written into `corpus/selection.txt` as a comment, when pip finds no wheel for it or for one of its
dependencies, or when the wheels pip fetches to resolve it would pass the size cap: pip announces
each file's size before it transfers it, and is stopped at the first that passes the cap, so
nothing over the cap is downloaded. It stops once `--count` distributions are taken.

Writes `corpus/selection.txt` (`name==version`, rank order, skips as `# skipped` comments) and
`corpus/closure.txt` (per distribution, the wheel files of pip's resolution), which pin what
`corpus/sweep.py` downloads and tests. Results per distribution are remembered in
`.cache/corpus/pick.json`, so a second run asks pip only about what it has not seen.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import urllib.parse

from _shared import CACHE, HERE, WHEELS, fetch_wheels, normalize, wheel_name_version

MEMO = os.path.join(CACHE, "pick.json")

_SIZE = re.compile(r"(?:Downloading|Using cached) (\S+?\.whl) \(([\d.]+) (bytes|kB|MB|GB)\)")
_UNITS = {"bytes": 1, "kB": 1000, "MB": 1000**2, "GB": 1000**3}


def read_ranked(path: str) -> list[tuple[int, str, str]]:
    """(rank, name, version) of every ranked row, in rank order."""
    rows: list[tuple[int, str, str]] = []
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t")
        header = next(reader)
        i_name, i_version = header.index("name"), header.index("version")
        i_rank = next(i for i, h in enumerate(header) if h.startswith("rank"))
        for row in reader:
            if len(row) > i_rank and row[i_rank].strip().isdigit():
                rows.append((int(row[i_rank]), row[i_name], row[i_version].strip()))
    rows.sort()
    return rows


def pip_download(requirement: str, cap: int) -> dict[str, object]:
    """Resolves one requirement with pip (wheels only) and fetches the wheels it chose.

    `pip install --dry-run --ignore-installed --report` names exactly the wheels of the final
    resolution (not the candidates tried while backtracking, nor anything installed here); pip
    is stopped once the files it fetches to resolve pass `cap` bytes.
    """
    with tempfile.TemporaryDirectory(prefix="corpus-pick-") as tmp:
        report = os.path.join(tmp, "report.json")
        cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed"]
        cmd += ["--only-binary=:all:", "--progress-bar", "off", "--report", report, requirement]
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        assert proc.stdout is not None  # stdout=PIPE
        sizes: dict[str, int] = {}
        lines: list[str] = []
        over = False
        for line in proc.stdout:
            lines.append(line.rstrip())
            m = _SIZE.search(line)
            if m:
                sizes[m.group(1)] = int(float(m.group(2)) * _UNITS[m.group(3)])
                if sum(sizes.values()) > cap:
                    over = True
                    proc.kill()
                    break
        proc.wait()
        if over:
            big = sorted(sizes.items(), key=lambda kv: -kv[1])[:3]
            listed = ", ".join(f"{f} {s / 1e6:.0f} MB" for f, s in big)
            return {"ok": False, "reason": f"closure over {cap // 10**6} MB (largest: {listed})"}
        if proc.returncode != 0:
            errors = [ln for ln in lines if ln.startswith("ERROR") and "yanked" not in ln]
            found = [ln for ln in errors if "Could not find a version" in ln]
            reason = (found or errors or [f"pip exit {proc.returncode}"])[0]
            return {"ok": False, "reason": reason[:240]}
        with open(report, encoding="utf-8") as fh:
            chosen = json.load(fh)["install"]
    closure = sorted(
        urllib.parse.unquote(item["download_info"]["url"].rsplit("/", 1)[-1]) for item in chosen
    )
    missing = [f for f in closure if not os.path.exists(os.path.join(WHEELS, f))]
    if missing:
        fetch_wheels(missing, check=False)
    missing = [f for f in closure if not os.path.exists(os.path.join(WHEELS, f))]
    if missing:
        return {"ok": False, "reason": f"pip download did not fetch {', '.join(missing)}"}
    total = sum(os.path.getsize(os.path.join(WHEELS, f)) for f in closure)
    return {"ok": True, "closure": closure, "bytes": total}


def examine(name: str, version: str, cap: int) -> dict[str, object]:
    """Fetches `name` at `version` (else the newest version with a wheel here)."""
    first: dict[str, object] | None = None
    for req in ([f"{name}=={version}"] if version else []) + [name]:
        result = pip_download(req, cap)
        if result["ok"]:
            closure = result["closure"]
            assert isinstance(closure, list)
            own = [f for f in closure if wheel_name_version(f)[0] == normalize(name)]
            if not own:
                return {"ok": False, "reason": f"pip fetched no wheel named {name}"}
            result["wheel"] = own[0]
            result["version"] = wheel_name_version(own[0])[1]
            if first is not None:
                result["note"] = f"{version} has no wheel here: {first['reason']}"
            return result
        if "closure over" in str(result["reason"]) or first is not None:
            return result
        first = result
        reason = str(result["reason"])
        if f"requirement {name}=={version} " not in reason and not reason.endswith(
            f"for {name}=={version}"
        ):
            return result  # the pinned version resolved, a dependency did not
    assert first is not None  # the loop ran at least once and returned unless it failed
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ranked", help="tab-separated list ranked by downloads")
    parser.add_argument("--count", type=int, default=500, help="distributions to take")
    parser.add_argument("--cap-mb", type=int, default=300, help="closure size cap, in MB")
    parser.add_argument("--jobs", type=int, default=3, help="pip processes at once")
    args = parser.parse_args(argv)
    cap = args.cap_mb * 10**6
    os.makedirs(WHEELS, exist_ok=True)
    memo: dict[str, dict[str, object]] = {}
    if os.path.exists(MEMO):
        with open(MEMO, encoding="utf-8") as fh:
            memo = json.load(fh)
    lock = threading.Lock()
    ranked = read_ranked(args.ranked)

    def run(rank: int, name: str, version: str) -> None:
        key = f"{normalize(name)}=={version}@{args.cap_mb}#report"
        if key in memo:
            return
        result = examine(name, version, cap)
        result.update(rank=rank, name=name, tsv_version=version)
        with lock:
            memo[key] = result
            print(
                f"{rank:5} {name:40} "
                + (f"ok {result['version']}" if result["ok"] else f"SKIP {result['reason']}"),
                flush=True,
            )
            with open(MEMO + ".tmp", "w", encoding="utf-8") as fh:
                json.dump(memo, fh, indent=1, sort_keys=True)
            os.replace(MEMO + ".tmp", MEMO)

    def taken(upto: int) -> int:
        n = 0
        for _rank, name, version in ranked[:upto]:
            r = memo.get(f"{normalize(name)}=={version}@{args.cap_mb}#report")
            n += bool(r and r["ok"])
        return n

    done = 0
    while done < len(ranked) and taken(done) < args.count:
        # Each batch is what is still missing, plus a tenth for the skips to come.
        want = args.count - taken(done)
        batch = ranked[done : done + want + want // 10 + 1]
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            for f in [pool.submit(run, *row) for row in batch]:
                f.result()
        done += len(batch)

    selection: list[str] = []
    closure: list[str] = []
    count = 0
    for rank, name, version in ranked[:done]:
        if count == args.count:
            break
        r = memo[f"{normalize(name)}=={version}@{args.cap_mb}#report"]
        if r["ok"]:
            count += 1
            pin = f"{normalize(name)}=={r['version']}"
            selection.append(pin)
            files = r["closure"]
            assert isinstance(files, list)
            closure.append(f"{pin} " + " ".join(files))
        else:
            selection.append(f"# skipped {normalize(name)} (rank {rank}): {r['reason']}")
    header = (
        f"# The corpus: the {count} most downloaded distributions with a wheel for CPython "
        f"{sys.version_info[0]}.{sys.version_info[1]} on this platform, rank order.\n"
        "# Written by corpus/pick.py; a skip says why.\n"
    )
    with open(os.path.join(HERE, "selection.txt"), "w", encoding="utf-8") as fh:
        fh.write(header + "\n".join(selection) + "\n")
    with open(os.path.join(HERE, "closure.txt"), "w", encoding="utf-8") as fh:
        fh.write(
            "# Per distribution of selection.txt: the wheel files of pip's resolution (itself and\n"
            "# its dependencies), written by corpus/pick.py; corpus/sweep.py fetches exactly these.\n"
            + "\n".join(closure)
            + "\n"
        )
    print(f"{count} taken, {sum(1 for s in selection if s.startswith('#'))} skipped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
