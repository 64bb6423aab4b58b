"""Harvest real wheel filenames from PyPI's simple index into tests/data/wheel-filenames.txt.

Not run by the tests: it documents how the committed table was made, and can
refresh it. Usage (from the repository root):

    python3 tests/tools/harvest_wheel_filenames.py > tests/data/wheel-filenames.txt.new

It asks the JSON form of the simple index (PEP 691) for each project below,
keeps every ``.whl`` file name, samples at most ``PER_PROJECT`` of them evenly
(sorted, so the choice is stable). Hand-written invalid names live apart, in
``tests/data/wheel-filenames-invalid.txt``.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.request

# Chosen for variety: C extensions on every platform (manylinux 1/2010/2014 and
# PEP 600, musllinux, macOS universal2/arm64/x86_64/intel/10.x and 11+,
# Windows win32/amd64/arm64), abi3, PyPy and GraalPy wheels, build tags,
# compressed tag sets, odd name spellings (PyYAML, Django, zope.interface).
PROJECTS = [
    "numpy",
    "cryptography",
    "pydantic-core",
    "six",
    "orjson",
    "lxml",
    "pillow",
    "psycopg2-binary",
    "grpcio",
    "pyyaml",
    "cffi",
    "markupsafe",
    "charset-normalizer",
    "regex",
    "pandas",
    "scipy",
    "aiohttp",
    "multidict",
    "msgpack",
    "ujson",
    "rpds-py",
    "zstandard",
    "bcrypt",
    "greenlet",
    "pyzmq",
    "psutil",
    "coverage",
    "django",
    "requests",
    "setuptools",
    "typing-extensions",
    "kiwisolver",
    "simplejson",
    "pycryptodome",
    "llvmlite",
    "tokenizers",
    "watchdog",
    "pywin32",
    "pyobjc-core",
    "cmake",
    "ninja",
    "uv",
    "ruff",
    "gevent",
    "zope-interface",
    "matplotlib",
    "pyarrow",
    "torchvision",
    "mypy",
    "cython",
    "lz4",
    "xxhash",
]
PER_PROJECT = 160
INDEX = "https://pypi.org/simple/{}/"
ACCEPT = "application/vnd.pypi.simple.v1+json"


def wheel_names(project: str) -> list[str]:
    request = urllib.request.Request(INDEX.format(project), headers={"Accept": ACCEPT})
    with urllib.request.urlopen(request, timeout=60) as response:
        data = json.load(response)
    return sorted({f["filename"] for f in data["files"] if f["filename"].endswith(".whl")})


def sample(names: list[str], n: int) -> list[str]:
    if len(names) <= n:
        return names
    step = len(names) / n
    return [names[int(i * step)] for i in range(n)]


def main() -> None:
    out = [
        "# Real wheel filenames from PyPI's simple index (tests/tools/harvest_wheel_filenames.py),"
    ]
    out.append("# sampled evenly per project. One name a line; '#' starts a comment line.")
    for project in PROJECTS:
        try:
            names = wheel_names(project)
        except Exception as exc:
            print(f"{project}: {exc}", file=sys.stderr)
            continue
        chosen = sample(names, PER_PROJECT)
        # Build-tagged names are rare and valuable: keep them all.
        chosen = sorted(set(chosen) | {n for n in names if n[:-4].count("-") == 5})
        print(f"{project}: {len(names)} wheels, kept {len(chosen)}", file=sys.stderr)
        out.append(f"# {project}")
        out.extend(chosen)
        time.sleep(0.2)
    print("\n".join(out))


if __name__ == "__main__":
    main()
