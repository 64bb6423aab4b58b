//! The private per-user cache directory: where it is, and whether it is safe to use.
//!
//! The cache holds code that will be executed (bytecode, native extensions), so it is used only
//! when nobody else can write to it: created 0700, refused when it is a symlink, owned by another
//! user, or writable by group or others (as pip and CPython's own `.pyc` writing are careful to be).

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
    // An existing directory is checked on the metadata that found it: one `lstat`, not two.
    match std::fs::symlink_metadata(dir) {
        Ok(meta) => check_metadata(dir, &meta)?,
        Err(_) => {
            create_private(dir)
                .map_err(|e| CacheError::Create(dir.to_path_buf(), e.to_string()))?;
            check_private(dir)?;
        }
    }
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
pub fn check_private(dir: &Path) -> Result<(), CacheError> {
    let meta = std::fs::symlink_metadata(dir)
        .map_err(|e| CacheError::Create(dir.to_path_buf(), e.to_string()))?;
    check_metadata(dir, &meta)
}

/// [`check_private`] on `meta`, the `lstat` of `dir`.
#[cfg(unix)]
fn check_metadata(dir: &Path, meta: &std::fs::Metadata) -> Result<(), CacheError> {
    use std::os::unix::fs::MetadataExt;
    if meta.file_type().is_symlink() {
        return Err(CacheError::Symlink(dir.to_path_buf()));
    }
    if meta.uid() != euid() {
        return Err(CacheError::NotOwned(dir.to_path_buf()));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(CacheError::Writable(dir.to_path_buf()));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_metadata(_dir: &Path, _meta: &std::fs::Metadata) -> Result<(), CacheError> {
    Ok(())
}

#[cfg(unix)]
extern "C" {
    fn geteuid() -> u32;
}

/// The user whose files the cache trusts: the process's effective user.
#[cfg(unix)]
pub fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { geteuid() }
}

#[cfg(not(unix))]
pub fn euid() -> u32 {
    0
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

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        super::super::scratch_dir("cache", name)
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
}
