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
    ///
    /// Exactly PEP 503's `re.sub(r"[-_.]+", "-", name).lower()` on the trimmed name: a
    /// leading or trailing separator is kept as `-` (as `packaging.utils.canonicalize_name`
    /// keeps it), so an invalid name never normalises to a valid one.
    pub fn new(name: &str) -> Self {
        let name = name.trim();
        if name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            // Already normal, the common case: one copy, no per-char work.
            return Self(name.to_owned());
        }
        let mut out = String::with_capacity(name.len());
        out.extend(Self::normalized_chars(name));
        Self(out)
    }

    /// The characters of `PackageName::new(name)`, produced without allocating (listing large
    /// stores hashes and compares most names without keeping them).
    pub fn normalized_chars(name: &str) -> Normalized<'_> {
        Normalized {
            chars: name.trim().chars(),
            pending: None,
            previous_separator: false,
        }
    }

    /// Whether `name` normalises to this name.
    pub fn matches(&self, name: &str) -> bool {
        Self::normalized_chars(name).eq(self.0.chars())
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
}

impl fmt::Display for PackageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The characters of a normalised name (see [`PackageName::normalized_chars`]).
#[derive(Debug, Clone)]
pub struct Normalized<'a> {
    chars: std::str::Chars<'a>,
    /// The rest of a character whose lowercase is more than one character.
    pending: Option<std::char::ToLowercase>,
    previous_separator: bool,
}

impl Iterator for Normalized<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        if let Some(pending) = &mut self.pending {
            if let Some(c) = pending.next() {
                return Some(c);
            }
            self.pending = None;
        }
        loop {
            let c = self.chars.next()?;
            if matches!(c, '-' | '_' | '.') {
                if std::mem::replace(&mut self.previous_separator, true) {
                    continue;
                }
                return Some('-');
            }
            self.previous_separator = false;
            if c.is_ascii() {
                return Some(c.to_ascii_lowercase());
            }
            let mut lower = c.to_lowercase();
            let first = lower.next();
            self.pending = Some(lower);
            return first;
        }
    }
}

/// Whether `s` is a Python identifier (`str.isidentifier`): one part of a dotted module name,
/// a Python tag. Letters beyond ASCII count as Python counts them, approximately: `char`'s
/// alphabetic and alphanumeric classes differ from Python's XID classes only on a few
/// combining marks. Ex) `_x1`, `été`; not `1x`, `a-b`, `numpy.libs`
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    #[test]
    fn ok_is_identifier() {
        assert!(super::is_identifier("_x1"));
        assert!(super::is_identifier("été"));
        assert!(!super::is_identifier("1x"));
        assert!(!super::is_identifier("a-b"));
        assert!(!super::is_identifier(""));
    }

    use super::PackageName;

    #[test]
    fn ok_normalises() {
        for (raw, want) in [
            ("six", "six"),
            ("Foo__Bar.baz", "foo-bar-baz"),
            ("typing_extensions", "typing-extensions"),
            ("zope.interface", "zope-interface"),
            ("A-_.B", "a-b"),
            ("_private", "-private"),
            ("trailing.", "trailing-"),
        ] {
            assert_eq!(PackageName::new(raw).as_str(), want, "{raw}");
        }
    }

    #[test]
    fn ok_normalized_chars_agree_with_new() {
        for raw in [
            "six",
            "Foo__Bar.baz",
            " spaced ",
            "A-_.B",
            "_private",
            "trailing.",
            "ÄÖÜ-Straße",
            "İstanbul",
            "a..b--c__d",
            "",
            "-",
            "ǅ_x",
        ] {
            let want = PackageName::new(raw);
            let got: String = PackageName::normalized_chars(raw).collect();
            assert_eq!(got, want.as_str(), "{raw:?}");
            assert!(want.matches(raw), "{raw:?}");
        }
        assert!(!PackageName::new("six").matches("sixx"));
        assert!(!PackageName::new("six-x").matches("six"));
    }

    #[test]
    fn ok_validity() {
        assert!(PackageName::is_valid("zope.interface"));
        assert!(!PackageName::is_valid("-bad"));
        assert!(!PackageName::is_valid("bad name"));
        assert!(!PackageName::is_valid(""));
    }
}
