"""A simulated network filesystem: the store and site-packages behind a FUSE passthrough that
adds a latency to every metadata operation and every read, against the same on local disk.

Usage: python bench/netfs.py [--wheel WHEELHOOK.whl] [--rounds N] [--latency MS]...
`bench/run.py` runs it in a full run; alone, it adds the figure to the last full run's
results (bench/results/latest.json and latest.md). It needs root, /dev/fuse and unshare(1).

The filesystem is a small FUSE server speaking the kernel protocol over /dev/fuse itself (no
libfuse, no binding, no fusermount: the benchmark runs as root and mounts with mount(2)). It
passes every request through to a directory on local disk and sleeps the configured latency
before answering LOOKUP, GETATTR, OPEN, OPENDIR, READDIR, READLINK, ACCESS, STATFS and READ,
the way a network filesystem's client waits one round trip for each; it counts what it served.

Kernel caching, chosen as the honest worst case for many small files: names and attributes are
never cached (entry and attribute timeouts 0, no negative entries), so every path lookup and
every stat reaches the server, as on a metadata-bound parallel filesystem or an NFS mount with
`noac`; directory listings are not cached either. File data stays in the page cache across
opens (FOPEN_KEEP_CACHE), as NFS keeps it under close-to-open revalidation: a warm run reads
no data from the server, only metadata. A real NFS client caches attributes for a few seconds
(`acregmin=3`), so it does better than this. The mount is read-only, like a shared store.

Every mount lives in a private mount namespace (`unshare --mount`) that dies with the process
serving it, so no mount outlives a run, even a killed one; inside, it is also unmounted in
`finally` and on SIGINT/SIGTERM, and a stale FUSE mount left on the mount point (by a run
outside a namespace) is detached before starting.
"""

from __future__ import annotations

import argparse
import collections
import ctypes
import ctypes.util
import errno
import json
import os
import shutil
import signal
import stat
import statistics
import struct
import subprocess
import sys
import threading
import time
from typing import Callable

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import run  # noqa: E402

# -- the FUSE kernel protocol (linux/fuse.h, version 7.31 features only) -----------------------

IN_HEADER = struct.Struct("<IIQQIIIHH")  # len, opcode, unique, nodeid, uid, gid, pid, ext, pad
OUT_HEADER = struct.Struct("<IiQ")  # len, error, unique
ATTR = struct.Struct("<QQQQQQIIIIIIIIII")  # fuse_attr: 88 bytes
ENTRY_OUT = struct.Struct("<QQQQII")  # nodeid, generation, entry/attr valid (s, ns)
ATTR_OUT = struct.Struct("<QII")  # attr valid (s, ns), dummy
OPEN_OUT = struct.Struct("<QII")  # fh, open flags, padding
READ_IN = struct.Struct("<QQI")  # fh, offset, size
DIRENT = struct.Struct("<QQII")  # ino, off, namelen, type
INIT_IN = struct.Struct("<IIII")  # major, minor, max_readahead, flags
INIT_OUT = struct.Struct("<IIIIHHIIHHI28x")  # 64 bytes
STATFS_OUT = struct.Struct("<QQQQQIII28x")  # fuse_kstatfs: 80 bytes

OPCODES = {
    1: "lookup", 2: "forget", 3: "getattr", 5: "readlink", 14: "open", 15: "read",
    17: "statfs", 18: "release", 22: "getxattr", 23: "listxattr", 25: "flush", 26: "init",
    27: "opendir", 28: "readdir", 29: "releasedir", 34: "access", 36: "interrupt",
    38: "destroy", 39: "ioctl", 42: "batch_forget", 52: "statx",
}  # fmt: skip
#: The requests a network filesystem's client waits a round trip for.
DELAYED = {"lookup", "getattr", "readlink", "open", "read", "statfs", "opendir", "readdir",
           "access"}  # fmt: skip
#: Requests the kernel does not wait for an answer to.
NO_REPLY = {"forget", "batch_forget", "interrupt"}
FOPEN_KEEP_CACHE = 1 << 1
FUSE_ASYNC_READ = 1 << 0
FUSE_PARALLEL_DIROPS = 1 << 18
MAX_WRITE = 128 * 1024
MS_RDONLY, MS_NOSUID, MS_NODEV = 1, 2, 4
MNT_DETACH = 2
PR_SET_TIMERSLACK = 29

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def unmount(mountpoint: str) -> None:
    _check(_libc.umount2(mountpoint.encode(), MNT_DETACH), f"umount {mountpoint}")


def fuse_mounts() -> list[str]:
    """Mount points of FUSE filesystems in this mount namespace."""
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            fstype = fields[fields.index("-") + 1]
            if fstype == "fuse" or fstype.startswith("fuse."):
                found.append(fields[4].encode().decode("unicode_escape"))
    return found


def clear_stale(mountpoint: str) -> None:
    """Detaches a FUSE mount left on `mountpoint` by a run that was killed."""
    for point in fuse_mounts():
        if os.path.realpath(point) == os.path.realpath(mountpoint):
            print(f"netfs: detaching a stale mount on {point}", file=sys.stderr)
            unmount(point)


class Server:
    """A read-only passthrough of `source`, served on a mounted /dev/fuse connection."""

    def __init__(self, source: str, mountpoint: str, threads: int = 4) -> None:
        self.source, self.mountpoint = source, mountpoint
        self.latency = 0.0
        self.counts: collections.Counter[str] = collections.Counter()
        #: Per latency asked for: how many requests waited, and how long in all (the sleeps).
        self.waits: dict[float, list[float]] = {}
        self._lock = threading.Lock()
        self._paths = {1: source}
        self._nodes = {source: 1}
        self._handles: dict[int, object] = {}
        self._next_fh = 1
        self._fd = os.open("/dev/fuse", os.O_RDWR)
        options = f"fd={self._fd},rootmode=40000,user_id=0,group_id=0,allow_other"
        _check(
            _libc.mount(b"netfs", mountpoint.encode(), b"fuse",
                        MS_RDONLY | MS_NOSUID | MS_NODEV, options.encode()),
            f"mount {mountpoint}",
        )  # fmt: skip
        self._threads = [threading.Thread(target=self._serve, daemon=True) for _ in range(threads)]
        for thread in self._threads:
            thread.start()

    def close(self) -> None:
        """Unmounts; the serving threads stop when the connection goes away."""
        try:
            unmount(self.mountpoint)
        finally:
            os.close(self._fd)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.counts)

    def reset(self) -> None:
        with self._lock:
            self.counts.clear()

    # -- serving --

    def _serve(self) -> None:
        # A timer slack of 1 ns: sleeps last the latency asked for, not 50 µs more.
        _libc.prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0)
        while True:
            try:
                request = os.read(self._fd, MAX_WRITE + 4096)
            except OSError as e:
                if e.errno == errno.EINTR or e.errno == errno.ENOENT:
                    continue  # interrupted, or a request the kernel withdrew
                return  # ENODEV: unmounted
            _, opcode, unique, nodeid, *_ = IN_HEADER.unpack_from(request)
            name = OPCODES.get(opcode, f"op{opcode}")
            body = request[IN_HEADER.size :]
            latency = self.latency if name in DELAYED else 0.0
            if latency:
                started = time.perf_counter()
                time.sleep(latency)
                waited = time.perf_counter() - started
            with self._lock:
                self.counts[name] += 1
                if latency:
                    total = self.waits.setdefault(latency, [0, 0.0])
                    total[0] += 1
                    total[1] += waited
            if name in NO_REPLY:
                continue
            try:
                handler = getattr(self, f"_op_{name}", None)
                reply = handler(nodeid, body) if handler else None
                error = 0 if handler else -errno.ENOSYS
            except OSError as e:
                reply, error = None, -(e.errno or errno.EIO)
            except Exception as e:  # a bug here must fail the request, not hang its caller
                print(f"netfs: {name} failed: {e!r}", file=sys.stderr)
                reply, error = None, -errno.EIO
            data = b"" if error or reply is None else reply
            try:
                os.write(self._fd, OUT_HEADER.pack(OUT_HEADER.size + len(data), error, unique)
                         + data)  # fmt: skip
            except OSError as e:
                if e.errno != errno.ENOENT:  # the request was interrupted meanwhile
                    raise

    def _path(self, nodeid: int) -> str:
        try:
            return self._paths[nodeid]
        except KeyError:
            raise OSError(errno.ESTALE, "unknown node") from None

    def _node(self, path: str) -> int:
        with self._lock:
            node = self._nodes.get(path)
            if node is None:
                node = self._nodes[path] = len(self._paths) + 1
                self._paths[node] = path
            return node

    def _attr(self, st: os.stat_result, node: int) -> bytes:
        return ATTR.pack(
            node, st.st_size, st.st_blocks, int(st.st_atime), int(st.st_mtime),
            int(st.st_ctime), st.st_atime_ns % 10**9, st.st_mtime_ns % 10**9,
            st.st_ctime_ns % 10**9, st.st_mode, st.st_nlink, st.st_uid, st.st_gid, 0,
            st.st_blksize, 0,
        )  # fmt: skip

    def _handle(self, value: object) -> int:
        with self._lock:
            fh = self._next_fh
            self._next_fh += 1
            self._handles[fh] = value
            return fh

    def _op_ioctl(self, nodeid: int, body: bytes) -> bytes:
        # `isatty` on an opened file: answered by the client, no round trip.
        raise OSError(errno.ENOTTY, "ioctl")

    def _op_init(self, nodeid: int, body: bytes) -> bytes:
        _, minor, readahead, flags = INIT_IN.unpack_from(body)
        want = flags & (FUSE_ASYNC_READ | FUSE_PARALLEL_DIROPS)
        return INIT_OUT.pack(7, min(minor, 31), readahead, want, 16, 12, MAX_WRITE, 1, 0, 0, 0)

    def _op_lookup(self, nodeid: int, body: bytes) -> bytes:
        name = body.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
        path = os.path.join(self._path(nodeid), name)
        st = os.lstat(path)  # before a node exists: a missing name answers ENOENT
        node = self._node(path)
        # Timeouts 0: the name and the attributes are asked for again at every use.
        return ENTRY_OUT.pack(node, 0, 0, 0, 0, 0) + self._attr(st, node)

    def _op_getattr(self, nodeid: int, body: bytes) -> bytes:
        return ATTR_OUT.pack(0, 0, 0) + self._attr(os.lstat(self._path(nodeid)), nodeid)

    def _op_readlink(self, nodeid: int, body: bytes) -> bytes:
        return os.readlink(self._path(nodeid)).encode("utf-8", "surrogateescape")

    def _op_access(self, nodeid: int, body: bytes) -> bytes:
        (mask,) = struct.unpack_from("<I", body)
        if not os.access(self._path(nodeid), mask & 7):
            raise OSError(errno.EACCES, "access")
        return b""

    def _op_statfs(self, nodeid: int, body: bytes) -> bytes:
        st = os.statvfs(self.source)
        return STATFS_OUT.pack(st.f_blocks, st.f_bfree, st.f_bavail, st.f_files, st.f_ffree,
                               st.f_bsize, st.f_namemax, st.f_frsize)  # fmt: skip

    def _op_open(self, nodeid: int, body: bytes) -> bytes:
        fd = os.open(self._path(nodeid), os.O_RDONLY)
        return OPEN_OUT.pack(self._handle(fd), FOPEN_KEEP_CACHE, 0)

    def _op_read(self, nodeid: int, body: bytes) -> bytes:
        fh, offset, size = READ_IN.unpack_from(body)
        fd = self._handles[fh]
        assert isinstance(fd, int)  # OPEN stored a descriptor under this handle
        return os.pread(fd, size, offset)

    def _op_release(self, nodeid: int, body: bytes) -> bytes:
        (fh,) = struct.unpack_from("<Q", body)
        with self._lock:
            fd = self._handles.pop(fh)
        assert isinstance(fd, int)  # OPEN stored a descriptor under this handle
        os.close(fd)
        return b""

    def _op_opendir(self, nodeid: int, body: bytes) -> bytes:
        directory = self._path(nodeid)
        entries = [(".", stat.S_IFDIR), ("..", stat.S_IFDIR)]
        with os.scandir(directory) as it:
            for entry in it:
                kind = (stat.S_IFLNK if entry.is_symlink() else
                        stat.S_IFDIR if entry.is_dir() else stat.S_IFREG)  # fmt: skip
                entries.append((entry.name, kind))
        return OPEN_OUT.pack(self._handle(entries), 0, 0)  # no FOPEN_CACHE_DIR

    def _op_readdir(self, nodeid: int, body: bytes) -> bytes:
        fh, offset, size = READ_IN.unpack_from(body)
        entries = self._handles[fh]
        assert isinstance(entries, list)  # OPENDIR stored the listing under this handle
        out = bytearray()
        for index in range(offset, len(entries)):
            name, kind = entries[index]
            raw = name.encode("utf-8", "surrogateescape")
            record = DIRENT.pack(index + 1, index + 1, len(raw), kind >> 12) + raw
            record += b"\0" * (-len(record) % 8)
            if len(out) + len(record) > size:
                break
            out += record
        return bytes(out)

    def _op_releasedir(self, nodeid: int, body: bytes) -> bytes:
        (fh,) = struct.unpack_from("<Q", body)
        with self._lock:
            self._handles.pop(fh, None)
        return b""


# -- the benchmark ------------------------------------------------------------------------------

SYMPY = "sympy==1.13.3"
CHILD = os.path.join(HERE, "child.py")
#: Added latencies measured, in ms; the first is the headline (and the one requests are
#: counted at: the counts do not depend on it).
LATENCIES = (0.5, 0.2, 1.0)


class Layout:
    """The figure's directories under bench/.work/netfs/: `back` is what the mount serves."""

    def __init__(self, work_root: str) -> None:
        self.root = os.path.join(work_root, "netfs")
        self.back = os.path.join(self.root, "back")
        self.mount = os.path.join(self.root, "mnt")

    def under(self, where: str, *parts: str) -> str:
        """A path on local disk (`local`) or the same one through the slow mount (`slow`)."""
        return os.path.join(self.back if where == "local" else self.mount, *parts)

    def cache(self, where: str) -> str:
        return os.path.join(self.root, f"cache-{where}")


class Peers:
    """What the figure measures with: the wheelhook venv (its pip also installs the served
    site-packages), the sympy and mpmath wheels, the interpreter and its version."""

    def __init__(self, work: run.Work, wh: str, downloads: dict[str, str], python: str,
                 pyver: str) -> None:  # fmt: skip
        self.work, self.wh, self.downloads = work, wh, downloads
        self.python, self.pyver = python, pyver

    @classmethod
    def minimal(cls, args: argparse.Namespace) -> Peers:
        """Only what this figure needs, for a run of it alone."""
        work = run.Work(os.path.join(HERE, ".work"))
        os.makedirs(work.root, exist_ok=True)
        lock = os.path.join(run.ROOT, "scripts", "lock", "bench.txt")
        tools = run.make_venv(work, "tools", args.python, "--require-hashes", "--no-deps", "-r",
                              lock)  # fmt: skip
        wheel = run.wheelhook_wheel(work, args.wheel, tools)
        wh = run.make_venv(work, "wheelhook", args.python)
        run.install_wheelhook(work, wh, wheel)
        pyver = subprocess.run(
            [wh, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
        return cls(work, wh, run.download(work, tools), args.python, pyver)


def site_packages_venv(layout: Layout, where: str, python: str, pyver: str) -> str:
    """A venv on local disk whose site-packages is a symbolic link to the served one, reached
    directly or through the mount: the interpreter and the standard library stay local."""
    venv = os.path.join(layout.root, f"venv-site-{where}")
    site = os.path.join(venv, "lib", f"python{pyver}", "site-packages")
    target = layout.under(where, "site-packages")
    if not (os.path.islink(site) and os.readlink(site) == target):
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([python, "-m", "venv", "--without-pip", venv], check=True)
        shutil.rmtree(site)
        os.symlink(target, site)
    return os.path.join(venv, "bin", "python")


def has_compile(wh: str) -> bool:
    """Whether this wheelhook has the `compile` command (published code packs)."""
    proc = subprocess.run([wh, "-m", "wheelhook", "compile", "--help"], env=run.clean_env(),
                          capture_output=True)  # fmt: skip
    return proc.returncode == 0


def prepare(peers: Peers, layout: Layout) -> dict[str, object]:
    """Fills the served directory (plain local files, outside any namespace); returns what the
    measuring process needs."""
    clear_stale(layout.mount)
    os.makedirs(layout.mount, exist_ok=True)
    wheels = sorted(peers.downloads.values())
    run.fill_dir(layout.under("local", "store"), wheels, "hard")
    site = layout.under("local", "site-packages")
    if not os.path.isdir(os.path.join(site, "sympy")):
        shutil.rmtree(site, ignore_errors=True)
        run.log("installing sympy and mpmath into the served site-packages")
        run.sh(peers.wh, "-m", "pip", "install", "-q", "--disable-pip-version-check",
               "--no-index", "--no-deps", "--target", site, *wheels)  # fmt: skip
    pythons = {
        w: site_packages_venv(layout, w, peers.python, peers.pyver) for w in ("local", "slow")
    }
    compiled = has_compile(peers.wh)
    if compiled:
        store = layout.under("local", "store-compiled")
        run.fill_dir(store, wheels, "hard")
        run.sh(peers.wh, "-m", "wheelhook", "compile",
               *(os.path.join(store, os.path.basename(w)) for w in wheels),
               env=run.clean_env(WHEELHOOK_PATH=store))  # fmt: skip
    return {"wh": peers.wh, "site": pythons, "compiled": compiled}


class NetJob(run.Job):
    """A job on local disk (`latency_ms` None) or through the mount at one added latency."""

    server: Server
    latency_ms: float | None = None

    def run(self) -> None:
        self.server.latency = (self.latency_ms or 0.0) / 1000
        super().run()


Make = Callable[[str, str], NetJob]


def variants(layout: Layout, plan: dict[str, object]) -> list[tuple[str, str, Make]]:
    """(name, what is timed, a job at a place): `wall` times the process, `import` the import of
    sympy alone, as the child reports it."""
    wh, site = plan["wh"], plan["site"]
    assert isinstance(wh, str) and isinstance(site, dict)
    mod = {"BENCH_MODULE": "sympy"}

    def wh_env(where: str, store: str = "store") -> dict[str, str]:
        return {
            "WHEELHOOK_PATH": layout.under(where, store),
            "WHEELHOOK_CACHE": layout.cache(where),
        }

    out: list[tuple[str, str, Make]] = [
        ("start-up: wheelhook, sympy activated", "wall",
         lambda w, n: NetJob(n, wh, ["-c", "import wheelhook"],
                             run.clean_env(WHEELHOOK_REQUIRES=SYMPY, **wh_env(w)), 0)),
        # The first start on a node, or the first after the store changed: no activation
        # entry, so the store is listed, every wheel's metadata read, and the wheels served
        # from unpacked copies (sympy and mpmath are) unpacked into the private cache.
        ("start-up: wheelhook, first start (empty private cache)", "wall",
         lambda w, n: NetJob(n, wh, ["-c", "import wheelhook"],
                             run.clean_env(WHEELHOOK_REQUIRES=SYMPY, **wh_env(w)), 0,
                             fresh_cache=True)),
        ("start-up: venv, `import site`", "wall",
         lambda w, n: NetJob(n, site[w], ["-c", "import site"], run.clean_env(), 0)),
        ("import sympy: wheelhook, warm private cache", "import",
         lambda w, n: NetJob(n, wh, [CHILD, "import", "wheelhook"],
                             run.clean_env(BENCH_REQUIRES=SYMPY, **wh_env(w), **mod), 0)),
        ("import sympy: site-packages, warm __pycache__", "import",
         lambda w, n: NetJob(n, site[w], [CHILD, "import", "site"], run.clean_env(**mod), 0)),
    ]  # fmt: skip
    if plan["compiled"]:
        out.append((
            "import sympy: wheelhook, published code, empty private cache", "import",
            lambda w, n: NetJob(n, wh, [CHILD, "import", "wheelhook"],
                                run.clean_env(BENCH_REQUIRES=SYMPY, **wh_env(w, "store-compiled"),
                                              **mod), 0, fresh_cache=True),
        ))  # fmt: skip
    return out


def _ms(job: NetJob, field: str) -> list[float]:
    if field == "wall":
        return [w * 1000 for w in job.walls]
    return [x * 1000 for x in job.values("seconds")]


def measure_inside(layout: Layout, plan: dict[str, object], rounds: int,
                   latencies: list[float]) -> dict[str, object]:  # fmt: skip
    """Mounts; measures every variant on local disk and through the mount at each latency, in
    the same shuffled rounds; counts the requests one run of each serves; unmounts."""
    clear_stale(layout.mount)  # this namespace's copy of a mount left in the parent's
    server = Server(layout.back, layout.mount)
    try:
        rows = []
        for name, field, make in variants(layout, plan):
            places: dict[str, NetJob] = {"local": make("local", f"{name}, local")}
            for lat in latencies:
                places[f"{lat:g}"] = make("slow", f"{name}, {lat:g} ms")
                places[f"{lat:g}"].latency_ms = lat
            for job in places.values():
                job.server, job.rounds = server, rounds
            rows.append((name, field, places))
        jobs = [job for _, _, places in rows for job in places.values()]
        # Warm every cache (private cache, __pycache__, activations, the page cache), then let
        # the store settle: an activation is remembered once its directories are 2 s old.
        for job in jobs:
            job.run()
        time.sleep(2.5)
        run.measure(list(jobs))
        out = []
        for name, field, places in rows:
            values = {place: _ms(job, field) for place, job in places.items()}
            local = statistics.median(values["local"])
            headline = places[f"{latencies[0]:g}"]
            server.reset()
            headline.run()
            time.sleep(0.2)  # RELEASE and FORGET arrive after the process has exited
            out.append({
                "variant": name,
                "timed": field,
                "ms": {place: run.summary(v) for place, v in values.items()},
                "ratio": {place: statistics.median(v) / local for place, v in values.items()
                          if place != "local"},
                "requests": server.snapshot(),
                "round_trips": sum(n for op, n in server.snapshot().items() if op in DELAYED),
                # What the import child says of itself (modules compiled, for one).
                "child": headline.outputs[-1],
            })  # fmt: skip
        served = {f"{lat * 1000:g}": total / n * 1000 for lat, (n, total) in server.waits.items()}
        return {"rows": out, "served_latency_ms": served}
    finally:
        server.close()


def unavailable() -> str | None:
    """Why this machine cannot run the figure, or `None`."""
    if os.geteuid() != 0:
        return "mounting needs root"
    if not os.path.exists("/dev/fuse"):
        return "no /dev/fuse"
    if shutil.which("unshare") is None:
        return "no unshare(1) (util-linux)"
    return None


def figure_netfs(setup: object, config: object, rounds: int | None = None,
                 latencies: tuple[float, ...] = LATENCIES) -> dict[str, object]:  # fmt: skip
    """The figure (`bench/run.py` passes its Setup and Config): prepares on local disk, then
    measures in a private mount namespace, so the mount cannot outlive the measuring process."""
    peers = setup if isinstance(setup, Peers) else Peers(
        setup.work, setup.wh, setup.downloads, setup.args_python, setup.pyver,  # type: ignore[attr-defined]
    )  # fmt: skip
    layout = Layout(peers.work.root)
    plan = prepare(peers, layout)
    if not plan["compiled"]:
        run.log("netfs: `wheelhook compile` is not available; its variant is left out")
    order = {"root": peers.work.root, "plan": plan, "rounds": rounds or 11,
             "latencies": list(latencies)}  # fmt: skip
    missing = unavailable()
    if missing:
        raise RuntimeError(f"the netfs figure cannot run here: {missing}")
    proc = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", sys.executable, __file__, "--inside"],
        input=json.dumps(order), capture_output=True, text=True,
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"the netfs figure failed:\n{proc.stderr[-3000:]}")
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    result.update(latencies_ms=list(latencies), rounds=order["rounds"], compile=plan["compiled"])
    return result


def _inside() -> None:
    """The measuring process, alone in its mount namespace: reads its order on stdin, prints
    the result as one JSON line."""

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)  # through every `finally`: the mount is released

    signal.signal(signal.SIGTERM, stop)
    order = json.load(sys.stdin)
    layout = Layout(order["root"])
    print(json.dumps(measure_inside(layout, order["plan"], order["rounds"], order["latencies"])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--wheel", help="a built wheelhook wheel (default: maturin build)")
    parser.add_argument("--python", default=sys.executable, help="the interpreter to measure")
    parser.add_argument("--rounds", type=int, default=11, help="measured rounds (default 11)")
    parser.add_argument("--latency", type=float, action="append",
                        help="added latency in ms, repeatable (default: 0.5, 0.2 and 1)")  # fmt: skip
    args = parser.parse_args()
    if args.inside:
        _inside()
        return
    peers = Peers.minimal(args)
    run.log("figure: netfs")
    result = figure_netfs(peers, None, args.rounds, tuple(args.latency or LATENCIES))
    # Alone, the figure joins the last full run's results (bench/results/latest.*).
    out_dir = os.path.join(HERE, "results")
    json_path = os.path.join(out_dir, "latest.json")
    with open(json_path) as f:
        text = f.read()
    results = json.loads(text)
    result["machine"] = run.machine(peers)  # type: ignore[arg-type]
    results["netfs"] = result
    second = text.split("\n", 2)[1] if text.count("\n") > 1 else ""
    with open(json_path, "w") as f:  # in the file's own indentation: a diff of one key
        json.dump(results, f, indent=len(second) - len(second.lstrip()) or 1)
        f.write("\n" if text.endswith("\n") else "")
    with open(os.path.join(out_dir, "latest.md"), "w") as f:
        f.write(run.write_report(results))
    run.log(f"wrote the netfs figure into {json_path} and latest.md")


if __name__ == "__main__":
    main()
