//! The store: candidate wheels in the store directories and the default (normally installed) distributions.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use once_cell::sync::OnceCell;
use parking_lot::Mutex;
use pep440_rs::Version;

use crate::archive::{Archive, ArchiveError};
use crate::candidate::{Candidate, Origin, Rejected};
use crate::hash::Fnv64;
use crate::resolve::Provider;
use crate::wheel::find_dist_info;
use crate::wheel::{Metadata, PackageName, SupportedTags, WheelFilename};

/// Where to look, and what the interpreter supports.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// Directories whose `*.whl` files are candidates, in order (`WHEELHOOK_PATH`, then site-packages).
    pub wheel_dirs: Vec<PathBuf>,
    /// Directories whose `*.dist-info` / `*.egg-info` are default distributions (`sys.path`).
    pub default_dirs: Vec<PathBuf>,
    /// The tags the running interpreter supports, which rank and filter wheels.
    pub tags: Arc<SupportedTags>,
}

/// One `.whl` file found by listing: its directory and where its name sits in the listing's
/// text, under the hash of its normalised distribution name.
#[derive(Debug, Clone, Copy)]
struct WheelFile {
    key: u64,
    dir: u32,
    start: u32,
    end: u32,
}

/// The wheel files of one distribution name (a run of [`Store::wheels`]), parsed on first use.
#[derive(Debug)]
struct Group {
    key: u64,
    files: std::ops::Range<usize>,
    parsed: OnceCell<Parsed>,
}

/// The parsed wheels of one name (after the name's defaults), and those that cannot be used.
#[derive(Debug)]
struct Parsed {
    candidates: Vec<Candidate>,
    rejected: Vec<Rejected>,
}

/// Every candidate of every distribution, found by listing the directories once.
///
/// Listing only notes each wheel's file name under a hash of its distribution name: a store
/// of thousands of unrelated wheels costs one directory listing, one sort and a few
/// allocations in all. A wheel's file name is parsed and its tags ranked when the resolver
/// first asks for its distribution.
#[derive(Debug, Default)]
pub struct Store {
    /// Every wheel file name, one after another.
    text: String,
    /// Sorted by (key, name), in store order within a name.
    wheels: Vec<WheelFile>,
    /// One per distinct name among `wheels`, in the same order.
    groups: Vec<Group>,
    defaults: HashMap<PackageName, Vec<Candidate>>,
    /// The defaults' names in the order found (`sys.path` order, then directory order): the
    /// order `importlib.metadata.distributions()` lists them in.
    default_order: Vec<PackageName>,
    wheel_dirs: Vec<PathBuf>,
    tags: Option<Arc<SupportedTags>>,
    archives: Mutex<HashMap<PathBuf, Arc<Archive>>>,
    metadata: Mutex<HashMap<PathBuf, Result<Arc<Metadata>, String>>>,
}

/// The hash a name is filed under: FNV-1a over its normalised UTF-8.
fn name_key(chars: impl Iterator<Item = char>) -> u64 {
    let mut buf = [0u8; 4];
    chars
        .fold(Fnv64::new(), |hash, c| {
            hash.write(c.encode_utf8(&mut buf).as_bytes())
        })
        .finish()
}

/// The distribution-name part of a wheel's file name (before the first `-`).
fn name_part(file_name: &str) -> &str {
    let stem = file_name.strip_suffix(".whl").unwrap_or(file_name);
    stem.split('-').next().unwrap_or(stem)
}

impl Store {
    /// Lists the store and default directories. Only names are read here: no archive is opened.
    pub fn scan(config: &StoreConfig) -> Self {
        let mut store = Self {
            tags: Some(config.tags.clone()),
            wheel_dirs: distinct(&config.wheel_dirs),
            ..Self::default()
        };
        store.list_wheels();
        store.group_wheels();
        store.find_defaults(&config.default_dirs);
        store
    }

    /// Notes every `*.whl` file name of the wheel directories, in store order.
    fn list_wheels(&mut self) {
        let dirs = std::mem::take(&mut self.wheel_dirs);
        for (index, dir) in dirs.iter().enumerate() {
            let Ok(index) = u32::try_from(index) else {
                break;
            };
            for_each_entry(dir, |file_name| self.note_wheel(index, file_name));
        }
        self.wheel_dirs = dirs;
    }

    /// Appends a wheel's file name to the listing's text, filed under its name's key.
    fn note_wheel(&mut self, dir: u32, file_name: &str) {
        if !file_name.ends_with(".whl") {
            return;
        }
        let Ok(start) = u32::try_from(self.text.len()) else {
            return;
        };
        self.text.push_str(file_name);
        let Ok(end) = u32::try_from(self.text.len()) else {
            return;
        };
        let key = name_key(PackageName::normalized_chars(name_part(file_name)));
        self.wheels.push(WheelFile {
            key,
            dir,
            start,
            end,
        });
    }

    /// Notes the default distributions: the first `.dist-info` or `.egg-info` of each name on
    /// `sys.path`, with its version from the directory name, or from its metadata when the
    /// name has none.
    fn find_defaults(&mut self, default_dirs: &[PathBuf]) {
        let mut seen: HashSet<PackageName> = HashSet::new();
        for dir in default_dirs {
            for_each_entry(dir, |file_name| {
                let Some(DistInfoName { name, version }) = parse_dist_info_name(file_name) else {
                    return;
                };
                // The first on sys.path is what a plain import gives; later copies are invisible.
                if !seen.insert(name.clone()) {
                    return;
                }
                let path = dir.join(file_name);
                let Some(version) = version.or_else(|| self.read_default_version(&path)) else {
                    return;
                };
                let candidate = Candidate {
                    name: name.clone(),
                    version,
                    origin: Origin::Default { dist_info: path },
                    rank: 0,
                };
                self.default_order.push(name.clone());
                self.defaults.entry(name).or_default().push(candidate);
            });
        }
    }

    /// The default distributions in the order found: `sys.path` order, then each directory's
    /// listing order (as `importlib.metadata.distributions()` lists them), one per name.
    pub fn defaults(&self) -> impl Iterator<Item = &Candidate> {
        self.default_order
            .iter()
            .filter_map(|name| self.defaults.get(name)?.first())
    }

    /// The version in a default distribution's metadata, whose directory name has none (an
    /// `.egg-info` of a development install, for one). The metadata read is kept: the resolver
    /// asks for it again when it considers the candidate.
    fn read_default_version(&self, dist_info: &Path) -> Option<Version> {
        let text = read_default_metadata(dist_info).ok()?;
        let (version, parsed) = match parse_metadata(&text, dist_info) {
            Ok(metadata) => (metadata.version.clone(), Ok(Arc::new(metadata))),
            // Still a candidate: the resolver says why its metadata cannot be read.
            Err(err) => (Metadata::parse_version(&text).ok()?, Err(err)),
        };
        self.metadata.lock().insert(dist_info.to_path_buf(), parsed);
        Some(version)
    }

    fn file_name(&self, file: &WheelFile) -> &str {
        &self.text[file.start as usize..file.end as usize]
    }

    /// Sorts the wheels by name (in store order within a name) and makes their groups.
    fn group_wheels(&mut self) {
        let mut wheels = std::mem::take(&mut self.wheels);
        // Names are compared only when their keys are equal: in practice, the same name. The
        // text offset last keeps store order within a name (files were appended in it).
        wheels.sort_unstable_by(|a, b| {
            a.key
                .cmp(&b.key)
                .then_with(|| {
                    let a = PackageName::normalized_chars(name_part(self.file_name(a)));
                    a.cmp(PackageName::normalized_chars(name_part(self.file_name(b))))
                })
                .then(a.start.cmp(&b.start))
        });
        let mut groups: Vec<Group> = Vec::new();
        for (i, file) in wheels.iter().enumerate() {
            let same = groups.last().is_some_and(|g| {
                let first = &wheels[g.files.start];
                g.key == file.key
                    && PackageName::normalized_chars(name_part(self.file_name(first))).eq(
                        PackageName::normalized_chars(name_part(self.file_name(file))),
                    )
            });
            match groups.last_mut() {
                Some(group) if same => group.files.end = i + 1,
                _ => groups.push(Group {
                    key: file.key,
                    files: i..i + 1,
                    parsed: OnceCell::new(),
                }),
            }
        }
        self.wheels = wheels;
        self.groups = groups;
    }

    /// The group of a name's wheels, if it has any.
    fn group(&self, name: &PackageName) -> Option<&Group> {
        self.group_keyed(name_key(name.as_str().chars()), name)
    }

    fn group_keyed(&self, key: u64, name: &PackageName) -> Option<&Group> {
        let from = self.groups.partition_point(|g| g.key < key);
        self.groups[from..]
            .iter()
            .take_while(|g| g.key == key)
            .find(|g| name.matches(name_part(self.file_name(&self.wheels[g.files.start]))))
    }

    /// The parsed candidates and rejections of one name.
    fn parsed(&self, name: &PackageName) -> (&[Candidate], &[Rejected]) {
        let defaults = self.defaults.get(name).map_or(&[][..], Vec::as_slice);
        let Some(group) = self.group(name) else {
            return (defaults, &[]);
        };
        let parsed = group.parsed.get_or_init(|| {
            let mut candidates = defaults.to_vec();
            let mut rejected = Vec::new();
            for file in &self.wheels[group.files.clone()] {
                let path = self.wheel_dirs[file.dir as usize].join(self.file_name(file));
                match self.classify(&path) {
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
            Parsed {
                candidates,
                rejected,
            }
        });
        (&parsed.candidates, &parsed.rejected)
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
    pub fn names(&self) -> BTreeSet<PackageName> {
        let wheels = self
            .groups
            .iter()
            .map(|g| PackageName::new(name_part(self.file_name(&self.wheels[g.files.start]))));
        wheels.chain(self.defaults.keys().cloned()).collect()
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
        parse_metadata(&text, candidate.origin.path())
    }
}

impl Provider for Store {
    fn candidates(&self, name: &PackageName) -> &[Candidate] {
        self.parsed(name).0
    }

    fn rejected(&self, name: &PackageName) -> &[Rejected] {
        self.parsed(name).1
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

/// The directories in order, each once: the same directory named twice would list every
/// wheel twice.
fn distinct(dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for dir in dirs {
        if !out.contains(dir) {
            out.push(dir.clone());
        }
    }
    out
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

/// What the name of a `.dist-info` or `.egg-info` directory says.
#[derive(Debug)]
struct DistInfoName {
    name: PackageName,
    /// `None` when the name has no version, or one that does not parse.
    version: Option<Version>,
}

/// `six-1.16.0.dist-info` -> (`six`, 1.16.0); `foo-1.0-py3.11.egg-info` -> (`foo`, 1.0);
/// `foo.egg-info` -> (`foo`, unknown).
fn parse_dist_info_name(file_name: &str) -> Option<DistInfoName> {
    let stem = file_name
        .strip_suffix(".dist-info")
        .or_else(|| file_name.strip_suffix(".egg-info"))?;
    let mut parts = stem.splitn(3, '-');
    let name = parts.next().filter(|n| !n.is_empty())?;
    let version = parts.next().and_then(|v| Version::from_str(v).ok());
    Some(DistInfoName {
        name: PackageName::new(name),
        version,
    })
}

/// Parses core metadata, naming the file or directory it came from in the error.
fn parse_metadata(text: &str, origin: &Path) -> Result<Metadata, String> {
    Metadata::parse(text).map_err(|e| format!("{}: {e}", origin.display()))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_names_that_share_a_key_keep_apart() {
        // Two names filed under the same key (a hash collision, forced here) stay two groups,
        // and each name finds only its own wheels, in store order.
        let names = [
            "aa-1.0-py3-none-any.whl",
            "bb-1.0-py3-none-any.whl",
            "AA-2.0-py3-none-any.whl",
        ];
        let mut store = Store {
            wheel_dirs: vec![PathBuf::from("/store")],
            ..Store::default()
        };
        for name in names {
            let start = store.text.len() as u32;
            store.text.push_str(name);
            let end = store.text.len() as u32;
            store.wheels.push(WheelFile {
                key: 7,
                dir: 0,
                start,
                end,
            });
        }
        store.group_wheels();
        assert_eq!(store.groups.len(), 2);
        let files = |name: &str| -> Vec<&str> {
            let group = store.group_keyed(7, &PackageName::new(name)).unwrap();
            store.wheels[group.files.clone()]
                .iter()
                .map(|f| store.file_name(f))
                .collect()
        };
        assert_eq!(
            files("aa"),
            vec!["aa-1.0-py3-none-any.whl", "AA-2.0-py3-none-any.whl"]
        );
        assert_eq!(files("BB"), vec!["bb-1.0-py3-none-any.whl"]);
        assert!(store.group_keyed(7, &PackageName::new("cc")).is_none());
        assert!(
            store.group(&PackageName::new("aa")).is_none(),
            "filed under 7, not its hash"
        );
    }

    #[test]
    fn ok_default_versions_from_names_or_metadata() {
        let dir = std::env::temp_dir().join(format!("wheelhook-defaults-{}", std::process::id()));
        let write = |path: &str, text: &str| {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write("six-1.16.0.dist-info/METADATA", "Name: six\nVersion: 9.9\n");
        write(
            "foo.egg-info/PKG-INFO",
            "Name: foo\nVersion: 2.0\n\nVersion: 3.0\n",
        );
        write("bad.egg-info/PKG-INFO", "Name: bad\n");
        write(
            "broken.egg-info/PKG-INFO",
            "Name: broken\nVersion: 1.0\nRequires-Dist: x.>=1\n",
        );
        let config = StoreConfig {
            wheel_dirs: vec![],
            default_dirs: vec![dir.clone()],
            tags: Arc::new(SupportedTags::new(
                &crate::wheel::InterpreterFacts::cpython((3, 11), crate::wheel::Platform::detect()),
            )),
        };
        let store = Store::scan(&config);
        let version = |name: &str| -> Vec<String> {
            let candidates = store.candidates(&PackageName::new(name));
            candidates.iter().map(|c| c.version.to_string()).collect()
        };
        assert_eq!(
            version("six"),
            ["1.16.0"],
            "the name wins: METADATA is not read"
        );
        assert_eq!(version("foo"), ["2.0"], "the headers, not the body");
        assert!(version("bad").is_empty(), "no version anywhere");
        assert_eq!(
            version("broken"),
            ["1.0"],
            "listed: the resolver reports its metadata"
        );
        let broken = &store.candidates(&PackageName::new("broken"))[0];
        let err = store.metadata(broken).unwrap_err();
        assert!(err.contains("Requires-Dist"), "{err}");
        // The metadata read for the version is the one the resolver gets.
        std::fs::remove_dir_all(&dir).unwrap();
        let foo = &store.candidates(&PackageName::new("foo"))[0];
        assert_eq!(store.metadata(foo).unwrap().name, "foo");
    }

    #[test]
    fn ok_dist_info_names() {
        let DistInfoName { name, version } = parse_dist_info_name("Six-1.16.0.dist-info").unwrap();
        assert_eq!(name.as_str(), "six");
        assert_eq!(version.unwrap().to_string(), "1.16.0");
        let DistInfoName { name, version } =
            parse_dist_info_name("zope.interface-5.0-py3.11.egg-info").unwrap();
        assert_eq!(name.as_str(), "zope-interface");
        assert_eq!(version.unwrap().to_string(), "5.0");
        assert!(parse_dist_info_name("six.py").is_none());
        assert!(parse_dist_info_name("foo.egg-info")
            .unwrap()
            .version
            .is_none());
    }

    #[test]
    fn ok_defaults_in_path_order_first_of_each_name() {
        let root = std::env::temp_dir().join(format!("wheelhook-order-{}", std::process::id()));
        let (first, second) = (root.join("first"), root.join("second"));
        for dir in [
            "first/b-1.0.dist-info",
            "second/a-1.0.dist-info",
            "second/b-2.0.dist-info",
        ] {
            std::fs::create_dir_all(root.join(dir)).unwrap();
        }
        let config = StoreConfig {
            wheel_dirs: vec![],
            default_dirs: vec![first, second],
            tags: Arc::new(SupportedTags::new(
                &crate::wheel::InterpreterFacts::cpython((3, 11), crate::wheel::Platform::detect()),
            )),
        };
        let store = Store::scan(&config);
        let found: Vec<String> = store
            .defaults()
            .map(|c| format!("{} {}", c.name, c.version))
            .collect();
        // The first directory on `sys.path` comes first, and hides the later `b`.
        assert_eq!(found, ["b 1.0", "a 1.0"]);
        std::fs::remove_dir_all(root).unwrap();
    }
}
