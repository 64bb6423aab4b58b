//! Compatibility tags (PEP 425) supported by an interpreter, in priority order.
//!
//! The order is that of `packaging.tags.sys_tags()` (packaging 26.3), which pip and uv
//! follow, so that wheelhook picks the wheel an installer would have picked:
//!
//! 1. CPython: `cpXY-<abi>-<platform>` for the interpreter's ABI (`cp312`, `cp313t`,
//!    `cp311d` then `cp311` for a debug build, `cp37m` before 3.8, `cp32mu` before
//!    3.3), then `cpXY-abi3-*` (`abi3t` for a free-threaded build), `cpXY-none-*`, and `cpXW-abi3-*` for every
//!    older minor down to 3.2. Other interpreters: `<short name><XY>-<abi>-*` for their
//!    own ABI (Ex) `pp310-pypy310_pp73`), then `-none-*`.
//! 2. `pyXY-none-<platform>`, `pyX-none-*`, `pyXW-none-*` down to `pyX0`.
//! 3. `cpXY-none-any` (`pp3-none-any` for PyPy), then `pyXY-none-any` and the same
//!    descent as in 2.
//!
//! Within each step the platforms come in [`Platform::tags`] order, best first.
//!
//! <https://packaging.python.org/en/latest/specifications/platform-compatibility-tags/>

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

pub use super::platform::Platform;
use super::WheelFilename;

/// One `interpreter-abi-platform` triple. Ex) `cp311-abi3-manylinux_2_17_x86_64`
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag {
    /// Ex) `cp311`, `py3`
    pub interpreter: String,
    /// Ex) `cp311`, `abi3`, `none`
    pub abi: String,
    /// Ex) `manylinux_2_17_x86_64`, `any`
    pub platform: String,
}

impl Tag {
    /// A tag from its three parts, lowercased as packaging's `Tag` lowercases them.
    pub fn new(interpreter: &str, abi: &str, platform: &str) -> Self {
        Self {
            interpreter: interpreter.to_lowercase(),
            abi: abi.to_lowercase(),
            platform: platform.to_lowercase(),
        }
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", self.interpreter, self.abi, self.platform)
    }
}

/// What the tags depend on, gathered from the running interpreter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterpreterFacts {
    /// `sys.implementation.name`. Ex) `cpython`, `pypy`, `graalpy`
    pub implementation: String,
    /// `sys.version_info[:2]`. Ex) `(3, 11)`
    pub version: (u8, u8),
    /// Whether the interpreter is a debug build (`Py_DEBUG`, `sys.gettotalrefcount` or a
    /// `_d.pyd` extension suffix, as packaging decides it). CPython only.
    pub debug: bool,
    /// Whether the interpreter is a free-threaded build (`Py_GIL_DISABLED`, 3.13+). CPython only.
    pub free_threaded: bool,
    /// The ABI tag of a non-CPython interpreter, from `EXT_SUFFIX` with `-` and `.`
    /// turned into `_`. Ex) `pypy310_pp73`, `graalpy311_311_native`. CPython ignores it:
    /// its ABI follows from the version and the flags above.
    pub abi: Option<String>,
    /// The operating system and architecture, which give the platform tags.
    pub platform: Platform,
}

impl InterpreterFacts {
    /// A release (not debug, not free-threaded) CPython. Ex) `InterpreterFacts::cpython((3, 12), Platform::detect())`
    pub fn cpython(version: (u8, u8), platform: Platform) -> Self {
        Self {
            implementation: "cpython".to_owned(),
            version,
            debug: false,
            free_threaded: false,
            abi: None,
            platform,
        }
    }

    /// The interpreter's short name, as `packaging.tags.INTERPRETER_SHORT_NAMES` has it.
    /// Ex) `cpython` -> `cp`, `pypy` -> `pp`, `graalpy` -> `graalpy`
    fn short_name(&self) -> &str {
        match self.implementation.as_str() {
            "python" => "py",
            "cpython" => "cp",
            "pypy" => "pp",
            "ironpython" => "ip",
            "jython" => "jy",
            other => other,
        }
    }
}

/// FxHash: the tag maps hold short trusted strings, for which SipHash's DoS resistance
/// buys nothing and costs most of a lookup.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            // `chunks_exact(8)` yields 8-byte slices only.
            let word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
            self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
        }
        for &byte in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(byte)).wrapping_mul(K);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// The supported tags as three vocabularies (interpreter, ABI, platform -> small id) and
/// one map from id triples to priority: a wheel's tags are looked up by their parts,
/// without building a `Tag` or a string.
#[derive(Debug, Clone, Default)]
struct TagIndex {
    interpreters: FxMap<String, u32>,
    abis: FxMap<String, u32>,
    platforms: FxMap<String, u32>,
    priority: FxMap<(u32, u32, u32), usize>,
}

impl TagIndex {
    fn new(tags: &[Tag]) -> Self {
        fn id(map: &mut FxMap<String, u32>, key: &str) -> u32 {
            if let Some(&id) = map.get(key) {
                return id;
            }
            // Fewer than 2^32 distinct strings: the tag list is a few thousand long.
            let id = u32::try_from(map.len()).expect("tag vocabulary fits u32");
            map.insert(key.to_owned(), id);
            id
        }
        let mut index = Self::default();
        for (priority, tag) in tags.iter().enumerate() {
            let key = (
                id(&mut index.interpreters, &tag.interpreter),
                id(&mut index.abis, &tag.abi),
                id(&mut index.platforms, &tag.platform),
            );
            // A repeated tag keeps its first, best, priority.
            index.priority.entry(key).or_insert(priority);
        }
        index
    }

    /// Every priority the wheel's expanded tags have (its tags are lowercase already).
    fn priorities<'a>(&'a self, wheel: &'a WheelFilename) -> impl Iterator<Item = usize> + 'a {
        wheel
            .python_tags
            .iter()
            .filter_map(|py| self.interpreters.get(py.as_str()))
            .flat_map(move |&py| {
                wheel
                    .abi_tags
                    .iter()
                    .filter_map(|abi| self.abis.get(abi.as_str()))
                    .flat_map(move |&abi| {
                        wheel
                            .platform_tags
                            .iter()
                            .filter_map(|plat| self.platforms.get(plat.as_str()))
                            .filter_map(move |&plat| self.priority.get(&(py, abi, plat)).copied())
                    })
            })
    }
}

/// Adds `interpreter-abi-platform` for every platform, best platform first.
fn push_all(tags: &mut Vec<Tag>, platforms: &[String], interpreter: &str, abi: &str) {
    tags.extend(platforms.iter().map(|p| Tag::new(interpreter, abi, p)));
}

/// Adds CPython's own tags: its ABI (with the debug, free-threading and, before 3.8,
/// pymalloc and wide-unicode flags), the stable ABI, `none`, then the stable ABI of every
/// older minor version. Returns the interpreter tag. Ex) `cp311`
fn push_cpython(tags: &mut Vec<Tag>, platforms: &[String], facts: &InterpreterFacts) -> String {
    let (major, minor) = facts.version;
    let interpreter = format!("cp{major}{minor}");
    // `t` exists from 3.13, where `Py_GIL_DISABLED` appeared.
    let threading = facts.free_threaded && (major, minor) >= (3, 13);
    let t = if threading { "t" } else { "" };
    let d = if facts.debug { "d" } else { "" };
    if (major, minor) < (3, 8) {
        // pymalloc builds (the default) add `m`, and wide-unicode builds before
        // PEP 393 (3.3) `u`, assumed; debug builds load only `d` modules.
        let u = if (major, minor) < (3, 3) { "u" } else { "" };
        push_all(
            tags,
            platforms,
            &interpreter,
            &format!("cp{major}{minor}{t}{d}m{u}"),
        );
    } else {
        push_all(
            tags,
            platforms,
            &interpreter,
            &format!("cp{major}{minor}{t}{d}"),
        );
        if facts.debug {
            // A debug build also loads release-build extension modules.
            push_all(
                tags,
                platforms,
                &interpreter,
                &format!("cp{major}{minor}{t}"),
            );
        }
    }
    // The stable ABI exists from 3.2; free-threaded builds have their own, `abi3t`.
    let stable = (major, minor) >= (3, 2);
    let stable_abi = if threading { "abi3t" } else { "abi3" };
    if stable {
        push_all(tags, platforms, &interpreter, stable_abi);
    }
    push_all(tags, platforms, &interpreter, "none");
    if stable {
        for older in (2..minor).rev() {
            push_all(tags, platforms, &format!("cp{major}{older}"), stable_abi);
        }
    }
    interpreter
}

/// Adds another implementation's tags: its ABI, then `none`. Returns the interpreter tag
/// that also pairs with `none-any`, which only PyPy has. Ex) `pp3`
fn push_other(
    tags: &mut Vec<Tag>,
    platforms: &[String],
    facts: &InterpreterFacts,
) -> Option<String> {
    let (major, minor) = facts.version;
    let interpreter = format!("{}{major}{minor}", facts.short_name());
    if let Some(abi) = facts.abi.as_deref().filter(|abi| *abi != "none") {
        push_all(tags, platforms, &interpreter, abi);
    }
    push_all(tags, platforms, &interpreter, "none");
    (facts.short_name() == "pp").then(|| "pp3".to_owned())
}

/// The tags an interpreter supports, best first.
#[derive(Debug, Clone)]
pub struct SupportedTags {
    /// Every supported tag, best first.
    pub tags: Vec<Tag>,
    index: TagIndex,
}

impl SupportedTags {
    /// The tags for `facts`, in the order `packaging.tags.sys_tags()` gives them.
    ///
    /// <https://packaging.python.org/en/latest/specifications/platform-compatibility-tags/>
    pub fn new(facts: &InterpreterFacts) -> Self {
        let platforms = facts.platform.tags();
        let (major, minor) = facts.version;
        let mut tags = Vec::new();
        let compatible_interpreter = if facts.implementation == "cpython" {
            Some(push_cpython(&mut tags, &platforms, facts))
        } else {
            push_other(&mut tags, &platforms, facts)
        };
        // `pyXY`, `pyX`, then every older `pyXW` down to `pyX0`.
        let python_range: Vec<String> = std::iter::once(format!("py{major}{minor}"))
            .chain(std::iter::once(format!("py{major}")))
            .chain((0..minor).rev().map(|older| format!("py{major}{older}")))
            .collect();
        for python in &python_range {
            push_all(&mut tags, &platforms, python, "none");
        }
        if let Some(interpreter) = compatible_interpreter {
            tags.push(Tag::new(&interpreter, "none", "any"));
        }
        tags.extend(
            python_range
                .iter()
                .map(|python| Tag::new(python, "none", "any")),
        );
        Self::from_tags(tags)
    }

    /// Supported tags from an explicit list, best first (a repeated tag keeps its first
    /// place). Ex) for a target other than the running interpreter
    fn from_tags(tags: Vec<Tag>) -> Self {
        let index = TagIndex::new(&tags);
        Self { tags, index }
    }

    /// The priority of the best tag of `wheel` (0 is best), or `None` when incompatible.
    ///
    /// A few hash lookups per wheel and no allocation: it runs for every wheel in a store.
    pub fn rank(&self, wheel: &WheelFilename) -> Option<usize> {
        self.index.priorities(wheel).min()
    }

    /// Whether any tag of `wheel` is supported; stops at the first one found.
    pub fn is_compatible(&self, wheel: &WheelFilename) -> bool {
        self.index.priorities(wheel).next().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linux(glibc: (u16, u16)) -> Platform {
        Platform::Linux {
            arch: "x86_64".to_owned(),
            glibc: Some(glibc),
            musl: None,
        }
    }

    fn strings(tags: &SupportedTags) -> Vec<String> {
        tags.tags.iter().map(Tag::to_string).collect()
    }

    #[test]
    fn ok_cpython_order() {
        let facts = InterpreterFacts::cpython(
            (3, 12),
            Platform::Windows {
                arch: "x86_64".to_owned(),
            },
        );
        let tags = strings(&SupportedTags::new(&facts));
        assert_eq!(
            tags[..5],
            [
                "cp312-cp312-win_amd64",
                "cp312-abi3-win_amd64",
                "cp312-none-win_amd64",
                "cp311-abi3-win_amd64",
                "cp310-abi3-win_amd64"
            ]
        );
        assert!(tags.contains(&"cp32-abi3-win_amd64".to_owned()));
        assert!(!tags.contains(&"cp31-abi3-win_amd64".to_owned()));
        let tail = &tags[tags.len() - 17..];
        assert_eq!(
            tail[..4],
            [
                "py31-none-win_amd64",
                "py30-none-win_amd64",
                "cp312-none-any",
                "py312-none-any"
            ]
        );
        assert_eq!(tail.last().unwrap(), "py30-none-any");
    }

    #[test]
    fn ok_debug_and_free_threaded_abis() {
        let mut facts = InterpreterFacts::cpython(
            (3, 13),
            Platform::Windows {
                arch: "x86".to_owned(),
            },
        );
        facts.debug = true;
        facts.free_threaded = true;
        let tags = strings(&SupportedTags::new(&facts));
        assert_eq!(
            tags[..4],
            [
                "cp313-cp313td-win32",
                "cp313-cp313t-win32",
                "cp313-abi3t-win32",
                "cp313-none-win32"
            ]
        );
        facts.version = (3, 7);
        facts.free_threaded = false;
        let tags = strings(&SupportedTags::new(&facts));
        assert_eq!(
            tags[..3],
            ["cp37-cp37dm-win32", "cp37-abi3-win32", "cp37-none-win32"]
        );
    }

    #[test]
    fn ok_pypy() {
        let facts = InterpreterFacts {
            implementation: "pypy".to_owned(),
            version: (3, 10),
            debug: false,
            free_threaded: false,
            abi: Some("pypy310_pp73".to_owned()),
            platform: Platform::MacOs {
                arch: "arm64".to_owned(),
                version: (11, 0),
            },
        };
        let tags = SupportedTags::new(&facts);
        let s = strings(&tags);
        assert_eq!(
            s[..3],
            [
                "pp310-pypy310_pp73-macosx_11_0_arm64",
                "pp310-pypy310_pp73-macosx_11_0_universal2",
                "pp310-pypy310_pp73-macosx_10_16_universal2"
            ]
        );
        assert!(s.contains(&"pp3-none-any".to_owned()));
        assert!(!s.iter().any(|t| t.contains("abi3")));
    }

    #[test]
    fn ok_rank_prefers_specific() {
        let tags = SupportedTags::new(&InterpreterFacts::cpython((3, 11), linux((2, 31))));
        let rank = |s: &str| tags.rank(&s.parse().unwrap());
        let native =
            rank("a-1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl").unwrap();
        let abi3 = rank("a-1-cp38-abi3-manylinux_2_28_x86_64.whl").unwrap();
        let pure = rank("a-1-py2.py3-none-any.whl").unwrap();
        assert!(native < abi3 && abi3 < pure, "{native} {abi3} {pure}");
        assert_eq!(rank("a-1-cp311-cp311-LINUX_X86_64.whl"), Some(0));
        assert_eq!(rank("a-1-cp311-cp311-linux_x86_64.whl"), Some(0));
    }

    #[test]
    fn ok_rank_none_when_incompatible() {
        let tags = SupportedTags::new(&InterpreterFacts::cpython((3, 11), linux((2, 17))));
        for s in [
            "a-1-cp311-cp311-manylinux_2_28_x86_64.whl",
            "a-1-cp312-abi3-manylinux_2_17_x86_64.whl",
            "a-1-cp311-cp311-win_amd64.whl",
            "a-1-py2-none-any.whl",
            "a-1-pp310-pypy310_pp73-manylinux_2_17_x86_64.whl",
        ] {
            let wheel: WheelFilename = s.parse().unwrap();
            assert_eq!(tags.rank(&wheel), None, "{s}");
            assert!(!tags.is_compatible(&wheel), "{s}");
        }
    }

    #[test]
    fn ok_from_tags_keeps_first_priority() {
        let tags = SupportedTags::from_tags(vec![
            Tag::new("py3", "none", "any"),
            Tag::new("py2", "none", "any"),
            Tag::new("py3", "none", "any"),
        ]);
        assert_eq!(tags.rank(&"a-1-py3-none-any.whl".parse().unwrap()), Some(0));
        assert_eq!(
            tags.rank(&"a-1-py2.py3-none-any.whl".parse().unwrap()),
            Some(0)
        );
        assert_eq!(tags.rank(&"a-1-py2-none-any.whl".parse().unwrap()), Some(1));
    }
}
