//! Unpacked copies a store's owner publishes beside the wheels (`wheelhook compile`), for wheels
//! served from an unpacked copy by default (their packages open their own files by path; see
//! [`crate::import::by_path`]): every node that mounts the store uses the copy there instead of
//! writing one into each user's private cache.
//!
//! A published copy is `<store>/.wheelhook/unpacked/<wheel file name>/`, with the marker an
//! unpacked copy in the private cache has, written last. A process uses it only when the copy's
//! directory and its marker are owned by the store directory's owner or root and writable by
//! neither group nor others (the rule for published code), and the marker names the wheel's
//! members as they are now. Its files are data read by path: the code of its modules comes from
//! the archive and the code packs, never from the copy. Wheels with native members are not
//! published this way: their extensions are materialised into the node's private cache and
//! checked against `RECORD` before every load.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::atomic::read_small;
use super::native::{fingerprint_text, set_mode, write_tree, NativeError, UNPACKED_MARKER};
use super::pack::{owner_and_mode, Trust};
use crate::archive::Archive;
use crate::wheel::is_native;

/// Where a store keeps its published unpacked copies.
pub const UNPACKED_DIR: &str = ".wheelhook/unpacked";

/// Where the copy of `wheel` (a wheel file in a store directory) is published.
/// Ex) `/srv/store/.wheelhook/unpacked/pytz-2024.2-py2.py3-none-any.whl`
pub fn unpacked_path(wheel: &Path) -> Option<PathBuf> {
    Some(wheel.parent()?.join(UNPACKED_DIR).join(wheel.file_name()?))
}

/// Whether the store publishes copies of `archive`: served unpacked by default, no native member.
pub fn publishable(archive: &Archive) -> bool {
    crate::import::by_path(archive).is_some()
        && !archive.members().iter().any(|m| is_native(&m.name))
}

/// Publishes the unpacked copy of `archive` beside it, unless the copy there matches it already;
/// `None` when the wheel is not one whose copy is published ([`publishable`]). The copy is built
/// under a temporary name and renamed into place: a process sees the old copy, none, or the new
/// one, never a part. The caller holds the store's lock.
pub fn publish(archive: &Archive) -> Result<Option<PathBuf>, NativeError> {
    let wheel = archive.path();
    let Some(dest) = unpacked_path(wheel).filter(|_| publishable(archive)) else {
        return Ok(None);
    };
    let fingerprint = fingerprint_text(archive);
    if read_small(&dest.join(UNPACKED_MARKER)).is_ok_and(|m| m == fingerprint) {
        return Ok(Some(dest));
    }
    let parent = dest.parent().expect("under the store");
    let io = |what: &str, path: &Path, e: std::io::Error| NativeError::Wheel {
        wheel: wheel.to_path_buf(),
        reason: format!("cannot {what} {}: {e}", path.display()),
    };
    make_shared_dirs(wheel.parent().expect("in a store"), parent)
        .map_err(|e| io("create", parent, e))?;
    collect_orphans(parent);
    let name = dest.file_name().and_then(|n| n.to_str()).unwrap_or("copy");
    let building = parent.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        write_tree(archive, &building, true)?;
        let marker = building.join(UNPACKED_MARKER);
        super::atomic::write_atomic(&marker, fingerprint.as_bytes(), true)
            .map_err(|e| io("write", &marker, e))?;
        set_mode(&marker, 0o644);
        swap_into_place(&building, &dest).map_err(|e| io("rename into", &dest, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&building);
    }
    result.map(|()| Some(dest))
}

/// Removes what killed publishers left in `dir` (copies being built, copies moved aside): every
/// entry whose name starts with a dot. The caller holds the store's lock, which every writer of
/// a store takes, so none of them belongs to a live writer.
fn collect_orphans(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().as_encoded_bytes().starts_with(b".") {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Renames the complete copy `building` to `dest`, moving a previous copy aside first (a folder
/// cannot be renamed over a non-empty one) and removing it after.
fn swap_into_place(building: &Path, dest: &Path) -> std::io::Result<()> {
    let old = building.with_extension("old");
    let replaced = match std::fs::rename(dest, &old) {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(e),
    };
    std::fs::rename(building, dest)?;
    if replaced {
        let _ = std::fs::remove_dir_all(&old);
    }
    if let Some(parent) = dest.parent() {
        std::fs::File::open(parent)?.sync_all()?;
    }
    Ok(())
}

/// Creates the folders from `store` down to `dir` that are missing, 0755 whatever the umask:
/// every user of the store must read the copies.
fn make_shared_dirs(store: &Path, dir: &Path) -> std::io::Result<()> {
    let mut missing = Vec::new();
    let mut at = dir;
    while at != store && !at.is_dir() {
        missing.push(at.to_path_buf());
        at = at.parent().unwrap_or(store);
    }
    for folder in missing.iter().rev() {
        match std::fs::create_dir(folder) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            other => other?,
        }
        set_mode(folder, 0o755);
    }
    Ok(())
}

/// The published copy of `archive` a process may use: `Ok(None)` when there is none, or it is
/// for another build of the wheel (a stale copy is not an error: the private cache serves);
/// `Err` (the reason, to warn about once) when one is there but is not trusted. `store_owner`
/// gives the owner of a store directory (read once per process by its caller).
pub fn find(
    archive: &Archive,
    store_owner: impl Fn(&Path) -> Option<u32>,
) -> Result<Option<PathBuf>, String> {
    let Some(dir) = unpacked_path(archive.path()) else {
        return Ok(None);
    };
    if archive.members().iter().any(|m| is_native(&m.name)) {
        return Ok(None);
    }
    let marker = dir.join(UNPACKED_MARKER);
    let mut file = match std::fs::File::open(&marker) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", marker.display())),
        Ok(file) => file,
    };
    let store = archive.path().parent().expect("in a store");
    let owner = store_owner(store).ok_or_else(|| format!("cannot examine {}", store.display()))?;
    for (path, meta) in [
        (marker.as_path(), file.metadata()),
        (dir.as_path(), std::fs::symlink_metadata(&dir)),
    ] {
        let meta = meta.map_err(|e| format!("cannot examine {}: {e}", path.display()))?;
        check_shared(path, &meta, owner)?;
    }
    let mut text = String::new();
    let read = (&mut file).take(64).read_to_string(&mut text);
    Ok((read.is_ok() && text == fingerprint_text(archive)).then_some(dir))
}

/// A published folder or marker is used only when it is what it should be (a folder, a regular
/// file; a symlink is refused) and passes the rule for what a store publishes
/// ([`owner_and_mode`]).
fn check_shared(path: &Path, meta: &std::fs::Metadata, owner: u32) -> Result<(), String> {
    let kind_ok = if path.ends_with(UNPACKED_MARKER) {
        meta.is_file()
    } else {
        meta.is_dir()
    };
    if !kind_ok {
        return Err(format!(
            "{} is not a regular file or folder",
            path.display()
        ));
    }
    owner_and_mode(meta, Trust::Publisher(owner))
        .map_err(|reason| format!("{} is {reason}", path.display()))
}
