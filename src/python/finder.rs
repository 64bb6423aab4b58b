//! The meta-path finder: `find_spec` from the merged module index of the active wheels, the
//! entry points of activation, and the path hook.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use parking_lot::{ReentrantMutex, RwLock};
use pep440_rs::Version;
use pyo3::prelude::*;
use pyo3::sync::{MutexExt, RwLockExt};

use super::active::ActiveDistribution;
use super::facts::{self, Facts};
use super::host::ProcessHost;
use super::loader::Loader;
use super::path_entry::PathEntry;
use super::runtime::Runtime;
use super::spec::{module_spec, namespace_spec};
use super::state::{self, State};
use crate::import::{Overrides, Served};
use crate::lock::Groups;
use crate::session::{self, LockSpec, Request, StoreDirs};
use crate::wheel::PackageName;

/// What `find_spec` finds for a name.
enum Lookup {
    /// A module or namespace of an active wheel, with the wheel's loader.
    Served(Served, Py<Loader>),
    /// Nothing, but an `on_import` callback waits for the name.
    Hooked,
    Nothing,
}

/// The meta-path finder that serves activated wheels (`wheelhook._native.Finder`).
#[pyclass(frozen, module = "wheelhook._native")]
pub struct Finder {
    facts: Facts,
    runtime: Arc<Runtime>,
    /// Shared with the path-entry finders.
    state: Arc<RwLock<State>>,
    /// Held through an activation, from reading the pinned set to committing the new one (and
    /// exporting it): two activations racing (the resolution runs without the interpreter
    /// lock, and with no GIL at all on a free-threaded build) must not both pin a version of
    /// one distribution. Reentrant, for an activation that an import during another one starts.
    activation: ReentrantMutex<()>,
}

impl Finder {
    /// The pinned set as requirements, one `name==version` per line, sorted by name (what
    /// `WHEELHOOK_REQUIRES` passes to children).
    pub(crate) fn pins(&self, py: Python<'_>) -> String {
        let state = self.state.read_py_attached(py);
        let mut names: Vec<&PackageName> = state.pinned.keys().collect();
        names.sort();
        names
            .into_iter()
            .map(|n| format!("{n}=={}", state.pinned[n].version))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Serialises activations (see [`Finder::activation`]); waits without the interpreter.
    pub(crate) fn activation_guard(
        &self,
        py: Python<'_>,
    ) -> parking_lot::ReentrantMutexGuard<'_, ()> {
        self.activation.lock_py_attached(py)
    }

    pub(crate) fn is_stdlib(&self, py: Python<'_>, top: &str) -> bool {
        self.facts.is_stdlib(py, top)
    }

    /// The spec of a namespace package the wheels serve: their portions, and those of the same
    /// namespace outside them (site-packages), which join in.
    fn namespace_spec<'py>(
        &self,
        py: Python<'py>,
        fullname: &str,
        path: Option<Bound<'py, PyAny>>,
        mut locations: Vec<String>,
        loader: Py<Loader>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let path_finder = py
            .import("_frozen_importlib_external")?
            .getattr("PathFinder")?;
        let other = path_finder.call_method1("find_spec", (fullname, path))?;
        if !other.is_none() && other.getattr("loader")?.is_none() {
            let extra: Option<Vec<String>> =
                other.getattr("submodule_search_locations")?.extract().ok();
            locations.extend(extra.unwrap_or_default());
        }
        namespace_spec(py, fullname, Some(loader), locations)
    }

    /// Runs (once) the callback registered for `fullname` by `on_import`.
    fn run_import_hook<'py>(
        &self,
        py: Python<'py>,
        fullname: &str,
        path: Option<Bound<'py, PyAny>>,
        target: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let Some(callback) = self
            .state
            .write_py_attached(py)
            .import_hooks
            .remove(fullname)
        else {
            return Ok(None);
        };
        let spec = callback.bind(py).call1((fullname, path, target))?;
        Ok((!spec.is_none()).then_some(spec))
    }

    /// What `find_spec` finds for `fullname`.
    fn lookup(&self, py: Python<'_>, fullname: &str) -> Lookup {
        let state = self.state.read_py_attached(py);
        let Some(served) = state.registry.get(fullname) else {
            return if !state.import_hooks.is_empty() && state.import_hooks.contains_key(fullname) {
                Lookup::Hooked
            } else {
                Lookup::Nothing
            };
        };
        let dist = match served {
            Served::Module { dist, .. } | Served::Namespace { dist, .. } => dist,
        };
        match state.loaders.get(dist.path()) {
            Some(loader) => Lookup::Served(served.clone(), loader.clone_ref(py)),
            None => Lookup::Nothing,
        }
    }
}

#[pymethods]
impl Finder {
    #[new]
    pub(crate) fn new(py: Python<'_>) -> PyResult<Self> {
        Ok(Self {
            facts: facts::read(py)?,
            runtime: Arc::new(Runtime::new(py)?),
            state: Arc::new(RwLock::new(State::default())),
            activation: ReentrantMutex::new(()),
        })
    }

    /// `importlib.abc.MetaPathFinder.find_spec`: one hash lookup; `None` for names not served.
    #[pyo3(signature = (fullname, path=None, target=None))]
    fn find_spec<'py>(
        &self,
        py: Python<'py>,
        fullname: &str,
        path: Option<Bound<'py, PyAny>>,
        target: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let (served, loader) = match self.lookup(py, fullname) {
            Lookup::Served(served, loader) => (served, loader),
            Lookup::Hooked => return self.run_import_hook(py, fullname, path, target),
            Lookup::Nothing => return Ok(None),
        };
        let spec = match served {
            Served::Module { dist, entry } => {
                module_spec(py, &self.runtime, fullname, &dist, &entry, loader)?
            }
            Served::Namespace { locations, .. } => {
                self.namespace_spec(py, fullname, path, locations, loader)?
            }
        };
        Ok(Some(spec))
    }

    /// Resolves `requirements` against the store and activates the result; returns the whole
    /// resolution (wheels and defaults). Nothing changes when it raises.
    ///
    /// A wheel whose packages read their files by path (see `by_path`) is served from a copy
    /// unpacked into the cache, others from the archive; `unpack` overrides that choice, entries
    /// in order: `name` unpacks, `-name` serves from the archive, `*`/`-*` all of them.
    /// `stdlib_overrides` names distributions that serve their standard-library modules as if
    /// `override_stdlib` were given for them (what a parent activated with it, passed on to its
    /// children).
    ///
    /// With `lock` (a PEP 751 `pylock.toml`), `requirements` are ignored: the lock's packages
    /// selected for this interpreter (with `extras`, and `groups`, default its
    /// `default-groups`) are activated as locked, each wheel checked against the lock's sha256,
    /// with no resolution.
    #[pyo3(signature = (requirements, wheel_dirs, default_dirs, override_stdlib=false, unpack=Vec::new(), stdlib_overrides=Vec::new(), lock=None, extras=Vec::new(), groups=None))]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn require(
        &self,
        py: Python<'_>,
        requirements: Vec<String>,
        wheel_dirs: Vec<PathBuf>,
        default_dirs: Vec<PathBuf>,
        override_stdlib: bool,
        unpack: Vec<String>,
        stdlib_overrides: Vec<String>,
        lock: Option<PathBuf>,
        extras: Vec<String>,
        groups: Option<Vec<String>>,
    ) -> PyResult<Vec<Py<ActiveDistribution>>> {
        let _serial = self.activation_guard(py);
        let request = Request {
            requirements,
            dirs: StoreDirs {
                wheels: wheel_dirs,
                defaults: default_dirs,
            },
            override_stdlib,
            stdlib_overrides: stdlib_overrides
                .iter()
                .map(|u| PackageName::new(u))
                .collect(),
            unpack: Overrides::parse(unpack.iter().map(String::as_str)),
            lock: lock.map(|file| LockSpec {
                file,
                groups: Groups { extras, groups },
            }),
        };
        let pinned: HashMap<PackageName, Version> = {
            let state = self.state.read_py_attached(py);
            state
                .pinned
                .iter()
                .map(|(k, c)| (k.clone(), c.version.clone()))
                .collect()
        };
        let host = ProcessHost::new(py, &self.facts, &self.runtime, &self.state);
        let plan = session::activate(&host, &request, &pinned)?;
        if plan.recalled {
            self.runtime.activation_hits.fetch_add(1, Ordering::Relaxed);
        }
        state::commit(py, &self.state, &self.runtime, plan)
    }

    /// The active set, sorted by name.
    pub(crate) fn active(&self, py: Python<'_>) -> Vec<Py<ActiveDistribution>> {
        let state = self.state.read_py_attached(py);
        let mut names: Vec<&PackageName> = state.active.keys().collect();
        names.sort();
        names
            .into_iter()
            .map(|n| state.active[n].clone_ref(py))
            .collect()
    }

    /// `importlib.metadata` support: the active wheels' distributions, by `wheelhook.metadata`.
    #[pyo3(signature = (context=None))]
    fn find_distributions<'py>(
        slf: &Bound<'py, Self>,
        py: Python<'py>,
        context: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let module = py.import("wheelhook.metadata")?;
        module.call_method1("find_distributions", (slf, context))
    }

    /// What importing has cost this process: `{"compiled": n, "cache_hits": n,
    /// "published_hits": n, "activation_hits": n}` (code taken from the private cache or from
    /// packs published beside the wheels, of which from published packs; resolutions taken
    /// from the activation cache).
    fn stats(&self) -> HashMap<&'static str, u64> {
        use std::sync::atomic::Ordering::Relaxed;
        HashMap::from([
            ("compiled", self.runtime.compiled.load(Relaxed)),
            ("cache_hits", self.runtime.cache_hits.load(Relaxed)),
            ("published_hits", self.runtime.published_hits.load(Relaxed)),
            (
                "activation_hits",
                self.runtime.activation_hits.load(Relaxed),
            ),
        ])
    }

    /// Waits until the bytecode cache entries of this process's imports so far are written (a
    /// thread writes them in the background; the interpreter's exit waits for them too).
    fn flush(&self, py: Python<'_>) {
        self.runtime.flush(py);
    }

    /// The private cache directory in use, or `None` when it is refused (memory only).
    fn cache_dir(&self, py: Python<'_>) -> Option<String> {
        self.runtime
            .cache_dir(py)
            .map(|d| d.to_string_lossy().into_owned())
    }

    /// Calls `callback(fullname, path, target)` the first time `fullname` is looked up (and
    /// not served); its result is `find_spec`'s. This costs nothing per import, unlike a
    /// watching finder of its own in `sys.meta_path`. Ex) patching `multiprocessing.spawn`
    /// as it is imported.
    pub(crate) fn on_import(&self, py: Python<'_>, fullname: String, callback: Py<PyAny>) {
        self.state
            .write_py_attached(py)
            .import_hooks
            .insert(fullname, callback);
    }

    /// The entry points of the active set and of the installed distributions it does not
    /// shadow (`wheelhook.entry_points` reads it): `(dists, groups)`, read once and kept until
    /// the active set or the listing of the store changes.
    fn entry_point_table(
        &self,
        py: Python<'_>,
        wheel_dirs: Vec<PathBuf>,
        default_dirs: Vec<PathBuf>,
    ) -> PyResult<Py<pyo3::types::PyTuple>> {
        let dirs = StoreDirs {
            wheels: wheel_dirs,
            defaults: default_dirs,
        };
        super::entry_points::table(py, &self.state, dirs, || self.facts.tags())
    }

    /// Forgets the listing of the store (and the entry points read from it), so wheels
    /// dropped since are seen.
    fn invalidate_caches(&self, py: Python<'_>) {
        self.state.write_py_attached(py).forget_listing();
    }

    /// A `sys.path_hooks` entry: claims paths inside active wheels so that nothing else
    /// (zipimport) reads them, and serves `pkgutil.iter_modules` over them.
    fn path_hook(&self, py: Python<'_>, path: &str) -> PyResult<PathEntry> {
        PathEntry::new(py, &self.state, &self.runtime, path)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let state = self.state.read_py_attached(py);
        format!(
            "<wheelhook.Finder serving {} wheels>",
            state.registry.dists().len()
        )
    }
}
