//! The `WHEEL` and `METADATA` files of a `.dist-info` directory.
//!
//! Both run on the import path (every activated wheel's `METADATA` is read), so they
//! borrow from the text and parse only the fields wheelhook uses; every other field,
//! the long description included, is skipped without a copy.

use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{ExtraName, Requirement};
use thiserror::Error;

use super::headers::headers;
use super::PackageName;

/// Why a `WHEEL` or `METADATA` file could not be read.
#[derive(Debug, Error)]
pub enum DistInfoError {
    /// Ex) `METADATA: the required field "Version" is missing`
    #[error("{file}: {reason}")]
    Invalid { file: String, reason: String },
}

fn invalid(file: &str, reason: String) -> DistInfoError {
    DistInfoError::Invalid {
        file: file.to_owned(),
        reason,
    }
}

/// The reason pep440_rs gives for refusing a `Requires-Python` value, without the value and
/// the caret diagram its message repeats it in: the field's value is quoted once, by the caller.
/// Ex) `expected version to start with a number, but no leading ASCII digits were found`
fn specifiers_reason(err: &pep440_rs::VersionSpecifiersParseError) -> String {
    let text = err.to_string();
    let first = text.lines().next().unwrap_or_default();
    first
        .strip_prefix("Failed to parse version: ")
        .unwrap_or(first)
        .trim_end_matches(':')
        .to_owned()
}

/// Fills a single-use field, refusing a second occurrence.
fn set_once<T>(
    slot: &mut Option<T>,
    value: T,
    file: &str,
    field: &str,
) -> Result<(), DistInfoError> {
    if slot.is_some() {
        return Err(invalid(
            file,
            format!("the field \"{field}\" appears more than once"),
        ));
    }
    *slot = Some(value);
    Ok(())
}

/// The `WHEEL` file. <https://packaging.python.org/en/latest/specifications/binary-distribution-format/#the-dist-info-directory>
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WheelInfo {
    /// `Wheel-Version`. Ex) `(1, 0)`
    pub wheel_version: (u32, u32),
    /// `Root-Is-Purelib`.
    pub root_is_purelib: bool,
    /// `Tag` lines.
    pub tags: Vec<String>,
}

impl WheelInfo {
    /// Parses a `WHEEL` file. `Wheel-Version` and `Root-Is-Purelib` are required; a
    /// major `Wheel-Version` other than 1 is refused, as the spec tells installers to do.
    ///
    /// Ex) `"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"`
    pub fn parse(text: &str) -> Result<Self, DistInfoError> {
        const FILE: &str = "WHEEL";
        let mut wheel_version = None;
        let mut root_is_purelib = None;
        let mut tags = Vec::new();
        for header in headers(text) {
            let value = header.value.as_ref();
            if header.name.eq_ignore_ascii_case("Wheel-Version") {
                let version = parse_wheel_version(value).ok_or_else(|| {
                    invalid(
                        FILE,
                        format!("the field \"Wheel-Version\" is not \"major.minor\": \"{value}\""),
                    )
                })?;
                set_once(&mut wheel_version, version, FILE, "Wheel-Version")?;
            } else if header.name.eq_ignore_ascii_case("Root-Is-Purelib") {
                let flag = if value.eq_ignore_ascii_case("true") {
                    true
                } else if value.eq_ignore_ascii_case("false") {
                    false
                } else {
                    return Err(invalid(
                        FILE,
                        format!("the field \"Root-Is-Purelib\" must be \"true\" or \"false\", not \"{value}\""),
                    ));
                };
                set_once(&mut root_is_purelib, flag, FILE, "Root-Is-Purelib")?;
            } else if header.name.eq_ignore_ascii_case("Tag") {
                tags.push(value.to_owned());
            }
        }
        let missing =
            |field: &str| invalid(FILE, format!("the required field \"{field}\" is missing"));
        let wheel_version = wheel_version.ok_or_else(|| missing("Wheel-Version"))?;
        if wheel_version.0 != 1 {
            return Err(invalid(
                FILE,
                format!(
                    "Wheel-Version {}.{} is not supported (only major version 1 is)",
                    wheel_version.0, wheel_version.1
                ),
            ));
        }
        let root_is_purelib = root_is_purelib.ok_or_else(|| missing("Root-Is-Purelib"))?;
        Ok(Self {
            wheel_version,
            root_is_purelib,
            tags,
        })
    }
}

/// `major.minor`. Ex) `1.0` -> `(1, 0)`
fn parse_wheel_version(value: &str) -> Option<(u32, u32)> {
    let (major, minor) = value.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// The core metadata fields wheelhook uses. <https://packaging.python.org/en/latest/specifications/core-metadata/>
#[derive(Debug, Clone)]
pub struct Metadata {
    /// `Name`, as written (not normalised). Ex) `PyYAML`
    pub name: String,
    /// `Version`.
    pub version: Version,
    /// Every `Requires-Dist`, in order.
    pub requires_dist: Vec<Requirement>,
    /// `Requires-Python`, when present.
    pub requires_python: Option<VersionSpecifiers>,
    /// Every `Provides-Extra`, normalised (PEP 685). Ex) `Socks` -> `socks`
    pub provides_extra: Vec<ExtraName>,
}

impl Metadata {
    /// Parses the headers of a `METADATA` (or `PKG-INFO`) file.
    ///
    /// `Name` and `Version` are required and, like `Requires-Python`, single-use;
    /// `Requires-Dist` is parsed as PEP 508. Fields are matched case-insensitively; the
    /// body (after the first blank line) is never read.
    ///
    /// Ex) `"Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n"`
    pub fn parse(text: &str) -> Result<Self, DistInfoError> {
        const FILE: &str = "METADATA";
        let mut name = None;
        let mut version = None;
        let mut requires_dist = Vec::new();
        let mut requires_python = None;
        let mut provides_extra = Vec::new();
        for header in headers(text) {
            let value = header.value.as_ref();
            let field_error = |field: &str, reason: &dyn std::fmt::Display| {
                invalid(
                    FILE,
                    format!("the field \"{field}\" is invalid: \"{value}\": {reason}"),
                )
            };
            if header.name.eq_ignore_ascii_case("Requires-Dist") {
                // Through the guarded parser: some inputs make pep508_rs panic. The field's
                // value is quoted once, by `field_error`.
                let requirement = super::parse_requirement(value)
                    .map_err(|err| field_error("Requires-Dist", &err.reason))?;
                requires_dist.push(requirement);
            } else if header.name.eq_ignore_ascii_case("Name") {
                if !PackageName::is_valid(value) {
                    return Err(field_error(
                        "Name",
                        &"a name is letters, digits, \"-\", \"_\" and \".\", starting and ending with a letter or digit",
                    ));
                }
                set_once(&mut name, value.to_owned(), FILE, "Name")?;
            } else if header.name.eq_ignore_ascii_case("Version") {
                set_once(&mut version, parse_version_field(value)?, FILE, "Version")?;
            } else if header.name.eq_ignore_ascii_case("Requires-Python") {
                let parsed = VersionSpecifiers::from_str(value)
                    .map_err(|err| field_error("Requires-Python", &specifiers_reason(&err)))?;
                set_once(&mut requires_python, parsed, FILE, "Requires-Python")?;
            } else if header.name.eq_ignore_ascii_case("Provides-Extra") {
                // Not pep508_rs's message, which quotes the value a second time.
                let extra = ExtraName::new(value.to_owned()).map_err(|_| {
                    field_error(
                        "Provides-Extra",
                        &"an extra is letters, digits, \"-\", \"_\" and \".\", starting and ending with a letter or digit",
                    )
                })?;
                provides_extra.push(extra);
            }
        }
        let missing =
            |field: &str| invalid(FILE, format!("the required field \"{field}\" is missing"));
        Ok(Self {
            name: name.ok_or_else(|| missing("Name"))?,
            version: version.ok_or_else(|| missing("Version"))?,
            requires_dist,
            requires_python,
            provides_extra,
        })
    }
}

impl Metadata {
    /// The `Version` alone, under the rules of [`Metadata::parse`], whatever the other fields
    /// hold: an installed distribution whose directory name carries no version is still listed
    /// (and its unreadable metadata reported when the resolver considers it).
    pub fn parse_version(text: &str) -> Result<Version, DistInfoError> {
        let mut version = None;
        for header in headers(text) {
            if header.name.eq_ignore_ascii_case("Version") {
                let parsed = parse_version_field(header.value.as_ref())?;
                set_once(&mut version, parsed, "METADATA", "Version")?;
            }
        }
        version.ok_or_else(|| {
            invalid(
                "METADATA",
                "the required field \"Version\" is missing".into(),
            )
        })
    }
}

/// The `Version` field's value as a PEP 440 version.
fn parse_version_field(value: &str) -> Result<Version, DistInfoError> {
    Version::from_str(value).map_err(|err| {
        invalid(
            "METADATA",
            format!("the field \"Version\" is invalid: \"{value}\": {err}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_parse_version_ignores_other_fields() {
        let text = "Name: x\nVersion: 1.2\nRequires-Dist: bad.>=1\n";
        assert!(Metadata::parse(text).is_err());
        assert_eq!(Metadata::parse_version(text).unwrap().to_string(), "1.2");
        assert_eq!(
            Metadata::parse_version("Name: x\n")
                .unwrap_err()
                .to_string(),
            metadata_err("Name: x\n")
        );
    }

    fn wheel_err(text: &str) -> String {
        WheelInfo::parse(text).unwrap_err().to_string()
    }

    fn metadata_err(text: &str) -> String {
        Metadata::parse(text).unwrap_err().to_string()
    }

    #[test]
    fn ok_wheel() {
        let text = "Wheel-Version: 1.0\r\nGenerator: bdist_wheel (0.41.2)\r\nRoot-Is-Purelib: false\r\nTag: cp311-cp311-manylinux_2_17_x86_64\r\nTag: cp311-cp311-manylinux2014_x86_64\r\nBuild: 1\r\n";
        let info = WheelInfo::parse(text).unwrap();
        assert_eq!(
            info,
            WheelInfo {
                wheel_version: (1, 0),
                root_is_purelib: false,
                tags: vec![
                    "cp311-cp311-manylinux_2_17_x86_64".to_owned(),
                    "cp311-cp311-manylinux2014_x86_64".to_owned()
                ],
            }
        );
        let info = WheelInfo::parse("wheel-version: 1.9\nroot-is-purelib: True\n").unwrap();
        assert_eq!((info.wheel_version, info.root_is_purelib), ((1, 9), true));
    }

    #[test]
    fn err_wheel() {
        assert_eq!(
            wheel_err("Wheel-Version: 2.0\nRoot-Is-Purelib: true\n"),
            "WHEEL: Wheel-Version 2.0 is not supported (only major version 1 is)"
        );
        assert_eq!(
            wheel_err("Wheel-Version: one\nRoot-Is-Purelib: true\n"),
            "WHEEL: the field \"Wheel-Version\" is not \"major.minor\": \"one\""
        );
        assert_eq!(
            wheel_err("Root-Is-Purelib: true\n"),
            "WHEEL: the required field \"Wheel-Version\" is missing"
        );
        assert_eq!(
            wheel_err("Wheel-Version: 1.0\n"),
            "WHEEL: the required field \"Root-Is-Purelib\" is missing"
        );
        assert_eq!(
            wheel_err("Wheel-Version: 1.0\nRoot-Is-Purelib: yes\n"),
            "WHEEL: the field \"Root-Is-Purelib\" must be \"true\" or \"false\", not \"yes\""
        );
        assert_eq!(
            wheel_err("Wheel-Version: 1.0\nWheel-Version: 1.0\nRoot-Is-Purelib: true\n"),
            "WHEEL: the field \"Wheel-Version\" appears more than once"
        );
    }

    const REQUESTS: &str = "Metadata-Version: 2.1
Name: requests
Version: 2.31.0
Summary: Python HTTP for Humans.
Requires-Python: >=3.7
License: Apache 2.0
Classifier: Development Status :: 5 - Production/Stable
Requires-Dist: charset-normalizer (<4,>=2)
Requires-Dist: idna (<4,>=2.5)
Requires-Dist: urllib3 (<3,>=1.21.1)
Requires-Dist: certifi >=2017.4.17
Provides-Extra: security
Provides-Extra: Use_Chardet_On_Py3
Requires-Dist: PySocks (!=1.5.7,>=1.5.6) ; extra == 'socks'
Requires-Dist: chardet (<6,>=3.0.2) ; extra == 'use_chardet_on_py3'
Description-Content-Type: text/markdown
Description: a folded
  description: with colons

# Requests
Requires-Dist: not-a-header
";

    #[test]
    fn ok_metadata() {
        let m = Metadata::parse(REQUESTS).unwrap();
        assert_eq!(m.name, "requests");
        assert_eq!(m.version.to_string(), "2.31.0");
        assert_eq!(m.requires_python.unwrap().to_string(), ">=3.7");
        let names: Vec<String> = m.requires_dist.iter().map(|r| r.name.to_string()).collect();
        assert_eq!(
            names,
            [
                "charset-normalizer",
                "idna",
                "urllib3",
                "certifi",
                "pysocks",
                "chardet"
            ]
        );
        assert!(m.requires_dist[4].marker.contents().is_some());
        let extras: Vec<&str> = m.provides_extra.iter().map(|e| e.as_ref()).collect();
        assert_eq!(extras, ["security", "use-chardet-on-py3"]);
    }

    #[test]
    fn ok_metadata_minimal() {
        let m = Metadata::parse("name: PyYAML\nversion: 6.0.1").unwrap();
        assert_eq!(
            (m.name.as_str(), m.version.to_string().as_str()),
            ("PyYAML", "6.0.1")
        );
        assert!(
            m.requires_dist.is_empty()
                && m.requires_python.is_none()
                && m.provides_extra.is_empty()
        );
    }

    #[test]
    fn err_metadata_missing() {
        assert_eq!(
            metadata_err("Name: six\n"),
            "METADATA: the required field \"Version\" is missing"
        );
        assert_eq!(
            metadata_err("Version: 1\n\nName: six\n"),
            "METADATA: the required field \"Name\" is missing"
        );
    }

    #[test]
    fn err_metadata_fields() {
        let e = metadata_err("Name: six\nVersion: one\n");
        assert!(
            e.starts_with("METADATA: the field \"Version\" is invalid: \"one\": "),
            "{e}"
        );
        let e = metadata_err("Name: six\nVersion: 1\nRequires-Dist: foo >=\n");
        assert!(
            e.starts_with("METADATA: the field \"Requires-Dist\" is invalid: \"foo >=\": "),
            "{e}"
        );
        assert!(!e.contains('\n'), "{e}");
        // The value is quoted once: no second copy, no caret diagram.
        assert_eq!(
            metadata_err("Name: six\nVersion: 1\nRequires-Python: >=abc\n"),
            "METADATA: the field \"Requires-Python\" is invalid: \">=abc\": expected version to \
             start with a number, but no leading ASCII digits were found"
        );
        assert_eq!(
            metadata_err("Name: six\nVersion: 1\nProvides-Extra: a b\n"),
            "METADATA: the field \"Provides-Extra\" is invalid: \"a b\": an extra is letters, \
             digits, \"-\", \"_\" and \".\", starting and ending with a letter or digit"
        );
        assert_eq!(
            metadata_err("Name: -six\nVersion: 1\n"),
            "METADATA: the field \"Name\" is invalid: \"-six\": a name is letters, digits, \"-\", \"_\" and \".\", starting and ending with a letter or digit"
        );
        assert_eq!(
            metadata_err("Name: six\nVersion: 1\nVersion: 2\n"),
            "METADATA: the field \"Version\" appears more than once"
        );
    }
}
