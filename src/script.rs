//! Inline script metadata (PEP 723): the TOML of a `script` block as plain values, and its
//! `requires-python` against the running interpreter.
//!
//! Parsed here, in the extension, rather than with `tomllib`/`tomli`: on Python 3.9 and 3.10
//! the only TOML parser is the user's own `tomli`, and importing it for wheelhook's needs would
//! block activating another version of it (and leave users without it unable to run scripts).
//!
//! <https://packaging.python.org/en/latest/specifications/inline-script-metadata/>

use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};
use thiserror::Error;
use toml::de::{DeTable, DeValue};

/// A TOML value, as `tomllib.loads` gives it, except that date-times are their RFC 3339 text.
#[derive(Debug, Clone, PartialEq)]
pub enum TomlValue {
    /// A basic or literal string, single- or multi-line.
    String(String),
    /// Ex) `0x1F` -> 31
    Integer(i64),
    /// Ex) `1_000.5`, `-inf`
    Float(f64),
    /// `true` or `false`.
    Boolean(bool),
    /// An offset or local date-time, date or time, as written. Ex) `1979-05-27T07:32:00Z`
    Datetime(String),
    /// An array, inline or of tables.
    Array(Vec<TomlValue>),
    /// Keys in document order.
    Table(Vec<(String, TomlValue)>),
}

/// Why a script block cannot be used.
#[derive(Debug, Error, PartialEq)]
pub enum ScriptError {
    /// The TOML does not parse. Ex) `unclosed array (at line 2, column 16)`
    #[error("{message} (at line {line}, column {column})")]
    Toml {
        /// The parser's message, on one line.
        message: String,
        /// 1-based, as `tomllib` counts.
        line: usize,
        /// 1-based, in characters.
        column: usize,
    },
    /// An integer outside `i64` (what `tomllib` also refuses). Ex) `9223372036854775808`
    #[error("the integer {0} is out of range (TOML integers are 64-bit)")]
    Integer(String),
    /// A float whose text Rust cannot read.
    #[error("the float {0} cannot be read")]
    Float(String),
    /// `requires-python` is not a PEP 440 specifier set. Ex) `>= three`
    #[error("\"{specifiers}\" is not a PEP 440 version specifier: {reason}")]
    Specifier {
        /// The value as written.
        specifiers: String,
        /// What is wrong with it, without the value again.
        reason: String,
    },
}

/// Parses a TOML document (the block's content, comment markers removed) into a table.
pub fn parse_toml(text: &str) -> Result<Vec<(String, TomlValue)>, ScriptError> {
    let table = DeTable::parse(text).map_err(|err| {
        let (line, column) = err
            .span()
            .map_or((1, 1), |span| line_column(text, span.start));
        ScriptError::Toml {
            message: err.message().trim_end().replace('\n', "; "),
            line,
            column,
        }
    })?;
    table_value(table.get_ref())
}

fn table_value(table: &DeTable<'_>) -> Result<Vec<(String, TomlValue)>, ScriptError> {
    table
        .iter()
        .map(|(k, v)| Ok((k.get_ref().to_string(), value(v.get_ref())?)))
        .collect()
}

fn value(value: &DeValue<'_>) -> Result<TomlValue, ScriptError> {
    Ok(match value {
        DeValue::String(s) => TomlValue::String(s.to_string()),
        DeValue::Integer(i) => TomlValue::Integer(
            i64::from_str_radix(i.as_str(), i.radix())
                .map_err(|_| ScriptError::Integer(i.to_string()))?,
        ),
        DeValue::Float(f) => TomlValue::Float(
            f.as_str()
                .parse()
                .map_err(|_| ScriptError::Float(f.to_string()))?,
        ),
        DeValue::Boolean(b) => TomlValue::Boolean(*b),
        DeValue::Datetime(d) => TomlValue::Datetime(d.to_string()),
        DeValue::Array(items) => TomlValue::Array(
            items
                .iter()
                .map(|item| self::value(item.get_ref()))
                .collect::<Result<_, _>>()?,
        ),
        DeValue::Table(table) => TomlValue::Table(table_value(table)?),
    })
}

/// 1-based line and column (in characters) of a byte offset, as `tomllib` reports them.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..text.floor_char_boundary_compat(offset)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// `str::floor_char_boundary` (not stable on the crate's minimum Rust).
trait FloorCharBoundary {
    fn floor_char_boundary_compat(&self, index: usize) -> usize;
}

impl FloorCharBoundary for str {
    fn floor_char_boundary_compat(&self, index: usize) -> usize {
        let mut index = index.min(self.len());
        while !self.is_char_boundary(index) {
            index -= 1;
        }
        index
    }
}

/// Whether `python` (the interpreter's `python_full_version`) satisfies a `requires-python`
/// specifier set, as pip decides it: the plain PEP 440 comparison, pre-releases included.
///
/// Ex) `">=3.9, <4"` with `3.11.7` -> true
pub fn python_satisfies(specifiers: &str, python: &Version) -> Result<bool, ScriptError> {
    let parsed = VersionSpecifiers::from_str(specifiers).map_err(|err| {
        // pep440_rs ends its message with the input and a caret line: the error quotes the
        // input itself, once, so only the first line is kept.
        let text = err.to_string();
        let first = text.lines().next().unwrap_or_default();
        ScriptError::Specifier {
            specifiers: specifiers.to_owned(),
            reason: first.trim_end_matches(':').to_owned(),
        }
    })?;
    Ok(crate::resolve::matches(&parsed, python))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> TomlValue {
        TomlValue::String(v.to_owned())
    }

    #[test]
    fn ok_script_block() {
        let text =
            "requires-python = \">=3.9\"\ndependencies = [\n  \"six==1.15.0\",\n  'rich',\n]\n\
                    [tool.x]\nn = 0x1F\nf = 1_000.5\nb = true\nwhen = 1979-05-27T07:32:00Z\n";
        assert_eq!(
            parse_toml(text).unwrap(),
            vec![
                ("requires-python".to_owned(), s(">=3.9")),
                (
                    "dependencies".to_owned(),
                    TomlValue::Array(vec![s("six==1.15.0"), s("rich")])
                ),
                (
                    "tool".to_owned(),
                    TomlValue::Table(vec![(
                        "x".to_owned(),
                        TomlValue::Table(vec![
                            ("n".to_owned(), TomlValue::Integer(31)),
                            ("f".to_owned(), TomlValue::Float(1000.5)),
                            ("b".to_owned(), TomlValue::Boolean(true)),
                            (
                                "when".to_owned(),
                                TomlValue::Datetime("1979-05-27T07:32:00Z".to_owned())
                            ),
                        ])
                    )])
                ),
            ]
        );
    }

    #[test]
    fn ok_special_numbers() {
        let parsed = parse_toml("a = -9223372036854775808\nb = -inf\nc = 0o17").unwrap();
        assert_eq!(parsed[0].1, TomlValue::Integer(i64::MIN));
        assert_eq!(parsed[1].1, TomlValue::Float(f64::NEG_INFINITY));
        assert_eq!(parsed[2].1, TomlValue::Integer(15));
        assert!(
            parse_toml("d = -0b11").is_err(),
            "TOML has no signed binary"
        );
    }

    #[test]
    fn err_invalid_toml_names_the_place() {
        let err = parse_toml("a = 1\ndependencies = [\n").unwrap_err();
        let ScriptError::Toml { line, .. } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(*line, 2, "the unclosed array");
        let err = parse_toml("a = 1\na = 2\n").unwrap_err();
        assert!(
            matches!(err, ScriptError::Toml { line: 2, .. }),
            "duplicate key: {err:?}"
        );
        assert!(err.to_string().contains("(at line 2, column "), "{err}");
    }

    #[test]
    fn err_integer_out_of_range() {
        assert_eq!(
            parse_toml("a = 9223372036854775808").unwrap_err(),
            ScriptError::Integer("9223372036854775808".to_owned())
        );
    }

    #[test]
    fn ok_requires_python() {
        let python = Version::from_str("3.11.7").unwrap();
        for (spec, want) in [
            (">=3.9", true),
            (">=3.9, <3.0", false),
            ("==3.11.*", true),
            ("~=3.10", true),
            ("~=3.10.0", false),
            ("!=3.11.7", false),
            (">3.11", true),
            ("<3.11.7rc1", false),
        ] {
            assert_eq!(python_satisfies(spec, &python).unwrap(), want, "{spec}");
        }
        let pre = Version::from_str("3.14.0rc1").unwrap();
        assert!(python_satisfies(">=3.14", &pre).is_ok_and(|m| !m));
        assert!(python_satisfies(">=3.13", &pre).unwrap());
    }

    #[test]
    fn err_requires_python() {
        let python = Version::from_str("3.11.7").unwrap();
        let err = python_satisfies(">= three", &python).unwrap_err();
        assert_eq!(
            err.to_string(),
            "\">= three\" is not a PEP 440 version specifier: Failed to parse version: expected \
             version to start with a number, but no leading ASCII digits were found"
        );
    }
}
