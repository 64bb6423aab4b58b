//! The module index of one wheel: every importable name mapped to the member that provides it.
//!
//! Lookup follows CPython's `FileFinder`: within a directory, a package (`name/__init__` with an
//! extension suffix, then `.py`) beats a module file (`name` + extension suffix, then `.py`),
//! which beats a namespace portion (a bare directory). The index is built once, when the wheel is
//! activated, from the central directory alone, so `find_spec` is a single hash lookup.

use std::collections::{BTreeSet, HashMap, HashSet};

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
            let files: HashSet<&str> = members
                .clone()
                .into_iter()
                .filter_map(|m| m.strip_prefix(root.as_str()))
                .filter(|m| !m.is_empty() && !m.ends_with('/'))
                .collect();
            let mut dirs: BTreeSet<&str> = BTreeSet::new();
            let mut names: BTreeSet<String> = BTreeSet::new();
            for file in &files {
                let mut parts: Vec<&str> = file.split('/').collect();
                let leaf = parts.pop().unwrap_or_default();
                // `__pycache__` holds bytecode the importer never serves from an archive.
                if parts.contains(&"__pycache__") || !parts.iter().all(|p| is_identifier(p)) {
                    continue;
                }
                // Every enclosing directory is a candidate package or namespace portion.
                for end in 1..=parts.len() {
                    let dir_len: usize =
                        parts[..end].iter().map(|p| p.len() + 1).sum::<usize>() - 1;
                    dirs.insert(&file[..dir_len]);
                    names.insert(parts[..end].join("."));
                }
                if let Some(stem) = module_stem(leaf, extension_suffixes) {
                    if stem != "__init__" {
                        let mut name = parts.join(".");
                        if !name.is_empty() {
                            name.push('.');
                        }
                        name.push_str(stem);
                        names.insert(name);
                    }
                }
            }
            for name in names {
                let rel = name.replace('.', "/");
                if let Some(entry) = find(&rel, root, &files, &dirs, extension_suffixes) {
                    index.insert(name, entry);
                }
            }
        }
        index
    }

    fn insert(&mut self, name: String, entry: ModuleEntry) {
        if !name.contains('.') {
            self.top_level.insert(name.clone());
        }
        match self.modules.get_mut(&name) {
            // A later root only adds namespace portions to a namespace seen before.
            Some(existing) => {
                if existing.kind == ModuleKind::Namespace {
                    if entry.kind == ModuleKind::Namespace {
                        existing.search_locations.extend(entry.search_locations);
                    } else {
                        *existing = entry;
                    }
                }
            }
            None => {
                self.modules.insert(name, entry);
            }
        }
    }

    /// The entry for a fully qualified module name. Ex) `six`, `pkg.sub`
    pub fn get(&self, fullname: &str) -> Option<&ModuleEntry> {
        self.modules.get(fullname)
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

/// Applies [`SEARCH_ORDER`] to `rel` (a name with `/` for `.`) under `root`.
fn find(
    rel: &str,
    root: &str,
    files: &HashSet<&str>,
    dirs: &BTreeSet<&str>,
    extension_suffixes: &[String],
) -> Option<ModuleEntry> {
    for step in SEARCH_ORDER {
        let suffixes: Vec<&str> = match step.kind {
            ModuleKind::Extension => extension_suffixes.iter().map(String::as_str).collect(),
            ModuleKind::Source => vec![".py"],
            ModuleKind::Namespace => {
                if dirs.contains(rel) {
                    return Some(ModuleEntry {
                        kind: ModuleKind::Namespace,
                        is_package: true,
                        member: format!("{root}{rel}/"),
                        search_locations: vec![format!("{root}{rel}")],
                    });
                }
                continue;
            }
        };
        for suffix in suffixes {
            let candidate = if step.package {
                format!("{rel}/__init__{suffix}")
            } else {
                format!("{rel}{suffix}")
            };
            if files.contains(candidate.as_str()) {
                let search_locations = if step.package {
                    vec![format!("{root}{rel}")]
                } else {
                    Vec::new()
                };
                return Some(ModuleEntry {
                    kind: step.kind,
                    is_package: step.package,
                    member: format!("{root}{candidate}"),
                    search_locations,
                });
            }
        }
    }
    None
}

/// The module name a file provides, if it is a module file. Ex) `six.py` -> `six`
fn module_stem<'a>(leaf: &'a str, extension_suffixes: &[String]) -> Option<&'a str> {
    let stem = leaf.strip_suffix(".py").or_else(|| {
        extension_suffixes
            .iter()
            .find_map(|suffix| leaf.strip_suffix(suffix.as_str()))
    })?;
    is_identifier(stem).then_some(stem)
}

/// Whether `s` can be one part of a dotted module name (`str.isidentifier` for the ASCII range;
/// other letters are accepted as Python accepts them).
pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c == '_' || c.is_alphabetic() => {}
        _ => return false,
    }
    chars.all(|c| c == '_' || c.is_alphanumeric())
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
    fn ok_identifiers() {
        assert!(is_identifier("_x1"));
        assert!(is_identifier("été"));
        assert!(!is_identifier("1x"));
        assert!(!is_identifier("a-b"));
        assert!(!is_identifier(""));
    }
}
