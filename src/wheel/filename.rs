//! Wheel filenames (PEP 427): `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`.
//!
//! Validation follows `packaging.utils.parse_wheel_filename` (packaging 26.3) rule for
//! rule, so a wheel wheelhook accepts is one pip would accept and the reverse; the
//! differential test in `tests/rust/wheel_names.rs` holds the two together.

use std::fmt;
use std::str::FromStr;

use pep440_rs::Version;
use thiserror::Error;

use super::{is_identifier, PackageName, Tag};

/// A parsed wheel filename: `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`.
///
/// <https://packaging.python.org/en/latest/specifications/binary-distribution-format/#file-name-convention>
///
/// Ex) `numpy-2.1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl`
///
/// The tag sets are stored lowercased, as `packaging.tags.Tag` stores them, so that
/// [`SupportedTags::rank`](super::SupportedTags::rank) can look them up without
/// allocating. [`Display`](fmt::Display) writes the name as the wheel spells it, the
/// normalised version and the lowercased tags: it gives back the original filename for
/// every wheel whose version is already in normal form (nearly all of them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WheelFilename {
    /// The normalised distribution name. Ex) `typing-extensions`
    pub name: PackageName,
    /// The name as the filename spells it. Ex) `typing_extensions`, `PyYAML`
    pub name_as_written: String,
    /// Ex) `1.16.0`
    pub version: Version,
    /// The build tag, if any. Ex) `1` in `six-1.0-1-py3-none-any.whl`
    pub build_tag: Option<BuildTag>,
    /// Compressed tag sets, split on `.`. Ex) `["py2", "py3"]`
    pub python_tags: Vec<String>,
    /// Ex) `["cp312"]`, `["abi3"]`, `["none"]`
    pub abi_tags: Vec<String>,
    /// Ex) `["manylinux_2_17_x86_64", "manylinux2014_x86_64"]`
    pub platform_tags: Vec<String>,
}

/// The build tag of a wheel filename: leading digits, then any suffix. Ex) `2b`
///
/// Ordered as packaging orders its `BuildTag`: by number, then by suffix (the derived
/// order, fields in this order); `Option<BuildTag>` puts no build tag first.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct BuildTag {
    /// Ex) `2`
    pub number: u64,
    /// Ex) `b`, or empty
    pub suffix: String,
}

impl fmt::Display for BuildTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.number, self.suffix)
    }
}

/// Why a wheel filename is invalid.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum FilenameError {
    /// Ex) `The wheel filename "six.whl" is invalid: expected 5 or 6 parts separated by "-", found 1`
    #[error("The wheel filename \"{filename}\" is invalid: {reason}")]
    Invalid { filename: String, reason: String },
}

impl WheelFilename {
    /// Every tag the compressed tag sets expand to.
    ///
    /// A set such as `py2.py3.py3` may repeat a tag; the repeat is yielded twice.
    pub fn tags(&self) -> impl Iterator<Item = Tag> + '_ {
        self.python_tags.iter().flat_map(move |py| {
            self.abi_tags.iter().flat_map(move |abi| {
                self.platform_tags.iter().map(move |plat| Tag {
                    interpreter: py.clone(),
                    abi: abi.clone(),
                    platform: plat.clone(),
                })
            })
        })
    }
}

/// Whether `c` is a Python regular-expression `\w` character (str pattern, Unicode):
/// a letter, a digit or `_`. Rust's `is_alphanumeric` stands in for `str.isalnum`; the
/// two differ only on a few combining marks.
fn is_word_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Splits one compressed tag set on `.`, lowercased, refusing empty members.
fn split_tag_set(set: &str, what: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::with_capacity(1 + set.bytes().filter(|&b| b == b'.').count());
    for part in set.split('.') {
        if part.is_empty() {
            return Err(format!(
                "the {what} tag set \"{set}\" has an empty component"
            ));
        }
        out.push(if part.bytes().any(|b| b.is_ascii_uppercase()) {
            part.to_lowercase()
        } else {
            part.to_owned()
        });
    }
    Ok(out)
}

/// Parses the build tag: leading ASCII digits, then any suffix. Ex) `1`, `2b`
fn parse_build_tag(build: &str) -> Result<BuildTag, String> {
    let digits = build.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(format!("the build tag \"{build}\" must start with a digit"));
    }
    // Python's `int` is unbounded; a build number past u64 is refused rather than
    // misordered (no real wheel has one).
    let number = build[..digits]
        .parse::<u64>()
        .map_err(|_| format!("the build number in \"{build}\" is too large"))?;
    Ok(BuildTag {
        number,
        suffix: build[digits..].to_owned(),
    })
}

/// Checks the distribution name as a filename spells it (PEP 427 escaping: word
/// characters and `.`, runs of separators written as one `_`).
fn check_name_part(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the name is empty".to_owned());
    }
    if !name.chars().all(|c| c == '.' || is_word_char(c)) {
        return Err(format!(
            "the name \"{name}\" may only contain letters, digits, \"_\" and \".\""
        ));
    }
    if name.contains("__") {
        return Err(format!("the name \"{name}\" contains \"__\""));
    }
    Ok(())
}

/// Parses a filename; the reason fragment on refusal.
fn parse(filename: &str) -> Result<WheelFilename, String> {
    let stem = filename
        .strip_suffix(".whl")
        .ok_or("the extension must be \".whl\"")?;
    let parts: Vec<&str> = stem.split('-').collect();
    if parts.len() != 5 && parts.len() != 6 {
        return Err(format!(
            "expected 5 or 6 parts separated by \"-\", found {}",
            parts.len()
        ));
    }
    let name_part = parts[0];
    check_name_part(name_part)?;
    let version = Version::from_str(parts[1])
        .map_err(|err| format!("the version \"{}\" is invalid: {err}", parts[1]))?;
    let build_tag = if parts.len() == 6 {
        Some(parse_build_tag(parts[2])?)
    } else {
        None
    };
    // The last three parts always exist: there are 5 or 6 of them.
    let [python, abi, platform] = [
        parts[parts.len() - 3],
        parts[parts.len() - 2],
        parts[parts.len() - 1],
    ];
    let python_tags = split_tag_set(python, "python")?;
    let abi_tags = split_tag_set(abi, "abi")?;
    let platform_tags = split_tag_set(platform, "platform")?;
    if let Some(bad) = python_tags.iter().find(|tag| !is_identifier(tag)) {
        return Err(format!("the python tag \"{bad}\" is not an identifier"));
    }
    Ok(WheelFilename {
        name: PackageName::new(name_part),
        name_as_written: name_part.to_owned(),
        version,
        build_tag,
        python_tags,
        abi_tags,
        platform_tags,
    })
}

impl FromStr for WheelFilename {
    type Err = FilenameError;

    fn from_str(filename: &str) -> Result<Self, Self::Err> {
        parse(filename).map_err(|reason| FilenameError::Invalid {
            filename: filename.to_owned(),
            reason,
        })
    }
}

impl fmt::Display for WheelFilename {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.name_as_written, self.version)?;
        if let Some(build_tag) = &self.build_tag {
            write!(f, "-{build_tag}")?;
        }
        write!(
            f,
            "-{}-{}-{}.whl",
            self.python_tags.join("."),
            self.abi_tags.join("."),
            self.platform_tags.join(".")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> WheelFilename {
        s.parse().unwrap_or_else(|err| panic!("{s}: {err}"))
    }

    fn err(s: &str) -> String {
        s.parse::<WheelFilename>().unwrap_err().to_string()
    }

    #[test]
    fn ok_simple() {
        let w = parse("six-1.16.0-py2.py3-none-any.whl");
        assert_eq!(w.name.as_str(), "six");
        assert_eq!(w.version.to_string(), "1.16.0");
        assert_eq!(w.build_tag, None);
        assert_eq!(w.python_tags, ["py2", "py3"]);
        assert_eq!(w.abi_tags, ["none"]);
        assert_eq!(w.platform_tags, ["any"]);
        let tags: Vec<String> = w.tags().map(|t| t.to_string()).collect();
        assert_eq!(tags, ["py2-none-any", "py3-none-any"]);
    }

    #[test]
    fn ok_name_spellings() {
        let w = parse("PyYAML-6.0.1-cp311-cp311-win_amd64.whl");
        assert_eq!(w.name.as_str(), "pyyaml");
        assert_eq!(w.name_as_written, "PyYAML");
        let w = parse("zope.interface-6.0-cp39-cp39-macosx_10_9_x86_64.whl");
        assert_eq!(w.name.as_str(), "zope-interface");
        // packaging keeps a leading separator as `-`, and so does wheelhook.
        assert_eq!(parse("_x-1.0-py3-none-any.whl").name.as_str(), "-x");
    }

    #[test]
    fn ok_build_tag() {
        let w = parse("foo-1.0-2b-py3-none-any.whl");
        let build_tag = w.build_tag.unwrap();
        assert_eq!((build_tag.number, build_tag.suffix.as_str()), (2, "b"));
        assert_eq!(build_tag.to_string(), "2b");
        let w = parse("foo-1.0-007-py3-none-any.whl");
        assert_eq!(w.build_tag.unwrap().to_string(), "7");
    }

    #[test]
    fn ok_build_tag_order() {
        let tag = |s: &str| parse(s).build_tag;
        let none = tag("foo-1.0-py3-none-any.whl");
        let one = tag("foo-1.0-1-py3-none-any.whl");
        let one_a = tag("foo-1.0-1a-py3-none-any.whl");
        let two = tag("foo-1.0-2-py3-none-any.whl");
        let ten = tag("foo-1.0-10-py3-none-any.whl");
        assert!(none < one && one < one_a && one_a < two && two < ten);
    }

    #[test]
    fn ok_tags_lowercased() {
        let w = parse("foo-1.0-CP311-ABI3-Win_AMD64.whl");
        assert_eq!(w.python_tags, ["cp311"]);
        assert_eq!(w.abi_tags, ["abi3"]);
        assert_eq!(w.platform_tags, ["win_amd64"]);
    }

    #[test]
    fn ok_round_trip() {
        for s in [
            "six-1.16.0-py2.py3-none-any.whl",
            "PyYAML-6.0.1-cp311-cp311-win_amd64.whl",
            "numpy-2.1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "foo-1.0.post1.dev2+local.3-12abc-cp39.cp310-abi3-macosx_10_9_universal2.whl",
            "pydantic_core-2.20.1-pp310-pypy310_pp73-musllinux_1_1_aarch64.whl",
        ] {
            assert_eq!(parse(s).to_string(), s);
        }
    }

    #[test]
    fn err_extension() {
        assert_eq!(
            err("six-1.16.0-py3-none-any.zip"),
            "The wheel filename \"six-1.16.0-py3-none-any.zip\" is invalid: the extension must be \".whl\""
        );
        assert!(err("six-1.16.0-py3-none-any.WHL").ends_with("the extension must be \".whl\""));
    }

    #[test]
    fn err_parts() {
        assert_eq!(
            err("six-1.16.0-py3-none.whl"),
            "The wheel filename \"six-1.16.0-py3-none.whl\" is invalid: expected 5 or 6 parts separated by \"-\", found 4"
        );
        assert!(err("a-1-2-3-py3-none-any.whl").ends_with("found 7"));
    }

    #[test]
    fn err_name() {
        assert!(err("-1.0-py3-none-any.whl").ends_with("is invalid: the name is empty"));
        assert!(err("foo__bar-1.0-py3-none-any.whl")
            .ends_with("is invalid: the name \"foo__bar\" contains \"__\""));
        assert!(err("foo+bar-1.0-py3-none-any.whl").ends_with(
            "is invalid: the name \"foo+bar\" may only contain letters, digits, \"_\" and \".\""
        ));
    }

    #[test]
    fn err_version() {
        let e = err("foo-one-py3-none-any.whl");
        assert!(
            e.starts_with("The wheel filename \"foo-one-py3-none-any.whl\" is invalid: the version \"one\" is invalid: "),
            "{e}"
        );
    }

    #[test]
    fn err_build_tag() {
        assert!(err("foo-1.0-a1-py3-none-any.whl")
            .ends_with("is invalid: the build tag \"a1\" must start with a digit"));
        assert!(err("foo-1.0--py3-none-any.whl")
            .ends_with("is invalid: the build tag \"\" must start with a digit"));
        assert!(err("foo-1.0-99999999999999999999999-py3-none-any.whl")
            .ends_with("is invalid: the build number in \"99999999999999999999999\" is too large"));
    }

    #[test]
    fn err_tags() {
        assert!(err("foo-1.0-py3.-none-any.whl")
            .ends_with("is invalid: the python tag set \"py3.\" has an empty component"));
        assert!(err("foo-1.0-py3--any.whl")
            .ends_with("is invalid: the abi tag set \"\" has an empty component"));
        assert!(err("foo-1.0-py3-none-any..linux.whl")
            .ends_with("is invalid: the platform tag set \"any..linux\" has an empty component"));
        assert!(err("foo-1.0-3py-none-any.whl")
            .ends_with("is invalid: the python tag \"3py\" is not an identifier"));
    }
}
