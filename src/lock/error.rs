//! Why a lock file cannot be activated.

use std::fmt;
use std::path::PathBuf;

use thiserror::Error;

use crate::script::ScriptError;

/// A lock file that cannot be used, or whose wheels are not all in the store.
#[derive(Debug, Error)]
pub enum LockError {
    /// The file cannot be read. Ex) `pylock.toml: cannot read: No such file or directory`
    #[error("{file}: cannot read: {reason}")]
    Read { file: PathBuf, reason: String },
    /// The file is not a lock wheelhook can use, for `problem`.
    #[error("{file}: {problem}")]
    Invalid {
        file: PathBuf,
        problem: Box<Problem>,
    },
    /// Locked wheels missing from the store or not matching the lock's hashes (nothing is
    /// activated): each with its reason, and the command that fetches them.
    #[error("{file}: {} of the locked wheels cannot be used:{}\nfetch them with: python -m wheelhook add -r {file}", .unusable.len(), Unusable::lines(.unusable))]
    Unusable {
        file: PathBuf,
        unusable: Vec<Unusable>,
    },
}

/// What is wrong with a lock file's content.
#[derive(Debug, Error, PartialEq)]
pub enum Problem {
    /// Ex) `invalid TOML: expected `=` (at line 2, column 5)`
    #[error("invalid TOML: {0}")]
    Toml(ScriptError),
    /// Ex) `"lock-version" is missing`
    #[error("{place}\"{key}\" is missing")]
    Missing { place: Place, key: &'static str },
    /// Ex) `[[packages]] entry 2 (six): "version" must be a string`
    #[error("{place}\"{key}\" must be {expected}")]
    Type {
        place: Place,
        key: &'static str,
        expected: &'static str,
    },
    /// Ex) `lock-version "2.0" is not supported (1.x expected)`
    #[error("lock-version \"{0}\" is not supported (1.x expected)")]
    LockVersion(String),
    /// A version, specifier or marker that does not parse.
    /// Ex) `[[packages]] entry 2 (six): "version" "1.x" is invalid: ...`
    #[error("{place}\"{key}\" \"{value}\" is invalid: {reason}")]
    Value {
        place: Place,
        key: &'static str,
        value: String,
        reason: String,
    },
    /// Ex) `the lock requires Python >=3.12, this is 3.11.7`
    #[error("{place}requires Python {specifiers}, this is {python}")]
    RequiresPython {
        place: Place,
        specifiers: String,
        python: String,
    },
    /// None of `environments` holds here.
    #[error("none of the lock's environments holds for this interpreter: {0}")]
    Environments(String),
    /// An extra or dependency group asked for that the lock does not declare.
    /// Ex) `the lock has no extra "socks" (it declares: none)`
    #[error("the lock has no {kind} \"{name}\" (it declares: {declared})")]
    Undeclared {
        kind: &'static str,
        name: String,
        declared: String,
    },
    /// A wheel entry without a sha256 hash. Ex) `[[packages]] entry 2 (six): wheel "six-1.16.0-py2.py3-none-any.whl" has no sha256 hash`
    #[error("{place}wheel \"{wheel}\" has no sha256 hash")]
    NoHash { place: Place, wheel: String },
    /// A wheel entry whose file name is not a wheel's.
    #[error("{place}wheel \"{wheel}\" is not a wheel file name: {reason}")]
    WheelName {
        place: Place,
        wheel: String,
        reason: String,
    },
    /// Two entries of one name both selected for this interpreter.
    /// Ex) `[[packages]] entries 2 (six 1.16.0) and 5 (six 1.15.0) are both selected for this interpreter`
    #[error("[[packages]] entries {first} and {second} are both selected for this interpreter")]
    Conflict { first: String, second: String },
}

/// Where in the file a problem is: the top level, or one `[[packages]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Top,
    /// 1-based entry number and the name it gives (when it gives one).
    Package {
        number: usize,
        name: Option<String>,
    },
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Top => Ok(()),
            Place::Package { number, name: None } => write!(f, "[[packages]] entry {number}: "),
            Place::Package {
                number,
                name: Some(name),
            } => write!(f, "[[packages]] entry {number} ({name}): "),
        }
    }
}

/// A selected package that cannot be activated. Ex) `six 1.16.0: no wheel in the store (locked: six-1.16.0-py2.py3-none-any.whl)`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unusable {
    /// Ex) `six 1.16.0`
    pub package: String,
    /// Ex) `no wheel in the store (locked: six-1.16.0-py2.py3-none-any.whl)`
    pub reason: String,
}

impl Unusable {
    fn lines(all: &[Unusable]) -> String {
        all.iter()
            .map(|u| format!("\n  {}: {}", u.package, u.reason))
            .collect()
    }
}
