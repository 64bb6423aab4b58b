"""Published compiled code (`wheelhook compile`, `drop --compile`): a process with an empty
private cache imports from the packs beside the wheels with no compile; a pack that is not
trusted or is damaged is ignored with one warning, never executed; a stale entry is a compile."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import Env, WheelSpec, build_wheel, child_environ, new_env, pypi_wheel

DEEP = """\
def boom():
    return 1 / 0


class Klass:
    def method(self):
        return "method"
"""

#: Imports a synthetic package and a real one, raises in the synthetic one, and reports what it
#: cost and where the code says it came from.
PROGRAM = """
    __requires__ = ["kappa==1.0", "six==1.16.0"]
    import inspect, json, traceback
    import wheelhook
    import kappa, kappa.deep, six
    try:
        kappa.deep.boom()
    except ZeroDivisionError as exc:
        frame = traceback.extract_tb(exc.__traceback__)[-1]
    print(json.dumps({
        "stats": wheelhook.finder().stats(),
        "frame": [frame.filename, frame.lineno, frame.line],
        "source": inspect.getsource(kappa.deep.Klass.method),
        "co_filenames": [
            kappa.deep.boom.__code__.co_filename,
            kappa.deep.Klass.method.__code__.co_filename,
        ],
        "file": kappa.deep.__file__,
        "value": [kappa.VALUE, kappa.deep.Klass().method(), six.PY3],
    }))
"""

#: The warning a refused pack gets: its path, then the reason.
WARNING = "wheelhook: the code pack "


def kappa(directory: Path, value: str = "1") -> Path:
    """A synthetic wheel: a package, a module with a function that raises, and a module that
    does not compile (it is never imported)."""
    files: dict[str, bytes | str] = {
        "kappa/__init__.py": f"VALUE = {value}\n",
        "kappa/deep.py": DEEP,
        "kappa/bad.py": "def broken(:\n",
    }
    return build_wheel(WheelSpec("kappa", "1.0", files), directory)


@pytest.fixture
def published(store: Path) -> Path:
    """A store with kappa 1.0 and six 1.16.0 (a real wheel)."""
    kappa(store)
    shutil.copy(pypi_wheel("six==1.16.0"), store)
    return store


def compile_store(env: Env, store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return env.run_args("-m", "wheelhook", "compile", "--store", str(store), *args)


def pack(store: Path, wheel: str, tag: str = sys.implementation.cache_tag) -> Path:
    return store / ".wheelhook" / "code" / f"{wheel}.{tag}.whcp"


KAPPA = "kappa-1.0-py3-none-any.whl"
SIX = "six-1.16.0-py2.py3-none-any.whl"


def run(env: Env, store: Path, cache: Path, **extra: str) -> tuple[dict[str, Any], str]:
    """Runs PROGRAM against `store` with the private cache `cache`: (its report, its stderr)."""
    proc = env.run(
        PROGRAM, env={"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(cache), **extra}
    )
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr


def check_served_from(report: dict[str, Any], store: Path) -> None:
    """The code says it came from `store`'s wheel: tracebacks and `inspect` find the source."""
    deep = str(store / KAPPA / "kappa" / "deep.py")
    assert report["file"] == deep
    assert report["co_filenames"] == [deep, deep]
    assert report["frame"] == [deep, 2, "return 1 / 0"]
    assert report["source"] == '    def method(self):\n        return "method"\n'


def test_fresh_node_imports_with_no_compile(host: Env, published: Path, tmp_path: Path) -> None:
    out = compile_store(host, published)
    assert f"wrote {pack(published, KAPPA)}: 2 modules" in out.stdout
    assert f"wrote {pack(published, SIX)}: 1 modules" in out.stdout
    assert "skipped kappa/bad.py: SyntaxError" in out.stdout
    assert "2 pack(s) written, 3 modules" in out.stderr
    assert "1 module(s) did not compile" in out.stderr
    mode = pack(published, KAPPA).stat().st_mode & 0o777
    assert mode == 0o644
    assert not [p for p in (published / ".wheelhook" / "code").iterdir() if p.suffix != ".whcp"]

    cache = tmp_path / "empty-cache"
    report, stderr = run(host, published, cache)
    assert report["stats"]["compiled"] == 0
    assert report["stats"]["published_hits"] == 3
    assert report["value"] == [1, "method", True]
    check_served_from(report, published)
    assert WARNING not in stderr
    # The module that does not compile fails at its import with its own SyntaxError.
    proc = host.run(
        "import wheelhook; wheelhook.require('kappa'); import kappa.bad",
        env={"WHEELHOOK_PATH": str(published), "WHEELHOOK_CACHE": str(cache)},
        check=False,
    )
    assert proc.returncode == 1 and "SyntaxError" in proc.stderr


def test_packs_are_readable_whatever_the_umask(host: Env, published: Path) -> None:
    command = f'umask 077 && exec "{host.python}" -m wheelhook compile --store "{published}"'
    subprocess.run(["sh", "-c", command], check=True, capture_output=True, env=child_environ())
    for path in (published / ".wheelhook", published / ".wheelhook" / "code"):
        assert path.stat().st_mode & 0o777 == 0o755
    assert pack(published, KAPPA).stat().st_mode & 0o777 == 0o644


def test_only_what_changed_is_rewritten(host: Env, published: Path) -> None:
    compile_store(host, published)
    packs = {name: pack(published, name) for name in (KAPPA, SIX)}
    first = {name: path.stat().st_ino for name, path in packs.items()}
    out = compile_store(host, published)
    assert out.stdout.count("up to date: ") == 2
    assert "0 pack(s) written" in out.stderr and "2 up to date" in out.stderr
    assert {name: path.stat().st_ino for name, path in packs.items()} == first
    # kappa replaced by hand with other content, its pack made younger than it: the stale entry
    # shows, and only kappa's pack is written again.
    (published / KAPPA).unlink()
    kappa(published, value="5")
    os.utime(packs[KAPPA])
    out = compile_store(host, published)
    assert f"wrote {packs[KAPPA]}" in out.stdout and f"up to date: {packs[SIX]}" in out.stdout
    assert packs[SIX].stat().st_ino == first[SIX]
    out = compile_store(host, published, "--force")
    assert out.stdout.count("wrote ") == 2
    assert packs[SIX].stat().st_ino != first[SIX]


def test_json_lists_every_pack(host: Env, published: Path) -> None:
    rows = json.loads(compile_store(host, published, "--json").stdout)
    by_wheel = {Path(r["wheel"]).name: r for r in rows}
    assert by_wheel[KAPPA]["modules"] == 2
    assert by_wheel[KAPPA]["skipped"][0]["member"] == "kappa/bad.py"
    assert by_wheel[SIX]["bytes"] == pack(published, SIX).stat().st_size
    assert by_wheel[SIX]["python"] == sys.implementation.cache_tag


def test_wheel_for_another_python_is_not_compiled(host: Env, store: Path) -> None:
    other = "cp38-cp38-linux_x86_64" if sys.version_info >= (3, 9) else "cp312-cp312-linux_x86_64"
    wheel = build_wheel(WheelSpec("old", "1.0", {"old.py": "X = 1\n"}, tag=other), store)
    abi3 = build_wheel(WheelSpec("new", "1.0", {"new.py": "X = 1\n"}, tag="cp38-abi3-any"), store)
    rows = json.loads(compile_store(host, store, "--json").stdout)
    notes = {Path(r["wheel"]).name: r["note"] for r in rows}
    assert notes == {wheel.name: "not for this interpreter (its tags)", abi3.name: ""}
    assert not pack(store, wheel.name).exists()
    assert pack(store, abi3.name).exists()


def test_wheel_whose_requires_python_excludes_the_interpreter_is_not_compiled(
    host: Env, store: Path
) -> None:
    later = f">={sys.version_info[0]}.{sys.version_info[1] + 1}"
    files: dict[str, bytes | str] = {"later.py": "X = 1\n"}
    wheel = build_wheel(WheelSpec("later", "1.0", files, requires_python=later), store)
    files = {"now.py": "X = 1\n"}
    here = build_wheel(WheelSpec("now", "1.0", files, requires_python=">=3.8"), store)
    rows = json.loads(compile_store(host, store, "--json").stdout)
    notes = {Path(r["wheel"]).name: r["note"] for r in rows}
    assert notes == {wheel.name: "not for this interpreter (its Requires-Python)", here.name: ""}
    assert not pack(store, wheel.name).exists()
    assert pack(store, here.name).exists()


def test_unreadable_wheel_is_reported_and_the_others_compiled(host: Env, published: Path) -> None:
    broken = published / "broken-1.0-py3-none-any.whl"
    broken.write_bytes(b"not a zip archive")
    proc = host.run_args("-m", "wheelhook", "compile", "--store", str(published), check=False)
    assert proc.returncode == 2
    assert f"FAILED  {broken}: cannot be read:" in proc.stdout
    assert "1 wheel(s) could not be read" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert pack(published, KAPPA).exists() and pack(published, SIX).exists()


def test_store_mounted_elsewhere_fixes_co_filename(
    host: Env, published: Path, tmp_path: Path
) -> None:
    compile_store(host, published)
    elsewhere = tmp_path / "mnt" / "other-path"
    shutil.copytree(published, elsewhere)  # modes kept; the same owner
    report, stderr = run(host, elsewhere, tmp_path / "cache")
    assert report["stats"]["compiled"] == 0
    check_served_from(report, elsewhere)
    assert WARNING not in stderr


def test_optimisation_level_has_its_own_pack(host: Env, published: Path, tmp_path: Path) -> None:
    compile_store(host, published)
    report, _ = run(host, published, tmp_path / "c1", PYTHONOPTIMIZE="1")
    assert report["stats"]["compiled"] == 3, "code compiled with asserts is not served to -O"
    compile_store(host, published, "--optimize", "1", KAPPA)
    assert pack(published, KAPPA, f"{sys.implementation.cache_tag}.opt-1").is_file()
    report, _ = run(host, published, tmp_path / "c2", PYTHONOPTIMIZE="1")
    assert report["stats"]["compiled"] == 1, "six has no -O pack"
    assert report["stats"]["published_hits"] == 2


def other_python() -> Path | None:
    """A pyenv CPython 3.12 or 3.9 other than the one running the tests."""
    root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False)
    if root.returncode != 0:
        return None
    for version in ("3.12", "3.9"):
        if version == f"{sys.version_info[0]}.{sys.version_info[1]}":
            continue
        for found in sorted(Path(root.stdout.strip(), "versions").glob(f"{version}.*")):
            if (found / "bin" / "python3").exists():
                return found / "bin" / "python3"
    return None


def test_another_interpreter(host: Env, published: Path, tmp_path: Path) -> None:
    other = other_python()
    if other is None:
        pytest.skip("no pyenv CPython 3.12 or 3.9 besides the one running the tests")
    out = compile_store(host, published, "--python", str(other))
    tag = subprocess.run(
        [str(other), "-c", "import sys; print(sys.implementation.cache_tag)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert f"wrote {pack(published, KAPPA, tag)}: 2 modules" in out.stdout
    env = new_env(tmp_path / "other-env", python=other)
    report, stderr = run(env, published, tmp_path / "cache")
    assert report["stats"]["compiled"] == 0
    assert report["stats"]["published_hits"] == 3
    check_served_from(report, published)
    assert WARNING not in stderr


def flip(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x55
    path.write_bytes(bytes(data))


def damage_other_owner(path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("giving a file to another user needs root")
    os.chown(path, 65534, 65534)


def damage_not_a_file(path: Path) -> None:
    path.unlink()
    path.mkdir()


def damage_other_interpreter(path: Path) -> None:
    # The trailer's magic number (its first four bytes), as a pack of CPython 3.9 has it (of
    # 3.11 under 3.9).
    magic = 3425 if sys.version_info[:2] != (3, 9) else 3495
    data = bytearray(path.read_bytes())
    data[-36:-32] = magic.to_bytes(2, "little") + b"\r\n"
    path.write_bytes(bytes(data))


DAMAGE = {
    "group-writable": (lambda p: p.chmod(0o664), "writable by group or others (mode 664)"),
    "world-writable": (lambda p: p.chmod(0o646), "writable by group or others (mode 646)"),
    "other owner": (damage_other_owner, "owned by uid 65534, neither the store's owner"),
    "not a file": (damage_not_a_file, "not a regular file"),
    "flipped table byte": (lambda p: flip(p, -40), "its table fails its checksum"),
    "truncated": (lambda p: p.write_bytes(p.read_bytes()[:-7]), "not a code pack"),
    "other interpreter": (damage_other_interpreter, "compiled for another interpreter"),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_refused_pack_is_ignored_with_one_warning(
    host: Env, published: Path, tmp_path: Path, damage: str
) -> None:
    compile_store(host, published)
    path = pack(published, KAPPA)
    spoil, reason = DAMAGE[damage]
    spoil(path)
    report, stderr = run(host, published, tmp_path / "cache")
    warnings = [line for line in stderr.splitlines() if WARNING in line]
    assert len(warnings) == 1, stderr
    assert str(path) in warnings[0] and reason in warnings[0]
    assert "RuntimeWarning" in warnings[0]
    # Both kappa modules compiled from source; six still from its own pack.
    assert report["stats"]["compiled"] == 2
    assert report["stats"]["published_hits"] == 1
    assert report["value"] == [1, "method", True]
    check_served_from(report, published)


def test_stale_or_corrupt_entries_are_compiled_quietly(
    host: Env, published: Path, tmp_path: Path
) -> None:
    compile_store(host, published)
    # The wheel replaced by hand (not by drop, which removes its packs): other content.
    (published / KAPPA).unlink()
    kappa(published, value="2")
    report, stderr = run(host, published, tmp_path / "c1")
    assert report["value"] == [2, "method", True]
    assert report["stats"]["compiled"] == 1, "only the changed module"
    assert report["stats"]["published_hits"] == 2
    assert WARNING not in stderr
    # A payload's byte flipped: that entry fails its checksum and is compiled, silently.
    flip(pack(published, SIX), 100)
    report, stderr = run(host, published, tmp_path / "c2")
    assert report["stats"]["compiled"] == 2
    assert report["stats"]["published_hits"] == 1
    assert WARNING not in stderr


def test_drop_compile_replace_and_remove(host: Env, store: Path, tmp_path: Path) -> None:
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    wheel = kappa(incoming)
    drop = ("-m", "wheelhook", "drop", "--store", str(store))
    cache = tmp_path / "cache"
    env = {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(cache)}
    out = host.run_args(*drop, "--compile", str(wheel), env=env)
    assert f"wrote {pack(store, KAPPA)}: 2 modules" in out.stdout
    code = """
        import wheelhook, json
        wheelhook.require("kappa")
        import kappa.deep
        print(json.dumps(wheelhook.finder().stats()))
    """
    assert json.loads(host.run(code, env=env).stdout)["compiled"] == 0
    info = json.loads(host.run_args("-m", "wheelhook", "cache", "info", "--json", env=env).stdout)
    assert sum(kind["entries"] for kind in info["kinds"].values()) == 0, "no private copy"
    # A new wheel of the same name: its old packs go with the old file.
    replacement = kappa(tmp_path, value="3")
    host.run_args(*drop, str(replacement))
    assert not pack(store, KAPPA).exists()
    compile_store(host, store)
    assert pack(store, KAPPA).exists()
    host.run_args("-m", "wheelhook", "remove", "--store", str(store), "kappa==1.0")
    assert not (store / KAPPA).exists()
    assert not pack(store, KAPPA).exists()


def test_publishing_as_another_user_is_refused(
    published: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wheelhook import _publish
    from wheelhook.errors import UsageError

    owner = published.stat().st_uid
    stranger = owner + 4242
    monkeypatch.setattr(os, "geteuid", lambda: stranger)
    with pytest.raises(UsageError, match=f"owned by uid {owner}: compiled code published by uid"):
        _publish.check_publisher(str(published))
    monkeypatch.setattr(os, "geteuid", lambda: owner)
    _publish.check_publisher(str(published))
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    _publish.check_publisher(str(published))


def test_read_only_store_is_refused(host: Env, published: Path) -> None:
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("a read-only bind mount needs unshare and root")
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"no mount namespace here: {probe.stderr.strip()}")
    command = (
        f'mount --bind -o ro "{published}" "{published}" && '
        f'exec "{host.python}" -m wheelhook compile --store "{published}"'
    )
    proc = subprocess.run(
        ["unshare", "-m", "sh", "-c", command], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2, proc.stderr
    assert f"The store {published} is read-only" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (published / ".wheelhook").exists()


def test_one_open_per_wheel_whatever_its_modules(
    host: Env, published: Path, tmp_path: Path
) -> None:
    """A wheel's pack is opened once however many of its modules are imported, and a wheel with
    no pack costs one failed open, not one per module."""
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace is not installed")
    compile_store(host, published)
    files = {f"plain/m{i}.py": f"X = {i}\n" for i in range(10)}
    files["plain/__init__.py"] = "".join(f"from plain import m{i}\n" for i in range(10))
    build_wheel(WheelSpec("plain", "1.0", files), published)  # no pack of its own
    trace = tmp_path / "trace.txt"
    script = tmp_path / "program.py"
    script.write_text(
        "import wheelhook\n"
        "wheelhook.require('kappa==1.0', 'plain==1.0')\n"
        "import kappa, kappa.deep, plain\n"
    )
    env = {"WHEELHOOK_PATH": str(published), "WHEELHOOK_CACHE": str(tmp_path / "cache")}
    host.run_args(str(script), env=env)  # the activation is remembered: the traced run is warm
    command = [strace, "-f", "-e", "trace=open,openat,openat2", "-o", str(trace)]
    proc = subprocess.run(
        [*command, str(host.python), str(script)], env=child_environ(env), capture_output=True
    )
    assert proc.returncode == 0, proc.stderr
    opens = [line for line in trace.read_text().splitlines() if "/.wheelhook/code/" in line]
    kappa_pack = [line for line in opens if f"/{KAPPA}." in line]
    plain_pack = [line for line in opens if "/plain-1.0-py3-none-any.whl." in line]
    assert len(kappa_pack) == 1 and "ENOENT" not in kappa_pack[0], opens
    assert len(plain_pack) == 1 and "ENOENT" in plain_pack[0], opens


#: Reads a data file beside its own `__file__`, as pytz and jinja2 templates do: the wheel is
#: served from an unpacked copy by default.
LAMDA_INIT = """\
import os
with open(os.path.join(os.path.dirname(__file__), "table.txt")) as f:
    TABLE = f.read()
"""
LAMDA = "lamda-1.0-py3-none-any.whl"
LAMDA_PROGRAM = """
    __requires__ = ["lamda==1.0"]
    import json
    import wheelhook
    import lamda
    print(json.dumps({"file": lamda.__file__, "table": lamda.TABLE,
                      "stats": wheelhook.finder().stats()}))
"""


def lamda(directory: Path, table: str = "1 2 3\n") -> Path:
    files: dict[str, bytes | str] = {
        "lamda/__init__.py": LAMDA_INIT,
        "lamda/table.txt": table,
    }
    return build_wheel(WheelSpec("lamda", "1.0", files), directory)


def run_lambda(env: Env, store: Path, cache: Path) -> tuple[dict[str, Any], str]:
    environ = {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(cache)}
    proc = env.run(LAMDA_PROGRAM, env=environ)
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr


def test_unpacked_copy_is_published_and_used(host: Env, store: Path, tmp_path: Path) -> None:
    lamda(store)
    out = compile_store(host, store)
    copy = store / ".wheelhook" / "unpacked" / LAMDA
    assert f"unpacked copy: {copy}" in out.stdout
    assert "1 unpacked copy published" in out.stderr
    # Readable by every user of the store whatever the publisher's umask.
    assert (copy.stat().st_mode & 0o777, (copy / "lamda").stat().st_mode & 0o777) == (0o755,) * 2
    assert (copy / "lamda" / "table.txt").stat().st_mode & 0o777 == 0o644
    cache = tmp_path / "cache"
    report, stderr = run_lambda(host, store, cache)
    assert report["file"] == str(copy / "lamda" / "__init__.py")
    assert report["table"] == "1 2 3\n"
    assert report["stats"]["compiled"] == 0
    assert "wheelhook" not in stderr
    # The node wrote no copy of its own.
    info = json.loads(
        host.run_args(
            "-m", "wheelhook", "cache", "info", "--json", env={"WHEELHOOK_CACHE": str(cache)}
        ).stdout
    )
    assert info["kinds"].get("native", {}).get("entries", 0) == 0, info
    # Compiling again leaves the copy as it is; removing the wheel removes it.
    inode = copy.stat().st_ino
    compile_store(host, store)
    assert copy.stat().st_ino == inode
    # What a killed publisher left (a copy half built, one moved aside) goes with the next
    # copy published.
    orphans = [copy.parent / f".{LAMDA}.99999.tmp", copy.parent / f".{LAMDA}.99999.old"]
    for orphan in orphans:
        (orphan / "lamda").mkdir(parents=True)
    lamda(store, table="7 8 9\n")  # the same name, new contents: the copy is rebuilt
    compile_store(host, store)
    assert not any(o.exists() for o in orphans)
    assert (copy / "lamda" / "table.txt").read_text() == "7 8 9\n"
    host.run_args("-m", "wheelhook", "remove", "--store", str(store), "lamda==1.0")
    assert not copy.exists()


def copy_other_owner(copy: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("giving a folder to another user needs root")
    os.chown(copy, 65534, 65534)


COPY_DAMAGE = {
    "group-writable folder": (lambda c: c.chmod(0o775), "writable by group or others (mode 775)"),
    "world-writable marker": (
        lambda c: (c / ".wheelhook-unpacked").chmod(0o646),
        "writable by group or others (mode 646)",
    ),
    "other owner": (copy_other_owner, "owned by uid 65534, neither the store's owner"),
}


@pytest.mark.parametrize("damage", COPY_DAMAGE)
def test_untrusted_unpacked_copy_is_ignored_with_one_warning(
    host: Env, store: Path, tmp_path: Path, damage: str
) -> None:
    lamda(store)
    compile_store(host, store)
    copy = store / ".wheelhook" / "unpacked" / LAMDA
    spoil, reason = COPY_DAMAGE[damage]
    spoil(copy)
    report, stderr = run_lambda(host, store, tmp_path / "cache")
    warnings = [line for line in stderr.splitlines() if "published unpacked copy" in line]
    assert len(warnings) == 1 and reason in warnings[0], stderr
    # Served from a copy in the private cache instead.
    assert report["file"].startswith(str(tmp_path / "cache"))
    assert report["table"] == "1 2 3\n"


def test_stale_unpacked_copy_is_not_used(host: Env, store: Path, tmp_path: Path) -> None:
    """A wheel replaced by hand after compile (not through drop): the copy's marker no longer
    names its members, so each node unpacks its own, quietly."""
    lamda(store)
    compile_store(host, store)
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    os.replace(lamda(incoming, table="4 5 6\n"), store / LAMDA)
    report, stderr = run_lambda(host, store, tmp_path / "cache")
    assert report["table"] == "4 5 6\n"
    assert report["file"].startswith(str(tmp_path / "cache"))
    assert "published unpacked copy" not in stderr


def test_no_unpacked_copy_for_wheels_with_native_members(host: Env, store: Path) -> None:
    """Native code is materialised into each node's private cache and checked before it is
    loaded; a published copy would bypass that, so such wheels are not published unpacked."""
    files: dict[str, bytes | str] = {
        "mu/__init__.py": "",
        "mu/data.txt": "x",
        "mu/_speedups.cpython-311-x86_64-linux-gnu.so": b"\x7fELF not loaded here",
    }
    build_wheel(WheelSpec("mu", "1.0", files), store)
    out = compile_store(host, store)
    assert "0 unpacked copies published" in out.stderr
    assert not (store / ".wheelhook" / "unpacked").exists()
