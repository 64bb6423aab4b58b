//! One activation, in plain Rust: resolve the requirements against the store (or recall the
//! resolution from the activation cache), open and index the new wheels, apply the
//! standard-library rule and refuse modules already imported at another version. The result is
//! a [`Plan`] the pyo3 layer commits as it is, or a [`SessionError`] that changed nothing.
//!
//! What the process itself knows (the listing of the store, `sys.modules`, the standard
//! library's names, where to unpack) comes through [`Host`], so the decisions are tested without
//! an interpreter.

mod error;
mod imported;
mod resolution;
mod stdlib;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use pep440_rs::Version;

use crate::archive::Archive;
use crate::cache::NativeError;
use crate::candidate::{Candidate, Origin};
use crate::import::{ActiveDist, Overrides};
use crate::lock::Groups;
use crate::resolve::EnvironmentFacts;
use crate::store::Store;
use crate::wheel::PackageName;

pub use error::SessionError;
pub use imported::{Growth, Imported};

/// The directories an activation searches: wheels, then normally installed distributions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoreDirs {
    /// Where candidate `*.whl` files are. Ex) `WHEELHOOK_PATH` entries, then site-packages
    pub wheels: Vec<PathBuf>,
    /// Where installed `.dist-info` directories are. Ex) `sys.path`
    pub defaults: Vec<PathBuf>,
}

impl StoreDirs {
    /// Every directory once, wheels first (what the activation cache stamps).
    pub fn unique(&self) -> Vec<&Path> {
        let mut dirs: Vec<&Path> = Vec::new();
        for d in self.wheels.iter().chain(&self.defaults) {
            if !dirs.contains(&d.as_path()) {
                dirs.push(d);
            }
        }
        dirs
    }
}

/// A listing of the store, and whether it was made for this activation (a listing kept from
/// earlier may predate the file system's present state).
#[derive(Debug, Clone)]
pub struct Listing {
    pub store: Arc<Store>,
    pub fresh: bool,
}

/// What an activation needs from the process it runs in.
pub trait Host {
    /// The listing of the store for `dirs` (kept between activations by the host).
    fn store(&self, dirs: &StoreDirs) -> Listing;
    /// The private cache directory, or `None` when it is refused (memory only).
    fn cache_dir(&self) -> Option<PathBuf>;
    /// The interpreter's marker values.
    fn environment(&self) -> &EnvironmentFacts;
    /// The interpreter's extension module suffixes, best first.
    fn extension_suffixes(&self) -> &[String];
    /// The inputs of the interpreter's tags and marker values, on one line (see
    /// [`crate::cache::activation::Identity`]).
    fn identity(&self) -> &str;
    /// Whether a top-level name is a standard-library module. Ex) `json`
    fn is_stdlib(&self, top: &str) -> bool;
    /// What the process has imported under a top-level name, if anything.
    fn imported(&self, top: &str) -> Option<Imported>;
    /// Unpacks a wheel (see [`crate::import::ByPath`]) and returns the directory.
    fn unpack(&self, archive: &Archive) -> Result<PathBuf, NativeError>;
    /// Tells of a decision (the `wheelhook` logger).
    fn note(&self, message: String);
    /// Runs `work` that touches neither the interpreter nor the host (a resolution, a write),
    /// letting other threads run meanwhile.
    fn detached<T: Send>(&self, work: impl FnOnce() -> T + Send) -> T {
        work()
    }
}

/// What to activate, and how.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// PEP 508 requirements, as written. Ex) `six==1.15.0`
    pub requirements: Vec<String>,
    pub dirs: StoreDirs,
    /// Serve every wheel's standard-library modules (`require(..., override_stdlib=True)`).
    pub override_stdlib: bool,
    /// Distributions that serve their standard-library modules as if `override_stdlib` were
    /// given for them (what a parent activated with it).
    pub stdlib_overrides: Vec<PackageName>,
    /// Overrides of the automatic choice to unpack.
    pub unpack: Overrides,
    /// A lock file to activate as it is (with `requirements` empty): no resolution.
    pub lock: Option<LockSpec>,
}

/// A lock file and the extras and dependency groups selected from it.
#[derive(Debug, Clone, Default)]
pub struct LockSpec {
    /// Ex) `pylock.toml`
    pub file: PathBuf,
    pub groups: Groups,
}

impl Request {
    /// Whether `name`'s standard-library modules are served from its wheel.
    fn overrides_stdlib(&self, name: &PackageName) -> bool {
        self.override_stdlib || self.stdlib_overrides.contains(name)
    }
}

/// What an activation decided: commit it as it is.
#[derive(Debug)]
pub struct Plan {
    /// The resolution, sorted by name: pinned before, wheels and defaults (minus the wheels
    /// left to the standard library).
    pub chosen: Vec<Candidate>,
    /// The wheels not pinned before, opened and indexed, in `chosen`'s order.
    pub wheels: Vec<Arc<ActiveDist>>,
    /// Top-level names of `wheels` left to the standard library.
    unserved: HashSet<(PackageName, String)>,
    /// Namespace packages already imported that gain the wheels' portions.
    pub grow: Vec<Growth>,
    /// Whether the resolution came from the activation cache.
    pub recalled: bool,
}

impl Plan {
    /// Whether the wheel of `name` serves its top-level name `top`.
    pub fn serves(&self, name: &PackageName, top: &str) -> bool {
        !self.unserved.contains(&(name.clone(), top.to_owned()))
    }

    /// The wheel opened for `candidate`, if it is a new wheel.
    pub fn wheel(&self, candidate: &Candidate) -> Option<&Arc<ActiveDist>> {
        self.wheels.iter().find(|d| d.candidate == *candidate)
    }
}

/// Decides one activation. `pinned` are the versions active before it: the resolution keeps
/// them, and only distributions not among them are opened.
pub fn activate(
    host: &impl Host,
    request: &Request,
    pinned: &HashMap<PackageName, Version>,
) -> Result<Plan, SessionError> {
    let resolved = resolution::resolve(host, request, pinned)?;
    let mut wheels = open_wheels(host, request, &resolved, pinned)?;
    let left = stdlib::rule(host, request, &wheels)?;
    let mut chosen: Vec<Candidate> = resolved
        .chosen
        .iter()
        .map(|c| c.candidate.clone())
        .collect();
    if !left.is_empty() {
        wheels.retain(|d| !left.contains(&d.candidate.name));
        chosen.retain(|c| !left.contains(&c.name));
    }
    let unserved: HashSet<(PackageName, String)> = wheels
        .iter()
        .flat_map(|d| d.index.top_level().map(move |top| (&d.candidate.name, top)))
        .filter(|(name, top)| !request.overrides_stdlib(name) && host.is_stdlib(top))
        .map(|(name, top)| (name.clone(), top.to_owned()))
        .collect();
    let listing = || match &resolved.listed {
        Some(store) => store.clone(),
        None => host.store(&request.dirs).store,
    };
    let grow = imported::check(host, &wheels, &unserved, &listing)?;
    if let Some(entry) = resolved.remember {
        resolution::remember(host, entry, &chosen, &wheels);
    }
    Ok(Plan {
        chosen,
        wheels,
        unserved,
        grow,
        recalled: resolved.listed.is_none(),
    })
}

/// Opens and indexes the chosen wheels not pinned before, each from its archive or from a copy
/// unpacked into the cache (see [`Overrides`]).
fn open_wheels(
    host: &impl Host,
    request: &Request,
    resolved: &resolution::Resolved,
    pinned: &HashMap<PackageName, Version>,
) -> Result<Vec<Arc<ActiveDist>>, SessionError> {
    let mut wheels = Vec::new();
    for chosen in resolved
        .chosen
        .iter()
        .filter(|c| !pinned.contains_key(&c.candidate.name))
    {
        let candidate = &chosen.candidate;
        let Origin::Wheel { path, .. } = &candidate.origin else {
            continue;
        };
        let archive = match (&resolved.listed, resolved.opened.get(path)) {
            (Some(store), _) => store.archive(path)?,
            (None, Some(opened)) => opened.clone(),
            (None, None) => Arc::new(Archive::open(path)?),
        };
        let mut dist = ActiveDist::with_layout(
            candidate.clone(),
            archive.clone(),
            host.extension_suffixes(),
            chosen.layout.clone(),
        )?;
        if request
            .unpack
            .unpacked(&candidate.name, dist.by_path.is_some())
        {
            dist = dist.unpacked_at(&host.unpack(&archive)?);
        }
        wheels.push(Arc::new(dist));
    }
    Ok(wheels)
}
