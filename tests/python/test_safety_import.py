"""Import-time safety: broken wheels give an ImportError naming them (the interpreter never
crashes), a wheel replaced by rename keeps serving the old bytes to a process that mapped it, the
cache directory is refused when others could write to it, and tampered native code never runs."""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import pytest
from helpers import child_environ
from safety_zip import FIGURES, STORED, build_zip, entries_for, record_for, wheel_files
from wheelhook import _native

WHEEL = "evil-1.0-py3-none-any.whl"


def run(
    code: str, tmp: Path, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Runs `code` in a fresh interpreter (so a crash is an exit status, not a dead test run)."""
    script = tmp / "main_script.py"
    script.write_text(textwrap.dedent(code))
    return subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env=child_environ(env),
        cwd=tmp,
        input=stdin,
        timeout=120,
    )


def layout(tmp: Path) -> tuple[Path, dict[str, str]]:
    store = tmp / "store"
    store.mkdir(exist_ok=True)
    return store, {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(tmp / "cache")}


def big_files(value: str = "old") -> dict[str, bytes]:
    """A wheel whose late module sits after 1 MiB of stored data (so it spans many pages)."""
    return wheel_files(
        files={
            "evil/__init__.py": b"VALUE = 'genuine'\n",
            "evil/blob.bin": os.urandom(1 << 20),
            "evil/late.py": f"VALUE = {value!r}\n".encode(),
        }
    )


def test_unreadable_wheels_raise_import_error(tmp_path: Path) -> None:
    """Wheels put straight into a store dir (no drop, so no validation): each broken one is an
    ImportError naming the wheel; none crashes the interpreter."""
    good = build_zip(entries_for(wheel_files()))
    entries = entries_for(wheel_files())
    entries[0].local["crc"] = entries[0].central["crc"] = 0x12345678
    bad_crc = build_zip(entries)
    entries = entries_for(wheel_files())
    entries[0].raw = b"\xff" * len(entries[0].stored_bytes())
    bad_deflate = build_zip(entries)
    files = wheel_files()
    files["evil-1.0.dist-info/METADATA"] += b"Requires-Dist: six[test_]\n"
    files["evil-1.0.dist-info/RECORD"] = record_for(files, "evil-1.0.dist-info")
    cases = {
        "requires-dist": build_zip(entries_for(files)),
        "garbage": os.urandom(5000),
        "truncated": good[: len(good) // 2],
        "empty": b"",
        "crc": bad_crc,
        "deflate": bad_deflate,
    }
    for kind, data in cases.items():
        tmp = tmp_path / kind
        tmp.mkdir()
        store, env = layout(tmp)
        (store / WHEEL).write_bytes(data)
        proc = run(
            """
            import wheelhook
            try:
                wheelhook.require("evil==1.0")
                import evil
                print("imported", evil.VALUE)
            except ImportError as exc:
                print("ImportError:", exc)
            """,
            tmp,
            env,
        )
        FIGURES["broken-wheel imports run"] += 1
        assert proc.returncode == 0, (kind, proc.returncode, proc.stderr)
        if kind == "requires-dist":
            # Once a panic inside pep508_rs (PanicException); the archive itself is sound.
            assert proc.stdout == "imported genuine\n", proc.stdout
            continue
        assert proc.stdout.startswith("ImportError:"), (kind, proc.stdout, proc.stderr)
        assert WHEEL in proc.stdout, (kind, proc.stdout)
        if kind in ("crc", "deflate"):
            assert "evil/__init__.py" in proc.stdout, proc.stdout


def test_wheel_corrupted_in_place_after_activation(tmp_path: Path) -> None:
    """Someone overwrites member bytes of an activated wheel (breaking the rule that wheels are
    immutable): the next read fails its CRC check and is an ImportError naming wheel and member."""
    store, env = layout(tmp_path)
    (store / WHEEL).write_bytes(build_zip(entries_for(big_files(), method=STORED)))
    with zipfile.ZipFile(store / WHEEL) as zf:
        info = zf.getinfo("evil/late.py")
        offset = info.header_offset + 30 + len(info.filename)
    proc = run(
        f"""
        import wheelhook
        wheelhook.require("evil==1.0")
        import evil
        with open({str(store / WHEEL)!r}, "r+b") as f:
            f.seek({offset})
            f.write(b"VALUE = 'EVIL'")
        try:
            import evil.late
            print("imported", evil.late.VALUE)
        except ImportError as exc:
            print("ImportError:", exc)
        """,
        tmp_path,
        env,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ImportError:"), proc.stdout
    assert WHEEL in proc.stdout and "evil/late.py" in proc.stdout and "crc" in proc.stdout.lower()


def test_truncated_while_mapped_is_the_documented_limit(tmp_path: Path) -> None:
    """Truncating a mapped wheel breaks the design rule (replace by rename, never truncate): the
    process either gets an ImportError or dies of SIGBUS. It never runs wrong code."""
    store, env = layout(tmp_path)
    (store / WHEEL).write_bytes(build_zip(entries_for(big_files(), method=STORED)))
    proc = run(
        f"""
        import os, wheelhook
        wheelhook.require("evil==1.0")
        os.truncate({str(store / WHEEL)!r}, 4096)
        try:
            import evil.late
            print("imported", evil.late.VALUE)
        except ImportError as exc:
            print("ImportError:", exc)
        """,
        tmp_path,
        env,
    )
    FIGURES["truncated-while-mapped SIGBUS"] += proc.returncode == -signal.SIGBUS
    assert proc.returncode in (0, -signal.SIGBUS), proc.stderr
    if proc.returncode == 0:
        assert proc.stdout.startswith("ImportError:"), proc.stdout


@pytest.mark.parametrize("how", ["drop", "rename-garbage", "unlink"])
def test_replaced_while_mapped_serves_old_bytes(how: str, tmp_path: Path) -> None:
    """A process that activated a wheel keeps importing the bytes it mapped when the file is
    replaced by rename (`drop` of a new build of the same version, or any rename over it)."""
    store, env = layout(tmp_path)
    (store / WHEEL).write_bytes(build_zip(entries_for(big_files("old"))))
    new = tmp_path / "new" / WHEEL
    new.parent.mkdir()
    new.write_bytes(build_zip(entries_for(big_files("new"))))
    script = tmp_path / "main_script.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys, wheelhook
            wheelhook.require("evil==1.0")
            import evil
            print("ready", flush=True)
            sys.stdin.readline()
            import evil.late
            print(evil.late.VALUE, flush=True)
            """
        )
    )
    full = {k: v for k, v in os.environ.items() if not k.startswith("WHEELHOOK_")} | env
    child = subprocess.Popen(
        [sys.executable, str(script)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=full,
        cwd=tmp_path,
    )
    assert child.stdout is not None and child.stdin is not None
    assert child.stdout.readline() == "ready\n"
    if how == "drop":
        dropped = subprocess.run(
            [sys.executable, "-m", "wheelhook", "drop", "--store", str(store), str(new)],
            capture_output=True,
            text=True,
            env=full,
        )
        assert dropped.returncode == 0, dropped.stderr
    elif how == "rename-garbage":
        garbage = store / ".garbage.tmp"
        garbage.write_bytes(os.urandom(3 << 20))
        os.replace(garbage, store / WHEEL)
    else:
        (store / WHEEL).unlink()
    out, err = child.communicate("go\n", timeout=60)
    assert child.returncode == 0, err
    assert out == "old\n"
    if how == "drop":
        fresh = run(
            "import wheelhook\nwheelhook.require('evil==1.0')\n"
            "import evil.late\nprint(evil.late.VALUE)\n",
            tmp_path,
            env,
        )
        assert fresh.stdout == "new\n", fresh.stderr


# --- the cache directory -------------------------------------------------------------------

IMPORT_SIX_LIKE = """
import warnings, wheelhook
wheelhook.require("evil==1.0")
import evil.late
print(evil.late.VALUE, wheelhook.finder().cache_dir())
"""


def test_cache_dir_created_private(tmp_path: Path) -> None:
    store, env = layout(tmp_path)
    env["WHEELHOOK_CACHE"] = str(tmp_path / "deep" / "cache")
    (store / WHEEL).write_bytes(build_zip(entries_for(big_files())))
    proc = run(IMPORT_SIX_LIKE, tmp_path, env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["old", env["WHEELHOOK_CACHE"]]
    assert (tmp_path / "deep" / "cache").stat().st_mode & 0o777 == 0o700
    assert any((tmp_path / "deep" / "cache" / "code").glob("*.whcp"))


def _nobody() -> int:
    return pwd.getpwnam("nobody").pw_uid


@pytest.mark.parametrize("unsafe", ["symlink", "other-owner", "group-writable", "world-writable"])
def test_unsafe_cache_dir_is_refused(unsafe: str, tmp_path: Path) -> None:
    """One warning, imports still work (bytecode kept in memory), nothing written to the dir."""
    store, env = layout(tmp_path)
    (store / WHEEL).write_bytes(build_zip(entries_for(big_files())))
    target = tmp_path / "cache-real"
    target.mkdir(mode=0o700)
    cache = target
    if unsafe == "symlink":
        cache = tmp_path / "cache-link"
        cache.symlink_to(target)
    elif unsafe == "other-owner":
        if os.geteuid() != 0:
            pytest.skip("chown to another user needs root")
        os.chown(target, _nobody(), -1)
    else:
        target.chmod(0o770 if unsafe == "group-writable" else 0o707)
    env["WHEELHOOK_CACHE"] = str(cache)
    proc = run(IMPORT_SIX_LIKE + "import evil.late as again\n", tmp_path, env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["old", "None"]
    warnings = [line for line in proc.stderr.splitlines() if "RuntimeWarning" in line]
    assert len(warnings) == 1, proc.stderr
    assert str(cache) in warnings[0]
    assert list(target.iterdir()) == []


# --- native extensions ---------------------------------------------------------------------

EXT_SOURCE = r"""
#include <Python.h>
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "native", NULL, -1, NULL};
PyMODINIT_FUNC PyInit_native(void) {
    PyObject *m = PyModule_Create(&def);
    if (m) PyModule_AddStringConstant(m, "WHO", WHO);
    return m;
}
"""


def compile_extension(tmp: Path, who: str) -> bytes:
    src = tmp / "native.c"
    src.write_text(EXT_SOURCE)
    out = tmp / f"native-{who}.so"
    include = sysconfig.get_path("include")
    subprocess.run(
        [
            "cc",
            "-shared",
            "-fPIC",
            "-O0",
            f"-I{include}",
            f'-DWHO="{who}"',
            str(src),
            "-o",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    return out.read_bytes()


@pytest.mark.skipif(sys.platform != "linux", reason="builds an ELF extension with cc")
def test_tampered_native_extension_never_runs(tmp_path: Path) -> None:
    genuine = compile_extension(tmp_path, "genuine")
    tampered = compile_extension(tmp_path, "tampered")
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    tag = "cp{0}{1}-cp{0}{1}-linux_x86_64".format(*sys.version_info[:2])
    files = wheel_files(files={"evil/__init__.py": b"", f"evil/native{suffix}": genuine})
    meta = (
        files["evil-1.0.dist-info/WHEEL"]
        .replace(b"py3-none-any", tag.encode())
        .replace(b"Root-Is-Purelib: true", b"Root-Is-Purelib: false")
    )
    files["evil-1.0.dist-info/WHEEL"] = meta
    files["evil-1.0.dist-info/RECORD"] = record_for(files, "evil-1.0.dist-info")
    wheel = f"evil-1.0-{tag}.whl"
    assert tag in _native.supported_tags(), "the test's tag must be supported here"
    store, env = layout(tmp_path)
    (store / wheel).write_bytes(build_zip(entries_for(files)))
    code = (
        "import wheelhook\nwheelhook.require('evil==1.0')\n"
        "import evil.native\nprint(evil.native.WHO)\n"
    )
    first = run(code, tmp_path, env)
    assert first.returncode == 0, first.stderr
    assert first.stdout == "genuine\n"
    [materialised] = list((tmp_path / "cache").rglob(f"native{suffix}"))
    for attempt in ("overwrite", "replace", "truncate"):
        if attempt == "overwrite":
            materialised.write_bytes(tampered)
        elif attempt == "replace":
            other = materialised.with_name("x.tmp")
            other.write_bytes(tampered)
            os.replace(other, materialised)
        else:
            materialised.write_bytes(b"")
        again = run(code, tmp_path, env)
        FIGURES["tampered native loads attempted"] += 1
        FIGURES["tampered cache entries executed"] += "tampered" in again.stdout
        assert "tampered" not in again.stdout
        assert again.returncode == 0, again.stderr
        assert again.stdout == "genuine\n", again.stderr
        assert materialised.read_bytes() == genuine
