//! Atomic writes into the cache: a unique temporary file beside the destination, then a rename,
//! and the collection of temporaries that writers which died left behind; and the reading of a
//! small file so written, whole.
//!
//! A temporary is named `.{dest}.{pid}.{attempt}.tmp`: its writer's process id tells a live
//! writer's file from an orphan's.

use std::io::Write;
use std::path::{Path, PathBuf};

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

/// The text of a small file (an activation entry, a marker), read whole without first asking
/// for its size: `fs::read_to_string` `fstat`s the file to size its buffer, one metadata call
/// per file that a network file system pays as a round trip.
pub fn read_small(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    // `Take` gives no size hint, so the default read loop grows the buffer instead.
    std::fs::File::open(path)?
        .take(u64::MAX)
        .read_to_string(&mut text)?;
    Ok(text)
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
        super::super::scratch_dir("atomic", name)
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

    #[test]
    fn ok_read_small_reads_the_whole_file() {
        let dir = scratch("read");
        let dest = dir.join("entry");
        // Longer than the first reads of the growing buffer.
        let text = "wheel\tstamp\n".repeat(5000);
        write_atomic(&dest, text.as_bytes(), false).unwrap();
        assert_eq!(read_small(&dest).unwrap(), text);
        write_atomic(&dest, b"", false).unwrap();
        assert_eq!(read_small(&dest).unwrap(), "");
        let err = read_small(&dir.join("missing")).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
