"""`importlib.resources` over packages served from wheels: files(), as_file, the legacy API.

Each program runs in the test interpreter; the interpreters named by path in
`WHEELHOOK_TEST_PYTHONS` (separated by os.pathsep or spaces, 3.9+) run them too, each in a fresh
venv with wheelhook. A bare version there (`3.9`) is an entry of the test command's matrix, which
runs this whole suite under that interpreter already.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from helpers import Env, WheelSpec, new_env

RES_FILES: dict[str, bytes | str] = {
    "res/__init__.py": "",
    "res/mod.py": "X = 1\n",
    "res/a.txt": "hello A\n",
    "res/data/y.bin": b"\x00\x01\xff",
    "res/data/sub/x.txt": "deep x\n",
    "res/data/sub/more/z.txt": "zed\n",
}


class Interpreter(Env):
    """A venv of another interpreter (wheelhook installed), or the test interpreter itself."""

    own: bool = False

    @property
    def python(self) -> Path:
        return Path(sys.executable) if self.own else self.root / "bin" / "python"

    def version(self) -> tuple[int, int]:
        out = self.run_args("-c", "import sys; print(*sys.version_info[:2])")
        major, minor = out.stdout.split()
        return int(major), int(minor)


def _extra_pythons() -> list[str]:
    entries = os.environ.get("WHEELHOOK_TEST_PYTHONS", "").replace(os.pathsep, " ").split()
    return [entry for entry in entries if os.sep in entry]


@pytest.fixture(scope="session")
def _venvs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Interpreter]:
    return {}


@pytest.fixture(params=["host", *_extra_pythons()])
def interp(
    request: pytest.FixtureRequest,
    _venvs: dict[str, Interpreter],
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
) -> Interpreter:
    key: str = request.param
    if key == "host":
        env = Interpreter(tmp_path)
        env.own = True
        return env
    if key not in _venvs:
        _venvs[key] = Interpreter(new_env(tmp_path_factory.mktemp("interp"), python=key).root)
    return Interpreter(_venvs[key].root)


#: These wheels ship data files, so they would be served unpacked: the adapter over the archive
#: is what is tested here.
ARCHIVE = {"WHEELHOOK_UNPACK": "-*"}


def run_json(env: Env, code: str, store: Path, **extra: str) -> dict[str, object]:
    variables = {"WHEELHOOK_PATH": str(store), "PYTHONWARNINGS": "ignore", **ARCHIVE, **extra}
    result: dict[str, object] = env.run_json(code, env=variables)
    return result


TRAVERSE = """
    import json, sys
    import wheelhook
    wheelhook.require("res==1.0")
    from importlib.resources import files, as_file
    root = files("res")
    new = sys.version_info >= (3, 10)   # 3.9's files() is zipfile.Path: one part per joinpath
    deep = root.joinpath("data", "sub", "x.txt") if new else root.joinpath("data/sub/x.txt")
    with (root / "a.txt").open("r") as f:
        text = f.read()
    with (root / "data" / "y.bin").open("rb") as f:
        raw = f.read()
    with as_file(root / "data" / "y.bin") as real:
        real_bytes = real.read_bytes()
        real_is_file = real.is_file()
    print(json.dumps({
        "where": str(root),
        "listing": sorted(p.name for p in root.iterdir()),
        "data": sorted(p.name for p in (root / "data").iterdir()),
        "deep": deep.read_text(),
        "deep_name": deep.name,
        "text": text,
        "raw": list(raw),
        "read_bytes": list((root / "data" / "y.bin").read_bytes()),
        "a_file": (root / "a.txt").is_file(), "a_dir": (root / "a.txt").is_dir(),
        "data_file": (root / "data").is_file(), "data_dir": (root / "data").is_dir(),
        # 3.9's zipfile.Path says is_file() for any name that is not a directory.
        "missing": new and ((root / "nope.txt").is_file() or (root / "nope.txt").is_dir()),
        "as_file": [list(real_bytes), real_is_file],
        "gone": real.exists(),
    }))
"""


@pytest.mark.parametrize("with_dirs", [False, True], ids=["no-dir-entries", "dir-entries"])
def test_files_traverses_the_archive(
    interp: Interpreter, make_wheel, store: Path, with_dirs: bool
) -> None:
    wheel = make_wheel(WheelSpec("res", "1.0", RES_FILES, with_dirs=with_dirs))
    got = run_json(interp, TRAVERSE, store)
    assert got["where"] == f"{wheel}/res" or got["where"] == f"{wheel}/res/"
    assert got["listing"] == ["__init__.py", "a.txt", "data", "mod.py"]
    assert got["data"] == ["sub", "y.bin"]
    assert got["deep"] == "deep x\n"
    assert got["deep_name"] == "x.txt"
    assert got["text"] == "hello A\n"
    assert got["raw"] == got["read_bytes"] == [0, 1, 255]
    assert (got["a_file"], got["a_dir"]) == (True, False)
    assert (got["data_file"], got["data_dir"]) == (False, True)
    assert got["missing"] is False
    assert got["as_file"] == [[0, 1, 255], True]
    assert got["gone"] is False, "as_file's temporary copy outlived the with block"


AS_FILE_DIR = """
    import json, os
    import wheelhook
    wheelhook.require("res==1.0")
    from importlib.resources import files, as_file
    with as_file(files("res") / "data") as d:
        tree = sorted(
            os.path.relpath(os.path.join(top, f), d)
            for top, _, names in os.walk(d) for f in names
        )
        z = (d / "sub" / "more" / "z.txt").read_text()
    print(json.dumps({"tree": tree, "z": z, "gone": d.exists()}))
"""


def test_as_file_copies_a_directory_on_3_12(interp: Interpreter, make_wheel, store: Path) -> None:
    if interp.version() < (3, 12):
        pytest.skip("as_file accepts directories from Python 3.12")
    make_wheel(WheelSpec("res", "1.0", RES_FILES))
    got = run_json(interp, AS_FILE_DIR, store)
    assert got["tree"] == ["sub/more/z.txt", "sub/x.txt", "y.bin"]
    assert got["z"] == "zed\n"
    assert got["gone"] is False


LEGACY = """
    import json, sys
    import wheelhook
    wheelhook.require("res==1.0")
    import importlib.resources as r
    with r.open_binary("res", "a.txt") as f:
        ob = f.read()
    with r.open_text("res", "a.txt") as f:
        ot = f.read()
    with r.path("res", "a.txt") as p:
        via_path = p.read_text()
    try:
        r.read_text("res", "nope.txt")
        missing = "no error"
    except FileNotFoundError:
        missing = "FileNotFoundError"
    print(json.dumps({
        "open_binary": ob.decode(), "open_text": ot,
        "read_binary": r.read_binary("res", "a.txt").decode(),
        "read_text": r.read_text("res", "a.txt"),
        "contents": sorted(r.contents("res")),
        "is_resource": [r.is_resource("res", "a.txt"), r.is_resource("res", "data"),
                        r.is_resource("res", "nope.txt")],
        "path": via_path, "path_gone": p.exists(),
        "missing": missing,
    }))
"""


def test_legacy_functions(interp: Interpreter, make_wheel, store: Path) -> None:
    make_wheel(WheelSpec("res", "1.0", RES_FILES))
    got = run_json(interp, LEGACY, store)
    assert got["open_binary"] == got["open_text"] == "hello A\n"
    assert got["read_binary"] == got["read_text"] == "hello A\n"
    assert got["contents"] == ["__init__.py", "a.txt", "data", "mod.py"]
    assert got["is_resource"] == [True, False, False]
    assert got["path"] == "hello A\n"
    assert got["path_gone"] is False
    assert got["missing"] == "FileNotFoundError"


PLAIN_DIR = """
    import json
    import wheelhook
    wheelhook.require("res==1.0")
    from importlib.resources import files
    sub = files("res.data.sub")
    print(json.dumps({
        "listing": sorted(p.name for p in sub.iterdir()),
        "x": (sub / "x.txt").read_text(),
        "z": (sub / "more" / "z.txt").read_text(),
    }))
"""


def test_resources_in_a_plain_directory_inside_a_package(
    interp: Interpreter, make_wheel, store: Path
) -> None:
    if interp.version() < (3, 10):
        pytest.skip("3.9's files() needs a module origin; a directory without __init__ has none")
    make_wheel(WheelSpec("res", "1.0", RES_FILES))
    got = run_json(interp, PLAIN_DIR, store)
    assert got == {"listing": ["more", "x.txt"], "x": "deep x\n", "z": "zed\n"}


NAMESPACE = """
    import json
    import wheelhook
    wheelhook.require("nsa", "nsb")
    from importlib.resources import files, as_file
    ns = files("ns")
    shared = ns / "shared"
    print(json.dumps({
        "listing": sorted(p.name for p in ns.iterdir()),
        "shared": sorted(p.name for p in shared.iterdir()),
        "one": (shared / "one.txt").read_text(),
        "two": (ns / "shared" / "two.txt").read_text(),
        "joined": ns.joinpath("shared", "two.txt").read_text(),
        "top_a": (ns / "top_a.txt").read_text(),
        "disk": (ns / "disk.txt").read_text() if (ns / "disk.txt").is_file() else None,
        "a_data": files("ns.a").joinpath("a.txt").read_text(),
        "is_dir": [ns.is_dir(), shared.is_dir(), (shared / "one.txt").is_file()],
    }))
"""


@pytest.mark.parametrize("with_dirs", [False, True], ids=["no-dir-entries", "dir-entries"])
def test_namespace_package_spanning_wheels_and_a_directory(
    interp: Interpreter, make_wheel, store: Path, tmp_path: Path, with_dirs: bool
) -> None:
    if interp.version() < (3, 10):
        pytest.skip("3.9's files() does not support namespace packages")
    make_wheel(
        WheelSpec(
            "nsa",
            "1.0",
            {
                "ns/a/__init__.py": "",
                "ns/a/a.txt": "in a\n",
                "ns/shared/one.txt": "one\n",
                "ns/top_a.txt": "ta\n",
            },
            with_dirs=with_dirs,
        )
    )
    make_wheel(
        WheelSpec(
            "nsb",
            "1.0",
            {"ns/b/__init__.py": "", "ns/shared/two.txt": "two\n"},
            with_dirs=with_dirs,
        )
    )
    disk = tmp_path / "disk"
    (disk / "ns" / "c").mkdir(parents=True)
    (disk / "ns" / "c" / "__init__.py").write_text("")
    (disk / "ns" / "disk.txt").write_text("on disk\n")
    got = run_json(interp, NAMESPACE, store, PYTHONPATH=str(disk))
    assert got["listing"] == ["a", "b", "c", "disk.txt", "shared", "top_a.txt"]
    assert got["shared"] == ["one.txt", "two.txt"]
    assert (got["one"], got["two"], got["joined"]) == ("one\n", "two\n", "two\n")
    assert got["top_a"] == "ta\n"
    assert got["disk"] == "on disk\n"
    assert got["a_data"] == "in a\n"
    assert got["is_dir"] == [True, True, True]


def test_read_only(host: Env, make_wheel, store: Path) -> None:
    make_wheel(WheelSpec("res", "1.0", RES_FILES))
    out = host.run(
        """
        import wheelhook
        wheelhook.require("res==1.0")
        from importlib.resources import files
        try:
            (files("res") / "a.txt").open("w")
        except ValueError as e:
            print(e)
        """,
        env={"WHEELHOOK_PATH": str(store), **ARCHIVE},
    )
    if sys.version_info < (3, 10):
        # Python 3.9's `files()` never asks the loader's reader: it opens the archive named by
        # `loader.archive` with `zipfile.Path` (as for zipimport), read-only as well.
        assert "write() requires mode" in out.stdout
    else:
        assert "read-only" in out.stdout
        assert "res-1.0-py3-none-any.whl/res/a.txt" in out.stdout
