"""The measured side of the benchmarks: run by each peer's interpreter, prints one JSON line.

Usage: python child.py MODE PEER. MODE is `import` (activate, then time importing
`BENCH_MODULE`: one module, or several separated by spaces), `stdlib` (time importing the
modules listed in `BENCH_STDLIB`), `rss` (activate, report peak RSS), `manifest` (list the cached
bytecode a warm import uses, for the floor) or `probe` (list the standard-library modules that
import cleanly). PEER says how distributions are activated: `site` (installed normally: nothing
to do), `floor`, `wheelhook`, `pkg_resources`, `zipimport`, `distlib`, `none`. Configuration
comes from `BENCH_*` environment variables, so the command line stays the same across peers. Only
the standard library is imported before timing.
"""

from __future__ import annotations

import os
import sys
import time

if sys.argv[2] == "pkg_resources":
    # pkg_resources reads `__main__.__requires__` when it is imported.
    __requires__ = [r for r in os.environ.get("BENCH_REQUIRES", "").splitlines() if r]


def _requirements() -> list[str]:
    return [r for r in os.environ.get("BENCH_REQUIRES", "").splitlines() if r]


def _wheels() -> list[str]:
    return [w for w in os.environ.get("BENCH_WHEELS", "").split(os.pathsep) if w]


def _install_floor() -> None:
    """A dict lookup for a finder, and a loader that unmarshals and executes: the least any
    importer can do for modules whose bytecode is already on disk."""
    import json
    import marshal
    from importlib.machinery import ModuleSpec

    with open(os.environ["BENCH_FLOOR"]) as f:
        table = json.load(f)

    class Floor:
        def find_spec(self, name: str, path: object = None, target: object = None) -> object:
            entry = table.get(name)
            if entry is None:
                return None
            spec = ModuleSpec(name, self, origin=entry[1], is_package=entry[2])
            spec.has_location = True
            spec.cached = entry[0]
            if entry[2]:
                spec.submodule_search_locations = [os.path.dirname(entry[1])]
            return spec

        def create_module(self, spec: object) -> None:
            return None

        def exec_module(self, module: object) -> None:
            with open(table[module.__name__][0], "rb") as f:  # type: ignore[attr-defined]
                data = f.read()
            exec(marshal.loads(memoryview(data)[16:]), module.__dict__)  # type: ignore[attr-defined]

    sys.meta_path.insert(0, Floor())


def activate(peer: str) -> dict[str, object]:
    """Makes the requested distributions importable the peer's way; returns facts to report."""
    facts: dict[str, object] = {}
    if peer == "wheelhook":
        import wheelhook

        reqs = _requirements()
        if reqs:
            wheelhook.require(*reqs)
        facts["active"] = len(wheelhook.active())
    elif peer == "pkg_resources":
        import pkg_resources  # noqa: F401  (activates __requires__)
    elif peer == "zipimport":
        for wheel in _wheels():
            sys.path.insert(0, wheel)
    elif peer == "distlib":
        from distlib.wheel import Wheel

        for wheel in _wheels():
            Wheel(wheel).mount()
    elif peer == "floor":
        _install_floor()
    elif peer not in ("site", "none"):
        raise SystemExit(f"unknown peer {peer!r}")
    return facts


def _finder_stats() -> dict[str, object]:
    wheelhook = sys.modules.get("wheelhook")
    if wheelhook is None:
        return {}
    return dict(wheelhook.finder().stats())  # type: ignore[attr-defined]


def _peak_rss_kb() -> int:
    """This process's peak RSS. VmHWM, since ru_maxrss survives exec: a child would report its
    parent's peak."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _stdlib_candidates() -> list[str]:
    """Top-level standard-library modules, then the submodules of its packages, sorted."""
    import pkgutil

    names = sorted(sys.stdlib_module_names)  # type: ignore[attr-defined]
    subs = []
    for info in pkgutil.iter_modules():
        if info.ispkg and info.name in names:
            spec = info.module_finder.find_spec(info.name)  # type: ignore[call-arg]
            for sub in pkgutil.iter_modules(spec.submodule_search_locations if spec else []):
                subs.append(f"{info.name}.{sub.name}")
    return names + sorted(subs)


def main() -> None:
    import json

    mode, peer = sys.argv[1], sys.argv[2]
    out: dict[str, object] = {"peer": peer}
    if mode == "import":
        out.update(activate(peer))
        modules = os.environ["BENCH_MODULE"].split()
        before = len(sys.modules)
        t0 = time.perf_counter()
        for module in modules:
            __import__(module)
        out["seconds"] = time.perf_counter() - t0
        out["modules"] = len(sys.modules) - before
        out["sys_path"] = len(sys.path)
        out.update(_finder_stats())
    elif mode == "stdlib":
        out.update(activate(peer))
        for name in os.environ.get("BENCH_PRELOAD", "").split():
            __import__(name)
        names = os.environ["BENCH_STDLIB"].split()
        t0 = time.perf_counter()
        for name in names:
            __import__(name)
        out["seconds"] = time.perf_counter() - t0
        out["meta_path"] = len(sys.meta_path)
    elif mode == "rss":
        out.update(activate(peer))
        out["maxrss_kb"] = _peak_rss_kb()
    elif mode == "manifest":
        __import__(os.environ["BENCH_MODULE"])
        roots = os.environ["BENCH_ROOTS"].split()
        table = {}
        for name, mod in list(sys.modules.items()):
            spec = getattr(mod, "__spec__", None)
            if (
                spec is None
                or not spec.origin
                or not spec.cached
                or name.split(".")[0] not in roots
            ):
                continue
            if os.path.exists(spec.cached):
                is_pkg = spec.submodule_search_locations is not None
                table[name] = [spec.cached, spec.origin, is_pkg]
        out["table"] = table
    elif mode == "probe":
        out.update(activate(peer))
        skip = set(os.environ.get("BENCH_SKIP", "").split())
        loaded = set(sys.modules)
        chosen: list[str] = []
        want = int(os.environ.get("BENCH_COUNT", "200"))
        devnull = open(os.devnull, "w")
        for name in _stdlib_candidates():
            if len(chosen) >= want:
                break
            if name in loaded or name.split(".")[0] in skip or "_" == name.split(".")[-1][:1]:
                continue
            saved = sys.stdout, sys.stderr
            sys.stdout = sys.stderr = devnull
            try:
                __import__(name)
                chosen.append(name)
            except Exception:  # platform-specific modules are simply skipped
                pass
            finally:
                sys.stdout, sys.stderr = saved
        stdlib = sys.stdlib_module_names  # type: ignore[attr-defined]
        out["preload"] = sorted(n for n in loaded if n.split(".")[0] in stdlib)
        out["stdlib"] = chosen
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
