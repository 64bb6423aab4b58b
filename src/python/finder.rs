//! The meta-path finder: `find_spec` from the merged module index, activation, the path hook.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::SystemTime;

use parking_lot::{ReentrantMutex, RwLock};
use pep440_rs::Version;
use pep508_rs::Requirement;
use pyo3::exceptions::{PyImportError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::{MutexExt, PyOnceLock, RwLockExt};
use pyo3::types::{PyDict, PyType};

use super::errors::{resolve_error, wheelhook_error};
use super::facts::{self, Facts};
use super::loader::Loader;
use super::runtime::Runtime;
use crate::archive::Archive;
use crate::cache::{activation, write_atomic};
use crate::candidate::{Candidate, Origin};
use crate::import::{ActiveDist, ModuleEntry, ModuleKind, Overrides, Registry, Served};
use crate::resolve::resolve;
use crate::store::{Store, StoreConfig};
use crate::wheel::parse_requirement;
use crate::wheel::PackageName;

static MODULE_SPEC: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static EXTENSION_LOADER: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// One distribution of the active set, as Python sees it.
#[pyclass(frozen, module = "wheelhook._native", get_all)]
pub struct ActiveDistribution {
    /// The normalised name. Ex) `six`
    pub name: String,
    pub version: String,
    /// `"wheel"` or `"default"`.
    pub kind: &'static str,
    /// The wheel file, or the default's `.dist-info` directory.
    pub path: String,
    /// Top-level import names served from the wheel (empty for defaults).
    pub top_level: Vec<String>,
    /// The loader of a wheel's modules; `None` for defaults.
    pub loader: Option<Py<Loader>>,
    /// Why the wheel's packages seem to read their files by path, so that it is served unpacked
    /// unless told otherwise. Ex) `data pytz/zoneinfo/CET`, `file-ref jinja2/debug.py`
    pub by_path: Option<String>,
    /// The directory of the unpacked copy the wheel is served from; `None`: from its archive.
    pub unpacked: Option<String>,
}

#[pymethods]
impl ActiveDistribution {
    fn __repr__(&self) -> String {
        format!(
            "<ActiveDistribution {} {} ({}: {})>",
            self.name, self.version, self.kind, self.path
        )
    }
}

/// Where an activation cache entry goes: its file, identity and the directories' stamps.
type Remember = (PathBuf, activation::Identity, activation::Stamps);

/// What a resolution chose, and how.
struct Resolved {
    /// Each candidate, with its wheel's layout when the activation cache supplied it.
    chosen: Vec<activation::Chosen>,
    /// The store, when it was listed for this resolution.
    listed: Option<Arc<Store>>,
    /// Where to remember the resolution, when it should be.
    remember: Option<Remember>,
}

#[derive(Default)]
struct State {
    registry: Registry,
    loaders: HashMap<PathBuf, Py<Loader>>,
    /// Every pinned distribution, wheels and defaults, by name.
    active: HashMap<PackageName, Py<ActiveDistribution>>,
    pinned: HashMap<PackageName, Candidate>,
    /// One-shot callbacks for names the finder does not serve: `find_spec` hands the first
    /// request for the name to the callback (see `on_import`).
    import_hooks: HashMap<String, Py<PyAny>>,
    store: Option<(Vec<PathBuf>, Vec<PathBuf>, Arc<Store>)>,
}

/// The meta-path finder that serves activated wheels (`wheelhook._native.Finder`).
#[pyclass(frozen, module = "wheelhook._native")]
pub struct Finder {
    facts: Facts,
    runtime: Arc<Runtime>,
    state: RwLock<State>,
    /// Held through an activation, from reading the pinned set to committing the new one (and
    /// exporting it): two activations racing (the resolution runs without the interpreter
    /// lock, and with no GIL at all on a free-threaded build) must not both pin a version of
    /// one distribution. Reentrant, for an activation that an import during another one starts.
    activation: ReentrantMutex<()>,
}

impl Finder {
    /// The listing of the store for these directories, and whether it was made just now (a
    /// listing kept from earlier may predate the file system's present state).
    fn store(
        &self,
        py: Python<'_>,
        wheel_dirs: Vec<PathBuf>,
        default_dirs: Vec<PathBuf>,
    ) -> (Arc<Store>, bool) {
        {
            let state = self.state.read_py_attached(py);
            if let Some((w, d, store)) = &state.store {
                if *w == wheel_dirs && *d == default_dirs {
                    return (store.clone(), false);
                }
            }
        }
        let config = StoreConfig {
            wheel_dirs: wheel_dirs.clone(),
            default_dirs: default_dirs.clone(),
            tags: self.facts.tags(),
        };
        let store = Arc::new(Store::scan(&config));
        self.state.write_py_attached(py).store = Some((wheel_dirs, default_dirs, store.clone()));
        (store, true)
    }

    /// The resolution of `requirements`: from the activation cache when nothing is pinned yet
    /// and an entry matches the file system (with each wheel's layout), else by listing the
    /// store and resolving. Returns the store when it was listed, and where to remember this
    /// resolution once its wheels are activated (see [`Self::remember`]).
    fn resolve_requirements(
        &self,
        py: Python<'_>,
        requirements: &[String],
        wheel_dirs: Vec<PathBuf>,
        default_dirs: Vec<PathBuf>,
        locked: &HashMap<PackageName, Version>,
    ) -> PyResult<Resolved> {
        let entry = if locked.is_empty() {
            self.activation_entry(py, requirements, &wheel_dirs, &default_dirs)
        } else {
            None
        };
        if let Some((path, identity, stamps)) = &entry {
            let found = std::fs::read_to_string(path).ok();
            if let Some(chosen) = found.and_then(|t| activation::decode(&t, identity, stamps)) {
                self.runtime.activation_hits.fetch_add(1, Ordering::Relaxed);
                return Ok(Resolved {
                    chosen,
                    listed: None,
                    remember: None,
                });
            }
        }
        // Parsed only to resolve: an entry exists only for requirements (the same text, by the
        // same version of wheelhook) that parsed and resolved before.
        let parsed = parse_requirements(requirements)?;
        let (store, fresh) = self.store(py, wheel_dirs, default_dirs);
        let environment = &self.facts.environment;
        let chosen = py
            .detach(|| resolve(store.as_ref(), &parsed, environment, locked))
            .map_err(|e| resolve_error(py, e))?;
        // Only a listing made after the stamps were read is known to be as new as they are.
        let remember = entry.filter(|(_, _, stamps)| fresh && stamps.settled(SystemTime::now()));
        Ok(Resolved {
            chosen: chosen.into_iter().map(|c| (c, None)).collect(),
            listed: Some(store),
            remember,
        })
    }

    /// Writes an activation cache entry: the resolution, with the layout of each wheel as
    /// activating it just read. A failed write costs one resolution at the next start.
    fn remember(
        py: Python<'_>,
        (path, identity, stamps): Remember,
        chosen: &[Candidate],
        dists: &[Arc<ActiveDist>],
    ) {
        let chosen: Vec<activation::Chosen> = chosen
            .iter()
            .map(|c| {
                let dist = dists.iter().find(|d| d.candidate == *c);
                (c.clone(), dist.map(|d| d.layout()))
            })
            .collect();
        py.detach(|| {
            if let Some(text) = activation::encode(&identity, &stamps, &chosen) {
                if write_atomic(&path, text.as_bytes(), false).is_ok() {
                    if let Some(dir) = path.parent() {
                        activation::prune(dir);
                    }
                }
            }
        });
    }

    /// Where the activation cache keeps the entry for these requirements and directories, with
    /// its identity and the directories' stamps read now (before any listing); `None` when it
    /// cannot be used (no private cache, a path that cannot be written on one line).
    fn activation_entry(
        &self,
        py: Python<'_>,
        requirements: &[String],
        wheel_dirs: &[PathBuf],
        default_dirs: &[PathBuf],
    ) -> Option<(PathBuf, activation::Identity, activation::Stamps)> {
        let cwd = std::env::current_dir().ok();
        let identity = activation::Identity::new(
            requirements,
            wheel_dirs,
            default_dirs,
            self.facts.identity(),
            cwd.as_deref(),
        )?;
        let dir = self.runtime.cache_dir(py)?.join("activations");
        let mut dirs: Vec<&std::path::Path> = Vec::new();
        for d in wheel_dirs.iter().chain(default_dirs) {
            if !dirs.contains(&d.as_path()) {
                dirs.push(d);
            }
        }
        let stamps = activation::Stamps::read(dirs)?;
        Some((dir.join(identity.file_name()), identity, stamps))
    }

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
        self.facts.stdlib.bind(py).contains(top).unwrap_or(false)
    }

    /// Standard-library names never lie: `import` and `importlib.metadata` always tell of the
    /// same code. Without `override_stdlib`, a wheel whose top-level names are all
    /// standard-library modules (a backport: `argparse`, `enum34`, `typing`) is not activated:
    /// named in the requirements it is an error (`StdlibConflict`, naming the module, the
    /// distribution and the flag); only needed by them (an old dependency requiring a backport
    /// without a marker) it is left to the standard library, which serves those modules, and
    /// is returned here (and logged on the `wheelhook` logger). A wheel with other top-level
    /// names besides is activated and serves those, its standard-library names left to the
    /// standard library, as a normal install behaves (site-packages comes after the standard
    /// library on `sys.path`, so a stray `test/` or `json/` in a wheel is never imported).
    fn stdlib_rule(
        &self,
        py: Python<'_>,
        requirements: &[String],
        new_dists: &[Arc<ActiveDist>],
        overridden: &dyn Fn(&PackageName) -> bool,
    ) -> PyResult<Vec<PackageName>> {
        let mut left = Vec::new();
        let mut named: Option<Vec<PackageName>> = None;
        for dist in new_dists.iter().filter(|d| !overridden(&d.candidate.name)) {
            let tops: Vec<&str> = dist.index.top_level().collect();
            let stdlib: Vec<&str> = tops
                .iter()
                .copied()
                .filter(|t| self.is_stdlib(py, t))
                .collect();
            if stdlib.is_empty() {
                continue;
            }
            let candidate = &dist.candidate;
            let wheel = dist.path().display();
            if stdlib.len() < tops.len() {
                log(
                    py,
                    format!(
                        "{} {} from {wheel}: its modules {} are left to the standard library \
                         (override_stdlib=True serves the wheel's)",
                        candidate.name,
                        candidate.version,
                        quoted(&stdlib),
                    ),
                );
                continue;
            }
            // Parsed only here (rare): an activation cache hit does not parse the requirements.
            let named = named.get_or_insert_with(|| {
                requirements
                    .iter()
                    .filter_map(|r| parse_requirement(r).ok())
                    .map(|r| PackageName::new(r.name.as_ref()))
                    .collect()
            });
            if !named.contains(&candidate.name) {
                log(
                    py,
                    format!(
                        "{} {} from {wheel} is not activated: its modules {} are the standard \
                         library's, which serves them (override_stdlib=True serves the wheel's)",
                        candidate.name,
                        candidate.version,
                        quoted(&stdlib),
                    ),
                );
                left.push(candidate.name.clone());
                continue;
            }
            let (modules, verb) = if stdlib.len() == 1 {
                ("module", "is")
            } else {
                ("modules", "are")
            };
            return Err(wheelhook_error(
                py,
                "StdlibConflict",
                format!(
                    "Cannot activate {} {} from {wheel}: its {modules} {} {verb} also in the \
                     standard library, whose module is what `import {}` gives unless asked \
                     otherwise. Pass override_stdlib=True to require() to serve the wheel's in \
                     this process (before the first import of {}), or leave {} out of the \
                     requirements to use the standard library's.",
                    candidate.name,
                    candidate.version,
                    quoted(&stdlib),
                    stdlib[0],
                    quoted(&stdlib),
                    candidate.name,
                ),
            ));
        }
        Ok(left)
    }
}

/// Logs a decision on the `wheelhook` logger (at INFO).
fn log(py: Python<'_>, message: String) {
    if let Ok(logger) = py
        .import("logging")
        .and_then(|l| l.call_method1("getLogger", ("wheelhook",)))
    {
        let _ = logger.call_method1("info", (message,));
    }
}

/// Names for a message. Ex) `"argparse", "enum"`
fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse_requirements(requirements: &[String]) -> PyResult<Vec<Requirement>> {
    requirements
        .iter()
        .map(|r| parse_requirement(r).map_err(|e| PyValueError::new_err(e.to_string())))
        .collect()
}

#[pymethods]
impl Finder {
    #[new]
    pub(crate) fn new(py: Python<'_>) -> PyResult<Self> {
        Ok(Self {
            facts: facts::read(py)?,
            runtime: Arc::new(Runtime::new(py)?),
            state: RwLock::new(State::default()),
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
        let _ = target;
        let (served, loader) = {
            let state = self.state.read_py_attached(py);
            let Some(served) = state.registry.get(fullname) else {
                let hooked =
                    !state.import_hooks.is_empty() && state.import_hooks.contains_key(fullname);
                drop(state);
                return if hooked {
                    self.run_import_hook(py, fullname, path, target)
                } else {
                    Ok(None)
                };
            };
            let dist = match served {
                Served::Module { dist, .. } | Served::Namespace { dist, .. } => dist,
            };
            let loader = state.loaders.get(dist.path()).map(|l| l.clone_ref(py));
            (served.clone(), loader)
        };
        let Some(loader) = loader else {
            return Ok(None);
        };
        match served {
            Served::Module { dist, entry } => self
                .module_spec(py, fullname, &dist, &entry, loader)
                .map(Some),
            Served::Namespace { locations, .. } => {
                // Portions of the same namespace outside the wheels (site-packages) join in.
                let mut locations = locations;
                let path_finder = py
                    .import("_frozen_importlib_external")?
                    .getattr("PathFinder")?;
                let other = path_finder.call_method1("find_spec", (fullname, path))?;
                if !other.is_none() && other.getattr("loader")?.is_none() {
                    let extra: Option<Vec<String>> =
                        other.getattr("submodule_search_locations")?.extract().ok();
                    locations.extend(extra.unwrap_or_default());
                }
                let spec_class = MODULE_SPEC.import(py, "_frozen_importlib", "ModuleSpec")?;
                let kwargs = PyDict::new(py);
                kwargs.set_item("is_package", true)?;
                let spec = spec_class.call((fullname, loader), Some(&kwargs))?;
                spec.setattr("submodule_search_locations", locations)?;
                Ok(Some(spec))
            }
        }
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
    #[pyo3(signature = (requirements, wheel_dirs, default_dirs, override_stdlib=false, unpack=Vec::new(), stdlib_overrides=Vec::new()))]
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
    ) -> PyResult<Vec<Py<ActiveDistribution>>> {
        let _serial = self.activation_guard(py);
        let overrides = Overrides::parse(unpack.iter().map(String::as_str));
        let stdlib_overridden: Vec<PackageName> = stdlib_overrides
            .iter()
            .map(|u| PackageName::new(u))
            .collect();
        let overridden = |name: &PackageName| override_stdlib || stdlib_overridden.contains(name);
        let locked: HashMap<PackageName, Version> = {
            let state = self.state.read_py_attached(py);
            state
                .pinned
                .iter()
                .map(|(k, c)| (k.clone(), c.version.clone()))
                .collect()
        };
        let Resolved {
            chosen,
            listed,
            remember,
        } = self.resolve_requirements(
            py,
            &requirements,
            wheel_dirs.clone(),
            default_dirs.clone(),
            &locked,
        )?;

        // Open and index the new wheels before touching any state.
        // (No lock is held meanwhile: unpacking releases the GIL.)
        let fresh: Vec<&activation::Chosen> = {
            let state = self.state.read_py_attached(py);
            chosen
                .iter()
                .filter(|(c, _)| !state.pinned.contains_key(&c.name))
                .collect()
        };
        let mut new_dists: Vec<Arc<ActiveDist>> = Vec::new();
        {
            for (candidate, layout) in fresh {
                if let Origin::Wheel { path, .. } = &candidate.origin {
                    let archive = match &listed {
                        Some(store) => store.archive(path)?,
                        None => Arc::new(Archive::open(path)?),
                    };
                    let mut dist = ActiveDist::with_layout(
                        candidate.clone(),
                        archive.clone(),
                        &self.facts.extension_suffixes,
                        layout.clone(),
                    )?;
                    if overrides.unpacked(&candidate.name, dist.by_path.is_some()) {
                        dist = dist.unpacked_at(&self.runtime.unpack_dir(py, &archive)?);
                    }
                    new_dists.push(Arc::new(dist));
                }
            }
        }
        let skip = |name: &PackageName, top: &str| !overridden(name) && self.is_stdlib(py, top);
        let left_to_stdlib = self.stdlib_rule(py, &requirements, &new_dists, &overridden)?;
        // The listing is needed here only to word an error.
        let store = || match &listed {
            Some(store) => store.clone(),
            None => self.store(py, wheel_dirs.clone(), default_dirs.clone()).0,
        };
        let mut chosen: Vec<Candidate> = chosen.into_iter().map(|(c, _)| c).collect();
        if !left_to_stdlib.is_empty() {
            new_dists.retain(|d| !left_to_stdlib.contains(&d.candidate.name));
            chosen.retain(|c| !left_to_stdlib.contains(&c.name));
        }
        let grow = check_not_imported(py, &new_dists, &store, &skip, &|top| {
            self.is_stdlib(py, top)
        })?;
        if let Some(remember) = remember {
            Self::remember(py, remember, &chosen, &new_dists);
        }

        // Every Python object is made before the state is locked for writing, and nothing under
        // that lock calls Python: an allocation can run the garbage collector, a finaliser can
        // import, and the import would wait for the lock this thread holds. (The pinned set
        // cannot change meanwhile: activations are serialised.) A failure here leaves the
        // state untouched.
        let skipped: std::collections::HashSet<(&PackageName, &str)> = new_dists
            .iter()
            .flat_map(|d| d.index.top_level().map(move |top| (&d.candidate.name, top)))
            .filter(|(name, top)| skip(name, top))
            .collect();
        let served = |name: &PackageName, top: &str| !skipped.contains(&(name, top));
        let existing: HashMap<PackageName, Py<ActiveDistribution>> = {
            let state = self.state.read_py_attached(py);
            chosen
                .iter()
                .filter_map(|c| Some((c.name.clone(), state.active.get(&c.name)?.clone_ref(py))))
                .collect()
        };
        let mut result = Vec::new();
        let mut added = Vec::new();
        for candidate in chosen {
            if let Some(active) = existing.get(&candidate.name) {
                result.push(active.clone_ref(py));
                continue;
            }
            let dist = new_dists.iter().find(|d| d.candidate == candidate);
            let loader = match dist {
                Some(dist) => Some(Py::new(
                    py,
                    Loader::new(dist.clone(), self.runtime.clone()),
                )?),
                None => None,
            };
            let active = Py::new(
                py,
                ActiveDistribution {
                    name: candidate.name.to_string(),
                    version: candidate.version.to_string(),
                    kind: if candidate.is_default() {
                        "default"
                    } else {
                        "wheel"
                    },
                    path: candidate.origin.path().to_string_lossy().into_owned(),
                    top_level: dist
                        .map(|d| {
                            d.index
                                .top_level()
                                .filter(|t| served(&candidate.name, t))
                                .map(str::to_owned)
                                .collect()
                        })
                        .unwrap_or_default(),
                    loader: loader.as_ref().map(|l| l.clone_ref(py)),
                    by_path: dist.and_then(|d| d.by_path.as_ref().map(ToString::to_string)),
                    unpacked: dist.and_then(|d| d.unpacked_dir().map(str::to_owned)),
                },
            )?;
            result.push(active.clone_ref(py));
            added.push((candidate, dist, loader, active));
        }

        let mut state = self.state.write_py_attached(py);
        let mut registry = state.registry.clone();
        for dist in &new_dists {
            registry.add(dist.clone(), &|top: &str| {
                !served(&dist.candidate.name, top)
            });
        }
        for (candidate, dist, loader, active) in added {
            if let (Some(dist), Some(loader)) = (dist, loader) {
                state.loaders.insert(dist.path().to_path_buf(), loader);
            }
            state.active.insert(candidate.name.clone(), active);
            state.pinned.insert(candidate.name.clone(), candidate);
        }
        state.registry = registry;
        drop(state);
        for (module, locations) in grow {
            let path = module.getattr("__path__")?;
            for location in locations {
                path.call_method1("append", (location,))?;
            }
        }
        Ok(result)
    }

    /// The active set, sorted by name.
    fn active(&self, py: Python<'_>) -> Vec<Py<ActiveDistribution>> {
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
    /// "activation_hits": n}` (resolutions taken from the activation cache).
    fn stats(&self) -> HashMap<&'static str, u64> {
        use std::sync::atomic::Ordering::Relaxed;
        HashMap::from([
            ("compiled", self.runtime.compiled.load(Relaxed)),
            ("cache_hits", self.runtime.cache_hits.load(Relaxed)),
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

    /// Forgets the listing of the store, so wheels dropped since are seen.
    fn invalidate_caches(&self, py: Python<'_>) {
        self.state.write_py_attached(py).store = None;
    }

    /// A `sys.path_hooks` entry: claims paths inside active wheels so that nothing else
    /// (zipimport) reads them, and serves `pkgutil.iter_modules` over them.
    fn path_hook(slf: &Bound<'_, Self>, path: &str) -> PyResult<PathEntry> {
        let finder = slf.get();
        let state = finder.state.read_py_attached(slf.py());
        if !state.registry.owns_path(path) {
            return Err(PyImportError::new_err("not a path inside an active wheel"));
        }
        Ok(PathEntry {
            finder: slf.clone().unbind(),
            path: path.to_owned(),
        })
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let state = self.state.read_py_attached(py);
        format!(
            "<wheelhook.Finder serving {} wheels>",
            state.registry.dists().len()
        )
    }
}

impl Finder {
    /// The spec of a module or regular package of `dist`, imported as `fullname`.
    fn module_spec<'py>(
        &self,
        py: Python<'py>,
        fullname: &str,
        dist: &Arc<ActiveDist>,
        entry: &ModuleEntry,
        loader: Py<Loader>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let spec_class = MODULE_SPEC.import(py, "_frozen_importlib", "ModuleSpec")?;
        let kwargs = PyDict::new(py);
        let (origin, module_loader) = if entry.kind == ModuleKind::Extension {
            // The dynamic loader needs a real file: the materialised, verified copy.
            let path = self.runtime.native_dir(py, dist)?.join(&entry.member);
            let path = path.to_string_lossy().into_owned();
            let ext_loader = EXTENSION_LOADER
                .import(py, "_frozen_importlib_external", "ExtensionFileLoader")?
                .call1((fullname, &path))?;
            (path, ext_loader)
        } else {
            (
                dist.member_path(&entry.member),
                loader.into_bound(py).into_any(),
            )
        };
        kwargs.set_item("origin", origin)?;
        kwargs.set_item("is_package", entry.is_package)?;
        let spec = spec_class.call((fullname, module_loader), Some(&kwargs))?;
        spec.setattr("has_location", true)?;
        if entry.is_package {
            let locations: Vec<String> = entry
                .search_locations
                .iter()
                .map(|l| dist.member_path(l))
                .collect();
            spec.setattr("submodule_search_locations", locations)?;
        }
        Ok(spec)
    }

    /// The path-entry protocol for `path`, a directory inside an active wheel: what the last
    /// component of `fullname` names in that directory, whatever `fullname` is (as `FileFinder`
    /// does). A module found under another name than its own (an alias's `__path__`) is served
    /// under `fullname` too.
    fn find_in_path<'py>(
        &self,
        py: Python<'py>,
        path: &str,
        fullname: &str,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let leaf = fullname.rsplit('.').next().unwrap_or(fullname);
        let found = {
            let state = self.state.read_py_attached(py);
            let Some((dist, dir)) = state.registry.locate(path) else {
                return Ok(None);
            };
            let Some((own, entry)) = dist.find_in_dir(&dir, leaf) else {
                return Ok(None);
            };
            // Names this process does not serve from wheels (the standard library's, unless
            // overridden) are not served through a path either.
            let top = own.split('.').next().unwrap_or(&own);
            let Some(loader) = state.registry.get(top).and(state.loaders.get(dist.path())) else {
                return Ok(None);
            };
            let at = if dir.is_empty() {
                leaf.to_owned()
            } else {
                format!("{dir}/{leaf}")
            };
            (dist.clone(), own, entry.clone(), loader.clone_ref(py), at)
        };
        let (dist, own, entry, loader, at) = found;
        if entry.kind == ModuleKind::Namespace {
            // A portion: the path finder gathers every entry's into the namespace (PEP 420).
            let spec_class = MODULE_SPEC.import(py, "_frozen_importlib", "ModuleSpec")?;
            let kwargs = PyDict::new(py);
            kwargs.set_item("is_package", true)?;
            let spec = spec_class.call((fullname, py.None()), Some(&kwargs))?;
            spec.setattr("submodule_search_locations", vec![dist.member_path(&at)])?;
            return Ok(Some(spec));
        }
        loader.get().alias(fullname, &own);
        self.module_spec(py, fullname, &dist, &entry, loader)
            .map(Some)
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

    /// The names directly inside `path` (a directory inside an active wheel) as `(name, is_package)`.
    fn children(&self, py: Python<'_>, path: &str) -> Vec<(String, bool)> {
        let state = self.state.read_py_attached(py);
        let Some((dist, dir)) = state.registry.locate(path) else {
            return Vec::new();
        };
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let mut out: Vec<(String, bool)> = dist
            .index
            .iter()
            // pkgutil lists packages and modules only: a directory without `__init__` is not
            // one (CPython's FileFinder skips it too), though it imports as a namespace.
            .filter(|(_, entry)| entry.kind != ModuleKind::Namespace)
            .filter_map(|(name, entry)| {
                let leaf = name.rsplit('.').next().unwrap_or(name);
                let member_dir = entry
                    .search_locations
                    .first()
                    .map(String::as_str)
                    .unwrap_or(&entry.member);
                let parent = if entry.is_package {
                    member_dir.rsplit_once('/').map_or("", |(p, _)| p)
                } else {
                    entry.member.rsplit_once('/').map_or("", |(p, _)| p)
                };
                let wanted = prefix.trim_end_matches('/');
                (parent == wanted || (wanted.is_empty() && parent.is_empty()))
                    .then(|| (leaf.to_owned(), entry.is_package))
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// A path-entry finder for a directory inside an active wheel (`sys.path_importer_cache` value).
#[pyclass(frozen, module = "wheelhook._native")]
pub struct PathEntry {
    finder: Py<Finder>,
    path: String,
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
        self.finder
            .bind(py)
            .get()
            .find_in_path(py, &self.path, fullname)
    }

    /// `pkgutil.iter_modules` support: `(prefixed name, is_package)` for the directory's children.
    #[pyo3(signature = (prefix=""))]
    fn iter_modules(&self, py: Python<'_>, prefix: &str) -> Vec<(String, bool)> {
        let finder = self.finder.bind(py);
        finder
            .get()
            .children(py, &self.path)
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

/// Refuses to activate a wheel whose top-level modules are already imported from elsewhere.
///
/// One exception: a namespace package imported from other portions may gain the wheel's
/// portions (returned, to be added to its `__path__` once the activation is committed), as
/// PEP 420 namespaces grow when new portions appear.
fn check_not_imported<'py>(
    py: Python<'py>,
    new_dists: &[Arc<ActiveDist>],
    store: &dyn Fn() -> Arc<Store>,
    skip: &dyn Fn(&PackageName, &str) -> bool,
    is_stdlib: &dyn Fn(&str) -> bool,
) -> PyResult<Vec<(Bound<'py, PyAny>, Vec<String>)>> {
    let modules = py.import("sys")?.getattr("modules")?;
    let mut grow = Vec::new();
    for dist in new_dists {
        for top in dist
            .index
            .top_level()
            .filter(|t| !skip(&dist.candidate.name, t))
        {
            let Ok(module) = modules.get_item(top) else {
                continue;
            };
            let file: Option<String> = module
                .getattr("__file__")
                .ok()
                .and_then(|f| f.extract().ok());
            let entry = dist.index.get(top);
            let wheel_namespace = entry.is_some_and(|e| e.kind == ModuleKind::Namespace);
            if wheel_namespace && file.is_none() && module.hasattr("__path__")? {
                let locations = entry
                    .map(|e| {
                        e.search_locations
                            .iter()
                            .map(|l| dist.member_path(l))
                            .collect()
                    })
                    .unwrap_or_default();
                grow.push((module, locations));
                continue;
            }
            let from = file
                .as_deref()
                .unwrap_or("a built-in or namespace location");
            if is_stdlib(top) {
                return Err(wheelhook_error(
                    py,
                    "VersionConflict",
                    format!(
                        "Cannot activate {} {} from {} with override_stdlib=True: the standard \
                         library's module \"{top}\" is already imported from {from}. A wheel can \
                         replace a standard-library module only before its first import in the \
                         process: require it at the top of the main script, before anything \
                         imports \"{top}\" (modules the interpreter itself imports at start-up, \
                         such as os or sys, can never be replaced).",
                        dist.candidate.name,
                        dist.candidate.version,
                        dist.path().display(),
                    ),
                ));
            }
            let installed = installed_version(&store(), &dist.candidate.name)
                .map(|v| format!(" ({} {v} is installed)", dist.candidate.name))
                .unwrap_or_default();
            return Err(wheelhook_error(
                py,
                "VersionConflict",
                format!(
                    "Cannot activate {} {} from {}: the module \"{top}\" is already imported from {from}{installed}. \
                     A module cannot change version in a running process: restart the program with the \
                     requirement declared before the first import (for example `__requires__` at the top \
                     of the main script).",
                    dist.candidate.name,
                    dist.candidate.version,
                    dist.path().display(),
                ),
            ));
        }
    }
    Ok(grow)
}

fn installed_version(store: &Store, name: &PackageName) -> Option<Version> {
    use crate::resolve::Provider;
    store
        .candidates(name)
        .iter()
        .find(|c| c.is_default())
        .map(|c| c.version.clone())
}
