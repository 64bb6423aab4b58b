"""A store this process cannot write (a shared network or distribution file system): everything
that only reads works with the private cache on local disk and never tries to create anything in
the store; everything that must write refuses up front with one clear paragraph, exit 2, and
leaves the store untouched.

Three ways a store is read-only, each a mechanism below (root is needed for each; a test is
skipped, saying why, where the mechanism is not available):
- a read-only bind mount in a private mount namespace of the child (`unshare -m`; nothing leaks
  and nothing needs cleaning up);
- a store owned by root (0755) read by `nobody`, whose cache is its own directory;
- a 0555 store owned by the reader (`nobody` again: root ignores modes).
`nobody` keeps only CAP_DAC_READ_SEARCH, which lets it read an interpreter installed under a
private home (pyenv in /root) and grants no write anywhere. Every child runs under `strace` when
it is installed: not one write-type call, and not one EROFS/EACCES/EPERM, may land on the store.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest
from helpers import (
    PYPI_CACHE,
    Env,
    WheelSpec,
    build_wheel,
    child_environ,
    pypi_wheel,
    site_packages,
)

#: The store's wheels: pure (six), native with bundled `pillow.libs` (pillow), a namespace package
#: across two wheels (jaraco.*), one that reads its own resources (certifi) and one with a console
#: script entry point (pyflakes).
WHEELS = [
    "six==1.16.0",
    "pillow==10.4.0",
    "jaraco.context==4.3.0",
    "jaraco.functools==4.0.1",
    "more_itertools==10.2.0",
    "certifi==2023.7.22",
    "pyflakes==3.2.0",
]
#: A wheel the store does not hold: what writers are asked to add.
NEW = "six==1.15.0"
NOBODY = 65534
#: Seconds a directory must be unchanged before a resolution over it is remembered
#: (`src/cache/activation.rs`).
SETTLE = 2.0
AS_NOBODY = [
    "setpriv",
    f"--reuid={NOBODY}",
    f"--regid={NOBODY}",
    "--clear-groups",
    "--inh-caps=+dac_read_search",
    "--ambient-caps=+dac_read_search",
]
#: Mounts each argument read-only over itself, up to `--`, then runs the rest.
MOUNT_RO = (
    'while [ "$1" != -- ]; do mount --bind -o ro "$1" "$1" || exit 125; shift; done; '
    'shift; exec "$@"'
)
#: Calls that create, change or remove a file, and the flags that make an open a write.
WRITE_CALLS = re.compile(
    r"^(mkdir|mkdirat|unlink|unlinkat|rmdir|rename|renameat2?|link|linkat|symlink|symlinkat|"
    r"chmod|fchmodat|chown|fchownat|lchown|truncate|ftruncate|utimensat|creat|flock|fallocate)$"
)
WRITE_OPEN = re.compile(r"O_CREAT|O_WRONLY|O_RDWR|O_TRUNC")

PROGRAM = """
__requires__ = [
    "six==1.16.0", "pillow==10.4.0", "jaraco.functools==4.0.1", "jaraco.context==4.3.0",
    "certifi==2023.7.22", "pyflakes==3.2.0",
]
import hashlib, io, json
import importlib.metadata as md
import importlib.resources as resources
import wheelhook
import certifi, jaraco.context, jaraco.functools, pyflakes, six
from PIL import Image, features

def digest(data):
    return hashlib.sha256(data).hexdigest()

buf = io.BytesIO()
Image.new("RGB", (4, 3), (200, 10, 30)).save(buf, "JPEG")  # libjpeg from pillow.libs
bundle = resources.files("certifi").joinpath("cacert.pem")
with resources.as_file(bundle) as copy:
    as_file = copy.read_bytes()
with open(certifi.where(), "rb") as f:
    where = f.read()
with open(wheelhook.resource_filename("certifi", "cacert.pem"), "rb") as f:
    extracted = f.read()
scripts = [e.value for e in md.distribution("pyflakes").entry_points if e.name == "pyflakes"]
print(json.dumps({
    "six": [six.__version__, six.__file__],
    "pillow": [Image.__version__, Image.core.__file__, features.check("jpg"), buf.getvalue()[:2].hex()],
    "jaraco": [jaraco.context.__file__, jaraco.functools.__file__],
    "cacert": [digest(bundle.read_bytes()), digest(as_file), digest(where), digest(extracted)],
    "metadata": [md.version("six"), md.version("pillow"), md.version("certifi"), scripts],
}))
"""

DRIVER = """
import json, os, subprocess, sys
out = []
for step in json.loads(sys.argv[1]):
    env = dict(os.environ, **step.get("env", {}))
    proc = subprocess.run(step["argv"], capture_output=True, text=True, env=env)
    out.append({"rc": proc.returncode, "out": proc.stdout, "err": proc.stderr})
print(json.dumps(out))
"""


@dataclass
class Mechanism:
    """One way the store is read-only for the child: how to prepare the store and the child's
    own directories, and how to wrap its command line."""

    name: str
    #: What the refusal's message says about the store.
    reason: str
    prepare: Callable[[Path, list[Path]], None]
    wrap: Callable[[list[str], list[Path]], list[str]]
    skip: str | None = None


def _works(cmd: list[str]) -> str | None:
    """None when `cmd` runs and exits 0, else why not."""
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except OSError as exc:
        return str(exc)
    return None if proc.returncode == 0 else (proc.stderr.strip() or f"exit {proc.returncode}")


def _own(uid: int) -> Callable[[Path, list[Path]], None]:
    def prepare(store: Path, own: list[Path]) -> None:
        for path in own:
            os.chown(path, uid, uid)

    return prepare


def _mounted(store: Path, own: list[Path]) -> None:
    del store, own  # the mount does it


def _mode_0555(store: Path, own: list[Path]) -> None:
    for path in [store, *own]:
        os.chown(path, NOBODY, NOBODY)
    os.chmod(store, 0o555)


def _mechanisms() -> list[Mechanism]:
    root = os.geteuid() == 0
    probe = Path(sys.prefix)
    mount_skip = setpriv_skip = None
    if not root:
        mount_skip = setpriv_skip = "needs root (tests run as root in CI)"
    elif shutil.which("unshare") is None or shutil.which("setpriv") is None:
        mount_skip = setpriv_skip = "unshare(1) and setpriv(1) (util-linux) are not installed"
    else:
        mount_skip = _works(["unshare", "-m", "sh", "-c", MOUNT_RO, "sh", str(probe), "--", "true"])
        setpriv_skip = _works([*AS_NOBODY, sys.executable, "-c", "import wheelhook"])
        if mount_skip:
            mount_skip = f"no read-only bind mount in a private mount namespace: {mount_skip}"
        if setpriv_skip:
            setpriv_skip = f"cannot run this interpreter as uid {NOBODY}: {setpriv_skip}"
    return [
        Mechanism(
            "read-only mount",
            "it is on a read-only file system",
            _mounted,
            lambda cmd, ro: [
                "unshare",
                "-m",
                "sh",
                "-c",
                MOUNT_RO,
                "sh",
                *map(str, ro),
                "--",
                *cmd,
            ],
            mount_skip,
        ),
        Mechanism(
            "owned by another user",
            "it is owned by uid 0",
            _own(NOBODY),
            lambda cmd, ro: [*AS_NOBODY, *cmd],
            setpriv_skip,
        ),
        Mechanism(
            "mode 0555",
            "not writable by this user (mode 0555)",
            _mode_0555,
            lambda cmd, ro: [*AS_NOBODY, *cmd],
            setpriv_skip,
        ),
    ]


MECHANISMS = _mechanisms()
READERS = [m for m in MECHANISMS if m.name != "mode 0555"]


@dataclass
class Scene:
    """A store filled with `WHEELS`, the child's own cache and home, and how to run children."""

    root: Path
    mechanism: Mechanism
    store: Path = field(init=False)
    cache: Path = field(init=False)
    home: Path = field(init=False)

    def __post_init__(self) -> None:
        self.store = self.root / "store"
        self.cache = self.root / "cache"
        self.home = self.root / "home"
        for path in (self.store, self.cache, self.home):
            path.mkdir()
        for requirement in WHEELS:
            wheel = pypi_wheel(requirement)
            shutil.copyfile(wheel, self.store / wheel.name)
        self.mechanism.prepare(self.store, [self.cache, self.home])

    def wheel(self, requirement: str) -> Path:
        return self.store / pypi_wheel(requirement).name

    def run(self, steps: list[dict[str, Any]], read_only: list[Path]) -> tuple[list[Any], str]:
        """Runs `steps` (argv, extra env) one after another in one child wrapped by the
        mechanism (under strace when it is installed); returns each step's exit code and
        output, and the trace ('' without strace)."""
        env = child_environ(
            {
                "WHEELHOOK_PATH": str(self.store),
                "WHEELHOOK_CACHE": str(self.cache),
                "HOME": str(self.home),
                "XDG_CACHE_HOME": str(self.home / ".cache"),
            }
        )
        cmd = self.mechanism.wrap([sys.executable, "-c", DRIVER, json.dumps(steps)], read_only)
        trace = self.root / "trace"
        if shutil.which("strace"):
            cmd = ["strace", "-f", "-y", "-qq", "-o", str(trace), *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=self.home)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout), trace.read_text() if trace.exists() else ""


def touches(trace: str, store: Path) -> list[str]:
    """The traced calls that tried to write in `store`, or failed there for lack of
    permission (asking `access(2)` is not trying)."""
    where = re.compile(re.escape(str(store)) + r'(?=[/"<>]|$)')
    assert not trace or where.search(trace), "the trace never shows the store"
    bad: list[str] = []
    for line in trace.splitlines():
        if not where.search(line):
            continue
        call = re.match(r"\d+\s+(\w+)\(", line)
        name = call.group(1) if call else ""
        if name in ("access", "faccessat", "faccessat2"):
            continue
        opens = name in ("open", "openat", "openat2") and WRITE_OPEN.search(line)
        if WRITE_CALLS.match(name) or opens or re.search(r"= -1 (EROFS|EACCES|EPERM)", line):
            bad.append(line)
    return bad


def snapshot(store: Path) -> dict[str, tuple[int, int, int]]:
    return {
        p.name: (p.stat().st_size, p.stat().st_mtime_ns, p.stat().st_ino) for p in store.iterdir()
    }


def wheelhook(*args: str, **env: str) -> dict[str, Any]:
    return {"argv": [sys.executable, "-m", "wheelhook", *args], "env": env}


def scene(request: pytest.FixtureRequest, tmp_path: Path) -> Scene:
    """The scene of the mechanism a fixture is parametrised with, or a skip saying why it is
    not available here."""
    mechanism: Mechanism = request.param
    if mechanism.skip:
        pytest.skip(mechanism.skip)
    return Scene(tmp_path, mechanism)


@pytest.fixture(params=READERS, ids=lambda m: m.name)
def reader(request: pytest.FixtureRequest, tmp_path: Path) -> Scene:
    return scene(request, tmp_path)


@pytest.fixture(params=MECHANISMS, ids=lambda m: m.name)
def writer(request: pytest.FixtureRequest, tmp_path: Path) -> Scene:
    return scene(request, tmp_path)


def test_imports_read_the_store_and_write_only_the_private_cache(reader: Scene) -> None:
    program = reader.home / "program.py"
    program.write_text(textwrap.dedent(PROGRAM))
    before = snapshot(reader.store)
    # The activation cache remembers a resolution only over directories that settled: the
    # store, site-packages and the program's directory (`sys.path[0]`).
    searched = [reader.store, reader.home, Path(sysconfig.get_path("purelib"))]
    changed = max(path.stat().st_ctime for path in searched)
    time.sleep(max(0.0, SETTLE - (time.time() - changed)))
    # Cold private cache, then warm (the activation cache answers the resolution).
    run = {"argv": [sys.executable, str(program)]}
    results, trace = reader.run([run, run], [reader.store])

    assert touches(trace, reader.store) == []
    assert snapshot(reader.store) == before
    bundle = zipfile.ZipFile(pypi_wheel("certifi==2023.7.22")).read("certifi/cacert.pem")
    for result in results:
        assert result["rc"] == 0, result["err"]
        got = json.loads(result["out"])
        assert got["six"] == ["1.16.0", f"{reader.wheel('six==1.16.0')}/six.py"]
        version, core, jpeg, magic = got["pillow"]
        assert (version, jpeg, magic) == ("10.4.0", True, "ffd8")
        assert core.startswith(f"{reader.cache}{os.sep}"), "the extension is materialised"
        assert got["jaraco"] == [
            f"{reader.wheel('jaraco.context==4.3.0')}/jaraco/context.py",
            f"{reader.wheel('jaraco.functools==4.0.1')}/jaraco/functools/__init__.py",
        ]
        assert got["cacert"] == [hashlib.sha256(bundle).hexdigest()] * 4
        assert got["metadata"] == ["1.16.0", "10.4.0", "2023.7.22", ["pyflakes.api:main"]]
    kinds = {p.name for p in reader.cache.iterdir() if any(p.iterdir())}
    assert {"code", "native", "activations"} <= kinds


def test_commands_that_only_read_work_and_never_write_there(reader: Scene) -> None:
    lock = reader.home / "pylock.toml"
    store = str(reader.store)
    before = snapshot(reader.store)
    steps = [
        wheelhook("list", "six", "--json"),
        wheelhook("resolve", "six==1.16.0", "--json"),
        wheelhook("verify", *(str(reader.wheel(r)) for r in WHEELS), "--json"),
        wheelhook("run", "--with", "six==1.16.0", "-c", "import six; print(six.__version__)"),
        wheelhook("tool", "pyflakes==3.2.0", "--version"),
        wheelhook("lock", "six==1.16.0", "certifi==2023.7.22", "-o", str(lock)),
        {
            "argv": [
                sys.executable,
                "-c",
                "import wheelhook, six, certifi; print(six.__version__)",
            ],
            "env": {"WHEELHOOK_LOCK": str(lock)},
        },
        # Everything asked for is there: nothing to write, so nothing is refused.
        wheelhook("add", "-r", str(lock), "--store", store, "--no-index"),
        wheelhook(
            "add", "six==1.16.0", "--store", store, "--no-index", "--find-links", str(PYPI_CACHE)
        ),
        wheelhook("drop", str(pypi_wheel("six==1.16.0")), "--store", store),
        wheelhook("cache", "info", "--json"),
        wheelhook("cache", "clear"),
    ]
    results, trace = reader.run(steps, [reader.store])

    assert touches(trace, reader.store) == []
    assert snapshot(reader.store) == before
    for step, result in zip(steps, results):
        assert result["rc"] == 0, (step["argv"], result["err"])
        assert "Traceback" not in result["err"]
    listed, resolved, verified, ran, tool, _, by_lock, add_lock, add, drop, info, _ = results
    wheel = str(reader.wheel("six==1.16.0"))
    assert [c["path"] for c in json.loads(listed["out"])["candidates"]] == [wheel]
    assert [d["path"] for d in json.loads(resolved["out"])] == [wheel]
    assert [r["ok"] for r in json.loads(verified["out"])] == [True] * len(WHEELS)
    assert ran["out"] == by_lock["out"] == "1.16.0\n"
    assert tool["out"].startswith("3.2.0 ")
    assert (
        'name = "certifi"' in lock.read_text() and lock.stat().st_uid == reader.home.stat().st_uid
    )
    assert "all 2 locked distributions are in the store" in add_lock["err"]
    assert add["out"] == drop["out"] == f"already in the store: six 1.16.0 -> {wheel}\n"
    assert json.loads(info["out"])["dir"] == str(reader.cache)


def test_commands_that_write_refuse_and_leave_the_store_untouched(
    writer: Scene, host_lock: Callable[[Path], Path]
) -> None:
    store = str(writer.store)
    new = pypi_wheel(NEW)
    lock = host_lock(writer.root)
    site = site_packages(Path(sys.executable))
    pth = site / "wheelhook-activate.pth"
    enabled_before = pth.exists()
    api = (
        "import errno, json, wheelhook\n"
        "try:\n"
        f"    wheelhook.drop({str(new)!r}, {store!r})\n"
        "except PermissionError as exc:\n"
        "    print(json.dumps([type(exc).__name__, isinstance(exc, wheelhook.WheelhookError),\n"
        "        exc.errno in (errno.EROFS, errno.EACCES), exc.store, exc.reason]))\n"
    )
    steps = [
        wheelhook("drop", str(new), "--store", store),
        wheelhook("add", NEW, "--store", store, "--no-index", "--find-links", str(PYPI_CACHE)),
        wheelhook("add", "-r", str(lock), "--store", store, "--no-index"),
        wheelhook("remove", "six==1.16.0", "--store", store),
        {"argv": [sys.executable, "-c", api]},
    ]
    if not enabled_before:  # site-packages is read-only for the child too
        steps.append(wheelhook("enable"))
    before = snapshot(writer.store)
    results, trace = writer.run(steps, [writer.store, site])

    assert touches(trace, writer.store) == []
    assert snapshot(writer.store) == before
    assert pth.exists() == enabled_before
    *refused, api_result = results[:5]
    for step, result in zip(steps, refused):
        assert result["rc"] == 2, (step["argv"], result["out"], result["err"])
        assert "Traceback" not in result["err"]
        message = result["err"].strip().splitlines()[-1]
        assert result["err"].count("wheelhook:") == 1, result["err"]
        assert message.startswith(f"wheelhook: The store {store} is read-only"), message
        assert writer.mechanism.reason in message and "Nothing was written" in message
    name, is_wheelhook_error, errno_matches, named, reason = json.loads(api_result["out"])
    assert [name, is_wheelhook_error, errno_matches, named] == ["StoreReadOnly", True, True, store]
    assert writer.mechanism.reason.split(" (")[0] in reason
    if len(results) > 5:
        enable = results[5]
        assert enable["rc"] == 2 and "Traceback" not in enable["err"], enable["err"]
        assert f"The store {site} is read-only" in enable["err"]


@pytest.fixture
def host_lock() -> Callable[[Path], Path]:
    """`host_lock(directory)`: a lock of `NEW`, written by `lock` against a scratch store in
    `directory` that holds it (the lock's path points there)."""

    def make(directory: Path) -> Path:
        scratch = directory / "scratch"
        scratch.mkdir()
        shutil.copyfile(pypi_wheel(NEW), scratch / pypi_wheel(NEW).name)
        lock = directory / "pylock.toml"
        subprocess.run(
            [sys.executable, "-m", "wheelhook", "lock", NEW, "-o", str(lock)],
            check=True,
            capture_output=True,
            env=child_environ(
                {"WHEELHOOK_PATH": str(scratch), "WHEELHOOK_CACHE": str(directory / "c")}
            ),
        )
        return lock

    return make


@pytest.mark.parametrize("missing", [False, True], ids=["existing", "to be created"])
def test_writable_store_passes_a_store_this_process_can_write(
    tmp_path: Path, missing: bool
) -> None:
    from wheelhook import _drop

    store = tmp_path / "a" / "store" if missing else tmp_path
    _drop.writable_store(str(store))
    assert not store.exists() if missing else list(store.iterdir()) == []


def test_drop_writes_only_what_the_store_lacks(host: Env, tmp_path: Path, store: Path) -> None:
    """A byte-identical copy is not written again (no lock file either); a wheel of the same name
    with other bytes replaces the stored one, as before."""
    spec = WheelSpec("same", "1.0", {"same.py": "V = 1\n"})
    first = build_wheel(spec, tmp_path)
    drop = ["-m", "wheelhook", "drop", "--store", str(store)]
    cache = {"WHEELHOOK_CACHE": str(tmp_path / "cache")}
    host.run_args(*drop, str(first), env=cache)
    stored = store / first.name
    (store / ".wheelhook.lock").unlink()
    before = snapshot(store)

    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copyfile(first, copy / first.name)
    again = host.run_args(*drop, str(copy / first.name), env=cache)
    assert again.stdout == f"already in the store: same 1.0 -> {stored}\n"
    assert snapshot(store) == before

    other = tmp_path / "other"
    other.mkdir()
    changed = build_wheel(WheelSpec("same", "1.0", {"same.py": "V = 2\n"}), other)
    replaced = host.run_args(*drop, str(changed), env=cache)
    assert replaced.stdout == f"dropped same 1.0 -> {stored}\n"
    assert stored.read_bytes() == changed.read_bytes()
