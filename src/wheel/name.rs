//! Distribution names, normalised as PEP 503 says.

use std::fmt;

/// A distribution name normalised per PEP 503: lowercase, runs of `-`, `_`, `.` become one `-`.
///
/// <https://packaging.python.org/en/latest/specifications/name-normalization/>
/// Ex) `Foo__Bar.baz` -> `foo-bar-baz`
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PackageName(String);

impl PackageName {
    /// Normalises `name` (no validation: see [`PackageName::is_valid`]).
    pub fn new(name: &str) -> Self {
        let mut out = String::with_capacity(name.len());
        let mut pending_dash = false;
        for c in name.trim().chars() {
            if matches!(c, '-' | '_' | '.') {
                pending_dash = true;
                continue;
            }
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.extend(c.to_lowercase());
        }
        Self(out)
    }

    /// Whether `name` is a valid distribution name (the core metadata `Name` rule).
    pub fn is_valid(name: &str) -> bool {
        let b = name.as_bytes();
        !b.is_empty()
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
    }

    /// The normalised form. Ex) `typing-extensions`
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used in wheel and `.dist-info` names, `-` replaced by `_`. Ex) `typing_extensions`
    pub fn as_dist_info_name(&self) -> String {
        self.0.replace('-', "_")
    }
}

impl fmt::Display for PackageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::PackageName;

    #[test]
    fn ok_normalises() {
        for (raw, want) in [
            ("six", "six"),
            ("Foo__Bar.baz", "foo-bar-baz"),
            ("typing_extensions", "typing-extensions"),
            ("zope.interface", "zope-interface"),
            ("A-_.B", "a-b"),
        ] {
            assert_eq!(PackageName::new(raw).as_str(), want, "{raw}");
        }
    }

    #[test]
    fn ok_validity() {
        assert!(PackageName::is_valid("zope.interface"));
        assert!(!PackageName::is_valid("-bad"));
        assert!(!PackageName::is_valid("bad name"));
        assert!(!PackageName::is_valid(""));
    }
}
