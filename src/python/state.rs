//! What the finder knows of the process's activations (the module registry, each wheel's
//! loader, the active set, the pinned versions, one-shot import hooks, the listing of the
//! store), and the commit of an activation's [`Plan`] into it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use parking_lot::RwLock;
use pyo3::prelude::*;
use pyo3::sync::RwLockExt;

use super::active::ActiveDistribution;
use super::loader::Loader;
use super::runtime::Runtime;
use crate::candidate::Candidate;
use crate::import::{ActiveDist, Registry};
use crate::session::{Growth, Listing, Plan, StoreDirs};
use crate::store::{Store, StoreConfig};
use crate::wheel::{PackageName, SupportedTags};

/// A listing of the store kept for the directories it was made for.
struct KeptListing {
    dirs: StoreDirs,
    store: Arc<Store>,
}

/// The entry-point table of the active set (see `entry_points::table`), kept for the
/// directories it was read from.
pub struct KeptEntryPoints {
    pub dirs: StoreDirs,
    pub table: Py<pyo3::types::PyTuple>,
}

/// The finder's state, shared with its path-entry finders.
#[derive(Default)]
pub struct State {
    pub registry: Registry,
    /// The loader of each active wheel, by wheel path.
    pub loaders: HashMap<PathBuf, Py<Loader>>,
    /// Every pinned distribution, wheels and defaults, by name.
    pub active: HashMap<PackageName, Py<ActiveDistribution>>,
    pub pinned: HashMap<PackageName, Candidate>,
    /// One-shot callbacks for names the finder does not serve: `find_spec` hands the first
    /// request for the name to the callback (see `Finder.on_import`).
    pub import_hooks: HashMap<String, Py<PyAny>>,
    listing: Option<KeptListing>,
    /// The entry-point index of the active set, built on first use.
    pub entry_points: Option<KeptEntryPoints>,
}

impl State {
    /// Forgets the listing of the store, so wheels dropped since are seen.
    pub fn forget_listing(&mut self) {
        self.listing = None;
        self.entry_points = None;
    }
}

/// The listing of the store for `dirs`: the one kept, when it was made for them, else a new
/// one (kept from now on).
pub fn listing(
    py: Python<'_>,
    state: &RwLock<State>,
    dirs: &StoreDirs,
    tags: impl FnOnce() -> Arc<SupportedTags>,
) -> Listing {
    {
        let state = state.read_py_attached(py);
        if let Some(kept) = state.listing.as_ref().filter(|k| k.dirs == *dirs) {
            return Listing {
                store: kept.store.clone(),
                fresh: false,
            };
        }
    }
    let config = StoreConfig {
        wheel_dirs: dirs.wheels.clone(),
        default_dirs: dirs.defaults.clone(),
        tags: tags(),
    };
    let store = Arc::new(Store::scan(&config));
    state.write_py_attached(py).listing = Some(KeptListing {
        dirs: dirs.clone(),
        store: store.clone(),
    });
    Listing { store, fresh: true }
}

/// A distribution the commit adds to the finder's state.
struct Added {
    candidate: Candidate,
    dist: Option<Arc<ActiveDist>>,
    loader: Option<Py<Loader>>,
    active: Py<ActiveDistribution>,
}

/// Commits an activation: the whole resolution as Python sees it (distributions active
/// before keep their objects), the new wheels served from now on, and namespace packages
/// grown by their portions.
///
/// Every Python object is made before the state is locked for writing, and nothing under
/// that lock calls Python: an allocation can run the garbage collector, a finaliser can
/// import, and the import would wait for the lock this thread holds. (The pinned set cannot
/// change meanwhile: activations are serialised.) A failure before the write leaves the
/// state untouched.
pub fn commit(
    py: Python<'_>,
    state: &RwLock<State>,
    runtime: &Arc<Runtime>,
    plan: Plan,
) -> PyResult<Vec<Py<ActiveDistribution>>> {
    let existing: HashMap<PackageName, Py<ActiveDistribution>> = {
        let state = state.read_py_attached(py);
        plan.chosen
            .iter()
            .filter_map(|c| Some((c.name.clone(), state.active.get(&c.name)?.clone_ref(py))))
            .collect()
    };
    let mut result = Vec::new();
    let mut added = Vec::new();
    for candidate in &plan.chosen {
        if let Some(active) = existing.get(&candidate.name) {
            result.push(active.clone_ref(py));
            continue;
        }
        let dist = plan.wheel(candidate).cloned();
        let loader = match &dist {
            Some(dist) => Some(Py::new(py, Loader::new(dist.clone(), runtime.clone()))?),
            None => None,
        };
        let view = ActiveDistribution::new(
            candidate,
            dist.as_ref(),
            loader.as_ref().map(|l| l.clone_ref(py)),
            &plan,
        );
        let active = Py::new(py, view)?;
        result.push(active.clone_ref(py));
        added.push(Added {
            candidate: candidate.clone(),
            dist,
            loader,
            active,
        });
    }
    serve(py, state, &plan, added);
    grow(py, &plan.grow)?;
    Ok(result)
}

/// Adds the new wheels and distributions to the state, calling no Python.
fn serve(py: Python<'_>, state: &RwLock<State>, plan: &Plan, added: Vec<Added>) {
    let mut state = state.write_py_attached(py);
    let mut registry = state.registry.clone();
    for dist in &plan.wheels {
        registry.add(dist.clone(), &|top: &str| {
            !plan.serves(&dist.candidate.name, top)
        });
    }
    for Added {
        candidate,
        dist,
        loader,
        active,
    } in added
    {
        if let (Some(dist), Some(loader)) = (dist, loader) {
            state.loaders.insert(dist.path().to_path_buf(), loader);
        }
        state.active.insert(candidate.name.clone(), active);
        state.pinned.insert(candidate.name.clone(), candidate);
    }
    state.registry = registry;
    // The active set changed: its entry points are read again when next asked for.
    state.entry_points = None;
}

/// Adds the wheels' portions to namespace packages already imported (PEP 420).
fn grow(py: Python<'_>, grow: &[Growth]) -> PyResult<()> {
    if grow.is_empty() {
        return Ok(());
    }
    let modules = py.import("sys")?.getattr("modules")?;
    for growth in grow {
        let Ok(module) = modules.get_item(&growth.module) else {
            continue;
        };
        let path = module.getattr("__path__")?;
        for location in &growth.locations {
            path.call_method1("append", (location,))?;
        }
    }
    Ok(())
}
