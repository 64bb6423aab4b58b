"""The command line: `python -m wheelhook COMMAND` (also the `wheelhook` script)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass

from wheelhook import _drop, _native
from wheelhook._argv import split_own
from wheelhook.errors import ResolutionError, UsageError, WheelhookError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from wheelhook import _publish

EXIT_OK, EXIT_RESOLUTION, EXIT_BAD_INPUT = 0, 1, 2


def _say(message: str) -> None:
    """Progress and notes go to stderr, so stdout stays the command's answer."""
    print(message, file=sys.stderr, flush=True)


def _dump(value: object) -> None:
    print(json.dumps(value, indent=2))


_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def _size(text: str) -> int:
    """A byte count for the size-limit options: digits with an optional binary unit.
    Ex) `1073741824`, `512M`, `8G`, `8GiB`"""
    value = text.strip().upper()
    for tail in ("IB", "B"):
        if value.endswith(tail) and value[: -len(tail)][-1:].isalpha():
            value = value[: -len(tail)]
            break
    unit = value[-1:] if value[-1:].isalpha() else ""
    digits = value[: len(value) - len(unit)]
    if unit not in _UNITS or not digits.isdigit():
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a size (a number of bytes, or with a unit: 512M, 8G)"
        )
    return int(digits) * _UNITS[unit]


def _limits(args: argparse.Namespace) -> dict[str, int]:
    """The size limits given on the command line, as `inspect_wheel` keywords."""
    out: dict[str, int] = {}
    if args.max_member_size is not None:
        out["max_member_size"] = args.max_member_size
    if args.max_total_size is not None:
        out["max_total_size"] = args.max_total_size
    return out


def _cmd_drop(args: argparse.Namespace) -> int:
    store = args.store or _drop.default_store()
    if args.compile:  # before anything is dropped
        from wheelhook import _publish

        _drop.writable_store(store)
        _publish.check_publisher(store)
    dropped: list[str] = []
    for wheel in args.wheels:
        # With --compile, the published code serves this interpreter: no private copy.
        place = _drop.place if args.compile else _drop.drop
        info = place(wheel, store, **_limits(args))
        done = "dropped" if info["stored"] == "added" else "already in the store:"
        print(f"{done} {info['name']} {info['version']} -> {info['path']}")
        dropped.append(info["path"])
    if args.compile:
        return _report_published(_publish.publish(dropped, [], [sys.flags.optimize]), False)
    return EXIT_OK


def _wheels_in(dirs: Sequence[str]) -> list[str]:
    """The `*.whl` files directly in `dirs`, in order."""
    wheels: list[str] = []
    for d in dirs:
        try:
            wheels.extend(os.path.join(d, n) for n in sorted(os.listdir(d)) if n.endswith(".whl"))
        except OSError:
            continue
    return wheels


def _cmd_compile(args: argparse.Namespace) -> int:
    from wheelhook import _publish

    dirs = [args.store] if args.store else _native.store_dirs()
    wheels: list[str] = []
    for spec in args.wheels:
        if os.path.isfile(spec):
            wheels.append(spec)
            continue
        found = [os.path.join(d, spec) for d in dirs if os.path.isfile(os.path.join(d, spec))]
        if not found:
            raise UsageError(f"{spec}: no such wheel (looked in {os.pathsep.join(dirs)}).")
        wheels.extend(found)
    if not args.wheels:
        wheels = _wheels_in(dirs)
        if not wheels:
            raise UsageError(f"No wheel to compile in {os.pathsep.join(dirs)}.")
    levels = sorted(set(args.optimize)) if args.optimize else [sys.flags.optimize]
    written = _publish.publish(wheels, args.python, levels, force=args.force)
    return _report_published(written, json_out=args.json)


def _report_published(written: Sequence[_publish.Written], json_out: bool) -> int:
    """What `compile` wrote: one line per pack on stdout, the summary on stderr; exit 2 when a
    wheel could not be read (the others are compiled all the same)."""
    failed = [w for w in written if w.failed]
    if json_out:
        _dump([w.row() for w in written])
        return EXIT_BAD_INPUT if failed else EXIT_OK
    for w in written:
        if w.failed:
            print(f"FAILED  {w.wheel}: {w.failed}")
        elif w.kind == "unpacked copy":
            print(f"unpacked copy: {w.pack}")
        elif w.note == "up to date":
            print(f"up to date: {w.pack}")
        elif w.note:
            print(f"{w.note}: {w.wheel} ({w.python})")
        else:
            print(f"wrote {w.pack}: {w.modules} modules, {w.bytes} bytes")
        for skipped in w.skipped:
            print(f"  skipped {skipped['member']}: {skipped['error']}")
    packs = [w for w in written if not (w.note or w.failed) and w.kind == "pack"]
    copies = sum(w.kind == "unpacked copy" and not w.failed for w in written)
    skipped_count = sum(len(w.skipped) for w in written)
    current = sum(w.note == "up to date" for w in written)
    _say(
        f"{len(packs)} pack(s) written, {sum(w.modules for w in packs)} modules, "
        f"{sum(w.bytes for w in packs)} bytes; {current} up to date; "
        f"{copies} unpacked {'copy' if copies == 1 else 'copies'} published; "
        f"{skipped_count} module(s) did not compile"
        + (f"; {len(failed)} wheel(s) could not be read" if failed else "")
    )
    return EXIT_BAD_INPUT if failed else EXIT_OK


def _pip_index_options(args: argparse.Namespace) -> list[str]:
    """`--index-url`, `--find-links` and `--no-index` as given to `add`, for pip."""
    options: list[str] = []
    if args.index_url:
        options += ["--index-url", args.index_url]
    for link in args.find_links:
        options += ["--find-links", link]
    if args.no_index:
        options.append("--no-index")
    return options


def _cmd_add(args: argparse.Namespace) -> int:
    import tempfile

    store = args.store or _drop.default_store()
    from wheelhook import _lock

    locks = [*args.locks, *(f for f in args.requirement_files if _lock.is_lock_file(f))]
    if locks:
        return _add_locks(args, locks, store)
    reqs: list[str] = []
    for r in args.requirements:
        reqs.extend(_native.requirement_lines(r))
    for f in args.requirement_files:
        try:
            with open(f, encoding="utf-8") as fh:
                lines = fh.read()
        except OSError as exc:
            raise UsageError(f"{f}: cannot read the requirements file: {exc.strerror}.") from None
        reqs.extend(_native.requirement_lines(lines))
    if not reqs:
        raise UsageError("add needs at least one requirement (REQ or -r FILE).")
    with tempfile.TemporaryDirectory(prefix="wheelhook-add-") as tmp:
        _say(f"fetching {len(reqs)} requirement(s) and their dependencies with pip ...")
        returncode = _drop.pip_download(tmp, reqs, _pip_index_options(args), deps=True)
        if returncode != 0:
            raise ResolutionError(
                f"pip download failed (exit {returncode}) for {', '.join(reqs)}: see pip's "
                "message above. Nothing was added to the store."
            )
        wheels = sorted(os.path.join(tmp, n) for n in os.listdir(tmp) if n.endswith(".whl"))
        # Validate everything before the first copy, so a bad download adds nothing.
        for wheel in wheels:
            _native.inspect_wheel(wheel, **_limits(args))
        for i, wheel in enumerate(wheels, 1):
            _say(f"[{i}/{len(wheels)}] dropping {os.path.basename(wheel)}")
            info = _drop.drop(wheel, store, **_limits(args))
            done = "added" if info["stored"] == "added" else "already in the store:"
            print(f"{done} {info['name']} {info['version']} -> {info['path']}")
    return EXIT_OK


def _add_locks(args: argparse.Namespace, locks: list[str], store: str) -> int:
    """`add -r pylock.toml` / `add --lock pylock.toml`: exactly the locked wheels."""
    from wheelhook import _lock

    if args.requirements or len(locks) != len(args.locks) + len(args.requirement_files):
        raise UsageError("add takes lock files alone (no other requirements with them).")
    pip_options = _pip_index_options(args)
    for lock in locks:
        for info in _lock.fetch(lock, store, pip_options, _limits(args), _say):
            print(f"added {info['name']} {info['version']} -> {info['path']}")
    return EXIT_OK


def _cmd_remove(args: argparse.Namespace) -> int:
    dirs = [args.store] if args.store else _native.store_dirs()
    targets: list[str] = []
    for spec in args.targets:
        if spec.endswith(".whl"):
            if os.sep in spec or (os.altsep and os.altsep in spec):
                found = [spec] if os.path.isfile(spec) else []
            else:
                found = [
                    os.path.join(d, spec) for d in dirs if os.path.isfile(os.path.join(d, spec))
                ]
        else:
            name, sep, version = spec.partition("==")
            if not sep or not name.strip() or not version.strip():
                raise UsageError(f'"{spec}" is neither NAME==VERSION nor a wheel file name.')
            found = _drop.find_wheels(dirs, name.strip(), version.strip())
        if not found:
            raise UsageError(f"No wheel matches {spec} in {os.pathsep.join(dirs)}.")
        targets.extend(found)
    for path in targets:
        _drop.remove(path)
        print(f"removed {path}")
    return EXIT_OK


def _cmd_list(args: argparse.Namespace) -> int:
    candidates, rejected = _native.scan(_native.store_dirs(), _native.default_dirs())
    if args.name:
        from wheelhook._names import normalize

        wanted = normalize(args.name)
        candidates = [c for c in candidates if c["name"] == wanted]
        rejected = [r for r in rejected if r["name"] == wanted]
    if args.json:
        _dump({"candidates": candidates, "rejected": rejected})
        return EXIT_OK
    for c in candidates:
        print(f"{c['name']:30} {c['version']:15} {c['kind']:8} {c['path']}")
    for r in rejected:
        print(f"{r['name']:30} {r['version'] or '?':15} {'skipped':8} {r['path']}: {r['reason']}")
    if not candidates and not rejected:
        _say("nothing found" + (f" for {args.name}" if args.name else ""))
    return EXIT_OK


def _cmd_resolve(args: argparse.Namespace) -> int:
    finder = _native.Finder()  # a private finder: resolving here activates nothing
    reqs: list[str] = []
    for r in args.requirements:
        reqs.extend(_native.requirement_lines(r))
    result = finder.require(reqs, _native.store_dirs(), _native.default_dirs())
    if args.json:
        _dump(
            [{"name": d.name, "version": d.version, "kind": d.kind, "path": d.path} for d in result]
        )
    else:
        for d in result:
            print(f"{d.name}=={d.version}  ({d.kind}: {d.path})")
    return EXIT_OK


def _cmd_lock(args: argparse.Namespace) -> int:
    from wheelhook import _lock, _pep723

    reqs: list[str] = []
    for r in args.requirements:
        reqs.extend(_native.requirement_lines(r))
    if args.script is not None:
        reqs.extend(_pep723.script_requirements(args.script))
    if not reqs:
        raise UsageError("lock needs requirements (REQ or --script FILE).")
    out = args.output or "pylock.toml"
    if args.output is None and args.script is not None:
        stem = os.path.splitext(os.path.basename(args.script))[0]
        out = os.path.join(os.path.dirname(args.script), f"pylock.{stem}.toml")
    result = _lock.write(reqs, out)
    _say(f"locked {len(result)} distribution(s) in {out}")
    return EXIT_OK


def _cmd_verify(args: argparse.Namespace) -> int:
    if args.wheels:
        wheels = list(args.wheels)
    else:
        wheels = []
        for d in _native.store_dirs():
            try:
                wheels.extend(
                    os.path.join(d, n) for n in sorted(os.listdir(d)) if n.endswith(".whl")
                )
            except OSError:
                continue
    rows: list[dict[str, object]] = []
    for wheel in wheels:
        try:
            if not os.path.isfile(wheel):
                raise UsageError(f"{wheel}: no such file")
            info = _native.inspect_wheel(wheel, **_limits(args))
            rows.append(
                {"path": wheel, "ok": True, "name": info["name"], "version": info["version"]}
            )
        except ValueError as exc:  # InvalidWheel, or a filename that does not parse
            rows.append({"path": wheel, "ok": False, "error": str(exc)})
    failed = [r for r in rows if not r["ok"]]
    if args.json:
        _dump(rows)
    else:
        for r in rows:
            print(f"ok      {r['path']}" if r["ok"] else f"FAILED  {r['path']}: {r['error']}")
        _say(f"{len(rows) - len(failed)} ok, {len(failed)} failed")
    return EXIT_BAD_INPUT if failed else EXIT_OK


def _cmd_cache(args: argparse.Namespace) -> int:
    from wheelhook import _cache

    directory = _cache.cache_dir()
    if directory is None:
        raise UsageError(
            "The cache directory is refused (see the warning above): compiled code is kept in "
            "memory only. Set WHEELHOOK_CACHE to a directory only you can write to."
        )
    if args.action == "clear":
        for path in _cache.clear(directory):
            print(f"removed {path}")
        return EXIT_OK
    kinds = _cache.usage(directory) if os.path.isdir(directory) else {}
    if args.json:
        _dump({"dir": directory, "kinds": kinds})
    else:
        print(f"cache dir: {directory}")
        for kind, u in kinds.items():
            print(f"  {kind + '/':10} {u['entries']:8} entries {u['bytes']:12} bytes")
    return EXIT_OK


def _cmd_enable(args: argparse.Namespace) -> int:
    from wheelhook import _sitewide

    path, written = _sitewide.enable(args.user, args.pkg_resources)
    print(f"{'enabled' if written else 'already enabled'}: {path}")
    return EXIT_OK


def _cmd_disable(args: argparse.Namespace) -> int:
    from wheelhook import _sitewide

    path, removed = _sitewide.disable(args.user)
    print(f"disabled: removed {path}" if removed else f"not enabled: no {path}")
    return EXIT_OK


def _cmd_run(args: argparse.Namespace) -> Callable[[], None]:
    from wheelhook import _api, _run

    if sum(x is not None for x in (args.file, args.module, args.code)) != 1:
        raise UsageError("run needs exactly one of FILE, -m MODULE or -c CODE.")
    if args.lock is not None:
        _api.require(lock=args.lock)
    reqs = _run.requirements(args.with_, file=args.file, code=args.code)
    if reqs:
        _api.require(*reqs)
    if args.module is not None:
        # Read once `--with` is active: it decides which version of the module runs.
        declared = _run.module_requirements(args.module)
        if declared:
            _api.require(*declared)
    return _run.program(args.file, args.module, args.code, args.program_args)


def _cmd_tool(args: argparse.Namespace) -> Callable[[], None]:
    from wheelhook import _tool

    tool = _tool.parse(args.name, args.from_, args.with_, args.program_args)
    return _tool.prepare(tool)


EXAMPLES = {
    "drop": """examples:
  python -m wheelhook drop six-1.15.0-py2.py3-none-any.whl
  python -m wheelhook drop --store /srv/wheels dist/*.whl
  python -m wheelhook drop --max-member-size 8G --max-total-size 32G huge-1.0-py3-none-any.whl
  python -m wheelhook drop --compile --store /srv/wheels dist/*.whl   # and publish its code""",
    "add": """examples:
  python -m wheelhook add "six==1.15.0"
  python -m wheelhook add -r requirements.txt --store /srv/wheels
  python -m wheelhook add mypkg --no-index --find-links ./wheelhouse
  python -m wheelhook add -r pylock.toml             # the locked wheels, hash-checked""",
    "compile": """examples:
  python -m wheelhook compile                        # every wheel in the store directories
  python -m wheelhook compile --store /srv/wheels --python python3.9 --python python3.12
  python -m wheelhook compile --optimize 0 --optimize 1 six-1.16.0-py2.py3-none-any.whl
writes <store>/.wheelhook/code/<wheel>.<cache tag>[.opt-N].whcp, which processes of every node
that mounts the store use instead of compiling (trusted when the store's owner or root owns it).
a module that does not compile is skipped and listed.""",
    "remove": """examples:
  python -m wheelhook remove six==1.15.0
  python -m wheelhook remove /srv/wheels/six-1.15.0-py2.py3-none-any.whl""",
    "list": """examples:
  python -m wheelhook list
  python -m wheelhook list six --json""",
    "resolve": """examples:
  python -m wheelhook resolve "six<1.16"
  python -m wheelhook resolve "requests==2.25.1" --json""",
    "run": """examples:
  python -m wheelhook run script.py arg1 arg2        # its PEP 723 block and __requires__
  python -m wheelhook run --with "six==1.15.0" app.py
  python -m wheelhook run --with "six==1.15.0" -m mypkg.tool --verbose
  python -m wheelhook run --with "six==1.15.0" -c "import six; print(six.__version__)"
  python -m wheelhook run --lock pylock.toml app.py
the exit code is the program's.""",
    "lock": """examples:
  python -m wheelhook lock "requests==2.32.3" -o pylock.toml
  python -m wheelhook lock --script app.py           # writes pylock.app.toml
  python -m wheelhook run --lock pylock.toml app.py  # replays it, hash-checked""",
    "verify": """examples:
  python -m wheelhook verify                         # every wheel in the store directories
  python -m wheelhook verify six-1.15.0-py2.py3-none-any.whl --json
exit 2 when any wheel fails.""",
    "enable": """examples:
  python -m wheelhook enable           # this interpreter's (or venv's) site-packages
  python -m wheelhook enable --user    # the user site directory
  python -m wheelhook enable --pkg-resources   # and `import pkg_resources` where setuptools has none
writes wheelhook-activate.pth; WHEELHOOK_DISABLE=1 turns it off for one run.""",
    "disable": """examples:
  python -m wheelhook disable
  python -m wheelhook disable --user""",
    "cache": """examples:
  python -m wheelhook cache info --json
  python -m wheelhook cache clear""",
    "tool": """examples:
  python -m wheelhook tool pycodestyle==2.11.1 --max-line-length=100 app.py
  python -m wheelhook tool pyflakes@3.0.1 app.py
  python -m wheelhook tool --from "httpie==3.2.2" http --version
  python -m wheelhook tool --with flake8-bugbear==24.2.6 flake8 app.py

NAME is the distribution and its script, unless --from names the distribution. The exit code
is the script's; a distribution not in the store is fetched with `wheelhook add REQ`.""",
}


STORE_HELP = "store directory (default: the interpreter's site-packages)"


def _size_limits(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--max-member-size",
        type=_size,
        metavar="SIZE",
        help="refuse a member inflating past SIZE bytes (units K, M, G; default 4G, the most)",
    )
    p.add_argument(
        "--max-total-size",
        type=_size,
        metavar="SIZE",
        help="refuse a wheel whose members inflate past SIZE bytes in all (default 16G)",
    )


def _json_flag(p: argparse.ArgumentParser, help: str = "machine-readable output") -> None:
    p.add_argument("--json", action="store_true", help=help)


def _args_drop(p: argparse.ArgumentParser) -> None:
    p.add_argument("wheels", nargs="+", metavar="WHEEL")
    p.add_argument("--store", metavar="DIR", help=STORE_HELP)
    p.add_argument(
        "--compile",
        action="store_true",
        help="then publish the wheels' compiled code for this interpreter (as `compile`)",
    )
    _size_limits(p)


def _args_compile(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "wheels",
        nargs="*",
        metavar="WHEEL",
        help="a wheel file, or its name in the store (default: every wheel in the store)",
    )
    p.add_argument(
        "--store", metavar="DIR", help="the store directory (default: every store directory)"
    )
    p.add_argument(
        "--python",
        action="append",
        default=[],
        metavar="PYTHON",
        help="also compile for this interpreter (repeatable; it needs no wheelhook installed)",
    )
    p.add_argument(
        "--optimize",
        action="append",
        type=int,
        choices=[0, 1, 2],
        metavar="LEVEL",
        help="optimisation level, as python -O/-OO (repeatable; default: this interpreter's)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="rewrite every pack, also those younger than their wheel and with no stale entry",
    )
    _json_flag(p)


def _args_add(p: argparse.ArgumentParser) -> None:
    p.add_argument("requirements", nargs="*", metavar="REQ")
    p.add_argument(
        "-r",
        dest="requirement_files",
        action="append",
        default=[],
        metavar="FILE",
        help="a requirements file, or a PEP 751 lock file (pylock.toml, pylock.NAME.toml)",
    )
    p.add_argument(
        "--lock",
        dest="locks",
        action="append",
        default=[],
        metavar="PYLOCK",
        help="fetch exactly the wheels a PEP 751 lock file locks for this interpreter",
    )
    p.add_argument("--store", metavar="DIR", help=STORE_HELP)
    p.add_argument("--index-url", metavar="URL", help="passed to pip")
    p.add_argument("--find-links", action="append", default=[], metavar="DIR", help="passed to pip")
    p.add_argument("--no-index", action="store_true", help="passed to pip")
    _size_limits(p)


def _args_remove(p: argparse.ArgumentParser) -> None:
    p.add_argument("targets", nargs="+", metavar="NAME==VERSION|WHEEL")
    p.add_argument(
        "--store", metavar="DIR", help="only this store (default: every store directory)"
    )


def _args_list(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", nargs="?")
    _json_flag(p)


def _with_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--with",
        dest="with_",
        action="append",
        default=[],
        metavar="REQ",
        help="also activate REQ (repeatable)",
    )


def _args_resolve(p: argparse.ArgumentParser) -> None:
    p.add_argument("requirements", nargs="+", metavar="REQ")
    _json_flag(p)


def _args_run(p: argparse.ArgumentParser) -> None:
    _with_flag(p)
    p.add_argument(
        "--lock",
        metavar="PYLOCK",
        help="activate a PEP 751 lock file (pylock.toml) first, hash-checked, with no resolution",
    )
    p.add_argument("-m", dest="module", metavar="MODULE", help="run a module, as python -m")
    p.add_argument("-c", dest="code", metavar="CODE", help="run code, as python -c")
    p.add_argument("file", nargs="?", metavar="FILE", help="the script to run")
    p.add_argument("program_args", nargs="*", metavar="ARGS", help="the program's arguments")


def _args_lock(p: argparse.ArgumentParser) -> None:
    p.add_argument("requirements", nargs="*", metavar="REQ")
    p.add_argument("--script", metavar="FILE", help="lock a script's PEP 723 dependencies")
    p.add_argument(
        "-o",
        dest="output",
        metavar="PYLOCK",
        help="where to write (default: pylock.toml, or pylock.SCRIPT.toml for --script)",
    )


def _args_tool(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--from",
        dest="from_",
        metavar="REQ",
        help="the distribution that provides the script (default: NAME)",
    )
    _with_flag(p)
    p.add_argument("name", metavar="NAME[==VERSION]", help="the script (and distribution)")
    p.add_argument("program_args", nargs="*", metavar="ARGS", help="the script's arguments")


def _args_verify(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "wheels", nargs="*", metavar="WHEEL", help="default: every wheel in the store directories"
    )
    _json_flag(p)
    _size_limits(p)


def _args_enable(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", action="store_true", help="write into the user site directory")
    p.add_argument(
        "--pkg-resources",
        action="store_true",
        help="make `import pkg_resources` give wheelhook.pkg_resources where no real one is importable",
    )


def _args_disable(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", action="store_true", help="remove from the user site directory")


def _args_cache(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["info", "clear"])
    _json_flag(p, "machine-readable output (info)")


@dataclass(frozen=True)
class Command:
    """One sub-command: its name, one-line help, what runs it and what arguments it takes (its
    examples are `EXAMPLES[name]`)."""

    name: str
    help: str
    run: Callable[[argparse.Namespace], object]
    arguments: Callable[[argparse.ArgumentParser], None]


#: The sub-commands, in the order `--help` lists them.
COMMANDS = (
    Command("drop", "validate wheels and copy them into the store", _cmd_drop, _args_drop),
    Command(
        "add",
        "fetch wheels for requirements (and dependencies) with pip and drop them",
        _cmd_add,
        _args_add,
    ),
    Command(
        "compile",
        "publish the store's compiled code beside its wheels, for every node that mounts it",
        _cmd_compile,
        _args_compile,
    ),
    Command(
        "remove",
        "remove wheels from the store (atomically, under the store lock)",
        _cmd_remove,
        _args_remove,
    ),
    Command(
        "list",
        "list candidate distributions: wheels in the store and installed ones",
        _cmd_list,
        _args_list,
    ),
    Command(
        "resolve",
        "show what the requirements would activate, or why they cannot be met",
        _cmd_resolve,
        _args_resolve,
    ),
    Command("run", "run a program with its requirements activated", _cmd_run, _args_run),
    Command(
        "lock",
        "resolve against the store and write a PEP 751 lock file (pylock.toml)",
        _cmd_lock,
        _args_lock,
    ),
    Command(
        "tool",
        "run a distribution's console script straight from the store (as uvx does)",
        _cmd_tool,
        _args_tool,
    ),
    Command(
        "verify", "check wheels: archive structure and RECORD hashes", _cmd_verify, _args_verify
    ),
    Command(
        "enable",
        "activate WHEELHOOK_REQUIRES, __requires__ and PEP 723 blocks in every program (a .pth)",
        _cmd_enable,
        _args_enable,
    ),
    Command("disable", "remove what enable wrote", _cmd_disable, _args_disable),
    Command("cache", "show or clear the bytecode and native cache", _cmd_cache, _args_cache),
)


def _parser() -> argparse.ArgumentParser:
    """The parser of every sub-command in `COMMANDS`; each also takes `--debug`."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks on errors"
    )
    parser = argparse.ArgumentParser(
        prog="wheelhook",
        description="Several versions of a distribution side by side, imported from wheels.",
        epilog="exit codes: 0 success, 1 resolution failure, 2 bad input.\n"
        "`wheelhook COMMAND --help` shows examples.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        p = sub.add_parser(
            command.name,
            help=command.help,
            description=command.help[0].upper() + command.help[1:] + ".",
            epilog=EXAMPLES[command.name],
            parents=[common],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.set_defaults(func=command.run)
        command.arguments(p)
    return parser


def _split_run(argv: list[str]) -> tuple[list[str], list[str]]:
    """Splits `run`'s own options from the program's arguments, which are passed through
    untouched (`run -m tool --help` is the tool's --help)."""
    return split_own(argv, valued=("--with", "--lock"), stops=("-m", "-c"))


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    program_args: list[str] = []
    for i, arg in enumerate(args_list):
        if arg in ("run", "tool"):
            if arg == "run":
                own, program_args = _split_run(args_list[i + 1 :])
            else:
                from wheelhook._tool import split_arguments

                own, program_args = split_arguments(args_list[i + 1 :])
            args_list = args_list[: i + 1] + own
            break
        if not arg.startswith("-"):
            break
    parser = _parser()
    args = parser.parse_args(args_list)
    args.program_args = program_args
    debug = getattr(args, "debug", False)
    try:
        result = args.func(args)
    except ResolutionError as exc:
        if debug:
            raise
        _say(f"wheelhook: {exc}")
        return EXIT_RESOLUTION
    except (WheelhookError, ValueError, OSError) as exc:
        if debug:
            raise
        _say(f"wheelhook: {exc}")
        return EXIT_BAD_INPUT
    if callable(result):  # `run`, `tool`: the program runs outside the error handling above
        result()
        return EXIT_OK
    code: int = result
    return code
