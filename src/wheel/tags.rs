//! Compatibility tags (PEP 425) supported by an interpreter, in priority order. STUB.

use std::fmt;

use super::WheelFilename;

/// One `interpreter-abi-platform` triple. Ex) `cp311-abi3-manylinux_2_17_x86_64`
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag {
    pub interpreter: String,
    pub abi: String,
    pub platform: String,
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", self.interpreter, self.abi, self.platform)
    }
}

/// The platform the interpreter runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Platform {
    Linux {
        arch: String,
        glibc: Option<(u16, u16)>,
        musl: Option<(u16, u16)>,
    },
}

impl Platform {
    /// The platform this code was built for and runs on.
    pub fn detect() -> Self {
        todo!()
    }
}

/// What the tags depend on, gathered from the running interpreter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterpreterFacts {
    /// `sys.implementation.name`. Ex) `cpython`
    pub implementation: String,
    /// `sys.version_info[:2]`. Ex) `(3, 11)`
    pub version: (u8, u8),
    /// Whether the interpreter is a debug build (`Py_DEBUG`).
    pub debug: bool,
    pub platform: Platform,
}

/// The tags an interpreter supports, best first.
#[derive(Debug, Clone)]
pub struct SupportedTags {
    pub tags: Vec<Tag>,
}

impl SupportedTags {
    /// The tags for `facts`, in the order `packaging.tags.sys_tags()` gives them.
    pub fn new(_facts: &InterpreterFacts) -> Self {
        todo!()
    }

    /// The priority of the best tag of `wheel` (0 is best), or `None` when incompatible.
    pub fn rank(&self, _wheel: &WheelFilename) -> Option<usize> {
        todo!()
    }
}
