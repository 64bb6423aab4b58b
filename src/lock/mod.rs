//! Lock files as the activation spec: a PEP 751 `pylock.toml`, read, its packages selected for
//! this interpreter (markers, extras, dependency groups), each matched to a wheel of the store
//! whose sha256 the lock records, and the set activated as it is, with no resolution.
//!
//! Keys PEP 751 defines but activation does not need (`index`, `upload-time`, `attestation-
//! identities`, `[tool]`, ...) and unknown keys are ignored, as the PEP asks of readers.
//!
//! <https://packaging.python.org/en/latest/specifications/pylock-toml/>

mod digest;
mod error;
mod marker;
mod select;

use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::MarkerTree;

use crate::script::{parse_toml, TomlValue};
use crate::wheel::PackageName;

pub use digest::{sha256_hex, Digests};
pub use error::{LockError, Place, Problem, Unusable};
pub use select::{choose, select, wanted, Groups, Wanted};

/// A parsed lock file.
#[derive(Debug, Clone)]
pub struct Lock {
    /// The file, as named by the caller (error messages show it).
    pub file: PathBuf,
    pub requires_python: Option<VersionSpecifiers>,
    /// The marker text of each `environments` entry, and its tree.
    pub environments: Vec<(String, MarkerTree)>,
    pub extras: Vec<String>,
    pub dependency_groups: Vec<String>,
    pub default_groups: Vec<String>,
    pub packages: Vec<Package>,
}

/// One `[[packages]]` entry.
#[derive(Debug, Clone)]
pub struct Package {
    /// 1-based position in the file.
    pub number: usize,
    pub name: PackageName,
    /// Absent for a `vcs`/`directory` source whose version is not fixed.
    pub version: Option<Version>,
    pub marker: Option<MarkerTree>,
    pub requires_python: Option<VersionSpecifiers>,
    pub wheels: Vec<LockedWheel>,
    /// Whether it is locked from a source that is not a wheel (`sdist`, `vcs`, `directory`,
    /// `archive`).
    pub from_source: bool,
}

impl Package {
    /// Ex) `six 1.16.0`
    pub fn label(&self) -> String {
        match &self.version {
            Some(v) => format!("{} {v}", self.name),
            None => self.name.to_string(),
        }
    }

    fn place(&self) -> Place {
        Place::Package {
            number: self.number,
            name: Some(self.name.to_string()),
        }
    }
}

/// One `wheels` entry of a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedWheel {
    /// The wheel's file name: `name`, else the last segment of `url` or `path`.
    pub filename: String,
    pub url: Option<String>,
    pub path: Option<String>,
    pub size: Option<u64>,
    /// Lowercase hex.
    pub sha256: String,
}

impl Lock {
    /// Reads and parses `file`.
    pub fn read(file: &Path) -> Result<Self, LockError> {
        let text = std::fs::read_to_string(file).map_err(|e| LockError::Read {
            file: file.to_path_buf(),
            reason: e.to_string(),
        })?;
        Self::parse(file, &text)
    }

    /// Parses the text of `file`.
    pub fn parse(file: &Path, text: &str) -> Result<Self, LockError> {
        parse(file, text).map_err(|problem| LockError::Invalid {
            file: file.to_path_buf(),
            problem: Box::new(problem),
        })
    }
}

type Table = [(String, TomlValue)];

fn get<'a>(table: &'a Table, key: &str) -> Option<&'a TomlValue> {
    table.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn string<'a>(
    table: &'a Table,
    key: &'static str,
    place: &Place,
) -> Result<Option<&'a str>, Problem> {
    match get(table, key) {
        None => Ok(None),
        Some(TomlValue::String(s)) => Ok(Some(s)),
        Some(_) => Err(Problem::Type {
            place: place.clone(),
            key,
            expected: "a string",
        }),
    }
}

fn strings(table: &Table, key: &'static str, place: &Place) -> Result<Vec<String>, Problem> {
    array(
        table,
        key,
        place,
        "an array of strings",
        |item| match item {
            TomlValue::String(s) => Some(s.clone()),
            _ => None,
        },
    )
}

fn tables<'a>(
    table: &'a Table,
    key: &'static str,
    place: &Place,
) -> Result<Vec<&'a Table>, Problem> {
    array(table, key, place, "an array of tables", |item| match item {
        TomlValue::Table(t) => Some(t.as_slice()),
        _ => None,
    })
}

/// The array under `key` (empty when absent), each item taken by `pick`; an item `pick`
/// refuses, or a value that is no array, is a [`Problem::Type`] saying `expected`.
fn array<'a, T>(
    table: &'a Table,
    key: &'static str,
    place: &Place,
    expected: &'static str,
    pick: impl Fn(&'a TomlValue) -> Option<T>,
) -> Result<Vec<T>, Problem> {
    let wrong = || Problem::Type {
        place: place.clone(),
        key,
        expected,
    };
    match get(table, key) {
        None => Ok(Vec::new()),
        Some(TomlValue::Array(items)) => items.iter().map(|i| pick(i).ok_or_else(wrong)).collect(),
        Some(_) => Err(wrong()),
    }
}

fn specifiers(
    table: &Table,
    key: &'static str,
    place: &Place,
) -> Result<Option<VersionSpecifiers>, Problem> {
    let Some(text) = string(table, key, place)? else {
        return Ok(None);
    };
    VersionSpecifiers::from_str(text)
        .map(Some)
        .map_err(|e| Problem::Value {
            place: place.clone(),
            key,
            value: text.to_owned(),
            reason: e.to_string(),
        })
}

fn marker_tree(text: &str, key: &'static str, place: &Place) -> Result<MarkerTree, Problem> {
    MarkerTree::from_str(&marker::rewrite(text)).map_err(|e| Problem::Value {
        place: place.clone(),
        key,
        value: text.to_owned(),
        reason: e.to_string().lines().next().unwrap_or_default().to_owned(),
    })
}

fn parse(file: &Path, text: &str) -> Result<Lock, Problem> {
    let doc = parse_toml(text).map_err(Problem::Toml)?;
    let top = Place::Top;
    let version = string(&doc, "lock-version", &top)?.ok_or(Problem::Missing {
        place: Place::Top,
        key: "lock-version",
    })?;
    if version.split('.').next() != Some("1") || Version::from_str(version).is_err() {
        return Err(Problem::LockVersion(version.to_owned()));
    }
    let environments = strings(&doc, "environments", &top)?
        .into_iter()
        .map(|m| Ok((m.clone(), marker_tree(&m, "environments", &top)?)))
        .collect::<Result<_, Problem>>()?;
    let packages = tables(&doc, "packages", &top)?
        .into_iter()
        .enumerate()
        .map(|(i, t)| package(i + 1, t))
        .collect::<Result<_, Problem>>()?;
    Ok(Lock {
        file: file.to_path_buf(),
        requires_python: specifiers(&doc, "requires-python", &top)?,
        environments,
        extras: strings(&doc, "extras", &top)?,
        dependency_groups: strings(&doc, "dependency-groups", &top)?,
        default_groups: strings(&doc, "default-groups", &top)?,
        packages,
    })
}

fn package(number: usize, table: &Table) -> Result<Package, Problem> {
    let mut place = Place::Package { number, name: None };
    let name = string(table, "name", &place)?.ok_or_else(|| Problem::Missing {
        place: place.clone(),
        key: "name",
    })?;
    place = Place::Package {
        number,
        name: Some(name.to_owned()),
    };
    let version = match string(table, "version", &place)? {
        None => None,
        Some(v) => Some(Version::from_str(v).map_err(|e| Problem::Value {
            place: place.clone(),
            key: "version",
            value: v.to_owned(),
            reason: e.to_string(),
        })?),
    };
    let marker = match string(table, "marker", &place)? {
        None => None,
        Some(m) => Some(marker_tree(m, "marker", &place)?),
    };
    let wheels = tables(table, "wheels", &place)?
        .into_iter()
        .map(|w| wheel(w, &place))
        .collect::<Result<_, Problem>>()?;
    let from_source = ["sdist", "vcs", "directory", "archive"]
        .iter()
        .any(|k| get(table, k).is_some());
    Ok(Package {
        number,
        name: PackageName::new(name),
        version,
        marker,
        requires_python: specifiers(table, "requires-python", &place)?,
        wheels,
        from_source,
    })
}

fn wheel(table: &Table, place: &Place) -> Result<LockedWheel, Problem> {
    let url = string(table, "url", place)?;
    let path = string(table, "path", place)?;
    let last = |s: &str| s.rsplit(['/', '\\']).next().unwrap_or(s).to_owned();
    let filename = match string(table, "name", place)? {
        Some(name) => name.to_owned(),
        None => url
            .map(|u| last(u.split(['?', '#']).next().unwrap_or(u)))
            .or_else(|| path.map(last))
            .ok_or_else(|| Problem::Missing {
                place: place.clone(),
                key: "wheels.name",
            })?,
    };
    if let Err(e) = crate::wheel::WheelFilename::from_str(&filename) {
        return Err(Problem::WheelName {
            place: place.clone(),
            wheel: filename,
            reason: e.to_string(),
        });
    }
    let size = match get(table, "size") {
        None => None,
        Some(TomlValue::Integer(n)) if *n >= 0 => Some(*n as u64),
        Some(_) => {
            return Err(Problem::Type {
                place: place.clone(),
                key: "wheels.size",
                expected: "a non-negative integer",
            })
        }
    };
    let hashes = match get(table, "hashes") {
        Some(TomlValue::Table(t)) => t.as_slice(),
        _ => &[],
    };
    let sha256 = match get(hashes, "sha256") {
        Some(TomlValue::String(h)) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
            h.to_ascii_lowercase()
        }
        _ => {
            return Err(Problem::NoHash {
                place: place.clone(),
                wheel: filename,
            })
        }
    };
    Ok(LockedWheel {
        filename,
        url: url.map(str::to_owned),
        path: path.map(str::to_owned),
        size,
        sha256,
    })
}

#[cfg(test)]
mod tests;
