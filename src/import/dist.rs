//! An activated wheel: its mapped archive, its importable roots and its module index.

use std::borrow::Cow;
use std::path::{Path, PathBuf, MAIN_SEPARATOR};
use std::sync::Arc;

use thiserror::Error;

use super::by_path::{by_path, ByPath};
use super::index::{FoundInDir, ModuleIndex};
use crate::archive::{Archive, ArchiveError};
use crate::candidate::Candidate;
use crate::wheel::{find_dist_info, DistInfoError, WheelInfo};

/// Why a wheel cannot serve imports, or one of its modules. Always names the wheel.
#[derive(Debug, Error)]
pub enum ImportError {
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// The wheel's `.dist-info` or `WHEEL` cannot be used.
    #[error("{path}: {reason}")]
    Wheel { path: PathBuf, reason: String },
    /// The wheel has no such module. Ex) `/site/six.whl does not provide the module six.moves`
    #[error("{location} does not provide the module {module}")]
    NoModule {
        /// Where the wheel's modules are served from (the archive, or its unpacked copy).
        location: String,
        wheel: PathBuf,
        module: String,
    },
    /// The module is an extension or a namespace portion.
    #[error("{module} has no Python source")]
    NoSource { wheel: PathBuf, module: String },
    /// A namespace portion has no file.
    #[error("{module} is a namespace package")]
    Namespace { wheel: PathBuf, module: String },
    /// The module's source cannot be read from the archive.
    #[error("cannot import {module}: {source}")]
    Read {
        module: String,
        source: ArchiveError,
    },
}

impl ImportError {
    /// The wheel the error is about.
    pub fn path(&self) -> &Path {
        match self {
            Self::Archive(err) | Self::Read { source: err, .. } => err.path(),
            Self::Wheel { path: wheel, .. }
            | Self::NoModule { wheel, .. }
            | Self::NoSource { wheel, .. }
            | Self::Namespace { wheel, .. } => wheel,
        }
    }

    /// The module the error is about, when it is about one.
    pub fn module(&self) -> Option<&str> {
        match self {
            Self::NoModule { module, .. }
            | Self::NoSource { module, .. }
            | Self::Namespace { module, .. }
            | Self::Read { module, .. } => Some(module),
            Self::Archive(_) | Self::Wheel { .. } => None,
        }
    }
}

/// What activating a wheel reads from it besides the member names: the `.dist-info` directory's
/// name, `Root-Is-Purelib` from `WHEEL`, and whether its packages read their files by path (see
/// [`by_path`]). The activation cache keeps it beside the wheel's stamp, so a start that reuses
/// a resolution neither inflates `WHEEL` nor reads the sources again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Ex) `six-1.15.0.dist-info`
    pub dist_info: String,
    pub root_is_purelib: bool,
    /// Why the wheel is served unpacked unless the user says otherwise; `None`: from the archive.
    pub by_path: Option<ByPath>,
}

impl Layout {
    /// The importable member prefixes, in order: the archive root, then `.data/purelib/` and
    /// `.data/platlib/` (the one `Root-Is-Purelib` names first). Ex) `["", "six-1.0.data/purelib/", ...]`
    pub fn roots(&self) -> Vec<String> {
        let data = format!("{}.data/", self.dist_info.trim_end_matches(".dist-info"));
        let (first, second) = if self.root_is_purelib {
            ("purelib", "platlib")
        } else {
            ("platlib", "purelib")
        };
        vec![
            String::new(),
            format!("{data}{first}/"),
            format!("{data}{second}/"),
        ]
    }
}

/// A wheel whose modules are being served.
#[derive(Debug)]
pub struct ActiveDist {
    pub candidate: Candidate,
    pub archive: Arc<Archive>,
    /// The `.dist-info` directory inside the archive, no trailing `/`. Ex) `six-1.15.0.dist-info`
    pub dist_info: String,
    pub root_is_purelib: bool,
    /// Why it should be served unpacked, by default (see [`Layout::by_path`]).
    pub by_path: Option<ByPath>,
    pub index: ModuleIndex,
    /// The prefix of every `__file__`: the archive's path, as zipimport has it, or the
    /// directory a wheel was unpacked into (see [`Self::unpacked_at`]).
    pub location: String,
}

impl ActiveDist {
    /// Indexes `archive` for importing. `extension_suffixes` are the interpreter's.
    pub fn new(
        candidate: Candidate,
        archive: Arc<Archive>,
        extension_suffixes: &[String],
    ) -> Result<Self, ImportError> {
        Self::with_layout(candidate, archive, extension_suffixes, None)
    }

    /// As [`Self::new`], taking the layout as `known` when it was read from this same file
    /// before (the activation cache checks the file's stamp) instead of reading `WHEEL`.
    pub fn with_layout(
        candidate: Candidate,
        archive: Arc<Archive>,
        extension_suffixes: &[String],
        known: Option<Layout>,
    ) -> Result<Self, ImportError> {
        let layout = match known {
            Some(layout) => layout,
            None => read_layout(&archive)?,
        };
        let roots = layout.roots();
        let index = ModuleIndex::build(
            archive.members().iter().map(|m| m.name.as_str()),
            &roots,
            extension_suffixes,
        );
        let location = archive.path().to_string_lossy().into_owned();
        Ok(Self {
            candidate,
            archive,
            dist_info: layout.dist_info,
            root_is_purelib: layout.root_is_purelib,
            by_path: layout.by_path,
            index,
            location,
        })
    }

    /// The member prefixes that are importable, in order (what the index was built from).
    pub fn roots(&self) -> Vec<String> {
        self.layout().roots()
    }

    /// What `leaf` names in the archive directory `dir`, with the name the index knows it by
    /// (see [`ModuleIndex::find_in_dir`]).
    pub fn find_in_dir(&self, dir: &str, leaf: &str) -> Option<FoundInDir<'_>> {
        self.index.find_in_dir(&self.roots(), dir, leaf)
    }

    /// The layout this wheel was indexed with (what [`Self::with_layout`] takes).
    pub fn layout(&self) -> Layout {
        Layout {
            dist_info: self.dist_info.clone(),
            root_is_purelib: self.root_is_purelib,
            by_path: self.by_path.clone(),
        }
    }

    /// Serves the wheel's paths from `dir`, where it was unpacked: `__file__` and `__path__`
    /// become real files and directories (for packages that open their own files by path);
    /// the code itself is still read from the archive and the bytecode cache.
    pub fn unpacked_at(mut self, dir: &Path) -> Self {
        self.location = dir.to_string_lossy().into_owned();
        self
    }

    /// The directory the wheel was unpacked into, when it is served from one.
    pub fn unpacked_dir(&self) -> Option<&str> {
        (Path::new(&self.location) != self.archive.path()).then_some(self.location.as_str())
    }

    /// The path Python sees for a member. Ex) `/site/six-1.15.0-py2.py3-none-any.whl/six.py`
    pub fn member_path(&self, member: &str) -> String {
        let mut out = String::with_capacity(self.location.len() + member.len() + 1);
        out.push_str(&self.location);
        out.push(MAIN_SEPARATOR);
        if MAIN_SEPARATOR == '/' {
            out.push_str(member);
        } else {
            out.extend(
                member
                    .chars()
                    .map(|c| if c == '/' { MAIN_SEPARATOR } else { c }),
            );
        }
        out
    }

    /// The member a path inside this archive names (the inverse of [`Self::member_path`]).
    pub fn member_of<'p>(&self, path: &'p str) -> Option<Cow<'p, str>> {
        let rest = path.strip_prefix(self.location.as_str())?;
        let rest = rest
            .strip_prefix(MAIN_SEPARATOR)
            .or_else(|| rest.strip_prefix('/'))?;
        Some(if MAIN_SEPARATOR == '/' {
            Cow::Borrowed(rest)
        } else {
            Cow::Owned(rest.replace(MAIN_SEPARATOR, "/"))
        })
    }

    /// Reads one member.
    pub fn read(&self, member: &str) -> Result<Cow<'_, [u8]>, ArchiveError> {
        self.archive.read(member)
    }

    pub fn path(&self) -> &Path {
        self.archive.path()
    }
}

/// Finds the `.dist-info` directory and reads its `WHEEL` (whose `Wheel-Version` is checked).
fn read_layout(archive: &Archive) -> Result<Layout, ImportError> {
    let wheel_err = |reason: String| ImportError::Wheel {
        path: archive.path().to_path_buf(),
        reason,
    };
    let dist_info = find_dist_info(archive).map_err(|e| wheel_err(e.to_string()))?;
    let wheel_file = format!("{dist_info}/WHEEL");
    let text = archive.read(&wheel_file)?;
    let text =
        std::str::from_utf8(&text).map_err(|_| wheel_err(format!("{wheel_file} is not UTF-8")))?;
    let info = WheelInfo::parse(text).map_err(|e: DistInfoError| wheel_err(e.to_string()))?;
    Ok(Layout {
        dist_info,
        root_is_purelib: info.root_is_purelib,
        by_path: by_path(archive),
    })
}
