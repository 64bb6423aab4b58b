"""The command line: drop, list, resolve; errors are one paragraph and an exit code."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from conftest import Env, WheelSpec, build_wheel


def test_drop_copies_and_list_shows(host: Env, tmp_path: Path, store: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    wheel = build_wheel(WheelSpec("delta", "1.2", {"delta.py": ""}), src)
    out = host.run_args("-m", "wheelhook", "drop", str(wheel), "--store", str(store))
    assert "dropped delta 1.2" in out.stdout
    assert (store / wheel.name).read_bytes() == wheel.read_bytes()
    assert not [p for p in store.iterdir() if p.name.endswith(".tmp")]

    listed = host.run_args(
        "-m", "wheelhook", "list", "delta", "--json", env={"WHEELHOOK_PATH": str(store)}
    )
    rows = json.loads(listed.stdout)["candidates"]
    assert [(r["name"], r["version"], r["kind"]) for r in rows] == [("delta", "1.2", "wheel")]


def bad_wheel(tmp_path: Path, kind: str) -> Path:
    good = build_wheel(WheelSpec("eps", "1.0", {"eps.py": ""}), tmp_path)
    if kind == "not-a-zip":
        good.write_bytes(b"this is not a zip file")
        return good
    if kind == "bad-name":
        return good.rename(tmp_path / "eps.whl")
    if kind == "name-mismatch":
        bad = tmp_path / "zeta-1.0-py3-none-any.whl"
        good.rename(bad)
        return bad
    if kind == "version-mismatch":
        bad = tmp_path / "eps-2.0-py3-none-any.whl"
        good.rename(bad)
        return bad
    if kind == "no-dist-info":
        bad = tmp_path / "eps-1.0-py3-none-any.whl"
        good.unlink()
        with zipfile.ZipFile(bad, "w") as zf:
            zf.writestr("eps.py", "")
        return bad
    raise AssertionError(kind)


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("not-a-zip", "eps-1.0-py3-none-any.whl"),
        ("bad-name", "is invalid"),
        ("name-mismatch", 'METADATA says "eps"'),
        ("version-mismatch", "METADATA says 1.0"),
        ("no-dist-info", "expected exactly one .dist-info directory, found 0"),
    ],
)
def test_drop_refuses_bad_wheels(
    host: Env, tmp_path: Path, store: Path, kind: str, reason: str
) -> None:
    wheel = bad_wheel(tmp_path, kind)
    proc = host.run_args("-m", "wheelhook", "drop", str(wheel), "--store", str(store), check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("wheelhook: ")
    assert reason in proc.stderr
    assert wheel.name in proc.stderr
    assert [p.name for p in store.iterdir() if not p.name.startswith(".wheelhook.lock")] == []


def test_drop_missing_file(host: Env, store: Path) -> None:
    proc = host.run_args(
        "-m",
        "wheelhook",
        "drop",
        "/nonexistent/x-1.0-py3-none-any.whl",
        "--store",
        str(store),
        check=False,
    )
    assert proc.returncode == 2
    assert "no such file" in proc.stderr


def test_resolve_prints_the_plan_and_fails_with_exit_1(host: Env, store: Path) -> None:
    build_wheel(WheelSpec("eta", "1.0", {"eta.py": ""}), store)
    env = {"WHEELHOOK_PATH": str(store)}
    out = host.run_args("-m", "wheelhook", "resolve", "eta", "--json", env=env)
    assert [(r["name"], r["version"], r["kind"]) for r in json.loads(out.stdout)] == [
        ("eta", "1.0", "wheel")
    ]
    proc = host.run_args("-m", "wheelhook", "resolve", "eta>=2", env=env, check=False)
    assert proc.returncode == 1
    assert "eta" in proc.stderr and "1.0" in proc.stderr
    assert "Traceback" not in proc.stderr
