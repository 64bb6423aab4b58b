//! The private per-user cache directory: where it is, and whether it is safe to use.
//!
//! The cache holds code that will be executed (bytecode, native extensions), so it is used only
//! when nobody else can write to it: created 0700, refused when it is a symlink, owned by another
//! user, or writable by group or others (as pip and CPython's own `.pyc` writing are careful to be).

use std::io::Write;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// Why the cache directory cannot be used.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum CacheError {
    #[error("the cache directory {0} is a symlink")]
    Symlink(PathBuf),
    #[error("the cache directory {0} is owned by another user")]
    NotOwned(PathBuf),
    #[error("the cache directory {0} is writable by group or others")]
    Writable(PathBuf),
    #[error("the cache directory {0} cannot be created: {1}")]
    Create(PathBuf, String),
}

/// The default cache location: `$WHEELHOOK_CACHE`, else `$XDG_CACHE_HOME/wheelhook`, else
/// `~/.cache/wheelhook`.
pub fn default_dir(env: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(dir) = env("WHEELHOOK_CACHE").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    if let Some(dir) = env("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Some(Path::new(&dir).join("wheelhook"));
    }
    env("HOME")
        .filter(|d| !d.is_empty())
        .map(|h| Path::new(&h).join(".cache").join("wheelhook"))
}

/// Creates `dir` (0700) when missing and checks that only this user can write to it.
pub fn open_dir(dir: &Path) -> Result<PathBuf, CacheError> {
    if std::fs::symlink_metadata(dir).is_err() {
        create_private(dir).map_err(|e| CacheError::Create(dir.to_path_buf(), e.to_string()))?;
    }
    check_private(dir)?;
    Ok(dir.to_path_buf())
}

#[cfg(unix)]
fn create_private(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent)?;
    }
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    }
}

#[cfg(not(unix))]
fn create_private(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// Refuses a symlink, another owner, or group/world write permission.
#[cfg(unix)]
pub fn check_private(dir: &Path) -> Result<(), CacheError> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(dir)
        .map_err(|e| CacheError::Create(dir.to_path_buf(), e.to_string()))?;
    if meta.file_type().is_symlink() {
        return Err(CacheError::Symlink(dir.to_path_buf()));
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let uid = unsafe { geteuid() };
    if meta.uid() != uid {
        return Err(CacheError::NotOwned(dir.to_path_buf()));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(CacheError::Writable(dir.to_path_buf()));
    }
    Ok(())
}

#[cfg(not(unix))]
pub fn check_private(_dir: &Path) -> Result<(), CacheError> {
    Ok(())
}

#[cfg(unix)]
extern "C" {
    fn geteuid() -> u32;
}

/// The directory of one wheel's entries under `root`: the wheel's file name, for people, and a
/// hash of its full path, so two stores' wheels of the same name never share entries.
/// Ex) `<root>/six-1.15.0-py2.py3-none-any.whl-0f3c9a2e4b1d7c55`
pub fn wheel_dir(root: &Path, wheel: &Path) -> PathBuf {
    let name = wheel
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let hash = crate::hash::fnv64(wheel.as_os_str().as_encoded_bytes());
    root.join(format!("{name}-{hash:016x}"))
}

/// Writes `data` to `dest` atomically: a unique temporary file in the same directory, then a
/// rename. With `durable`, the file and the directory are fsynced too. The directory is created
/// only when the temporary file cannot be (most writes go to a directory that exists, and a
/// `mkdir` that fails costs a system call each time).
pub fn write_atomic(dest: &Path, data: &[u8], durable: bool) -> std::io::Result<()> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    let (tmp, mut file) = match create_temp(dir, dest) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir)?;
            create_temp(dir, dest)?
        }
        other => other?,
    };
    let result = (|| {
        file.write_all(data)?;
        if durable {
            file.sync_all()?;
        }
        drop(file);
        std::fs::rename(&tmp, dest)?;
        if durable {
            if let Ok(d) = std::fs::File::open(dir) {
                d.sync_all()?;
            }
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Removes temporary files left in `dir` by writers that died (their process is gone) or that
/// are older than `max_age`; returns how many were removed. Safe beside live writers: a live
/// writer's file is young and its process exists.
pub fn collect_stale(dir: &Path, max_age: std::time::Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(stem) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) else {
            continue;
        };
        // `.{dest}.{pid}.{attempt}.tmp`, as `create_temp` names them.
        let pid = stem.rsplit('.').nth(1).and_then(|p| p.parse::<u32>().ok());
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > max_age);
        let orphan = pid.is_some_and(|pid| pid != std::process::id() && !process_exists(pid));
        if (old || orphan) && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Whether a process with this id exists (Linux: `/proc/<pid>`; elsewhere assumed alive, so
/// only the age rule collects).
fn process_exists(pid: u32) -> bool {
    let proc_root = Path::new("/proc");
    if proc_root.join("self").exists() {
        proc_root.join(pid.to_string()).exists()
    } else {
        true
    }
}

/// A new temporary file beside `dest`, created exclusively (`O_EXCL`) so a writer never shares it.
fn create_temp(dir: &Path, dest: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    let stem = dest.file_name().and_then(|n| n.to_str()).unwrap_or("entry");
    let mut attempt = 0u32;
    loop {
        let tmp = dir.join(format!(".{stem}.{}.{attempt}.tmp", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(&tmp) {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "wheelhook-cache-test-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn ok_default_dir_order() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(
            default_dir(env(&[("WHEELHOOK_CACHE", "/c"), ("HOME", "/h")])),
            Some("/c".into())
        );
        assert_eq!(
            default_dir(env(&[("XDG_CACHE_HOME", "/x"), ("HOME", "/h")])),
            Some("/x/wheelhook".into())
        );
        assert_eq!(
            default_dir(env(&[("HOME", "/h")])),
            Some("/h/.cache/wheelhook".into())
        );
        assert_eq!(default_dir(env(&[])), None);
    }

    #[cfg(unix)]
    #[test]
    fn ok_created_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("private").join("deep");
        open_dir(&dir).unwrap();
        assert_eq!(
            std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn err_world_writable_and_symlink() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("writable");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert_eq!(open_dir(&dir), Err(CacheError::Writable(dir.clone())));
        let link = scratch("link");
        std::os::unix::fs::symlink(&dir, &link).unwrap();
        assert_eq!(open_dir(&link), Err(CacheError::Symlink(link.clone())));
        assert_eq!(
            CacheError::Symlink(link.clone()).to_string(),
            format!("the cache directory {} is a symlink", link.display())
        );
        std::fs::remove_file(&link).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn ok_collect_stale_removes_orphans_only() {
        let dir = scratch("stale");
        std::fs::create_dir_all(&dir).unwrap();
        // No process has pid 4294967; our own temp files are live.
        let orphan = dir.join(".entry.whc.4294967.0.tmp");
        let live = dir.join(format!(".entry.whc.{}.0.tmp", std::process::id()));
        let other = dir.join("entry.whc");
        for p in [&orphan, &live, &other] {
            std::fs::write(p, b"x").unwrap();
        }
        assert_eq!(collect_stale(&dir, std::time::Duration::from_secs(600)), 1);
        assert!(!orphan.exists() && live.exists() && other.exists());
        assert_eq!(
            collect_stale(&dir, std::time::Duration::ZERO),
            1,
            "old enough: collected"
        );
        assert!(!live.exists() && other.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn ok_write_atomic_leaves_no_temp() {
        let dir = scratch("atomic");
        let dest = dir.join("a").join("entry.bin");
        write_atomic(&dest, b"one", true).unwrap();
        write_atomic(&dest, b"two", false).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dest.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("entry.bin")]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
