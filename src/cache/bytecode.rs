//! The private bytecode cache: code compiled from archive sources, kept so a warm import
//! unmarshals, as one code pack per wheel and interpreter.
//!
//! `<cache>/code/<wheel file name>-<path hash>.<cache tag>[.opt-N].whcp`: a process maps a
//! wheel's pack once, on the first lookup of one of its modules, so a warm import opens one file
//! per wheel, not one per module. An entry is valid only for the interpreter's magic number and
//! for the member's CRC-32 and size as the archive's central directory gives them, so the wheel
//! is never hashed; the payload carries its own checksum, so a torn or corrupt entry is ignored
//! (and rewritten), never trusted (see [`super::pack`]).
//!
//! A pack is never changed in place: a writer reads the pack on disk as it is at that moment,
//! adds its new entries and renames a whole new pack over it. Two processes writing one wheel's
//! pack at once may lose each other's new entries (they are compiled again later), never corrupt
//! the pack, and a process that has the old one mapped keeps reading it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use super::pack::{self, Pack, PackEntry, Trust};

/// The folder of the cache directory holding the packs.
pub const CODE_DIR: &str = "code";

/// How old a temporary file must be before it is collected even if its writer seems alive.
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(600);

/// The part of a pack's name that tells interpreters apart: `sys.implementation.cache_tag`, and
/// `sys.flags.optimize` when it is set, as CPython names `.pyc` files (PEP 488), since code
/// compiled under `-O` has no asserts and must not be served to a process without it, nor the
/// reverse. An interpreter with no cache tag is named by its magic number.
/// Ex) `cpython-311`, `cpython-311.opt-2`, `magic-a70d0d0a`
pub fn interpreter_tag(cache_tag: Option<&str>, magic: &[u8; 4], optimize: u32) -> String {
    let mut tag = match cache_tag {
        Some(tag) if !tag.is_empty() => tag.to_owned(),
        _ => format!("magic-{:08x}", u32::from_be_bytes(*magic)),
    };
    if optimize > 0 {
        tag.push_str(&format!(".opt-{optimize}"));
    }
    tag
}

/// The on-disk bytecode cache of one interpreter (one magic number and optimisation level).
#[derive(Debug, Clone)]
pub struct BytecodeCache {
    root: PathBuf,
    magic: [u8; 4],
    /// Ex) `cpython-311` (see [`interpreter_tag`])
    tag: String,
    /// Whose packs are executed: this process's effective user's.
    owner: u32,
    /// Whether this process has collected the temporary files that writers killed mid-write
    /// left (with its first write). A flag of the process's own, so no lock is shared between
    /// writers (one held across a `fork` would stay held in the child).
    swept: Arc<AtomicBool>,
}

impl BytecodeCache {
    /// `root` is the private cache directory (already checked); `magic` is
    /// `importlib.util.MAGIC_NUMBER`; `tag` names the interpreter (see [`interpreter_tag`]).
    pub fn new(root: &Path, magic: [u8; 4], tag: &str) -> Self {
        Self {
            root: root.join(CODE_DIR),
            magic,
            tag: tag.to_owned(),
            owner: super::dir::euid(),
            swept: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The pack of `wheel`'s compiled code: the wheel's file name, for people, and a hash of its
    /// full path, so two stores' wheels of the same name never share entries.
    /// Ex) `<cache>/code/six-1.16.0-py2.py3-none-any.whl-0f3c9a2e4b1d7c55.cpython-311.whcp`
    pub fn pack_path(&self, wheel: &Path) -> PathBuf {
        let base = super::dir::wheel_dir(&self.root, wheel);
        let mut name = base.into_os_string();
        name.push(format!(".{}.{}", self.tag, pack::EXTENSION));
        PathBuf::from(name)
    }

    /// `wheel`'s pack, mapped and its table checked; `None` when there is none, or when it is
    /// unusable (torn, corrupt, another interpreter's, another user's, writable by others): its
    /// modules are then compiled, and the next write replaces it.
    pub fn open(&self, wheel: &Path) -> Option<Pack> {
        Pack::open(
            &self.pack_path(wheel),
            &self.magic,
            Trust::Owner(self.owner),
        )
        .ok()
        .flatten()
    }

    /// Writes `wheel`'s pack anew: the valid entries of the pack on disk now (another process
    /// may have written it since this one read it), with `entries` replacing those of the same
    /// members. Atomic (temporary file + rename; no fsync: a torn pack fails its checks and its
    /// modules are recompiled, so durability would only cost time).
    pub fn store<'a>(
        &self,
        wheel: &Path,
        entries: impl IntoIterator<Item = PackEntry<'a>>,
    ) -> std::io::Result<()> {
        if !self.swept.swap(true, Ordering::Relaxed) {
            super::atomic::collect_stale(&self.root, STALE_AFTER);
        }
        let on_disk = self.open(wheel);
        let kept = on_disk.iter().flat_map(|pack| pack.entries());
        // Rebuilt to borrow no longer than the pack on disk (which is dropped first).
        let new = entries.into_iter().map(|e| PackEntry {
            stamp: e.stamp,
            code: e.code,
        });
        let data = pack::encode(&self.magic, kept.chain(new));
        super::atomic::write_atomic(&self.pack_path(wheel), &data, false)
    }
}

/// The packs a process has opened, by wheel: each is opened and mapped once, on the first lookup
/// of one of its wheel's modules, and a missing or unusable one is remembered as missing (a pack
/// this process writes later serves the next process).
#[derive(Debug, Default)]
pub struct OpenPacks(Mutex<HashMap<PathBuf, Option<Arc<Pack>>>>);

impl OpenPacks {
    /// `wheel`'s pack, opened by `open` on the first call for that wheel.
    pub fn get(&self, wheel: &Path, open: impl FnOnce() -> Option<Pack>) -> Option<Arc<Pack>> {
        if let Some(known) = self.0.lock().get(wheel) {
            return known.clone();
        }
        // Opened outside the lock; of two threads that both open it, the first one kept wins.
        let opened = open().map(Arc::new);
        self.0
            .lock()
            .entry(wheel.to_path_buf())
            .or_insert(opened)
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::SourceStamp;

    const MAGIC: [u8; 4] = [0xa7, 0x0d, 0x0d, 0x0a];
    const WHEEL: &str = "/store/pkg-1.0-py3-none-any.whl";

    fn stamp(member: &str, crc32: u32) -> SourceStamp<'_> {
        SourceStamp {
            member,
            crc32,
            size: 42,
        }
    }

    fn entry<'a>(member: &'a str, crc32: u32, code: &'a [u8]) -> PackEntry<'a> {
        PackEntry {
            stamp: stamp(member, crc32),
            code,
        }
    }

    #[test]
    fn ok_interpreter_tag() {
        assert_eq!(
            interpreter_tag(Some("cpython-311"), &MAGIC, 0),
            "cpython-311"
        );
        assert_eq!(
            interpreter_tag(Some("cpython-311"), &MAGIC, 2),
            "cpython-311.opt-2"
        );
        assert_eq!(interpreter_tag(None, &MAGIC, 0), "magic-a70d0d0a");
        assert_eq!(interpreter_tag(Some(""), &MAGIC, 1), "magic-a70d0d0a.opt-1");
    }

    #[test]
    fn ok_pack_path_names_wheel_path_and_interpreter() {
        let cache = BytecodeCache::new(Path::new("/c"), MAGIC, "cpython-311");
        let path = cache.pack_path(Path::new(WHEEL));
        let name = path.file_name().unwrap().to_str().unwrap();
        assert!(path.starts_with("/c/code"), "{path:?}");
        assert!(name.starts_with("pkg-1.0-py3-none-any.whl-"), "{name}");
        assert!(name.ends_with(".cpython-311.whcp"), "{name}");
        let other_store = cache.pack_path(Path::new("/other/pkg-1.0-py3-none-any.whl"));
        assert_ne!(path, other_store);
        let optimized = BytecodeCache::new(Path::new("/c"), MAGIC, "cpython-311.opt-1");
        assert_ne!(path, optimized.pack_path(Path::new(WHEEL)));
    }

    #[test]
    fn ok_store_merges_with_the_pack_on_disk() {
        let root = super::super::scratch_dir("bytecode", "merge");
        let cache = BytecodeCache::new(&root, MAGIC, "cpython-311");
        let wheel = Path::new(WHEEL);
        assert!(cache.open(wheel).is_none());
        cache
            .store(wheel, [entry("a.py", 1, b"a1"), entry("b.py", 1, b"b1")])
            .unwrap();
        // Another writer (here, the same one later) adds and replaces entries: the others stay.
        cache
            .store(wheel, [entry("b.py", 2, b"b2"), entry("c.py", 1, b"c1")])
            .unwrap();
        let pack = cache.open(wheel).unwrap();
        assert_eq!(pack.len(), 3);
        assert_eq!(pack.get(stamp("a.py", 1)), Some(&b"a1"[..]));
        assert_eq!(pack.get(stamp("b.py", 1)), None, "replaced");
        assert_eq!(pack.get(stamp("b.py", 2)), Some(&b"b2"[..]));
        assert_eq!(pack.get(stamp("c.py", 1)), Some(&b"c1"[..]));
        // A corrupt pack on disk is replaced, not merged.
        let path = cache.pack_path(wheel);
        let mut data = std::fs::read(&path).unwrap();
        let at = data.len() - 20;
        data[at] ^= 1;
        std::fs::write(&path, data).unwrap();
        assert!(cache.open(wheel).is_none());
        cache.store(wheel, [entry("d.py", 1, b"d1")]).unwrap();
        let pack = cache.open(wheel).unwrap();
        assert_eq!(pack.len(), 1);
        assert_eq!(pack.get(stamp("d.py", 1)), Some(&b"d1"[..]));
        let names: Vec<_> = std::fs::read_dir(root.join(CODE_DIR))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "no temporary file left: {names:?}");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn ok_first_store_collects_orphans() {
        let root = super::super::scratch_dir("bytecode", "orphans");
        let code = root.join(CODE_DIR);
        std::fs::create_dir_all(&code).unwrap();
        // No process has pid 4294967.
        let orphan = code.join(".x.whcp.4294967.0.tmp");
        std::fs::write(&orphan, b"torn").unwrap();
        let cache = BytecodeCache::new(&root, MAGIC, "cpython-311");
        cache
            .store(Path::new(WHEEL), [entry("a.py", 1, b"a")])
            .unwrap();
        assert!(!orphan.exists());
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn ok_open_packs_opens_once_and_remembers_missing() {
        let packs = OpenPacks::default();
        let wheel = Path::new(WHEEL);
        let mut opened = 0;
        for _ in 0..3 {
            assert!(packs
                .get(wheel, || {
                    opened += 1;
                    None
                })
                .is_none());
        }
        assert_eq!(opened, 1, "a missing pack is looked for once");
        let data = pack::encode(&MAGIC, [entry("a.py", 1, b"a")]);
        let other = Path::new("/store/other-1.0-py3-none-any.whl");
        let first = packs.get(other, || Pack::from_bytes(other, data, &MAGIC).ok());
        let again = packs.get(other, || panic!("opened twice"));
        assert!(Arc::ptr_eq(&first.unwrap(), &again.unwrap()));
    }
}
