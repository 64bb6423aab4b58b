//! Selecting a lock's packages for this interpreter, and matching each to a candidate of the
//! store whose wheel is one the lock records, by file name and sha256.

use std::collections::HashMap;

use crate::candidate::{Candidate, Origin};
use crate::resolve::{Environment, Provider};
use std::str::FromStr;

use crate::wheel::{PackageName, SupportedTags, WheelFilename};

use super::marker;
use super::{Digests, Lock, LockError, LockedWheel, Package, Place, Problem, Unusable};

/// The extras and dependency groups to install, as PEP 751 lets an installer choose them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Groups {
    pub extras: Vec<String>,
    /// `None`: the lock's `default-groups`.
    pub groups: Option<Vec<String>>,
}

/// The packages of `lock` selected for this interpreter: `requires-python` and `environments`
/// hold, and each package's marker holds for the chosen extras and groups; at most one entry
/// per name.
pub fn select<'a>(
    lock: &'a Lock,
    environment: &Environment,
    wanted: &Groups,
) -> Result<Vec<&'a Package>, LockError> {
    select_packages(lock, environment, wanted).map_err(|problem| LockError::Invalid {
        file: lock.file.clone(),
        problem: Box::new(problem),
    })
}

fn select_packages<'a>(
    lock: &'a Lock,
    environment: &Environment,
    wanted: &Groups,
) -> Result<Vec<&'a Package>, Problem> {
    let python = environment.python();
    let python_holds =
        |place: Place, specifiers: &Option<pep440_rs::VersionSpecifiers>| match specifiers {
            Some(s) if !s.contains(python) => Err(Problem::RequiresPython {
                place,
                specifiers: s.to_string(),
                python: python.to_string(),
            }),
            _ => Ok(()),
        };
    python_holds(Place::Top, &lock.requires_python)?;
    if !lock.environments.is_empty()
        && !lock
            .environments
            .iter()
            .any(|(_, m)| m.evaluate(environment.markers(), &[]))
    {
        let all: Vec<&str> = lock.environments.iter().map(|(t, _)| t.as_str()).collect();
        return Err(Problem::Environments(all.join("; ")));
    }
    let groups = wanted.groups.as_ref().unwrap_or(&lock.default_groups);
    declared("extra", &wanted.extras, &lock.extras)?;
    declared("dependency group", groups, &lock.dependency_groups)?;
    let seen = marker::selected(&wanted.extras, groups);
    let mut chosen: HashMap<&PackageName, &Package> = HashMap::new();
    let mut selected = Vec::new();
    for package in &lock.packages {
        let holds = package
            .marker
            .as_ref()
            .is_none_or(|m| m.evaluate(environment.markers(), &seen));
        if !holds {
            continue;
        }
        python_holds(package.place(), &package.requires_python)?;
        if let Some(first) = chosen.insert(&package.name, package) {
            return Err(Problem::Conflict {
                first: format!("{} ({})", first.number, first.label()),
                second: format!("{} ({})", package.number, package.label()),
            });
        }
        selected.push(package);
    }
    Ok(selected)
}

/// Refuses an extra or group the lock does not declare.
fn declared(kind: &'static str, wanted: &[String], declared: &[String]) -> Result<(), Problem> {
    let norm = |s: &str| PackageName::new(s);
    match wanted
        .iter()
        .find(|w| !declared.iter().any(|d| norm(d) == norm(w)))
    {
        None => Ok(()),
        Some(name) => Err(Problem::Undeclared {
            kind,
            name: name.clone(),
            declared: if declared.is_empty() {
                "none".to_owned()
            } else {
                declared.join(", ")
            },
        }),
    }
}

/// The candidate of each selected package, sorted by name: a distribution installed normally
/// at the locked version, else a wheel of the store (supported by this interpreter) that is
/// one of the package's locked wheels, by file name, and has its sha256. Every package that
/// has neither is listed in one error.
pub fn choose(
    lock: &Lock,
    selected: &[&Package],
    store: &impl Provider,
    digests: &Digests,
) -> Result<Vec<Candidate>, LockError> {
    let mut chosen = Vec::new();
    let mut unusable = Vec::new();
    for package in selected {
        match candidate(package, store, digests) {
            Ok(candidate) => chosen.push(candidate),
            Err(reason) => unusable.push(Unusable {
                package: package.label(),
                reason,
            }),
        }
    }
    if !unusable.is_empty() {
        return Err(LockError::Unusable {
            file: lock.file.clone(),
            unusable,
        });
    }
    chosen.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(chosen)
}

/// A selected package, and what the store has of it (for fetching what it lacks).
#[derive(Debug)]
pub struct Wanted<'a> {
    pub package: &'a Package,
    /// The candidate that activation would use, when there is one.
    pub have: Option<Candidate>,
    /// Why there is none. Ex) `no wheel in the store for this interpreter (locked: ...)`
    pub reason: Option<String>,
    /// The package's locked wheels this interpreter supports, best tag first.
    pub fits: Vec<&'a LockedWheel>,
}

/// What the store has of each selected package, and which of its locked wheels fit.
pub fn wanted<'a>(
    selected: &[&'a Package],
    store: &impl Provider,
    digests: &Digests,
    tags: &SupportedTags,
) -> Vec<Wanted<'a>> {
    selected
        .iter()
        .map(|package| {
            let (have, reason) = match candidate(package, store, digests) {
                Ok(c) => (Some(c), None),
                Err(reason) => (None, Some(reason)),
            };
            let mut fits: Vec<(usize, &LockedWheel)> = package
                .wheels
                .iter()
                .filter_map(|w| Some((tags.rank(&WheelFilename::from_str(&w.filename).ok()?)?, w)))
                .collect();
            fits.sort_by_key(|(rank, _)| *rank);
            Wanted {
                package,
                have,
                reason,
                fits: fits.into_iter().map(|(_, w)| w).collect(),
            }
        })
        .collect()
}

/// The candidate of one package, or why there is none.
fn candidate(
    package: &Package,
    store: &impl Provider,
    digests: &Digests,
) -> Result<Candidate, String> {
    let candidates = store.candidates(&package.name);
    if let Some(default) = candidates
        .iter()
        .find(|c| c.is_default() && Some(&c.version) == package.version.as_ref())
    {
        return Ok(default.clone());
    }
    if package.wheels.is_empty() {
        return Err(if package.from_source {
            "locked from source only (sdist, vcs, directory or archive): only wheels activate"
                .to_owned()
        } else {
            "the lock records no wheel for it".to_owned()
        });
    }
    let mut problems = Vec::new();
    for c in candidates {
        let Origin::Wheel { path, .. } = &c.origin else {
            continue;
        };
        let Some(file_name) = path.file_name().and_then(|f| f.to_str()) else {
            continue;
        };
        let Some(locked) = package.wheels.iter().find(|w| w.filename == file_name) else {
            continue;
        };
        match digests.sha256(path) {
            Ok(hex) if hex == locked.sha256 => return Ok(c.clone()),
            Ok(hex) => problems.push(format!(
                "wheel {}: sha256 {hex} does not match the lock's {}",
                path.display(),
                locked.sha256
            )),
            Err(e) => problems.push(format!("wheel {}: cannot read: {e}", path.display())),
        }
    }
    if problems.is_empty() {
        let names: Vec<&str> = package.wheels.iter().map(|w| w.filename.as_str()).collect();
        problems.push(format!(
            "no wheel in the store for this interpreter (locked: {})",
            names.join(", ")
        ));
    }
    Err(problems.join("; "))
}
