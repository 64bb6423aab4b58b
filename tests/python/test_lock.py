"""Lock files (PEP 751 `pylock.toml`) as the activation spec: `require(lock=...)`, `run --lock`,
`WHEELHOOK_LOCK` and children; every wheel checked against the lock's sha256; the error paths."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT, Env, WheelSpec, build_wheel, pypi_wheel

SHOW = (
    "import json, importlib.metadata as md\nprint(json.dumps({d: md.version(d) for d in NAMES}))\n"
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def package_entry(name: str, version: str, wheel: Path, marker: str | None = None) -> str:
    """One `[[packages]]` table locking `wheel` (by URL, as uv and pip write them)."""
    lines = ["[[packages]]", f'name = "{name}"', f'version = "{version}"']
    if marker is not None:
        lines.append(f"marker = {json.dumps(marker)}")
    lines.append(
        f'wheels = [{{ url = "https://files.example/{wheel.name}", '
        f'size = {wheel.stat().st_size}, hashes = {{ sha256 = "{sha256(wheel)}" }} }}]'
    )
    return "\n".join(lines) + "\n"


def write_lock(path: Path, *entries: str, head: str = "") -> Path:
    path.write_text('lock-version = "1.0"\ncreated-by = "test"\n' + head + "\n".join(entries))
    return path


def store_env(store: Path) -> dict[str, str]:
    return {"WHEELHOOK_PATH": str(store), "WHEELHOOK_CACHE": str(store.parent / "cache")}


@pytest.fixture
def locked(store: Path, tmp_path: Path) -> Path:
    """A store with app 1.0 (which asks for dep>=2), dep 1.0 and dep 2.0, and a lock fixing
    app 1.0 with dep 1.0: a set no resolution would choose, so what activates is the lock's."""
    app = build_wheel(
        WheelSpec("app", "1.0", {"app/__init__.py": "import dep\n"}, requires=["dep>=2"]), store
    )
    dep1 = build_wheel(WheelSpec("dep", "1.0", {"dep.py": "V = 1\n"}), store)
    build_wheel(WheelSpec("dep", "2.0", {"dep.py": "V = 2\n"}), store)
    win = build_wheel(WheelSpec("winonly", "1.0", {"winonly.py": ""}), store)
    return write_lock(
        tmp_path / "pylock.toml",
        package_entry("app", "1.0", app),
        package_entry("dep", "1.0", dep1),
        package_entry("winonly", "1.0", win, marker="sys_platform == 'win32'"),
    )


def test_ok_require_lock_activates_the_locked_set(host: Env, store: Path, locked: Path) -> None:
    code = (
        f"import wheelhook\nNAMES = ['app', 'dep']\n"
        f"got = [(d.name, d.version) for d in wheelhook.require(lock={str(locked)!r})]\n"
        "import app, dep, os\nassert dep.V == 1 and app.dep is dep\n"
        "print(json.dumps({'got': got, 'lock': os.environ['WHEELHOOK_LOCK']}))\n"
    )
    out = host.run_json("import json\n" + code, env=store_env(store))
    assert out == {"got": [["app", "1.0"], ["dep", "1.0"]], "lock": str(locked)}


def test_ok_run_lock_and_environment_reach_children(
    host: Env, store: Path, locked: Path, tmp_path: Path
) -> None:
    script = tmp_path / "prog.py"
    script.write_text(
        "NAMES = ['dep']\n" + SHOW + "import subprocess, sys\n"
        "subprocess.run([sys.executable, '-c', 'import wheelhook, dep; print(dep.V)'], check=True)\n"
    )
    proc = host.run_args(
        "-m", "wheelhook", "run", "--lock", str(locked), str(script), env=store_env(store)
    )
    assert proc.stdout.splitlines() == ['{"dep": "1.0"}', "1"]
    # The variable alone, as a user (or a parent) sets it.
    env = {**store_env(store), "WHEELHOOK_LOCK": str(locked)}
    out = host.run("import wheelhook, dep\nprint(dep.V)\n", env=env)
    assert out.stdout.strip() == "1"


def test_err_missing_and_mismatching_wheels_activate_nothing(
    host: Env, store: Path, locked: Path
) -> None:
    (store / "dep-1.0-py3-none-any.whl").unlink()
    app = store / "app-1.0-py3-none-any.whl"
    locked_sha = sha256(app)
    app.write_bytes(app.read_bytes() + b"\0")  # still a wheel, not the locked one
    code = (
        "import json, wheelhook, sys\n"
        "try:\n"
        f"    wheelhook.require(lock={str(locked)!r})\n"
        "except wheelhook.LockedWheelsMissing as e:\n"
        "    print(json.dumps({'error': str(e), 'active': [d.name for d in wheelhook.active()],\n"
        "                      'import_error': isinstance(e, ImportError)}))\n"
    )
    out = host.run_json(code, env=store_env(store))
    assert out["active"] == [] and out["import_error"]
    lines = out["error"].splitlines()
    assert lines[0] == f"{locked}: 2 of the locked wheels cannot be used:"
    assert lines[1] == (
        f"  app 1.0: wheel {app}: sha256 {sha256(app)} does not match the lock's {locked_sha}"
    )
    assert lines[2] == (
        "  dep 1.0: no wheel in the store for this interpreter (locked: dep-1.0-py3-none-any.whl)"
    )
    assert lines[3] == f"fetch them with: python -m wheelhook add -r {locked}"


ENTRY = '[[packages]]\nname = "six"\nversion = "1.16.0"\n'
WHEEL = '{ url = "https://files.example/six-1.16.0-py2.py3-none-any.whl"'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('lock-version = "1.0"\n[[packages]\n', "invalid TOML: "),
        ('lock-version = "2.0"\n', 'lock-version "2.0" is not supported (1.x expected)'),
        (
            f'lock-version = "1.0"\n{ENTRY}wheels = [{WHEEL} }}]\n',
            '[[packages]] entry 1 (six): wheel "six-1.16.0-py2.py3-none-any.whl" has no sha256 hash',
        ),
        (
            f'lock-version = "1.0"\n{ENTRY}\n[[packages]]\nname = "Six"\nversion = "1.15.0"\n',
            "[[packages]] entries 1 (six 1.16.0) and 2 (six 1.15.0) are both selected for this "
            "interpreter",
        ),
        (
            'lock-version = "1.0"\nrequires-python = "<3"\n',
            "requires Python <3, this is ",
        ),
    ],
    ids=["toml-syntax", "lock-version", "no-hash", "conflict", "requires-python"],
)
def test_err_malformed_locks_name_the_file_and_the_entry(
    host: Env, store: Path, tmp_path: Path, text: str, message: str
) -> None:
    lock = tmp_path / "pylock.toml"
    lock.write_text(text)
    code = (
        "import json, wheelhook\n"
        "try:\n"
        f"    wheelhook.require(lock={str(lock)!r})\n"
        "except wheelhook.InvalidLock as e:\n"
        "    print(json.dumps([str(e), isinstance(e, ValueError)]))\n"
    )
    error, is_value_error = host.run_json(code, env=store_env(store))
    assert is_value_error
    assert error.startswith(f"{lock}: {message}"), error
    # The command line says the same, exit 2 (bad input).
    proc = host.run_args(
        "-m",
        "wheelhook",
        "run",
        "--lock",
        str(lock),
        "-c",
        "pass",
        env=store_env(store),
        check=False,
    )
    assert proc.returncode == 2 and f"{lock}: {message}" in proc.stderr, proc.stderr


def test_ok_real_wheel_and_installed_default(six_env: Env, store: Path, tmp_path: Path) -> None:
    """six 1.15.0 from PyPI, locked by hash, in a venv where six 1.16.0 is installed: the lock's
    wheel is what imports; a lock of the installed version uses the installation."""
    old = pypi_wheel("six==1.15.0")
    (store / old.name).write_bytes(old.read_bytes())
    lock = write_lock(tmp_path / "pylock.toml", package_entry("six", "1.15.0", store / old.name))
    code = (
        "import json, wheelhook\n"
        f"wheelhook.require(lock={str(lock)!r})\n"
        "import six\nprint(json.dumps([six.__version__, six.__file__]))\n"
    )
    version, file = six_env.run_json(code, env=store_env(store))
    assert version == "1.15.0" and old.name in file
    installed = pypi_wheel("six==1.16.0")
    lock = write_lock(tmp_path / "pylock.toml", package_entry("six", "1.16.0", installed))
    code = (
        "import json, wheelhook\n"
        f"[d] = wheelhook.require(lock={str(lock)!r})\n"
        "import six\nprint(json.dumps([six.__version__, d.kind]))\n"
    )
    assert six_env.run_json(code, env=store_env(store)) == ["1.16.0", "default"]


def test_ok_add_fetches_exactly_the_locked_wheels(host: Env, tmp_path: Path) -> None:
    """`add -r pylock.toml`: a locked path is copied, a name and version fetched by pip (here
    from a local wheelhouse), each checked against the lock; once all are in the store, `add`
    does nothing and needs no index (an unreachable one is given)."""
    house = tmp_path / "wheelhouse"
    house.mkdir()
    a = build_wheel(WheelSpec("alpha", "1.0", {"alpha.py": "A = 1\n"}), house)
    b = build_wheel(WheelSpec("beta", "2.0", {"beta.py": "B = 2\n"}), house)
    build_wheel(WheelSpec("beta", "3.0", {"beta.py": "B = 3\n"}), house)
    b_entry = package_entry("beta", "2.0", b).replace(
        f'url = "https://files.example/{b.name}", ', ""
    )
    lock = write_lock(
        tmp_path / "pylock.toml",
        package_entry("alpha", "1.0", a).replace(
            f'url = "https://files.example/{a.name}"', f'path = "wheelhouse/{a.name}"'
        ),
        b_entry.replace("wheels = [{ ", f'wheels = [{{ name = "{b.name}", '),
    )
    store = tmp_path / "store"
    env = store_env(store)
    add = ["-m", "wheelhook", "add", "--store", str(store), "-r", str(lock)]
    proc = host.run_args(*add, "--no-index", "--find-links", str(house), env=env)
    assert sorted(p.name for p in store.glob("*.whl")) == [a.name, b.name]
    assert "added alpha 1.0" in proc.stdout and "added beta 2.0" in proc.stdout
    proc = host.run_args(*add, "--index-url", "http://127.0.0.1:9/simple", env=env)
    assert proc.stdout == "" and "all 2 locked distributions are in the store" in proc.stderr
    out = host.run(
        "import wheelhook, beta\nprint(beta.B)\n", env={**env, "WHEELHOOK_LOCK": str(lock)}
    )
    assert out.stdout.strip() == "2"


def test_err_add_refuses_a_wheel_the_lock_does_not_hash(host: Env, tmp_path: Path) -> None:
    house = tmp_path / "wheelhouse"
    house.mkdir()
    a = build_wheel(WheelSpec("alpha", "1.0", {"alpha.py": ""}), house)
    lock = write_lock(
        tmp_path / "pylock.toml",
        package_entry("alpha", "1.0", a).replace(
            f'url = "https://files.example/{a.name}"', f'path = "wheelhouse/{a.name}"'
        ),
    )
    build_wheel(WheelSpec("alpha", "1.0", {"alpha.py": "changed = True\n"}), house)
    store = tmp_path / "store"
    proc = host.run_args(
        "-m",
        "wheelhook",
        "add",
        "--store",
        str(store),
        "--lock",
        str(lock),
        env=store_env(store),
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert f"{a.name}: sha256 {sha256(a)} does not match {lock}'s " in proc.stderr
    assert not list(store.glob("*.whl"))


def uv() -> str:
    """The uv of the tools environment (pinned by scripts/lock/tools.txt)."""
    found = shutil.which("uv") or str(ROOT / ".venv-test" / "bin" / "uv")
    assert os.path.exists(found), "uv is missing: run scripts/test.sh (it installs the tools)"
    return found


def installed_versions(python: Path, names: list[str]) -> dict[str, str]:
    code = (
        "import json, sys, importlib.metadata as md\n"
        "print(json.dumps({n: md.version(n) for n in sys.argv[1:]}))\n"
    )
    out = subprocess.run(
        [str(python), "-c", code, *names], check=True, capture_output=True, text=True
    )
    return dict(json.loads(out.stdout))


def uv_sync(tmp_path: Path, lock: Path) -> Path:
    """A venv of this interpreter that `uv pip sync` makes exactly what `lock` says."""
    venv_dir = tmp_path / "uv-venv"
    subprocess.run([uv(), "venv", "-q", "--python", sys.executable, str(venv_dir)], check=True)
    python = venv_dir / "bin" / "python"
    subprocess.run(
        [
            uv(),
            "pip",
            "sync",
            "-q",
            "--preview-features",
            "pylock",
            "--python",
            str(python),
            str(lock),
        ],
        check=True,
    )
    return python


def activated_versions(host: Env, store: Path, lock: Path, names: list[str]) -> dict[str, str]:
    code = (
        "import json, sys, importlib, importlib.metadata as md, wheelhook\n"
        f"active = {{d.name: d.version for d in wheelhook.require(lock={str(lock)!r})}}\n"
        f"names = {names!r}\n"
        "assert all(md.version(n) == active[n] for n in names), active\n"
        "print(json.dumps({n: active[n] for n in names}))\n"
    )
    return dict(host.run_json(code, env=store_env(store)))


def test_ok_lock_writes_pep751_that_round_trips(host: Env, store: Path, tmp_path: Path) -> None:
    """`wheelhook lock` writes what packaging's reference parser accepts, and activating it
    gives the resolution's versions; `lock --script` locks a PEP 723 block for `run --lock`."""
    build_wheel(WheelSpec("app", "1.0", {"app.py": ""}, requires=["dep<2"]), store)
    for v in ("1.0", "1.5", "2.0"):
        build_wheel(WheelSpec("dep", v, {"dep.py": f"V = {v!r}\n"}), store)
    lock = tmp_path / "pylock.toml"
    host.run_args("-m", "wheelhook", "lock", "app", "-o", str(lock), env=store_env(store))
    from packaging.pylock import Pylock
    from wheelhook._native import parse_toml

    parsed = Pylock.from_dict(parse_toml(lock.read_text()))
    assert parsed.created_by == "wheelhook"
    assert [(p.name, str(p.version)) for p in parsed.packages] == [("app", "1.0"), ("dep", "1.5")]
    wheel = parsed.packages[1].wheels[0]  # type: ignore[index]
    assert wheel.hashes == {"sha256": sha256(store / "dep-1.5-py3-none-any.whl")}
    assert activated_versions(host, store, lock, ["app", "dep"]) == {"app": "1.0", "dep": "1.5"}
    script = tmp_path / "tool.py"
    script.write_text(
        '# /// script\n# dependencies = ["dep>1,<2"]\n# ///\nimport dep\nprint(dep.V)\n'
    )
    host.run_args("-m", "wheelhook", "lock", "--script", str(script), env=store_env(store))
    written = tmp_path / "pylock.tool.toml"
    assert "dep-1.5-py3-none-any.whl" in written.read_text()
    # The store gains a newer dep: a resolution would change, the lock does not.
    build_wheel(WheelSpec("dep", "1.9", {"dep.py": "V = '1.9'\n"}), store)
    proc = host.run_args(
        "-m", "wheelhook", "run", "--lock", str(written), str(script), env=store_env(store)
    )
    assert proc.stdout.strip() == "1.5"


#: A real requirement set, pinned with its closure: charset-normalizer and markupsafe ship
#: compiled extensions.
PINNED = {
    "requests": "2.32.3",
    "certifi": "2024.8.30",
    "charset-normalizer": "3.4.0",
    "idna": "3.10",
    "urllib3": "2.2.3",
    "six": "1.16.0",
    "markupsafe": "3.0.2",
}


def lock_with(producer: str, reqs: Path, lock: Path) -> None:
    """`reqs` locked for this interpreter by `uv pip compile` or `pip lock`."""
    if producer == "uv":
        cmd = [uv(), "pip", "compile", "-q", "--format", "pylock.toml", "--python", sys.executable]
    else:
        cmd = [sys.executable, "-m", "pip", "lock", "-q", "-r"]
    subprocess.run([*cmd, str(reqs), "-o", str(lock)], check=True)


@pytest.mark.parametrize("producer", ["uv", "pip"])
def test_differential_lock_activates_as_uv_pip_sync_installs(
    host: Env, store: Path, tmp_path: Path, producer: str
) -> None:
    """A pylock.toml written by `uv pip compile` or `pip lock`: `uv pip sync` installs a venv
    from it, and wheelhook (`add -r`, then activation) imports exactly the same versions,
    hash-checked."""
    reqs = tmp_path / "requirements.in"
    reqs.write_text("".join(f"{n}=={v}\n" for n, v in PINNED.items()))
    lock = tmp_path / "pylock.toml"
    lock_with(producer, reqs, lock)
    assert f'created-by = "{producer}"' in lock.read_text()
    names = sorted(PINNED)
    synced = installed_versions(uv_sync(tmp_path, lock), names)
    assert synced == PINNED
    host.run_args(
        "-m", "wheelhook", "add", "--store", str(store), "-r", str(lock), env=store_env(store)
    )
    assert activated_versions(host, store, lock, names) == synced
    code = (
        "import json, wheelhook\n"
        f"wheelhook.require(lock={str(lock)!r})\n"
        "import markupsafe._speedups as s, requests\n"
        "print(json.dumps([s.__file__, requests.get.__module__]))\n"
    )
    speedups, module = host.run_json(code, env=store_env(store))
    assert speedups.endswith(".so") and module == "requests.api"


def test_differential_wheelhook_lock_syncs_with_uv(host: Env, store: Path, tmp_path: Path) -> None:
    """A lock wheelhook writes from real wheels installs with `uv pip sync` to the versions it
    activates."""
    for pin in ("six==1.16.0", "markupsafe==3.0.2"):
        wheel = pypi_wheel(pin)
        shutil.copyfile(wheel, store / wheel.name)
    lock = tmp_path / "pylock.toml"
    host.run_args(
        "-m", "wheelhook", "lock", "six", "markupsafe", "-o", str(lock), env=store_env(store)
    )
    names = ["markupsafe", "six"]
    activated = activated_versions(host, store, lock, names)
    assert activated == {"markupsafe": "3.0.2", "six": "1.16.0"}
    assert installed_versions(uv_sync(tmp_path, lock), names) == activated


def test_ok_digests_are_remembered_and_cleared(
    host: Env, store: Path, locked: Path, tmp_path: Path
) -> None:
    """Each locked wheel is hashed once its file has settled, then recalled by its stamp;
    `cache info` counts those entries and `cache clear` forgets them. The activation itself is
    remembered like a resolution: the next start neither parses the lock nor hashes."""
    import time

    env = store_env(store)
    # The program's directory is searched (`sys.path[0]`), so it is made before the pause too.
    script = tmp_path / "program" / "start.py"
    script.parent.mkdir()
    script.write_text(
        f"import wheelhook\nwheelhook.require(lock={str(locked)!r})\n"
        "print(wheelhook.finder().stats()['activation_hits'])\n"
    )
    time.sleep(2.1)  # a file changed within the last two seconds is never remembered
    assert host.run_args(str(script), env=env).stdout.strip() == "0"
    cache_env = {"WHEELHOOK_CACHE": env["WHEELHOOK_CACHE"]}
    info = host.run_args("-m", "wheelhook", "cache", "info", "--json", env=cache_env)
    assert json.loads(info.stdout)["kinds"]["lock-digests"]["entries"] == 2  # app and dep
    assert host.run_args(str(script), env=env).stdout.strip() == "1"
    # The lock changes (here: a package removed from it): the entry no longer applies.
    locked.write_text(locked.read_text().split('[[packages]]\nname = "winonly"')[0])
    assert host.run_args(str(script), env=env).stdout.strip() == "0"
    host.run_args("-m", "wheelhook", "cache", "clear", env=cache_env)
    assert not (Path(env["WHEELHOOK_CACHE"]) / "lock-digests").exists()
