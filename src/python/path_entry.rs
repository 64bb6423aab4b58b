//! The path-entry finder for directories inside active wheels (`sys.path_hooks`): what a
//! package's `__path__` entry holds, and `pkgutil.iter_modules` over it.

use std::sync::Arc;

use parking_lot::RwLock;
use pyo3::exceptions::PyImportError;
use pyo3::prelude::*;
use pyo3::sync::RwLockExt;

use super::runtime::Runtime;
use super::spec::{module_spec, namespace_spec};
use super::state::State;
use crate::import::{ModuleKind, Registry};

/// A path-entry finder for a directory inside an active wheel (`sys.path_importer_cache` value).
#[pyclass(frozen, module = "wheelhook._native")]
pub struct PathEntry {
    /// The finder's.
    state: Arc<RwLock<State>>,
    runtime: Arc<Runtime>,
    path: String,
}

impl PathEntry {
    /// The entry for `path`, when it lies inside an active wheel (else the `ImportError` that
    /// tells `sys.path_hooks` to try the next hook).
    pub fn new(
        py: Python<'_>,
        state: &Arc<RwLock<State>>,
        runtime: &Arc<Runtime>,
        path: &str,
    ) -> PyResult<Self> {
        if !state.read_py_attached(py).registry.owns_path(path) {
            return Err(PyImportError::new_err("not a path inside an active wheel"));
        }
        Ok(Self {
            state: state.clone(),
            runtime: runtime.clone(),
            path: path.to_owned(),
        })
    }
}

#[pymethods]
impl PathEntry {
    /// `importlib.abc.PathEntryFinder.find_spec`: what the last component of `fullname` names
    /// in this directory, served under `fullname` (an alias's `__path__`, a `__path__` extended
    /// with another package's directory, a plugin directory); `None` when nothing does.
    #[pyo3(signature = (fullname, target=None))]
    fn find_spec<'py>(
        &self,
        py: Python<'py>,
        fullname: &str,
        target: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let _ = target;
        find_in_path(py, &self.state, &self.runtime, &self.path, fullname)
    }

    /// `pkgutil.iter_modules` support: `(prefixed name, is_package)` for the directory's children.
    #[pyo3(signature = (prefix=""))]
    fn iter_modules(&self, py: Python<'_>, prefix: &str) -> Vec<(String, bool)> {
        let state = self.state.read_py_attached(py);
        children(&state.registry, &self.path)
            .into_iter()
            .map(|(n, p)| (format!("{prefix}{n}"), p))
            .collect()
    }

    fn invalidate_caches(&self) {}

    #[getter]
    fn path(&self) -> &str {
        &self.path
    }

    fn __repr__(&self) -> String {
        format!("<wheelhook.PathEntry {:?}>", self.path)
    }
}

/// What the last component of `fullname` names in `path`, a directory inside an active wheel,
/// whatever `fullname` is (as `FileFinder` does). A module found under another name than its
/// own (an alias's `__path__`) is served under `fullname` too.
fn find_in_path<'py>(
    py: Python<'py>,
    state: &RwLock<State>,
    runtime: &Runtime,
    path: &str,
    fullname: &str,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let leaf = fullname.rsplit('.').next().unwrap_or(fullname);
    let found = {
        let state = state.read_py_attached(py);
        let Some(located) = state.registry.locate(path) else {
            return Ok(None);
        };
        let (dist, dir) = (located.dist, located.dir);
        let Some(found) = dist.find_in_dir(&dir, leaf) else {
            return Ok(None);
        };
        // Names this process does not serve from wheels (the standard library's, unless
        // overridden) are not served through a path either.
        let top = found.name.split('.').next().unwrap_or(&found.name);
        let Some(loader) = state.registry.get(top).and(state.loaders.get(dist.path())) else {
            return Ok(None);
        };
        let at = if dir.is_empty() {
            leaf.to_owned()
        } else {
            format!("{dir}/{leaf}")
        };
        let own = found.name.clone();
        (
            dist.clone(),
            own,
            found.entry.clone(),
            loader.clone_ref(py),
            at,
        )
    };
    let (dist, own, entry, loader, at) = found;
    if entry.kind == ModuleKind::Namespace {
        // A portion: the path finder gathers every entry's into the namespace (PEP 420).
        let portion = namespace_spec(py, fullname, None, vec![dist.member_path(&at)])?;
        return Ok(Some(portion));
    }
    loader.get().alias(fullname, &own);
    module_spec(py, runtime, fullname, &dist, &entry, loader).map(Some)
}

/// The names directly inside `path` (a directory inside an active wheel) as `(name, is_package)`.
fn children(registry: &Registry, path: &str) -> Vec<(String, bool)> {
    let Some(located) = registry.locate(path) else {
        return Vec::new();
    };
    let wanted = located.dir.as_str();
    let mut out: Vec<(String, bool)> = located
        .dist
        .index
        .iter()
        // pkgutil lists packages and modules only: a directory without `__init__` is not
        // one (CPython's FileFinder skips it too), though it imports as a namespace.
        .filter(|(_, entry)| entry.kind != ModuleKind::Namespace)
        .filter_map(|(name, entry)| {
            let leaf = name.rsplit('.').next().unwrap_or(name);
            let file = if entry.is_package {
                entry
                    .search_locations
                    .first()
                    .map(String::as_str)
                    .unwrap_or(&entry.member)
            } else {
                entry.member.as_str()
            };
            let parent = file.rsplit_once('/').map_or("", |(p, _)| p);
            (parent == wanted).then(|| (leaf.to_owned(), entry.is_package))
        })
        .collect();
    out.sort();
    out.dedup();
    out
}
