"""What corpus/pick.py and corpus/sweep.py share: the cache's paths, wheel names, and pip
fetching exact wheels by name and version."""

from __future__ import annotations

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CACHE = os.path.join(ROOT, ".cache", "corpus")
WHEELS = os.path.join(CACHE, "wheels")


def normalize(name: str) -> str:
    """PEP 503 normalisation, `-`-joined."""
    return re.sub(r"[-_.]+", "-", name).lower()


def wheel_name_version(filename: str) -> tuple[str, str]:
    """The distribution name (normalised) and version of a wheel filename (PEP 427)."""
    parts = os.path.basename(filename)[: -len(".whl")].split("-")
    return normalize(parts[0]), parts[1]


def fetch_wheels(files: list[str], check: bool) -> subprocess.CompletedProcess[bytes]:
    """`pip download` of exactly these wheel files (by name and version, no dependencies) into
    the cache's wheel folder."""
    reqs = ["{}=={}".format(*wheel_name_version(f)) for f in files]
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--quiet",
            "--progress-bar",
            "off",
            "--dest",
            WHEELS,
            *reqs,
        ],
        check=check,
        stdin=subprocess.DEVNULL,
    )
