//! The entry points of the active set: every `entry_points.txt` of the active wheels and of the
//! installed distributions they do not shadow, read once, in the order
//! `importlib.metadata.entry_points()` reports them.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use super::dist::ActiveDist;
use crate::candidate::Candidate;
use crate::wheel::{parse_entry_points, EntryPointDecl, PackageName};

/// A distribution whose entry points are indexed.
#[derive(Debug, Clone)]
pub struct IndexedDist {
    pub name: PackageName,
    pub version: String,
    /// The wheel file, or the installed `.dist-info` / `.egg-info` directory.
    pub path: PathBuf,
    pub wheel: bool,
}

/// One entry point and the distribution (an index into [`EntryPointIndex::dists`]) declaring it.
#[derive(Debug, Clone)]
pub struct IndexedEntry {
    pub decl: EntryPointDecl,
    pub dist: usize,
}

/// The entry points of the active set, distributions in `importlib.metadata`'s order: the active
/// wheels by name (the finder answers first), then the installed distributions in `sys.path`
/// order, each name once; an installed distribution that an active wheel replaces is left out.
/// When two distributions declare the same group and name, the first one's wins, as
/// `EntryPoints[name]` picks it.
#[derive(Debug, Default)]
pub struct EntryPointIndex {
    pub dists: Vec<IndexedDist>,
    pub entries: Vec<IndexedEntry>,
}

impl EntryPointIndex {
    /// Reads the entry points of `wheels` (sorted by name by the caller) and of `defaults` (in
    /// the store's order). A missing or unreadable `entry_points.txt` declares nothing.
    pub fn build<'a>(
        wheels: impl IntoIterator<Item = &'a Arc<ActiveDist>>,
        defaults: impl IntoIterator<Item = &'a Candidate>,
    ) -> Self {
        let mut index = Self::default();
        let mut seen: HashSet<PackageName> = HashSet::new();
        for dist in wheels {
            let candidate = &dist.candidate;
            if !seen.insert(candidate.name.clone()) {
                continue;
            }
            let member = format!("{}/entry_points.txt", dist.dist_info);
            let text = dist
                .archive
                .index_of(&member)
                .and_then(|_| dist.read(&member).ok())
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
            index.add(candidate, dist.path().to_path_buf(), true, text.as_deref());
        }
        for candidate in defaults {
            if !seen.insert(candidate.name.clone()) {
                continue;
            }
            let path = candidate.origin.path().to_path_buf();
            let text = std::fs::read(path.join("entry_points.txt"))
                .ok()
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
            index.add(candidate, path, false, text.as_deref());
        }
        index
    }

    fn add(&mut self, candidate: &Candidate, path: PathBuf, wheel: bool, text: Option<&str>) {
        let dist = self.dists.len();
        self.dists.push(IndexedDist {
            name: candidate.name.clone(),
            version: candidate.version.to_string(),
            path,
            wheel,
        });
        let decls = text.map(parse_entry_points).unwrap_or_default();
        self.entries
            .extend(decls.into_iter().map(|decl| IndexedEntry { decl, dist }));
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use pep440_rs::Version;

    use super::*;
    use crate::candidate::Origin;

    fn default(dir: &std::path::Path, name: &str, entry_points: Option<&str>) -> Candidate {
        let dist_info = dir.join(format!("{name}-1.0.dist-info"));
        std::fs::create_dir_all(&dist_info).unwrap();
        if let Some(text) = entry_points {
            std::fs::write(dist_info.join("entry_points.txt"), text).unwrap();
        }
        Candidate {
            name: PackageName::new(name),
            version: Version::from_str("1.0").unwrap(),
            origin: Origin::Default { dist_info },
            rank: 0,
        }
    }

    #[test]
    fn ok_defaults_in_order_each_name_once() {
        let dir = std::env::temp_dir().join(format!("wheelhook-ep-index-{}", std::process::id()));
        let a = default(&dir, "a", Some("[g]\nx = a:x\n"));
        let b = default(&dir, "b", Some("[g]\nx = b:x\ny = b:y\n"));
        let none = default(&dir, "none", None);
        let index = EntryPointIndex::build(Vec::new(), [&b, &a, &none, &a]);
        let names: Vec<&str> = index.dists.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["b", "a", "none"]);
        let entries: Vec<(&str, &str, usize)> = index
            .entries
            .iter()
            .map(|e| (e.decl.name.as_str(), e.decl.value.as_str(), e.dist))
            .collect();
        assert_eq!(entries, [("x", "b:x", 0), ("y", "b:y", 0), ("x", "a:x", 1)]);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
