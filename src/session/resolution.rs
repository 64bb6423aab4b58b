//! The resolution of an activation: recalled from the activation cache when an entry matches
//! the file system, else made by listing the store and resolving; and remembered once it is
//! known to activate.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use pep440_rs::Version;
use pep508_rs::Requirement;

use super::{Host, LockSpec, Request, SessionError};
use crate::archive::Archive;
use crate::cache::activation::{self, Chosen, Identity, Stamps};
use crate::cache::{read_small, write_atomic};
use crate::candidate::{Candidate, Origin};
use crate::import::ActiveDist;
use crate::lock::{self, Digests, Lock, LockError, Unusable};
use crate::resolve::resolve as resolve_requirements;
use crate::resolve::{Environment, ResolveError};
use crate::store::Store;
use crate::wheel::{parse_requirement, PackageName};

/// Where an activation cache entry goes: its file, its identity, and the directories' stamps
/// read before any listing.
#[derive(Debug)]
pub struct Entry {
    pub path: PathBuf,
    pub identity: Identity,
    pub stamps: Stamps,
}

/// Wheels opened by a recall, by path.
pub type Opened = HashMap<PathBuf, Arc<Archive>>;

/// What a resolution chose, and how.
#[derive(Debug)]
pub struct Resolved {
    /// Each candidate, with its wheel's layout when the activation cache supplied it.
    pub chosen: Vec<Chosen>,
    /// The store, when it was listed for this resolution (`None`: recalled).
    pub listed: Option<Arc<Store>>,
    /// The wheels a recall opened to check their stamps: activating maps them once.
    pub opened: Opened,
    /// Where to remember the resolution, when it should be.
    pub remember: Option<Entry>,
}

impl Resolved {
    /// Candidates chosen from a fresh listing of `store` (their layouts are read when the
    /// wheels are opened).
    fn listed(chosen: Vec<Candidate>, store: Arc<Store>, remember: Option<Entry>) -> Self {
        Self {
            chosen: chosen
                .into_iter()
                .map(|candidate| Chosen {
                    candidate,
                    layout: None,
                })
                .collect(),
            listed: Some(store),
            opened: HashMap::new(),
            remember,
        }
    }
}

/// The resolution of the request: from the activation cache when nothing is pinned yet and an
/// entry matches the file system, else by listing the store and resolving.
pub fn resolve(
    host: &impl Host,
    request: &Request,
    pinned: &HashMap<PackageName, Version>,
) -> Result<Resolved, SessionError> {
    let entry = if pinned.is_empty() {
        entry(host, request)
    } else {
        None
    };
    if let Some((chosen, opened)) = entry.as_ref().and_then(recall) {
        return Ok(Resolved {
            chosen,
            listed: None,
            opened,
            remember: None,
        });
    }
    if let Some(lock) = &request.lock {
        return locked(host, request, lock, pinned, entry);
    }
    // Parsed only to resolve: an entry exists only for requirements (the same text, by the
    // same version of wheelhook) that parsed and resolved before.
    let parsed = request
        .requirements
        .iter()
        .map(|r| parse_requirement(r))
        .collect::<Result<Vec<Requirement>, _>>()?;
    let listing = host.store(&request.dirs);
    let store = listing.store;
    let environment = host.environment();
    let chosen =
        host.detached(|| resolve_requirements(store.as_ref(), &parsed, environment, pinned))?;
    // Only a listing made after the stamps were read is known to be as new as they are.
    let remember = entry.filter(|e| listing.fresh && e.stamps.settled(SystemTime::now()));
    Ok(Resolved::listed(chosen, store, remember))
}

/// The candidates a lock file fixes for this interpreter, matched to the store (each wheel's
/// sha256 checked against the lock): no resolution. A package already active at another
/// version cannot be used. Remembered in the activation cache like a resolution: the entry
/// stamps the lock file too, and each wheel, whose hash was checked before the entry exists.
fn locked(
    host: &impl Host,
    request: &Request,
    spec: &LockSpec,
    pinned: &HashMap<PackageName, Version>,
    entry: Option<Entry>,
) -> Result<Resolved, SessionError> {
    let lock = Lock::read(&spec.file)?;
    let environment = Environment::from_facts(host.environment()).map_err(ResolveError::Facts)?;
    let selected = lock::select(&lock, &environment, &spec.groups)?;
    let listing = host.store(&request.dirs);
    let store = listing.store;
    let digests = Digests {
        dir: host.cache_dir().map(|d| d.join("lock-digests")),
    };
    let chosen = host.detached(|| lock::choose(&lock, &selected, store.as_ref(), &digests))?;
    let unusable: Vec<Unusable> = chosen
        .iter()
        .filter_map(|c| {
            let active = pinned.get(&c.name).filter(|v| **v != c.version)?;
            Some(Unusable {
                package: format!("{} {}", c.name, c.version),
                reason: format!("{} {active} is already active in this process", c.name),
            })
        })
        .collect();
    if !unusable.is_empty() {
        return Err(LockError::Unusable {
            file: lock.file.clone(),
            unusable,
        }
        .into());
    }
    // The entry will vouch for each wheel by the stamp it has when the entry is written: a
    // wheel rewritten since its hash was checked is recent, and then nothing is remembered.
    let now = SystemTime::now();
    let settled = |c: &Candidate| match &c.origin {
        Origin::Wheel { path, .. } => activation::stamp(path)
            .and_then(|(_, changed)| changed)
            .is_some_and(|t| {
                now.duration_since(t)
                    .is_ok_and(|age| age >= activation::SETTLE)
            }),
        Origin::Default { .. } => true,
    };
    let remember =
        entry.filter(|e| listing.fresh && e.stamps.settled(now) && chosen.iter().all(settled));
    Ok(Resolved::listed(chosen, store, remember))
}

/// The entry's resolution, when it matches the file system, with its wheels opened. Each
/// wheel's stamp is taken from the file the activation maps (one open and one `fstat` a
/// wheel, not a `stat` of its path besides); on a miss the maps are dropped.
fn recall(entry: &Entry) -> Option<(Vec<Chosen>, Opened)> {
    let text = read_small(&entry.path).ok()?;
    let mut opened = HashMap::new();
    let chosen = activation::decode_with(&text, &entry.identity, &entry.stamps, |path| {
        let archive = Archive::open(path).ok()?;
        let stamp = activation::archive_stamp(&archive)?;
        opened.insert(path.to_path_buf(), Arc::new(archive));
        Some(stamp)
    })?;
    Some((chosen, opened))
}

/// Where the activation cache keeps the entry for this request, with the directories' stamps
/// read now (before any listing); `None` when it cannot be used (no private cache, a path that
/// cannot be written on one line).
fn entry(host: &impl Host, request: &Request) -> Option<Entry> {
    let Some(spec) = &request.lock else {
        return entry_for(host, request, &request.requirements, None);
    };
    // A lock is named by its absolute path and the selection; its stamp joins the directories'.
    let file = std::path::absolute(&spec.file).ok()?;
    let mut lines = vec![format!("lock {}", file.to_str()?)];
    lines.extend(spec.groups.extras.iter().map(|e| format!("lock-extra {e}")));
    match &spec.groups.groups {
        None => lines.push("lock-default-groups".to_owned()),
        Some(groups) => lines.extend(groups.iter().map(|g| format!("lock-group {g}"))),
    }
    entry_for(host, request, &lines, Some(&file))
}

/// The entry for `requirements` (or the lines naming a lock) searched in the request's
/// directories, stamping `file` too when given.
fn entry_for(
    host: &impl Host,
    request: &Request,
    requirements: &[String],
    file: Option<&Path>,
) -> Option<Entry> {
    let cwd = std::env::current_dir().ok();
    let identity = Identity::new(
        requirements,
        &request.dirs.wheels,
        &request.dirs.defaults,
        host.identity(),
        cwd.as_deref(),
    )?;
    let dir = host.cache_dir()?.join("activations");
    let stamps = Stamps::read(request.dirs.unique().into_iter().chain(file))?;
    Some(Entry {
        path: dir.join(identity.file_name()),
        identity,
        stamps,
    })
}

/// Writes an activation cache entry: the resolution, with the layout of each wheel as opening
/// it just read. A failed write costs one resolution at the next start.
pub fn remember(host: &impl Host, entry: Entry, chosen: &[Candidate], wheels: &[Arc<ActiveDist>]) {
    let chosen: Vec<Chosen> = chosen
        .iter()
        .map(|c| Chosen {
            candidate: c.clone(),
            layout: wheels
                .iter()
                .find(|d| d.candidate == *c)
                .map(|d| d.layout()),
        })
        .collect();
    // Each wheel stamped from the file it was opened from: no look-up of its path again.
    let stamp_wheel = |path: &Path| match wheels.iter().find(|d| d.archive.path() == path) {
        Some(dist) => activation::archive_stamp(&dist.archive),
        None => activation::stamp(path).map(|(text, _)| text),
    };
    host.detached(|| {
        let Some(text) =
            activation::encode_with(&entry.identity, &entry.stamps, &chosen, stamp_wheel)
        else {
            return;
        };
        if write_atomic(&entry.path, text.as_bytes(), false).is_ok() {
            if let Some(dir) = entry.path.parent() {
                activation::prune(dir);
            }
        }
    });
}
