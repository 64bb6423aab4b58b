//! The activation cache: a resolution remembered across processes, so that a program that
//! starts again with the same requirements neither lists the store nor resolves.
//!
//! An entry is named by a hash of its *identity* (the requirements, the directories searched,
//! the interpreter's facts) and holds the identity itself, the *stamps* of every directory the
//! resolution read, and the chosen candidates (each wheel with its own stamp and what activating
//! it read from its `.dist-info`). It is used only when the identity and every stamp match what
//! the file system shows now, and every chosen wheel is still the same file; otherwise the
//! program resolves as usual and the entry is replaced (atomically: whole or not at all). An
//! entry is written only once its wheels have been activated without error.
//!
//! A stamp is a directory's device, inode, modification and change time (nanoseconds). Adding,
//! removing or renaming a wheel or a `.dist-info` directory changes its directory's times; the
//! change time cannot be set back by hand. File-system clocks advance in ticks, so a change made
//! within the same tick as a listing could leave the time unchanged: an entry is therefore never
//! written while a stamped directory changed less than [`SETTLE`] ago (the next start writes it).

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use pep440_rs::Version;

use crate::archive::Archive;
use crate::candidate::{Candidate, Origin};
use crate::import::Layout;
use crate::wheel::{PackageName, WheelFilename};

/// The format's first line; a new format is a new line, and old entries are misses.
const HEADER: &str = "wheelhook-activation 3";
/// How old every stamped directory must be before an entry is written.
pub const SETTLE: Duration = Duration::from_secs(2);
/// Entries kept in the cache directory; the least recently written go first.
pub const KEEP: usize = 256;

/// What an entry is for: same identity, same file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    text: String,
}

impl Identity {
    /// `facts` describes the interpreter (its tags' and markers' inputs); `cwd` is needed only
    /// when a directory is relative. `None` when something cannot be written on one line.
    pub fn new(
        requirements: &[String],
        wheel_dirs: &[PathBuf],
        default_dirs: &[PathBuf],
        facts: &str,
        cwd: Option<&Path>,
    ) -> Option<Self> {
        let mut text = String::new();
        push_line(&mut text, &[HEADER, env!("CARGO_PKG_VERSION")])?;
        push_line(&mut text, &["facts", facts])?;
        if wheel_dirs
            .iter()
            .chain(default_dirs)
            .any(|d| d.is_relative())
        {
            push_line(&mut text, &["cwd", cwd?.to_str()?])?;
        }
        for req in requirements {
            push_line(&mut text, &["require", req])?;
        }
        for dir in wheel_dirs {
            push_line(&mut text, &["wheels", dir.to_str()?])?;
        }
        for dir in default_dirs {
            push_line(&mut text, &["defaults", dir.to_str()?])?;
        }
        Some(Self { text })
    }

    /// The entry's file name: a hash of the identity (the entry repeats the identity, so a
    /// collision is a miss, never a wrong answer).
    pub fn file_name(&self) -> String {
        format!("{:016x}", crate::hash::fnv64(self.text.as_bytes()))
    }
}

/// The stamps of directories as the file system shows them now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamps {
    text: String,
    /// The most recent change among them.
    newest: Option<SystemTime>,
}

impl Stamps {
    /// `None` when a directory cannot be examined (other than by being absent).
    pub fn read<'a>(dirs: impl IntoIterator<Item = &'a Path>) -> Option<Self> {
        let mut text = String::new();
        let mut newest = None;
        for dir in dirs {
            let (stamp, changed) = stamp(dir)?;
            if changed > newest {
                newest = changed;
            }
            push_line(&mut text, &["stamp", dir.to_str()?, &stamp])?;
        }
        Some(Self { text, newest })
    }

    /// Whether every directory changed at least [`SETTLE`] before `now`.
    pub fn settled(&self, now: SystemTime) -> bool {
        match self.newest {
            None => true,
            Some(t) => now.duration_since(t).is_ok_and(|age| age >= SETTLE),
        }
    }
}

/// The stamp of an opened wheel, from the metadata its open file gave (what [`stamp`] of its
/// path says, without looking the path up again).
pub fn archive_stamp(archive: &Archive) -> Option<String> {
    archive.file_metadata().map(|meta| metadata_stamp(meta).0)
}

/// One directory's (or file's) stamp, and when it last changed; "absent" for a missing path.
pub fn stamp(path: &Path) -> Option<(String, Option<SystemTime>)> {
    match std::fs::metadata(path) {
        Ok(meta) => Some(metadata_stamp(&meta)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(("absent".to_owned(), None)),
        Err(_) => None,
    }
}

#[cfg(unix)]
fn metadata_stamp(meta: &std::fs::Metadata) -> (String, Option<SystemTime>) {
    use std::os::unix::fs::MetadataExt;
    let text = format!(
        "{}:{}:{}:{}.{}:{}.{}",
        meta.dev(),
        meta.ino(),
        meta.len(),
        meta.mtime(),
        meta.mtime_nsec(),
        meta.ctime(),
        meta.ctime_nsec()
    );
    let ctime = SystemTime::UNIX_EPOCH
        .checked_add(Duration::new(
            u64::try_from(meta.ctime()).unwrap_or(0),
            u32::try_from(meta.ctime_nsec()).unwrap_or(0),
        ))
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let changed = meta.modified().ok().map_or(ctime, |m| m.max(ctime));
    (text, Some(changed))
}

#[cfg(not(unix))]
fn metadata_stamp(meta: &std::fs::Metadata) -> (String, Option<SystemTime>) {
    let modified = meta.modified().ok();
    let nanos = modified
        .and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    (format!("{}:{nanos}", meta.len()), modified)
}

/// A wheel's stamp, looked up by its path.
fn path_stamp(path: &Path) -> Option<String> {
    stamp(path).map(|(text, _)| text)
}

/// Appends one line of tab-separated fields; `None` when a field holds a tab or a line break.
fn push_line(out: &mut String, fields: &[&str]) -> Option<()> {
    for (i, field) in fields.iter().enumerate() {
        if field.contains(['\t', '\n', '\r']) {
            return None;
        }
        if i > 0 {
            out.push('\t');
        }
        out.push_str(field);
    }
    out.push('\n');
    Some(())
}

/// A chosen candidate, with the layout of its wheel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen {
    pub candidate: Candidate,
    /// What activating the wheel read from it; `None` for a default, or a wheel not opened yet.
    pub layout: Option<Layout>,
}

/// The text of an entry: identity, stamps, then one line per chosen candidate. `None` when a
/// candidate cannot be written (a path with a line break), or a chosen wheel cannot be stamped
/// or comes without its layout.
pub fn encode(identity: &Identity, stamps: &Stamps, chosen: &[Chosen]) -> Option<String> {
    encode_with(identity, stamps, chosen, path_stamp)
}

/// [`encode`], each wheel stamped by `stamp_wheel` (Ex) [`archive_stamp`] of the wheel just
/// opened, which saves looking its path up again).
pub fn encode_with(
    identity: &Identity,
    stamps: &Stamps,
    chosen: &[Chosen],
    mut stamp_wheel: impl FnMut(&Path) -> Option<String>,
) -> Option<String> {
    let mut text = identity.text.clone();
    text.push_str(&stamps.text);
    push_line(&mut text, &["end-of-stamps"])?;
    for Chosen { candidate, layout } in chosen {
        match &candidate.origin {
            Origin::Wheel { path, .. } => {
                let stamp = stamp_wheel(path)?;
                let rank = candidate.rank.to_string();
                let layout = layout.as_ref()?;
                let purelib = if layout.root_is_purelib { "1" } else { "0" };
                let by_path = layout
                    .by_path
                    .as_ref()
                    .map_or_else(|| "archive".to_owned(), ToString::to_string);
                push_line(
                    &mut text,
                    &[
                        "wheel",
                        &rank,
                        path.to_str()?,
                        &stamp,
                        &layout.dist_info,
                        purelib,
                        &by_path,
                    ],
                )?;
            }
            Origin::Default { dist_info } => {
                let name = candidate.name.to_string();
                let version = candidate.version.to_string();
                push_line(
                    &mut text,
                    &["default", &name, &version, dist_info.to_str()?],
                )?;
            }
        }
    }
    Some(text)
}

/// The chosen candidates of an entry, when its identity and stamps are `identity` and `stamps`
/// and every wheel it names is still the same file (so its layout still holds); `None`
/// otherwise (a miss).
pub fn decode(text: &str, identity: &Identity, stamps: &Stamps) -> Option<Vec<Chosen>> {
    decode_with(text, identity, stamps, path_stamp)
}

/// [`decode`], each wheel's stamp now given by `stamp_wheel` (`None`: it cannot be had, a
/// miss). Ex) opening the wheel and taking [`archive_stamp`]: the open that activating needs
/// anyway, and no look-up of its path besides.
pub fn decode_with(
    text: &str,
    identity: &Identity,
    stamps: &Stamps,
    mut stamp_wheel: impl FnMut(&Path) -> Option<String>,
) -> Option<Vec<Chosen>> {
    let rest = text.strip_prefix(identity.text.as_str())?;
    let rest = rest.strip_prefix(stamps.text.as_str())?;
    let rest = rest.strip_prefix("end-of-stamps\n")?;
    let mut chosen = Vec::new();
    for line in rest.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.as_slice() {
            ["wheel", rank, path, saved, dist_info, purelib, by_path] => {
                let path = PathBuf::from(path);
                if stamp_wheel(&path)? != *saved {
                    return None;
                }
                let filename = WheelFilename::from_str(path.file_name()?.to_str()?).ok()?;
                let layout = layout_fields(dist_info, purelib, by_path)?;
                let candidate = Candidate {
                    name: filename.name.clone(),
                    version: filename.version.clone(),
                    rank: rank.parse().ok()?,
                    origin: Origin::Wheel { path, filename },
                };
                chosen.push(Chosen {
                    candidate,
                    layout: Some(layout),
                });
            }
            ["default", name, version, dist_info] => {
                let candidate = Candidate {
                    name: PackageName::new(name),
                    version: Version::from_str(version).ok()?,
                    rank: 0,
                    origin: Origin::Default {
                        dist_info: PathBuf::from(dist_info),
                    },
                };
                chosen.push(Chosen {
                    candidate,
                    layout: None,
                });
            }
            _ => return None,
        }
    }
    Some(chosen)
}

/// A wheel's layout from its line's fields, as [`encode_with`] writes them; `None` for anything
/// else.
fn layout_fields(dist_info: &str, purelib: &str, by_path: &str) -> Option<Layout> {
    Some(Layout {
        dist_info: dist_info.to_owned(),
        root_is_purelib: match purelib {
            "1" => true,
            "0" => false,
            _ => return None,
        },
        by_path: match by_path {
            "archive" => None,
            reason => Some(reason.parse().ok()?),
        },
    })
}

/// Removes all but the [`KEEP`] most recently written entries of `dir` (a removed entry costs
/// one resolution at the next start of its program); returns how many were removed.
pub fn prune(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut found: Vec<(SystemTime, PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let modified = e.metadata().ok()?.modified().ok()?;
            Some((modified, e.path()))
        })
        .collect();
    if found.len() <= KEEP {
        return 0;
    }
    found.sort();
    let excess = found.len() - KEEP;
    found
        .into_iter()
        .take(excess)
        .filter(|(_, path)| std::fs::remove_file(path).is_ok())
        .count()
}
