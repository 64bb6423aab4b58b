//! The module index of one wheel: every importable name mapped to the member that provides it.
//!
//! Lookup follows CPython's `FileFinder`: within a directory, a package (`name/__init__` with an
//! extension suffix, then `.py`) beats a module file (`name` + extension suffix, then `.py`),
//! which beats a namespace portion (a bare directory). The index is built once, when the wheel is
//! activated, from the central directory alone, so `find_spec` is a single hash lookup.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::wheel::is_identifier;

/// How a module is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleKind {
    /// Python source, compiled (or served from the bytecode cache).
    Source,
    /// A native extension, materialised to the cache and loaded by the extension loader.
    Extension,
    /// A PEP 420 namespace portion: a directory with no `__init__`.
    Namespace,
}

/// One step of the search order: which file shape provides a name, and whether it makes a package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchStep {
    pub kind: ModuleKind,
    pub package: bool,
}

/// The search order within one directory, best first (as `FileFinder` does: packages first,
/// extension suffixes before source, a bare directory last).
pub const SEARCH_ORDER: [SearchStep; 5] = [
    SearchStep {
        kind: ModuleKind::Extension,
        package: true,
    },
    SearchStep {
        kind: ModuleKind::Source,
        package: true,
    },
    SearchStep {
        kind: ModuleKind::Extension,
        package: false,
    },
    SearchStep {
        kind: ModuleKind::Source,
        package: false,
    },
    SearchStep {
        kind: ModuleKind::Namespace,
        package: true,
    },
];

/// What provides one module name inside a wheel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleEntry {
    pub kind: ModuleKind,
    pub is_package: bool,
    /// The member that holds the code (`six.py`, `pkg/__init__.py`, `pkg/_speedups.cpython-311-x86_64-linux-gnu.so`);
    /// for a namespace portion, the first directory, with a trailing `/`.
    pub member: String,
    /// For packages and namespace portions: the directories (members' prefix, no trailing `/`)
    /// that make up `__path__` inside the archive. Ex) `["pkg"]`
    pub search_locations: Vec<String>,
}

/// What a name found in an archive directory is (see [`ModuleIndex::find_in_dir`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundInDir<'a> {
    /// The name the index knows the module by. Ex) `ydb._grpc.v6.draft`
    pub name: String,
    pub entry: &'a ModuleEntry,
}

/// Every importable name of one wheel.
#[derive(Debug, Clone, Default)]
pub struct ModuleIndex {
    modules: HashMap<String, ModuleEntry>,
    top_level: BTreeSet<String>,
}

impl ModuleIndex {
    /// Builds the index from the archive's member names.
    ///
    /// `roots` are the member prefixes that are importable, in order (`""` for the archive root,
    /// `"six-1.0.data/purelib/"`...); `extension_suffixes` are `importlib.machinery.EXTENSION_SUFFIXES`.
    pub fn build<'a>(
        members: impl IntoIterator<Item = &'a str> + Clone,
        roots: &[String],
        extension_suffixes: &[String],
    ) -> Self {
        let mut index = Self::default();
        for root in roots {
            let mut at_root = RootIndex::new(root, extension_suffixes);
            for member in members.clone() {
                at_root.add(member);
            }
            for (name, best) in at_root.best {
                index.insert(name, best.entry);
            }
        }
        index
    }

    fn insert(&mut self, name: String, entry: ModuleEntry) {
        if !name.contains('.') {
            self.top_level.insert(name.clone());
        }
        match self.modules.entry(name) {
            // A later root only adds namespace portions to a namespace seen before.
            std::collections::hash_map::Entry::Occupied(mut existing) => {
                let existing = existing.get_mut();
                if existing.kind == ModuleKind::Namespace {
                    if entry.kind == ModuleKind::Namespace {
                        existing.search_locations.extend(entry.search_locations);
                    } else {
                        *existing = entry;
                    }
                }
            }
            std::collections::hash_map::Entry::Vacant(vacant) => {
                vacant.insert(entry);
            }
        }
    }

    /// The entry for a fully qualified module name. Ex) `six`, `pkg.sub`
    pub fn get(&self, fullname: &str) -> Option<&ModuleEntry> {
        self.modules.get(fullname)
    }

    /// What `leaf` names inside the archive directory `dir` (a member prefix without the
    /// trailing `/`; `""` for the archive root), as CPython's `FileFinder` for that directory
    /// would find it, whatever the name the module is being imported under: the path-entry
    /// protocol, for packages whose `__path__` is an alias's (`sys.modules` entries set by
    /// hand), extended by `pkgutil.extend_path` or with a plugin directory. Returns the name
    /// the index knows it by and its entry. `roots` are those given to [`Self::build`].
    /// Ex) (`ydb/_grpc/v6`, `draft`) -> `ydb._grpc.v6.draft`, the package `ydb/_grpc/v6/draft/`
    pub fn find_in_dir(&self, roots: &[String], dir: &str, leaf: &str) -> Option<FoundInDir<'_>> {
        if leaf.is_empty() || leaf.contains(['/', '.', '\\']) {
            return None;
        }
        let at = if dir.is_empty() {
            leaf.to_owned()
        } else {
            format!("{dir}/{leaf}")
        };
        roots.iter().find_map(|root| {
            let relative = under_root(dir, root)?;
            let name = if relative.is_empty() {
                leaf.to_owned()
            } else {
                format!("{}.{leaf}", relative.replace('/', "."))
            };
            let entry = self.modules.get(&name)?;
            // The index names it by its place under its root; the place must be this directory
            // (a directory named `a.b`, or another root, could give the same dotted name).
            let here = match entry.kind {
                ModuleKind::Namespace => entry.search_locations.contains(&at),
                _ if entry.is_package => entry.search_locations.first() == Some(&at),
                _ => entry
                    .member
                    .strip_prefix(at.as_str())
                    .is_some_and(|rest| rest.starts_with('.')),
            };
            here.then_some(FoundInDir { name, entry })
        })
    }

    /// Top-level import names the wheel provides. Ex) `["six"]`
    pub fn top_level(&self) -> impl Iterator<Item = &str> {
        self.top_level.iter().map(String::as_str)
    }

    /// Every name and its entry.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ModuleEntry)> {
        self.modules.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn len(&self) -> usize {
        self.modules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.modules.is_empty()
    }
}

/// `dir` relative to `root` (a member prefix ending with `/`, or `""`), if it lies under it.
/// Ex) (`x-1.0.data/purelib/pkg`, `x-1.0.data/purelib/`) -> `pkg`
fn under_root<'d>(dir: &'d str, root: &str) -> Option<&'d str> {
    if root.is_empty() {
        return Some(dir);
    }
    let rest = dir.strip_prefix(root.strip_suffix('/').unwrap_or(root))?;
    if rest.is_empty() {
        Some(rest)
    } else {
        rest.strip_prefix('/')
    }
}

/// An entry offered for a name, with its place in the search order: the lowest wins.
struct Offer {
    /// (place in [`SEARCH_ORDER`], place among the extension suffixes)
    order: (usize, usize),
    entry: ModuleEntry,
}

/// The index of one importable root (`""`, `"six-1.0.data/purelib/"`...), as `FileFinder`
/// would see that directory tree: the best entry for each name.
struct RootIndex<'a, 's> {
    root: &'s str,
    extension_suffixes: &'s [String],
    best: HashMap<String, Offer>,
    /// Directories whose namespace portions were offered.
    seen_dirs: HashSet<&'a str>,
    /// Whether each directory seen can hold modules (every part an identifier, none
    /// `__pycache__`), decided once per directory rather than once per member.
    importable: HashMap<&'a str, bool>,
}

impl<'a, 's> RootIndex<'a, 's> {
    fn new(root: &'s str, extension_suffixes: &'s [String]) -> Self {
        Self {
            root,
            extension_suffixes,
            best: HashMap::new(),
            seen_dirs: HashSet::new(),
            importable: HashMap::new(),
        }
    }

    /// Keeps `entry` for `name` unless a better one was offered.
    fn offer(&mut self, name: String, order: (usize, usize), entry: ModuleEntry) {
        use std::collections::hash_map::Entry;
        match self.best.entry(name) {
            Entry::Occupied(o) if o.get().order <= order => {}
            Entry::Occupied(mut o) => {
                o.insert(Offer { order, entry });
            }
            Entry::Vacant(v) => {
                v.insert(Offer { order, entry });
            }
        }
    }

    /// Offers what one archive member provides under this root, if anything.
    fn add(&mut self, member: &'a str) {
        let Some(file) = member.strip_prefix(self.root) else {
            return;
        };
        if file.is_empty() || file.ends_with('/') {
            return;
        }
        let (dir, leaf) = file.rsplit_once('/').unwrap_or(("", file));
        // `__pycache__` holds bytecode the importer never serves from an archive.
        if !dir.is_empty()
            && !*self.importable.entry(dir).or_insert_with(|| {
                dir.split('/')
                    .all(|p| p != "__pycache__" && is_identifier(p))
            })
        {
            return;
        }
        if !dir.is_empty() && self.seen_dirs.insert(dir) {
            self.add_namespaces(dir);
        }
        self.add_file(member, dir, leaf);
    }

    /// Offers `dir` and every directory enclosing it as namespace portions (the last step).
    fn add_namespaces(&mut self, dir: &'a str) {
        let root = self.root;
        let mut end = dir.len();
        loop {
            let sub = &dir[..end];
            let entry = ModuleEntry {
                kind: ModuleKind::Namespace,
                is_package: true,
                member: format!("{root}{sub}/"),
                search_locations: vec![format!("{root}{sub}")],
            };
            self.offer(sub.replace('/', "."), (NAMESPACE_STEP, 0), entry);
            match sub.rfind('/') {
                Some(cut) if self.seen_dirs.insert(&dir[..cut]) => end = cut,
                _ => break,
            }
        }
    }

    /// Offers the module or package `leaf` (a file in `dir`) provides, if it is a module file.
    fn add_file(&mut self, member: &str, dir: &str, leaf: &str) {
        let Some((kind, suffix, stem)) = classify(leaf, self.extension_suffixes) else {
            return;
        };
        let package = stem == "__init__";
        if package && dir.is_empty() {
            return; // an `__init__.py` at the root belongs to no package
        }
        let step = SEARCH_ORDER
            .iter()
            .position(|s| s.kind == kind && s.package == package)
            .unwrap_or(NAMESPACE_STEP);
        let name = match (package, dir.is_empty()) {
            (true, _) => dir.replace('/', "."),
            (false, true) => stem.to_owned(),
            (false, false) => format!("{}.{stem}", dir.replace('/', ".")),
        };
        let search_locations = if package {
            vec![format!("{}{dir}", self.root)]
        } else {
            Vec::new()
        };
        let entry = ModuleEntry {
            kind,
            is_package: package,
            member: member.to_owned(),
            search_locations,
        };
        self.offer(name, (step, suffix), entry);
    }
}

/// The place of the namespace step in [`SEARCH_ORDER`] (the last).
const NAMESPACE_STEP: usize = SEARCH_ORDER.len() - 1;

/// What a file provides, if it is a module file: its kind, the place of its suffix (extension
/// suffixes in the interpreter's order), and its stem. Ex) `six.py` -> (Source, 0, `six`)
fn classify<'a>(
    leaf: &'a str,
    extension_suffixes: &[String],
) -> Option<(ModuleKind, usize, &'a str)> {
    let (kind, suffix, stem) = match leaf.strip_suffix(".py") {
        Some(stem) => (ModuleKind::Source, 0, stem),
        None => extension_suffixes
            .iter()
            .enumerate()
            .find_map(|(i, suffix)| {
                leaf.strip_suffix(suffix.as_str())
                    .map(|stem| (ModuleKind::Extension, i, stem))
            })?,
    };
    // Python imports an extension module by its file name even when that is not an identifier:
    // mypyc names its shared module by a hash (`5bae8a57b5ef85818b48__mypyc`), and its stubs
    // import it by that name.
    let valid = match kind {
        ModuleKind::Extension => {
            !stem.is_empty() && stem.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        }
        _ => is_identifier(stem),
    };
    valid.then_some((kind, suffix, stem))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suffixes() -> Vec<String> {
        vec![
            ".cpython-311-x86_64-linux-gnu.so".into(),
            ".abi3.so".into(),
            ".so".into(),
        ]
    }

    fn build(members: &[&str], roots: &[&str]) -> ModuleIndex {
        let roots: Vec<String> = roots.iter().map(|s| s.to_string()).collect();
        ModuleIndex::build(members.iter().copied(), &roots, &suffixes())
    }

    #[test]
    fn ok_find_in_dir() {
        let roots = ["", "x-1.0.data/purelib/"];
        let index = build(
            &[
                "ydb/__init__.py",
                "ydb/_grpc/__init__.py",
                "ydb/_grpc/v6/__init__.py",
                "ydb/_grpc/v6/draft/__init__.py",
                "ydb/_grpc/v6/common.py",
                "ydb/_grpc/v6/fast.cpython-311-x86_64-linux-gnu.so",
                "ydb/_grpc/v6/ns/portion.py",
                "top.py",
                "x-1.0.data/purelib/extra/__init__.py",
                "x-1.0.data/purelib/lone.py",
            ],
            &roots,
        );
        let roots: Vec<String> = roots.iter().map(|r| r.to_string()).collect();
        let find = |dir: &str, leaf: &str| {
            index
                .find_in_dir(&roots, dir, leaf)
                .map(|f| (f.name, f.entry.member.clone(), f.entry.kind))
        };
        assert_eq!(
            find("ydb/_grpc/v6", "draft"),
            Some((
                "ydb._grpc.v6.draft".into(),
                "ydb/_grpc/v6/draft/__init__.py".into(),
                ModuleKind::Source
            ))
        );
        assert_eq!(
            find("ydb/_grpc/v6", "common").map(|f| f.1),
            Some("ydb/_grpc/v6/common.py".into())
        );
        assert_eq!(
            find("ydb/_grpc/v6", "fast").map(|f| f.2),
            Some(ModuleKind::Extension)
        );
        assert_eq!(
            find("ydb/_grpc/v6", "ns").map(|f| (f.0, f.2)),
            Some(("ydb._grpc.v6.ns".into(), ModuleKind::Namespace))
        );
        assert_eq!(find("", "top").map(|f| f.0), Some("top".into()));
        assert_eq!(
            find("x-1.0.data/purelib", "lone").map(|f| f.0),
            Some("lone".into())
        );
        assert_eq!(
            find("x-1.0.data/purelib", "extra").map(|f| f.1),
            Some("x-1.0.data/purelib/extra/__init__.py".into())
        );
    }

    #[test]
    fn err_find_in_dir_elsewhere() {
        let roots = vec![String::new()];
        let index = build(&["a/b/__init__.py", "a/b/c.py", "a.b/c.py"], &["", ""]);
        // `a.b/c.py` is not importable; `a.b.c` is `a/b/c.py`, in another directory.
        assert_eq!(index.find_in_dir(&roots, "a.b", "c"), None);
        assert_eq!(index.find_in_dir(&roots, "a/b", "missing"), None);
        assert_eq!(index.find_in_dir(&roots, "a/b", "c.py"), None);
        assert_eq!(index.find_in_dir(&roots, "a/b", ""), None);
        // Only the archive root holds top-level names.
        assert_eq!(index.find_in_dir(&roots, "a", "c"), None);
        assert_eq!(
            under_root("x-1.0.data/purelibx", "x-1.0.data/purelib/"),
            None
        );
        assert_eq!(
            under_root("x-1.0.data/purelib", "x-1.0.data/purelib/"),
            Some("")
        );
    }

    #[test]
    fn ok_module_and_package() {
        let index = build(
            &[
                "six.py",
                "pkg/__init__.py",
                "pkg/sub.py",
                "pkg/data.txt",
                "six-1.0.dist-info/METADATA",
            ],
            &[""],
        );
        assert_eq!(index.get("six").unwrap().member, "six.py");
        let pkg = index.get("pkg").unwrap();
        assert!(pkg.is_package);
        assert_eq!(pkg.member, "pkg/__init__.py");
        assert_eq!(pkg.search_locations, vec!["pkg"]);
        assert_eq!(index.get("pkg.sub").unwrap().kind, ModuleKind::Source);
        assert!(index.get("pkg.data").is_none());
        assert_eq!(index.top_level().collect::<Vec<_>>(), vec!["pkg", "six"]);
        assert_eq!(index.len(), 3);
    }

    #[test]
    fn ok_extension_beats_source() {
        let index = build(
            &["m.py", "m.abi3.so", "p/__init__.py", "p/__init__.so"],
            &[""],
        );
        assert_eq!(index.get("m").unwrap().kind, ModuleKind::Extension);
        assert_eq!(index.get("m").unwrap().member, "m.abi3.so");
        assert_eq!(index.get("p").unwrap().member, "p/__init__.so");
    }

    #[test]
    fn ok_package_beats_module() {
        let index = build(&["a.py", "a/__init__.py"], &[""]);
        assert_eq!(index.get("a").unwrap().member, "a/__init__.py");
    }

    #[test]
    fn ok_namespace_without_directory_entries() {
        let index = build(&["ns/pkg/__init__.py", "ns/mod.py"], &[""]);
        let ns = index.get("ns").unwrap();
        assert_eq!(ns.kind, ModuleKind::Namespace);
        assert_eq!(ns.search_locations, vec!["ns"]);
        assert_eq!(index.get("ns.pkg").unwrap().kind, ModuleKind::Source);
        assert_eq!(index.get("ns.mod").unwrap().kind, ModuleKind::Source);
    }

    #[test]
    fn ok_data_roots() {
        let index = build(
            &[
                "x-1.data/purelib/ns/a.py",
                "ns/b.py",
                "x-1.data/scripts/tool",
                "x-1.data/purelib/y.py",
            ],
            &["", "x-1.data/purelib/"],
        );
        assert_eq!(
            index.get("ns").unwrap().search_locations,
            vec!["ns", "x-1.data/purelib/ns"]
        );
        assert_eq!(index.get("y").unwrap().member, "x-1.data/purelib/y.py");
        assert_eq!(
            index.get("ns.a").unwrap().member,
            "x-1.data/purelib/ns/a.py"
        );
    }

    #[test]
    fn ok_skips_non_identifiers() {
        let index = build(
            &[
                "__pycache__/six.cpython-311.pyc",
                "my-tool/x.py",
                "six-1.0.dist-info/RECORD",
                "1bad.py",
            ],
            &[""],
        );
        assert!(index.is_empty(), "{index:?}");
    }

    #[test]
    fn ok_extension_named_by_hash() {
        let index = build(
            &[
                "5bae8a57b5ef85818b48__mypyc.cpython-311-x86_64-linux-gnu.so",
                "1bad.py",
            ],
            &[""],
        );
        let entry = index.get("5bae8a57b5ef85818b48__mypyc").unwrap();
        assert_eq!(entry.kind, ModuleKind::Extension);
        assert!(
            index.get("1bad").is_none(),
            "a source file still needs an identifier"
        );
    }

    #[test]
    fn ok_identifiers() {}
}
