"""The command line: drop, list, resolve; errors are one paragraph and an exit code."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from helpers import Env, WheelSpec, build_wheel


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


def test_add_fetches_dependencies_and_drops_them(host: Env, tmp_path: Path, store: Path) -> None:
    links = tmp_path / "links"
    links.mkdir()
    build_wheel(WheelSpec("app-one", "1.0", {"app_one.py": ""}, requires=["lib-two>=2"]), links)
    build_wheel(WheelSpec("lib-two", "2.0", {"lib_two.py": ""}), links)
    proc = host.run_args(
        "-m",
        "wheelhook",
        "add",
        "app-one==1.0",
        "--store",
        str(store),
        "--no-index",
        "--find-links",
        str(links),
    )
    assert sorted(p.name for p in store.glob("*.whl")) == [
        "app_one-1.0-py3-none-any.whl",
        "lib_two-2.0-py3-none-any.whl",
    ]
    assert "[2/2] dropping" in proc.stderr
    assert "added app-one 1.0" in proc.stdout

    missing = host.run_args(
        "-m",
        "wheelhook",
        "add",
        "nothing-like-this==1",
        "--store",
        str(store),
        "--no-index",
        "--find-links",
        str(links),
        check=False,
    )
    assert missing.returncode == 1
    assert "pip download failed" in missing.stderr and "Traceback" not in missing.stderr


def test_remove_by_name_and_by_file(host: Env, store: Path) -> None:
    one = build_wheel(WheelSpec("rho", "1.0", {"rho.py": ""}), store)
    two = build_wheel(WheelSpec("rho", "2.0", {"rho.py": ""}), store)
    env = {"WHEELHOOK_PATH": str(store)}
    out = host.run_args("-m", "wheelhook", "remove", "rho==1", env=env)
    assert out.stdout.strip() == f"removed {one}"
    assert sorted(store.glob("*.whl")) == [two]
    host.run_args("-m", "wheelhook", "remove", str(two), "--store", str(store))
    assert sorted(p.name for p in store.iterdir() if not p.name.startswith(".wheelhook.lock")) == []
    proc = host.run_args("-m", "wheelhook", "remove", "rho==1", env=env, check=False)
    assert proc.returncode == 2 and "No wheel matches rho==1" in proc.stderr
    proc = host.run_args("-m", "wheelhook", "remove", "rho", env=env, check=False)
    assert proc.returncode == 2 and "neither NAME==VERSION nor a wheel" in proc.stderr


def test_verify_reports_each_wheel(host: Env, tmp_path: Path, store: Path) -> None:
    good = build_wheel(WheelSpec("sigma", "1.0", {"sigma.py": "X = 1\n"}), store)
    bad = build_wheel(WheelSpec("tau", "1.0", {"tau.py": "X = 1\n"}), store)
    with zipfile.ZipFile(bad) as zf:  # same RECORD, other bytes: the hash no longer matches
        members = {n: zf.read(n) for n in zf.namelist()}
    members["tau.py"] = b"X = 2\n"
    with zipfile.ZipFile(bad, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    env = {"WHEELHOOK_PATH": str(store)}
    proc = host.run_args("-m", "wheelhook", "verify", "--json", env=env, check=False)
    assert proc.returncode == 2
    rows = {Path(r["path"]).name: r for r in json.loads(proc.stdout) if str(store) in r["path"]}
    assert rows[good.name]["ok"] is True
    assert rows[bad.name]["ok"] is False and "tau.py" in rows[bad.name]["error"]
    assert host.run_args("-m", "wheelhook", "verify", str(good)).stdout.startswith("ok ")


def test_cache_info_and_clear(host: Env, tmp_path: Path, store: Path) -> None:
    wheel = build_wheel(WheelSpec("upsilon", "1.0", {"upsilon.py": "X = 1\n"}), tmp_path)
    cache = tmp_path / "cache"
    env = {
        "WHEELHOOK_CACHE": str(cache),
        "WHEELHOOK_PATH": str(store),
        "PYTHONDONTWRITEBYTECODE": "",
    }
    host.run_args("-m", "wheelhook", "drop", str(wheel), "--store", str(store), env=env)
    info = json.loads(host.run_args("-m", "wheelhook", "cache", "info", "--json", env=env).stdout)
    assert info["dir"] == str(cache)
    # One code pack for the wheel's modules.
    assert info["kinds"]["code"]["entries"] == 1 and info["kinds"]["code"]["bytes"] > 0
    assert "bytecode" not in info["kinds"]
    # A cache of the former one-file-per-module format is removed with the rest.
    (cache / "bytecode" / "upsilon-1.0-py3-none-any.whl-0123456789abcdef").mkdir(parents=True)
    host.run_args("-m", "wheelhook", "cache", "clear", env=env)
    info = json.loads(host.run_args("-m", "wheelhook", "cache", "info", "--json", env=env).stdout)
    assert info["kinds"]["code"] == {"entries": 0, "bytes": 0}
    assert not (cache / "bytecode").exists()
    assert cache.is_dir()  # the directory itself stays


@pytest.mark.parametrize(
    "command",
    ["drop", "add", "remove", "list", "resolve", "run", "verify", "enable", "disable", "cache"],
)
def test_every_command_has_help_with_examples(host: Env, command: str) -> None:
    out = host.run_args("-m", "wheelhook", command, "--help")
    assert "examples:" in out.stdout and f"python -m wheelhook {command}" in out.stdout


def test_debug_shows_the_traceback(host: Env) -> None:
    proc = host.run_args(
        "-m", "wheelhook", "--debug", "drop", "/nonexistent/x-1.0-py3-none-any.whl", check=False
    )
    assert "Traceback" in proc.stderr and "InvalidWheel" in proc.stderr
