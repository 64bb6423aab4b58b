//! The code packs a store's owner publishes beside the wheels (`wheelhook compile`), as one
//! process finds them: each wheel's pack opened and mapped once, a missing one remembered as
//! missing, an untrusted or invalid one refused once and then ignored.
//!
//! The trust decision needs the owner of the store directory: it is read once per directory per
//! process, and only once a pack was found there (a wheel with no pack costs one failed open,
//! nothing more). A refusal is reported to the
//! caller exactly once per pack (it warns), so a process warns once per bad pack, not once per
//! module.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;

use super::pack::{published_path, Pack, PackError, Trust, PUBLISHED_ROOT};

/// What one wheel's published pack is, once looked up.
#[derive(Debug, Clone)]
enum Slot {
    Open(Arc<Pack>),
    /// No pack, or one refused (its refusal was reported).
    Absent,
}

/// The answer of [`Published::pack`].
#[derive(Debug)]
pub enum PublishedPack {
    Open(Arc<Pack>),
    Absent,
    /// Refused on this first lookup: the caller reports it; later lookups say `Absent`.
    Refused(PackError),
}

/// The published packs of one interpreter (one magic number, one cache tag and optimisation
/// level), for every wheel a process imports from.
#[derive(Debug)]
pub struct Published {
    magic: [u8; 4],
    /// What a pack's file name carries after the wheel's (the private cache's packs carry the
    /// same). Ex) `cpython-311`, `cpython-311.opt-1`
    tag: String,
    packs: Mutex<HashMap<PathBuf, Slot>>,
    /// Store directory -> its owner's uid (`None`: it cannot be read, so nothing is trusted).
    owners: Mutex<HashMap<PathBuf, Option<u32>>>,
    /// Store directory -> whether it has a `.wheelhook` folder, where everything a store's
    /// owner publishes lives: a store without one costs one lookup per process, not one per
    /// wheel and kind of thing published (a round trip each on a network filesystem).
    publishing: Mutex<HashMap<PathBuf, bool>>,
}

impl Published {
    /// `tag` as [`super::interpreter_tag`] gives it. Ex) `cpython-311`, `cpython-311.opt-1`
    pub fn new(magic: [u8; 4], tag: String) -> Self {
        Self {
            magic,
            tag,
            packs: Mutex::new(HashMap::new()),
            owners: Mutex::new(HashMap::new()),
            publishing: Mutex::new(HashMap::new()),
        }
    }

    /// The pack published for `wheel`, opened on the first lookup.
    pub fn pack(&self, wheel: &Path) -> PublishedPack {
        if let Some(slot) = self.packs.lock().get(wheel) {
            return match slot {
                Slot::Open(pack) => PublishedPack::Open(pack.clone()),
                Slot::Absent => PublishedPack::Absent,
            };
        }
        // Two threads may both open a pack the first time: the same answer, one kept.
        let (slot, answer) = match self.open(wheel) {
            Ok(Some(pack)) => {
                let pack = Arc::new(pack);
                (Slot::Open(pack.clone()), PublishedPack::Open(pack))
            }
            Ok(None) => (Slot::Absent, PublishedPack::Absent),
            Err(err) => (Slot::Absent, PublishedPack::Refused(err)),
        };
        match self.packs.lock().entry(wheel.to_path_buf()) {
            std::collections::hash_map::Entry::Occupied(_) => match answer {
                PublishedPack::Refused(_) => PublishedPack::Absent,
                other => other,
            },
            std::collections::hash_map::Entry::Vacant(vacant) => {
                vacant.insert(slot);
                answer
            }
        }
    }

    fn open(&self, wheel: &Path) -> Result<Option<Pack>, PackError> {
        let Some(path) = published_path(wheel, &self.tag) else {
            return Ok(None);
        };
        let store = wheel.parent().unwrap_or(Path::new("."));
        if !self.publishes(store) {
            return Ok(None);
        }
        Pack::open_trusting(&path, &self.magic, || {
            self.owner(store)
                .map(Trust::Publisher)
                .ok_or_else(|| format!("the owner of {} cannot be read", store.display()))
        })
    }

    /// Whether the store directory `store` holds anything its owner published (its
    /// `.wheelhook` folder exists), looked up once per process.
    pub fn publishes(&self, store: &Path) -> bool {
        if let Some(known) = self.publishing.lock().get(store) {
            return *known;
        }
        let found = store.join(PUBLISHED_ROOT).is_dir();
        self.publishing.lock().insert(store.to_path_buf(), found);
        found
    }

    /// The owner of a store directory, read once per process (`None`: it cannot be read).
    pub fn owner(&self, store: &Path) -> Option<u32> {
        if let Some(owner) = self.owners.lock().get(store) {
            return *owner;
        }
        let owner = dir_owner(store);
        self.owners.lock().insert(store.to_path_buf(), owner);
        owner
    }
}

#[cfg(unix)]
fn dir_owner(dir: &Path) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(dir).ok().map(|m| m.uid())
}

#[cfg(not(unix))]
fn dir_owner(dir: &Path) -> Option<u32> {
    std::fs::metadata(dir).ok().map(|_| 0)
}

#[cfg(test)]
mod tests {
    use super::super::pack::{encode, PackEntry, SourceStamp};
    use super::*;

    const MAGIC: [u8; 4] = [0xa7, 0x0d, 0x0d, 0x0a];

    fn write_pack(wheel: &Path, tag: &str, mode: u32) -> PathBuf {
        let path = published_path(wheel, tag).unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let stamp = SourceStamp {
            member: "m.py",
            crc32: 1,
            size: 2,
        };
        let data = encode(&MAGIC, [PackEntry { stamp, code: b"c" }]);
        std::fs::write(&path, data).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        path
    }

    #[test]
    fn ok_open_once_and_missing_remembered() {
        let store = super::super::scratch_dir("published", "open");
        let wheel = store.join("a-1.0-py3-none-any.whl");
        let other = store.join("b-1.0-py3-none-any.whl");
        let path = write_pack(&wheel, "cpython-311", 0o644);
        let published = Published::new(MAGIC, "cpython-311".into());
        let PublishedPack::Open(first) = published.pack(&wheel) else {
            panic!("the pack opens")
        };
        std::fs::remove_file(&path).unwrap();
        let PublishedPack::Open(again) = published.pack(&wheel) else {
            panic!("kept open")
        };
        assert!(Arc::ptr_eq(&first, &again));
        assert!(matches!(published.pack(&other), PublishedPack::Absent));
        write_pack(&other, "cpython-311", 0o644);
        assert!(
            matches!(published.pack(&other), PublishedPack::Absent),
            "a missing pack stays missing for the process"
        );
        let opt = Published::new(MAGIC, "cpython-311.opt-1".into());
        assert!(matches!(opt.pack(&other), PublishedPack::Absent));
        std::fs::remove_dir_all(&store).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn err_refused_once() {
        let store = super::super::scratch_dir("published", "refused");
        let wheel = store.join("a-1.0-py3-none-any.whl");
        write_pack(&wheel, "cpython-311", 0o666);
        let published = Published::new(MAGIC, "cpython-311".into());
        match published.pack(&wheel) {
            PublishedPack::Refused(err) => assert!(
                err.to_string().contains("writable by group or others"),
                "{err}"
            ),
            other => panic!("refused, not {other:?}"),
        }
        assert!(matches!(published.pack(&wheel), PublishedPack::Absent));
        let wrong = Published::new([0; 4], "cpython-311".into());
        write_pack(&wheel, "cpython-311", 0o644);
        assert!(matches!(
            wrong.pack(&wheel),
            PublishedPack::Refused(PackError::Invalid { .. })
        ));
        std::fs::remove_dir_all(&store).unwrap();
    }
}
