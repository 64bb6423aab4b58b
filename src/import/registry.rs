//! The activated wheels of a process and the merged map of every name they serve.

use std::collections::HashMap;
use std::sync::Arc;

use super::dist::ActiveDist;
use super::index::{ModuleEntry, ModuleKind};

/// What serves one module name.
#[derive(Debug, Clone)]
pub enum Served {
    /// A module or regular package of one wheel.
    Module {
        dist: Arc<ActiveDist>,
        entry: ModuleEntry,
    },
    /// A namespace package: its portions in every wheel that has one, as full paths.
    Namespace {
        dist: Arc<ActiveDist>,
        locations: Vec<String>,
    },
}

/// A path inside an active wheel (see [`Registry::locate`]).
#[derive(Debug, Clone)]
pub struct Located<'a> {
    pub dist: &'a Arc<ActiveDist>,
    /// The member directory the path names, no trailing `/`; `""`: the archive's root.
    /// Ex) `ydb/_grpc/v6`
    pub dir: String,
}

/// Active wheels, in activation order, and the names they serve.
#[derive(Debug, Default, Clone)]
pub struct Registry {
    dists: Vec<Arc<ActiveDist>>,
    names: HashMap<String, Served>,
}

impl Registry {
    /// Adds a wheel's names. A name another wheel already serves as a module keeps its first
    /// server; namespace portions merge. `skip` names top-level names never to serve (the
    /// standard library, unless overridden).
    pub fn add(&mut self, dist: Arc<ActiveDist>, skip: &dyn Fn(&str) -> bool) {
        // `skip` is asked once per top-level name, not once per module.
        let mut skipped: HashMap<&str, bool> = HashMap::new();
        self.names.reserve(dist.index.len());
        for (name, entry) in dist.index.iter() {
            let top = name.split('.').next().unwrap_or(name);
            if *skipped.entry(top).or_insert_with(|| skip(top)) {
                continue;
            }
            let full_locations = || -> Vec<String> {
                entry
                    .search_locations
                    .iter()
                    .map(|l| dist.member_path(l))
                    .collect()
            };
            match self.names.get_mut(name) {
                None => {
                    let served = if entry.kind == ModuleKind::Namespace {
                        Served::Namespace {
                            dist: dist.clone(),
                            locations: full_locations(),
                        }
                    } else {
                        Served::Module {
                            dist: dist.clone(),
                            entry: entry.clone(),
                        }
                    };
                    self.names.insert(name.to_owned(), served);
                }
                Some(Served::Namespace { locations, .. }) => {
                    if entry.kind == ModuleKind::Namespace {
                        locations.extend(full_locations());
                    } else {
                        // A regular package beats namespace portions, as on sys.path.
                        self.names.insert(
                            name.to_owned(),
                            Served::Module {
                                dist: dist.clone(),
                                entry: entry.clone(),
                            },
                        );
                    }
                }
                Some(Served::Module { .. }) => {}
            }
        }
        self.dists.push(dist);
    }

    /// What serves `fullname`, if anything: one hash lookup.
    pub fn get(&self, fullname: &str) -> Option<&Served> {
        self.names.get(fullname)
    }

    pub fn dists(&self) -> &[Arc<ActiveDist>] {
        &self.dists
    }

    /// The active wheel whose archive holds `path`, with the directory it names.
    pub fn locate(&self, path: &str) -> Option<Located<'_>> {
        self.dists.iter().find_map(|dist| {
            if path == dist.location {
                return Some(Located {
                    dist,
                    dir: String::new(),
                });
            }
            dist.member_of(path).map(|m| Located {
                dist,
                dir: m.trim_end_matches('/').to_owned(),
            })
        })
    }

    /// Whether `path` is the archive of an active wheel or lies inside one.
    pub fn owns_path(&self, path: &str) -> bool {
        self.dists
            .iter()
            .any(|d| path == d.location || d.member_of(path).is_some())
    }
}
