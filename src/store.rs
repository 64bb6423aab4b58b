//! The store: candidate wheels in the store directories and the default (normally installed) distributions.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use once_cell::sync::OnceCell;
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
    pub tags: Arc<SupportedTags>,
}

/// The files found for one distribution name, parsed on first use.
#[derive(Debug, Default)]
struct Entry {
    /// Wheel files whose name starts with this distribution's name, in store order, as
    /// (index into the store's directories, file name): paths are built only when parsed.
    wheels: Vec<(usize, String)>,
    defaults: Vec<Candidate>,
    parsed: OnceCell<(Vec<Candidate>, Vec<Rejected>)>,
}

/// Every candidate of every distribution, found by listing the directories once.
///
/// Listing only groups file names by distribution name; a wheel's filename is parsed and its
/// tags ranked when the resolver first asks for that distribution, so a store of thousands of
/// unrelated wheels costs one directory listing and nothing more.
#[derive(Debug, Default)]
pub struct Store {
    entries: HashMap<PackageName, Entry>,
    wheel_dirs: Vec<PathBuf>,
    tags: Option<Arc<SupportedTags>>,
    archives: Mutex<HashMap<PathBuf, Arc<Archive>>>,
    metadata: Mutex<HashMap<PathBuf, Result<Arc<Metadata>, String>>>,
}

impl Store {
    /// Lists the store and default directories. Only names are read here: no archive is opened.
    pub fn scan(config: &StoreConfig) -> Self {
        let mut store = Self {
            tags: Some(config.tags.clone()),
            ..Self::default()
        };
        // The same directory named twice would list every wheel twice.
        let mut wheel_dirs: Vec<PathBuf> = Vec::new();
        for dir in &config.wheel_dirs {
            if !wheel_dirs.contains(dir) {
                wheel_dirs.push(dir.clone());
            }
        }
        for (index, dir) in wheel_dirs.iter().enumerate() {
            for_each_entry(dir, |file_name| {
                let Some(stem) = file_name.strip_suffix(".whl") else {
                    return;
                };
                let prefix = stem.split('-').next().unwrap_or(stem);
                let entry = store.entries.entry(PackageName::new(prefix)).or_default();
                entry.wheels.push((index, file_name.to_owned()));
            });
        }
        store.wheel_dirs = wheel_dirs;
        let mut seen_defaults: HashSet<PackageName> = HashSet::new();
        for dir in &config.default_dirs {
            for_each_entry(dir, |file_name| {
                let Some((name, version)) = parse_dist_info_name(file_name) else {
                    return;
                };
                // The first on sys.path is what a plain import gives; later copies are invisible.
                if !seen_defaults.insert(name.clone()) {
                    return;
                }
                let path = dir.join(file_name);
                let Some(version) = version.or_else(|| read_default_version(&path)) else {
                    return;
                };
                let origin = Origin::Default { dist_info: path };
                let candidate = Candidate {
                    name: name.clone(),
                    version,
                    origin,
                    rank: 0,
                };
                store
                    .entries
                    .entry(name)
                    .or_default()
                    .defaults
                    .push(candidate);
            });
        }
        store
    }

    /// The parsed candidates and rejections of one name.
    fn parsed(&self, name: &PackageName) -> Option<&(Vec<Candidate>, Vec<Rejected>)> {
        let entry = self.entries.get(name)?;
        Some(entry.parsed.get_or_init(|| {
            let mut candidates = entry.defaults.clone();
            let mut rejected = Vec::new();
            for (dir, file_name) in &entry.wheels {
                match self.classify(&self.wheel_dirs[*dir].join(file_name)) {
                    Ok(candidate) => candidates.push(candidate),
                    Err(reject) => rejected.push(reject),
                }
            }
            // Directory listings come in no particular order: decide ties the same way every
            // time (a higher build tag first, then the file name; the first store wins for the
            // same file name, as the sort is stable).
            candidates.sort_by_cached_key(|c| match &c.origin {
                Origin::Default { .. } => (0, std::cmp::Reverse(None), None),
                Origin::Wheel { filename, path } => (
                    1,
                    std::cmp::Reverse(filename.build_tag.clone()),
                    path.file_name().map(|n| n.to_os_string()),
                ),
            });
            (candidates, rejected)
        }))
    }

    /// A wheel file as a candidate, or why it cannot be one.
    fn classify(&self, path: &Path) -> Result<Candidate, Rejected> {
        let file_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let filename = WheelFilename::from_str(file_name).map_err(|err| Rejected {
            path: path.to_path_buf(),
            version: None,
            reason: err.to_string(),
        })?;
        let rank = self.tags.as_ref().and_then(|tags| tags.rank(&filename));
        match rank {
            Some(rank) => Ok(Candidate {
                name: filename.name.clone(),
                version: filename.version.clone(),
                origin: Origin::Wheel {
                    path: path.to_path_buf(),
                    filename,
                },
                rank,
            }),
            None => Err(Rejected {
                path: path.to_path_buf(),
                version: Some(filename.version.clone()),
                reason: format!(
                    "incompatible tags ({}-{}-{})",
                    filename.python_tags.join("."),
                    filename.abi_tags.join("."),
                    filename.platform_tags.join(".")
                ),
            }),
        }
    }

    /// Every distribution name with at least one candidate or rejected file.
    pub fn names(&self) -> BTreeSet<&PackageName> {
        self.entries.keys().collect()
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
        self.parsed(name).map_or(&[], |(c, _)| c.as_slice())
    }

    fn rejected(&self, name: &PackageName) -> &[Rejected] {
        self.parsed(name).map_or(&[], |(_, r)| r.as_slice())
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

/// Calls `f` with each entry name of a directory; a missing or unreadable directory has none.
fn for_each_entry(dir: &Path, mut f: impl FnMut(&str)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if let Some(name) = entry.file_name().to_str() {
            f(name);
        }
    }
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
