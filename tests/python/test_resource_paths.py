"""`wheelhook.resource_filename`: real paths that last, from real wheels that ship data.

Each scenario runs in a child interpreter with its own store and its own private cache
(`WHEELHOOK_CACHE`), so that extractions made by one process can be checked by the next.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import pytest
from helpers import Env, WheelSpec, build_wheel, pypi_wheel

CERTIFI_OLD = "certifi==2023.7.22"
CERTIFI_NEW = "certifi==2024.8.30"
TZDATA = "tzdata==2024.2"
PYTZ = "pytz==2024.2"

#: Served from the archive (these wheels ship data, so by default they would be unpacked).
ARCHIVE = {"WHEELHOOK_UNPACK": "-*", "PYTHONWARNINGS": "ignore"}


def resolve(host: Env, store: Path, cache: Path, req: str, package: str, resource: str, **env: str):
    """`resource_filename(package, resource)` in a child that required `req`."""
    code = f"""
        import json, wheelhook
        wheelhook.require({req!r})
        print(json.dumps(wheelhook.resource_filename({package!r}, {resource!r})))
    """
    variables = {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(cache), **ARCHIVE, **env}
    path: str = host.run_json(code, env=variables)
    return Path(path)


def wheel_files(wheel: Path, prefix: str) -> dict[str, bytes]:
    """The files of `wheel` under the member directory `prefix`, by path relative to it."""
    with zipfile.ZipFile(wheel) as zf:
        return {
            n[len(prefix) :]: zf.read(n)
            for n in zf.namelist()
            if n.startswith(prefix) and not n.endswith("/")
        }


def tree(directory: Path) -> dict[str, bytes]:
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in directory.rglob("*")
        if p.is_file()
    }


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def test_ok_two_versions_side_by_side_last_and_are_shared(
    host: Env, store: Path, cache: Path
) -> None:
    wheels = {}
    for pin in (CERTIFI_OLD, CERTIFI_NEW):
        wheels[pin] = Path(shutil.copy(pypi_wheel(pin), store))
    paths = {pin: resolve(host, store, cache, pin, "certifi", "cacert.pem") for pin in wheels}
    assert paths[CERTIFI_OLD] != paths[CERTIFI_NEW]
    for pin, path in paths.items():
        # The processes have ended: the paths last, with each version's own bytes.
        assert path.is_file() and cache / "resources" in path.parents, path
        with zipfile.ZipFile(wheels[pin]) as zf:
            assert path.read_bytes() == zf.read("certifi/cacert.pem")
    # A second process reuses the extraction: same path, the file not written again.
    before = os.stat(paths[CERTIFI_NEW])
    again = resolve(host, store, cache, CERTIFI_NEW, "certifi", "cacert.pem")
    after = os.stat(again)
    assert again == paths[CERTIFI_NEW]
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_ok_directories_extracted_whole(host: Env, store: Path, cache: Path) -> None:
    tzdata = Path(shutil.copy(pypi_wheel(TZDATA), store))
    pytz = Path(shutil.copy(pypi_wheel(PYTZ), store))
    europe = resolve(host, store, cache, TZDATA, "tzdata", "zoneinfo/Europe")
    assert europe.is_dir()
    expected = wheel_files(tzdata, "tzdata/zoneinfo/Europe/")
    assert len(expected) > 50 and tree(europe) == expected
    zoneinfo = resolve(host, store, cache, PYTZ, "pytz", "zoneinfo")
    assert tree(zoneinfo) == wheel_files(pytz, "pytz/zoneinfo/")
    assert (zoneinfo / "Europe" / "Paris").read_bytes()[:4] == b"TZif"
    # The package itself: `""` names its directory.
    root = resolve(host, store, cache, PYTZ, "pytz", "")
    assert root == zoneinfo.parent and (root / "__init__.py").is_file()


def test_ok_real_files_when_on_disk(host: Env, store: Path, cache: Path) -> None:
    shutil.copy(pypi_wheel(CERTIFI_NEW), store)
    # Served from a copy unpacked into the cache (the default for a wheel that ships data).
    code = """
        import json, os, wheelhook
        wheelhook.require("certifi==2024.8.30")
        import certifi
        own = os.path.join(os.path.dirname(certifi.__file__), "cacert.pem")
        print(json.dumps([wheelhook.resource_filename(certifi, "cacert.pem"), own]))
    """
    variables = {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(cache)}
    got, own = host.run_json(code, env=variables)
    assert got == own and os.path.isfile(got) and not (cache / "resources").exists()
    # Installed normally (in the test interpreter's environment).
    code = """
        import json, os, wheelhook, _pytest
        print(json.dumps([wheelhook.resource_filename("_pytest", "py.typed"),
                          os.path.join(os.path.dirname(_pytest.__file__), "py.typed")]))
    """
    got, own = host.run_json(code, env=variables)
    assert got == own and os.path.isfile(got)


def test_ok_changed_wheel_new_extraction(host: Env, store: Path, cache: Path) -> None:
    spec = WheelSpec("res", "1.0", {"res/__init__.py": "", "res/data/a.txt": "first\n"})
    build_wheel(spec, store)
    first = resolve(host, store, cache, "res", "res", "data/a.txt")
    spec.files["res/data/a.txt"] = "second\n"
    build_wheel(spec, store)  # replaced under the same name
    second = resolve(host, store, cache, "res", "res", "data/a.txt")
    assert first != second
    assert first.read_text() == "first\n" and second.read_text() == "second\n"
    # A copy changed on disk is verified and written again from the wheel.
    second.write_text("tampered\n")
    assert resolve(host, store, cache, "res", "res", "data/a.txt") == second
    assert second.read_text() == "second\n"
    # `cache clear` removes the copies with the rest of the cache.
    host.run_args("-m", "wheelhook", "cache", "clear", env={"WHEELHOOK_CACHE": str(cache)})
    assert not (cache / "resources").exists()


def test_err_hostile_names_and_missing(host: Env, store: Path, cache: Path) -> None:
    spec = WheelSpec("res", "1.0", {"res/__init__.py": "", "res/a.txt": "a\n"})
    wheel = build_wheel(spec, store)
    code = """
        import json, wheelhook
        wheelhook.require("res")
        out = {}
        for name in ["../res-1.0.dist-info/RECORD", "/etc/passwd", "x/../../y", "a\\\\b", "nope.txt"]:
            try:
                wheelhook.resource_filename("res", name)
            except (ValueError, FileNotFoundError) as e:
                out[name] = [type(e).__name__, str(e)]
        print(json.dumps(out))
    """
    variables = {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(cache), **ARCHIVE}
    out = host.run_json(code, env=variables)
    assert len(out) == 5, out
    for name, (kind, message) in out.items():
        assert kind == ("FileNotFoundError" if name == "nope.txt" else "ValueError")
        assert message.startswith("res: resource ") and repr(name) in message
        assert str(wheel) in message, message
    assert not (cache / "resources").exists()


def test_err_bytes_not_matching_record(host: Env, store: Path, cache: Path) -> None:
    spec = WheelSpec("res", "1.0", {"res/__init__.py": "", "res/a.txt": "a\n"})
    built = build_wheel(spec, store.parent)
    wheel = store / built.name
    with zipfile.ZipFile(built) as src, zipfile.ZipFile(wheel, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, b"not a\n" if info.filename == "res/a.txt" else data)
    code = """
        import json, wheelhook
        wheelhook.require("res")
        try:
            wheelhook.resource_filename("res", "a.txt")
        except ImportError as e:
            print(json.dumps([str(e), e.path]))
    """
    variables = {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(cache), **ARCHIVE}
    message, path = host.run_json(code, env=variables)
    assert message.startswith("res: resource 'a.txt': ") and path == str(wheel)
    assert str(wheel) in message and '"res/a.txt"' in message and "RECORD hash" in message
    assert not any(p.is_file() for p in (cache / "resources").rglob("*"))
