//! The sha256 of wheel files, computed once and remembered by the file's stamp (device, inode,
//! size, modification and change time: see [`crate::cache::activation::stamp`]) in the private
//! cache, so that activating a lock again reads no wheel whole.
//!
//! One small file per wheel, named by a hash of its path, holding the path, the stamp and the
//! digest; it is used only when the path and stamp match the file now. Like the activation
//! cache, nothing is remembered of a file changed less than [`SETTLE`] ago (a change within the
//! same clock tick could leave the stamp unchanged).

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::cache::activation::{stamp, SETTLE};
use crate::cache::{read_small, write_atomic};

/// Lowercase hex of 32 bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    crate::hash::sha256(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Digests of wheel files, remembered in `dir` when there is one.
#[derive(Debug, Clone, Default)]
pub struct Digests {
    /// Ex) `~/.cache/wheelhook/lock-digests`; `None`: memory only (computed every time).
    pub dir: Option<PathBuf>,
}

impl Digests {
    /// The sha256 of `path`, as lowercase hex.
    pub fn sha256(&self, path: &Path) -> std::io::Result<String> {
        let entry = self.entry(path);
        let now = stamp(path);
        if let (Some(entry), Some((stamp, _))) = (&entry, &now) {
            if let Some(hex) = recall(entry, path, stamp) {
                return Ok(hex);
            }
        }
        let hex = sha256_hex(&std::fs::read(path)?);
        if let (Some(entry), Some((stamp, Some(changed)))) = (entry, now) {
            let settled = SystemTime::now()
                .duration_since(changed)
                .is_ok_and(|age| age >= SETTLE);
            if let (true, Some(p)) = (settled, path.to_str()) {
                // A failed write costs one more reading of the wheel next time.
                let _ = write_atomic(&entry, format!("{p}\t{stamp}\t{hex}\n").as_bytes(), false);
            }
        }
        Ok(hex)
    }

    fn entry(&self, path: &Path) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        let key = crate::hash::fnv64(path.to_str()?.as_bytes());
        Some(dir.join(format!("{key:016x}")))
    }
}

/// The remembered digest, when the entry is for `path` as `stamp` shows it.
fn recall(entry: &Path, path: &Path, stamp: &str) -> Option<String> {
    let text = read_small(entry).ok()?;
    let mut fields = text.strip_suffix('\n')?.split('\t');
    let (p, s, hex) = (fields.next()?, fields.next()?, fields.next()?);
    (p == path.to_str()? && s == stamp && hex.len() == 64 && fields.next().is_none())
        .then(|| hex.to_owned())
}
