//! What `import wheelhook` does, in the extension so that start-up loads one small Python module
//! and nothing more: install the finder, read what the program declares, activate it.

use std::path::PathBuf;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::MutexExt;
use pyo3::types::{PyBytes, PyList, PyString};

use super::active::ActiveDistribution;
use super::finder::Finder;
use crate::import::Overrides;

/// Requirements to activate, one per line; every activation sets it to the pinned set, so that
/// child processes get the same versions.
const REQUIRES_ENV: &str = "WHEELHOOK_REQUIRES";
/// A PEP 751 lock file to activate; an activation of a lock sets it (as an absolute path), so
/// that child processes activate the same lock.
const LOCK_ENV: &str = "WHEELHOOK_LOCK";
/// Overrides of the automatic choice between the archive and an unpacked copy, comma- or
/// space-separated: `name` (unpacked), `-name` (from the archive), `*` or `-*` (all).
const UNPACK_ENV: &str = "WHEELHOOK_UNPACK";
/// Distributions activated with `override_stdlib` that serve standard-library modules, so that
/// children serve them too: names, comma- or space-separated.
const OVERRIDE_ENV: &str = "WHEELHOOK_OVERRIDE_STDLIB";
/// Extra store directories, `os.pathsep`-separated, searched before site-packages.
const PATH_ENV: &str = "WHEELHOOK_PATH";
/// What marks a PEP 723 block; only a file holding it is given to the parser.
const SCRIPT_MARK: &[u8] = b"# /// script";
const SPAWN_MODULE: &str = "multiprocessing.spawn";

static INSTALLING: parking_lot::Mutex<()> = parking_lot::const_mutex(());

fn environ_get(py: Python<'_>, key: &str) -> PyResult<String> {
    let environ = py.import("os")?.getattr("environ")?;
    environ.call_method1("get", (key, ""))?.extract()
}

/// The process's finder: the one in `sys.meta_path`, else a new one put there ahead of the path
/// finder, with its path hook first in `sys.path_hooks`.
#[pyfunction]
pub fn install(py: Python<'_>) -> PyResult<Bound<'_, Finder>> {
    // One finder per process, however many threads import wheelhook at once: making one runs
    // Python code (imports), during which another thread could otherwise look, find none and
    // install its own.
    let _one = INSTALLING.lock_py_attached(py);
    let sys = py.import("sys")?;
    let meta_path = sys.getattr("meta_path")?.cast_into::<PyList>()?;
    let mut position = None;
    for (i, other) in meta_path.iter().enumerate() {
        if let Ok(finder) = other.cast::<Finder>() {
            return Ok(finder.clone());
        }
        if position.is_none() {
            let name = other.getattr("__name__").ok();
            if name.is_some_and(|n| n.extract::<String>().is_ok_and(|n| n == "PathFinder")) {
                position = Some(i);
            }
        }
    }
    let finder = Bound::new(py, Finder::new(py)?)?;
    meta_path.insert(position.unwrap_or(meta_path.len()), &finder)?;
    let hooks = sys.getattr("path_hooks")?.cast_into::<PyList>()?;
    hooks.insert(0, finder.getattr("path_hook")?)?;
    Ok(finder)
}

/// The directories whose wheels are candidates: `WHEELHOOK_PATH`, then site-packages (the
/// user's too when enabled), each once.
#[pyfunction]
pub fn store_dirs(py: Python<'_>) -> PyResult<Vec<String>> {
    let pathsep: String = py.import("os")?.getattr("pathsep")?.extract()?;
    let mut dirs: Vec<String> = environ_get(py, PATH_ENV)?
        .split(pathsep.as_str())
        .filter(|d| !d.is_empty())
        .map(str::to_owned)
        .collect();
    let site = py.import("site")?; // imported at start-up unless -S was given
    match site.call_method0("getsitepackages") {
        Ok(found) => dirs.extend(found.extract::<Vec<String>>()?),
        // An embedded or virtualenv-patched site module.
        Err(_) => {
            let sysconfig = py.import("sysconfig")?;
            for key in ["purelib", "platlib"] {
                dirs.push(sysconfig.call_method1("get_path", (key,))?.extract()?);
            }
        }
    }
    if site.getattr("ENABLE_USER_SITE")?.is_truthy()? {
        dirs.push(site.call_method0("getusersitepackages")?.extract()?);
    }
    let mut unique: Vec<String> = Vec::with_capacity(dirs.len());
    for d in dirs {
        if !unique.contains(&d) {
            unique.push(d);
        }
    }
    Ok(unique)
}

/// Where normally installed distributions are: `sys.path`, as `importlib.metadata` sees it.
#[pyfunction]
pub fn default_dirs(py: Python<'_>) -> PyResult<Vec<String>> {
    let path = py.import("sys")?.getattr("path")?;
    let mut dirs = Vec::new();
    for entry in path.try_iter()? {
        let entry = entry?;
        if entry.is_instance_of::<PyString>() {
            let entry: String = entry.extract()?;
            dirs.push(if entry.is_empty() {
                ".".to_owned()
            } else {
                entry
            });
        }
    }
    Ok(dirs)
}

/// Requirements from a string (one per line; `#` starts a comment) or an iterable of strings.
#[pyfunction]
pub fn requirement_lines(value: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    let mut items: Vec<Bound<'_, PyAny>> = Vec::new();
    if value.is_instance_of::<PyString>() {
        items.push(value.clone());
    } else {
        // A loop, not `collect`: under the limited API, pyo3's size hint imports `operator`.
        for item in value.try_iter()? {
            items.push(item?);
        }
    }
    let mut out = Vec::new();
    for item in items {
        let Ok(text) = item.cast::<PyString>() else {
            return Err(PyTypeError::new_err(format!(
                "a requirement must be a string, not {}: {}",
                item.get_type().name()?,
                item.repr()?
            )));
        };
        for line in text.call_method0("splitlines")?.try_iter()? {
            let line: String = line?.extract()?;
            let line = line.split(" #").next().unwrap_or_default().trim();
            if !line.is_empty() && !line.starts_with('#') {
                out.push(line.to_owned());
            }
        }
    }
    Ok(out)
}

/// The overrides of the automatic choice to unpack, in order: `WHEELHOOK_UNPACK`, then `unpack`
/// (`True`: all, as `*`; `False`: none, as `-*`; an entry; or entries).
#[pyfunction]
#[pyo3(signature = (unpack=None))]
pub fn unpack_names(py: Python<'_>, unpack: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
    let mut names: Vec<String> = environ_get(py, UNPACK_ENV)?
        .replace(',', " ")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    match unpack {
        None => {}
        Some(u) if u.is(&*pyo3::types::PyBool::new(py, true)) => names.push("*".to_owned()),
        Some(u) if u.is(&*pyo3::types::PyBool::new(py, false)) => names.push("-*".to_owned()),
        Some(u) if u.is_instance_of::<PyString>() => names.push(u.extract()?),
        Some(u) => {
            for name in u.try_iter()? {
                names.push(name?.extract()?);
            }
        }
    }
    Ok(names)
}

/// Activates `requirements` (PEP 508 strings) in the process's finder, from the store
/// directories, and sets `WHEELHOOK_REQUIRES` to the pinned set (and `WHEELHOOK_UNPACK` to the
/// overrides of the automatic choice to unpack) so that children get the same. (Children make
/// the same automatic choice: it depends on the wheels alone.)
///
/// With `lock`, the lock file is activated instead of `requirements` (see `Finder.require`),
/// and `WHEELHOOK_LOCK` set to it.
#[pyfunction]
#[pyo3(signature = (requirements, override_stdlib=false, unpack=None, lock=None, extras=Vec::new(), groups=None))]
pub fn activate<'py>(
    py: Python<'py>,
    requirements: Vec<String>,
    override_stdlib: bool,
    unpack: Option<&Bound<'py, PyAny>>,
    lock: Option<PathBuf>,
    extras: Vec<String>,
    groups: Option<Vec<String>>,
) -> PyResult<Vec<Py<ActiveDistribution>>> {
    let finder = install(py)?;
    let unpack = unpack_names(py, unpack)?;
    // The pins exported are those this activation committed, whatever other threads do.
    let _serial = finder.get().activation_guard(py);
    let (met, requirements) = met_by_lock(py, finder.get(), requirements)?;
    let mut stdlib_overrides: Vec<String> = environ_get(py, OVERRIDE_ENV)?
        .replace(',', " ")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let mut result = finder.get().require(
        py,
        requirements,
        store_dirs(py)?.into_iter().map(Into::into).collect(),
        default_dirs(py)?.into_iter().map(Into::into).collect(),
        override_stdlib,
        unpack.clone(),
        stdlib_overrides.clone(),
        lock.clone(),
        extras,
        groups,
    )?;
    add_met(py, finder.get(), &met, &mut result);
    export_lock(py, lock)?;
    if override_stdlib {
        for dist in &result {
            let dist = dist.get();
            let serves_stdlib = dist.top_level.iter().any(|t| finder.get().is_stdlib(py, t));
            if serves_stdlib && !stdlib_overrides.contains(&dist.name) {
                stdlib_overrides.push(dist.name.clone());
            }
        }
    }
    let pins = finder.get().pins(py);
    if !pins.is_empty() {
        let environ = py.import("os")?.getattr("environ")?;
        environ.set_item(REQUIRES_ENV, pins)?;
        // Children override the choice as this process does (the entries already include the
        // variable's own).
        let overrides = Overrides::parse(unpack.iter().map(String::as_str));
        if !overrides.is_empty() {
            environ.set_item(UNPACK_ENV, overrides.to_string())?;
        }
        if !stdlib_overrides.is_empty() {
            environ.set_item(OVERRIDE_ENV, stdlib_overrides.join(" "))?;
        }
        watch_children(py, &finder)?;
    }
    Ok(result)
}

/// In a process that activated a lock (`WHEELHOOK_LOCK` set), the requirements that repeat a
/// pin exactly (`name==version`, as a parent's `WHEELHOOK_REQUIRES` gives them): those are met
/// as they are, and re-resolving the dependencies of a locked distribution could refuse the set
/// the lock fixed. Returns their names and the requirements left.
fn met_by_lock(
    py: Python<'_>,
    finder: &Finder,
    requirements: Vec<String>,
) -> PyResult<(Vec<String>, Vec<String>)> {
    if environ_get(py, LOCK_ENV)?.trim().is_empty() {
        return Ok((Vec::new(), requirements));
    }
    let pins = finder.pins(py);
    let pins: Vec<&str> = pins.lines().collect();
    let (met, left): (Vec<String>, Vec<String>) = requirements
        .into_iter()
        .partition(|r| pins.contains(&r.trim()));
    let names = met
        .iter()
        .filter_map(|r| r.split_once("==").map(|(n, _)| n.trim().to_owned()))
        .collect();
    Ok((names, left))
}

/// Sets `WHEELHOOK_LOCK` to the absolute path of an activated lock, for children.
fn export_lock(py: Python<'_>, lock: Option<PathBuf>) -> PyResult<()> {
    let Some(lock) = lock else {
        return Ok(());
    };
    let os = py.import("os")?;
    // As a string: a `PathBuf` would become a `pathlib.Path`, importing pathlib at start-up.
    let absolute = os
        .getattr("path")?
        .call_method1("abspath", (lock.as_os_str(),))?;
    os.getattr("environ")?.set_item(LOCK_ENV, absolute)
}

/// Adds the distributions of requirements [`met_by_lock`] to an activation's result.
fn add_met(
    py: Python<'_>,
    finder: &Finder,
    met: &[String],
    result: &mut Vec<Py<ActiveDistribution>>,
) {
    if met.is_empty() {
        return;
    }
    let seen: Vec<String> = result.iter().map(|d| d.get().name.clone()).collect();
    result.extend(
        finder
            .active(py)
            .into_iter()
            .filter(|d| met.contains(&d.get().name) && !seen.contains(&d.get().name)),
    );
    result.sort_by(|a, b| a.get().name.cmp(&b.get().name));
}

/// Makes spawn and forkserver children activate the pins: patches `multiprocessing.spawn` now
/// if it is loaded, else when it is first imported (a one-shot hook of the finder).
fn watch_children(py: Python<'_>, finder: &Bound<'_, Finder>) -> PyResult<()> {
    let modules = py.import("sys")?.getattr("modules")?;
    if let Ok(spawn) = modules.get_item(SPAWN_MODULE) {
        py.import("wheelhook._children")?
            .call_method1("patch", (spawn,))?;
    } else {
        let hook = wrap_pyfunction!(spawn_hook, py)?;
        finder
            .get()
            .on_import(py, SPAWN_MODULE.to_owned(), hook.into_any().unbind());
    }
    Ok(())
}

/// The finder's hook for `multiprocessing.spawn`: `wheelhook._children` does the work, loaded
/// only by programs that use multiprocessing.
#[pyfunction]
#[pyo3(signature = (fullname, path=None, target=None))]
fn spawn_hook<'py>(
    py: Python<'py>,
    fullname: &str,
    path: Option<Bound<'py, PyAny>>,
    target: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    py.import("wheelhook._children")?
        .call_method1("_spawn_spec", (fullname, path, target))
}

/// What the program declares: `WHEELHOOK_REQUIRES` (pins from a parent), `__main__.__requires__`,
/// then the `dependencies` of the main script's PEP 723 block (after its `requires-python`
/// check).
#[pyfunction]
pub fn declared_requirements(py: Python<'_>) -> PyResult<Vec<String>> {
    let mut reqs = requirement_lines(PyString::new(py, &environ_get(py, REQUIRES_ENV)?).as_any())?;
    let main = py
        .import("sys")?
        .getattr("modules")?
        .get_item("__main__")
        .ok();
    let Some(main) = main else {
        return Ok(reqs);
    };
    if let Ok(declared) = main.getattr("__requires__") {
        if !declared.is_none() {
            reqs.extend(requirement_lines(&declared)?);
        }
    }
    let filename: Option<String> = main.getattr("__file__").ok().and_then(|f| f.extract().ok());
    if let Some(filename) = filename.filter(|f| f.ends_with(".py")) {
        let source = main_source(&main, &filename);
        if let Some(source) =
            source.filter(|s| s.windows(SCRIPT_MARK.len()).any(|w| w == SCRIPT_MARK))
        {
            let text = String::from_utf8_lossy(&source);
            let found = py
                .import("wheelhook._pep723")?
                .call_method1("source_requirements", (text, filename))?;
            reqs.extend(found.extract::<Vec<String>>()?);
        }
    }
    Ok(reqs)
}

/// The main module's source bytes, read the way it was loaded: through its loader's `get_data`
/// (a module served from a wheel, as by `python -m` or `wheelhook run -m`, has no file of its
/// own), else from the file system. `None` when neither can give it (a sourceless program has
/// no block to read).
fn main_source(main: &Bound<'_, PyAny>, filename: &str) -> Option<Vec<u8>> {
    let from_loader = main
        .getattr("__loader__")
        .and_then(|loader| loader.call_method1("get_data", (filename,)))
        .ok()
        .and_then(|data| data.cast::<PyBytes>().ok().map(|b| b.as_bytes().to_vec()));
    from_loader.or_else(|| std::fs::read(filename).ok())
}

/// What `import wheelhook` does: install the finder, activate what the program declares.
#[pyfunction]
pub fn boot(py: Python<'_>) -> PyResult<()> {
    install(py)?;
    let lock = environ_get(py, LOCK_ENV)?;
    if !lock.trim().is_empty() {
        activate(
            py,
            Vec::new(),
            false,
            None,
            Some(PathBuf::from(lock.trim())),
            Vec::new(),
            None,
        )?;
    }
    let reqs = declared_requirements(py)?;
    if !reqs.is_empty() {
        activate(py, reqs, false, None, None, Vec::new(), None)?;
    }
    Ok(())
}
