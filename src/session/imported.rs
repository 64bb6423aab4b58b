//! Modules already imported: a wheel never serves a top-level name the process has already
//! imported from elsewhere (a module cannot change version in a running process), except that a
//! namespace package gains the wheel's portions, as PEP 420 namespaces grow when new portions
//! appear.

use std::collections::HashSet;
use std::sync::Arc;

use pep440_rs::Version;

use super::{Host, SessionError};
use crate::import::{ActiveDist, ModuleKind};
use crate::resolve::Provider;
use crate::store::Store;
use crate::wheel::PackageName;

/// What `sys.modules` holds under a top-level name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Imported {
    /// Its `__file__`; `None` for a built-in module or a namespace package.
    pub file: Option<String>,
    /// Whether it has a `__path__` (a package).
    pub has_path: bool,
}

/// A namespace package already imported, and the portions to add to its `__path__` once the
/// activation is committed. Ex) `google` gains `/site/x.whl/google`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Growth {
    /// Ex) `google`
    pub module: String,
    /// Full paths, as `__path__` holds them.
    pub locations: Vec<String>,
}

/// Refuses the activation when a top-level module the new wheels would serve is already
/// imported from elsewhere; returns the namespace packages that gain portions. `listing` gives
/// the store, needed only to word an error.
pub fn check(
    host: &impl Host,
    wheels: &[Arc<ActiveDist>],
    unserved: &HashSet<(PackageName, String)>,
    listing: &dyn Fn() -> Arc<Store>,
) -> Result<Vec<Growth>, SessionError> {
    let mut grow = Vec::new();
    for dist in wheels {
        let name = &dist.candidate.name;
        let served = dist
            .index
            .top_level()
            .filter(|t| !unserved.contains(&(name.clone(), (*t).to_owned())));
        for top in served {
            let Some(imported) = host.imported(top) else {
                continue;
            };
            match portions(dist, top, &imported) {
                Some(locations) => grow.push(Growth {
                    module: top.to_owned(),
                    locations,
                }),
                None => return Err(conflict(host, dist, top, imported, listing)),
            }
        }
    }
    Ok(grow)
}

/// The wheel's portions of `top`, when both the wheel's `top` and the imported one are
/// namespace packages.
fn portions(dist: &ActiveDist, top: &str, imported: &Imported) -> Option<Vec<String>> {
    let entry = dist
        .index
        .get(top)
        .filter(|e| e.kind == ModuleKind::Namespace)?;
    if imported.file.is_some() || !imported.has_path {
        return None;
    }
    Some(
        entry
            .search_locations
            .iter()
            .map(|l| dist.member_path(l))
            .collect(),
    )
}

fn conflict(
    host: &impl Host,
    dist: &ActiveDist,
    top: &str,
    imported: Imported,
    listing: &dyn Fn() -> Arc<Store>,
) -> SessionError {
    let candidate = &dist.candidate;
    if host.is_stdlib(top) {
        return SessionError::StdlibImported {
            name: candidate.name.clone(),
            version: candidate.version.clone(),
            wheel: dist.path().to_path_buf(),
            module: top.to_owned(),
            from: imported.file,
        };
    }
    SessionError::AlreadyImported {
        name: candidate.name.clone(),
        version: candidate.version.clone(),
        wheel: dist.path().to_path_buf(),
        module: top.to_owned(),
        from: imported.file,
        installed: installed_version(&listing(), &candidate.name),
    }
}

/// The version of `name` installed normally, if any.
fn installed_version(store: &Store, name: &PackageName) -> Option<Version> {
    store
        .candidates(name)
        .iter()
        .find(|c| c.is_default())
        .map(|c| c.version.clone())
}
