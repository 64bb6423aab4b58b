//! The store: candidate wheels in the store directories and the default (normally installed) distributions.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use parking_lot::Mutex;
use pep440_rs::Version;

use crate::archive::{Archive, ArchiveError};
use crate::import::find_dist_info;
use crate::resolve::Provider;
use crate::wheel::{Metadata, PackageName, SupportedTags, WheelFilename};

/// Where a candidate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A `.whl` file in a store directory.
    Wheel {
        path: PathBuf,
        filename: WheelFilename,
    },
    /// A normally installed distribution: its `.dist-info` or `.egg-info` directory.
    Default { dist_info: PathBuf },
}

/// One usable version of a distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub name: PackageName,
    pub version: Version,
    pub origin: Origin,
    /// Tag priority of a wheel (0 is best); 0 for defaults.
    pub rank: usize,
}

impl Candidate {
    pub fn is_default(&self) -> bool {
        matches!(self.origin, Origin::Default { .. })
    }
}

/// A file that looked like a candidate but cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub path: PathBuf,
    pub version: Option<Version>,
    pub reason: String,
}

/// Where to look, and what the interpreter supports.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// Directories whose `*.whl` files are candidates, in order (`WHEELHOOK_PATH`, then site-packages).
    pub wheel_dirs: Vec<PathBuf>,
    /// Directories whose `*.dist-info` / `*.egg-info` are default distributions (`sys.path`).
    pub default_dirs: Vec<PathBuf>,
    pub tags: SupportedTags,
}

/// Every candidate of every distribution, found by listing the directories once.
#[derive(Debug, Default)]
pub struct Store {
    candidates: HashMap<PackageName, Vec<Candidate>>,
    rejected: HashMap<PackageName, Vec<Rejected>>,
    archives: Mutex<HashMap<PathBuf, Arc<Archive>>>,
    metadata: Mutex<HashMap<PathBuf, Result<Arc<Metadata>, String>>>,
}

impl Store {
    /// Lists the store and default directories. Only names are read here: no archive is opened.
    pub fn scan(config: &StoreConfig) -> Self {
        let mut store = Self::default();
        let mut seen_wheels: HashSet<PathBuf> = HashSet::new();
        for dir in &config.wheel_dirs {
            for (path, file_name) in list_dir(dir) {
                if !file_name.ends_with(".whl") || !seen_wheels.insert(path.clone()) {
                    continue;
                }
                store.add_wheel(path, &file_name, &config.tags);
            }
        }
        let mut seen_defaults: HashSet<PackageName> = HashSet::new();
        for dir in &config.default_dirs {
            for (path, file_name) in list_dir(dir) {
                let Some((name, version)) = parse_dist_info_name(&file_name) else {
                    continue;
                };
                // The first on sys.path is what a plain import gives; later copies are invisible.
                if !path.is_dir() || !seen_defaults.insert(name.clone()) {
                    continue;
                }
                let Some(version) = version.or_else(|| read_default_version(&path)) else {
                    continue;
                };
                store
                    .candidates
                    .entry(name.clone())
                    .or_default()
                    .push(Candidate {
                        name,
                        version,
                        origin: Origin::Default { dist_info: path },
                        rank: 0,
                    });
            }
        }
        store
    }

    fn add_wheel(&mut self, path: PathBuf, file_name: &str, tags: &SupportedTags) {
        match WheelFilename::from_str(file_name) {
            Ok(filename) => match tags.rank(&filename) {
                Some(rank) => {
                    self.candidates
                        .entry(filename.name.clone())
                        .or_default()
                        .push(Candidate {
                            name: filename.name.clone(),
                            version: filename.version.clone(),
                            origin: Origin::Wheel { path, filename },
                            rank,
                        });
                }
                None => {
                    let reason = format!(
                        "incompatible tags ({}-{}-{})",
                        filename.python_tags.join("."),
                        filename.abi_tags.join("."),
                        filename.platform_tags.join(".")
                    );
                    self.rejected
                        .entry(filename.name.clone())
                        .or_default()
                        .push(Rejected {
                            path,
                            version: Some(filename.version.clone()),
                            reason,
                        });
                }
            },
            Err(err) => {
                // Keep the reason under the name the file seems to be for.
                let name = PackageName::new(file_name.split('-').next().unwrap_or_default());
                self.rejected.entry(name).or_default().push(Rejected {
                    path,
                    version: None,
                    reason: err.to_string(),
                });
            }
        }
    }

    /// Every distribution name with at least one candidate or rejected file.
    pub fn names(&self) -> BTreeSet<&PackageName> {
        self.candidates.keys().chain(self.rejected.keys()).collect()
    }

    /// Opens (once) the archive of a wheel candidate.
    pub fn archive(&self, path: &Path) -> Result<Arc<Archive>, ArchiveError> {
        if let Some(archive) = self.archives.lock().get(path) {
            return Ok(archive.clone());
        }
        let archive = Arc::new(Archive::open(path)?);
        self.archives
            .lock()
            .insert(path.to_path_buf(), archive.clone());
        Ok(archive)
    }

    fn read_metadata(&self, candidate: &Candidate) -> Result<Metadata, String> {
        let text = match &candidate.origin {
            Origin::Wheel { path, .. } => {
                let archive = self.archive(path).map_err(|e| e.to_string())?;
                let dist_info =
                    find_dist_info(&archive).map_err(|e| format!("{}: {e}", path.display()))?;
                let bytes = archive
                    .read(&format!("{dist_info}/METADATA"))
                    .map_err(|e| e.to_string())?;
                String::from_utf8(bytes.into_owned())
                    .map_err(|_| format!("{}: {dist_info}/METADATA is not UTF-8", path.display()))?
            }
            Origin::Default { dist_info } => read_default_metadata(dist_info)?,
        };
        Metadata::parse(&text).map_err(|e| format!("{}: {e}", candidate.origin.path().display()))
    }
}

impl Provider for Store {
    fn candidates(&self, name: &PackageName) -> &[Candidate] {
        self.candidates.get(name).map_or(&[], Vec::as_slice)
    }

    fn rejected(&self, name: &PackageName) -> &[Rejected] {
        self.rejected.get(name).map_or(&[], Vec::as_slice)
    }

    fn metadata(&self, candidate: &Candidate) -> Result<Arc<Metadata>, String> {
        let key = candidate.origin.path().to_path_buf();
        if let Some(found) = self.metadata.lock().get(&key) {
            return found.clone();
        }
        let result = self.read_metadata(candidate).map(Arc::new);
        self.metadata.lock().insert(key, result.clone());
        result
    }
}

impl Origin {
    /// The wheel file or the `.dist-info` directory.
    pub fn path(&self) -> &Path {
        match self {
            Origin::Wheel { path, .. } => path,
            Origin::Default { dist_info } => dist_info,
        }
    }
}

/// The entries of a directory as `(path, file name)`; a missing or unreadable directory is empty.
fn list_dir(dir: &Path) -> Vec<(PathBuf, String)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(PathBuf, String)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            Some((e.path(), name))
        })
        .collect();
    // Directory order is arbitrary; sort so every run sees the same store.
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

/// `six-1.16.0.dist-info` -> (`six`, 1.16.0); `foo-1.0-py3.11.egg-info` -> (`foo`, 1.0);
/// `foo.egg-info` -> (`foo`, unknown).
fn parse_dist_info_name(file_name: &str) -> Option<(PackageName, Option<Version>)> {
    let stem = file_name
        .strip_suffix(".dist-info")
        .or_else(|| file_name.strip_suffix(".egg-info"))?;
    let mut parts = stem.splitn(3, '-');
    let name = parts.next().filter(|n| !n.is_empty())?;
    let version = parts.next().and_then(|v| Version::from_str(v).ok());
    Some((PackageName::new(name), version))
}

fn read_default_metadata(dist_info: &Path) -> Result<String, String> {
    let file = if dist_info.extension().is_some_and(|e| e == "egg-info") {
        "PKG-INFO"
    } else {
        "METADATA"
    };
    let path = dist_info.join(file);
    std::fs::read(&path)
        .map_err(|e| format!("{}: {e}", path.display()))
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

fn read_default_version(dist_info: &Path) -> Option<Version> {
    let text = read_default_metadata(dist_info).ok()?;
    let line = text
        .lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.strip_prefix("Version:"))?;
    Version::from_str(line.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_dist_info_names() {
        let (name, version) = parse_dist_info_name("Six-1.16.0.dist-info").unwrap();
        assert_eq!(name.as_str(), "six");
        assert_eq!(version.unwrap().to_string(), "1.16.0");
        let (name, version) = parse_dist_info_name("zope.interface-5.0-py3.11.egg-info").unwrap();
        assert_eq!(name.as_str(), "zope-interface");
        assert_eq!(version.unwrap().to_string(), "5.0");
        assert!(parse_dist_info_name("six.py").is_none());
        assert!(parse_dist_info_name("foo.egg-info").unwrap().1.is_none());
    }
}
