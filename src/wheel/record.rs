//! The `RECORD` file: every member of a wheel with its hash and size, as CSV.
//!
//! <https://packaging.python.org/en/latest/specifications/recording-installed-packages/#the-record-file>

use std::fmt;

use thiserror::Error;

use crate::archive::{urlsafe_b64decode, urlsafe_b64encode_nopad};

/// Why a `RECORD` file could not be parsed; `line` is where the row starts (from 1).
#[derive(Debug, Error)]
pub enum RecordError {
    #[error("RECORD line {line}: {reason}")]
    Invalid { line: usize, reason: String },
}

/// One `RECORD` row. Ex) `six.py,sha256=AAAA...,34549`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordEntry {
    pub path: String,
    /// `(algorithm, digest)`, the digest decoded from urlsafe base64. Ex) `("sha256", [..32 bytes])`
    pub hash: Option<(String, Vec<u8>)>,
    pub size: Option<u64>,
}

/// A parsed `RECORD`, rows in file order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Record {
    pub entries: Vec<RecordEntry>,
}

impl Record {
    /// Parses `RECORD` as Python's `csv` module writes it: `,` separators,
    /// `"`-quoted fields (which may hold commas, doubled quotes and newlines),
    /// `\n` or `\r\n` line ends, blank lines skipped. Every row has exactly
    /// three fields: path, `algorithm=urlsafe-b64-digest` or empty, size or empty.
    pub fn parse(text: &str) -> Result<Self, RecordError> {
        let mut entries = Vec::new();
        for row in CsvRows::new(text) {
            let (line, fields) = row?;
            if fields.len() == 1 && fields[0].is_empty() {
                continue;
            }
            let invalid = |reason: String| RecordError::Invalid { line, reason };
            let [path, hash, size]: [String; 3] = fields.try_into().map_err(|f: Vec<String>| {
                invalid(format!("expected 3 fields, found {}", f.len()))
            })?;
            if path.is_empty() {
                return Err(invalid("empty path".into()));
            }
            let hash = if hash.is_empty() {
                None
            } else {
                let (algorithm, digest) = hash
                    .split_once('=')
                    .ok_or_else(|| invalid(format!("hash {hash:?} is not algorithm=digest")))?;
                if algorithm.is_empty() {
                    return Err(invalid(format!("hash {hash:?} has no algorithm")));
                }
                let digest = urlsafe_b64decode(digest)
                    .map_err(|e| invalid(format!("hash {hash:?}: {e}")))?;
                Some((algorithm.to_string(), digest))
            };
            let size = if size.is_empty() {
                None
            } else if size.bytes().all(|b| b.is_ascii_digit()) {
                Some(
                    size.parse()
                        .map_err(|_| invalid(format!("size {size:?} is too large")))?,
                )
            } else {
                return Err(invalid(format!("size {size:?} is not a number")));
            };
            entries.push(RecordEntry { path, hash, size });
        }
        Ok(Self { entries })
    }

    /// The row for `path`, if any.
    pub fn get(&self, path: &str) -> Option<&RecordEntry> {
        self.entries.iter().find(|e| e.path == path)
    }
}

/// Splits CSV text into rows of fields, each with the line it starts on.
struct CsvRows<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
}

impl<'a> CsvRows<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            chars: text.chars().peekable(),
            line: 1,
        }
    }
}

impl Iterator for CsvRows<'_> {
    type Item = Result<(usize, Vec<String>), RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.chars.peek()?;
        let start = self.line;
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        // Whether the current field began with a quote (then only a separator may follow its end).
        let mut was_quoted = false;
        loop {
            let Some(c) = self.chars.next() else {
                if quoted {
                    return Some(Err(RecordError::Invalid {
                        line: start,
                        reason: "unterminated quoted field".into(),
                    }));
                }
                fields.push(field);
                return Some(Ok((start, fields)));
            };
            if quoted {
                match c {
                    '"' if self.chars.peek() == Some(&'"') => {
                        self.chars.next();
                        field.push('"');
                    }
                    '"' => quoted = false,
                    '\n' => {
                        self.line += 1;
                        field.push(c);
                    }
                    _ => field.push(c),
                }
                continue;
            }
            match c {
                ',' => {
                    fields.push(std::mem::take(&mut field));
                    was_quoted = false;
                }
                '"' if field.is_empty() && !was_quoted => {
                    quoted = true;
                    was_quoted = true;
                }
                '\r' if self.chars.peek() == Some(&'\n') => {}
                '\n' => {
                    self.line += 1;
                    fields.push(field);
                    return Some(Ok((start, fields)));
                }
                _ if was_quoted => {
                    return Some(Err(RecordError::Invalid {
                        line: self.line,
                        reason: format!("unexpected {c:?} after a quoted field"),
                    }));
                }
                '"' => {
                    return Some(Err(RecordError::Invalid {
                        line: self.line,
                        reason: "quote inside an unquoted field".into(),
                    }));
                }
                '\r' => {
                    return Some(Err(RecordError::Invalid {
                        line: self.line,
                        reason: "carriage return inside an unquoted field".into(),
                    }));
                }
                _ => field.push(c),
            }
        }
    }
}

/// Writes a field the way Python's `csv` module does: quoted only when it must be.
fn write_field(f: &mut fmt::Formatter<'_>, field: &str) -> fmt::Result {
    if field.contains([',', '"', '\n', '\r']) {
        write!(f, "\"{}\"", field.replace('"', "\"\""))
    } else {
        f.write_str(field)
    }
}

impl fmt::Display for Record {
    /// The `RECORD` text, one `\n`-terminated row per entry.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for entry in &self.entries {
            write_field(f, &entry.path)?;
            f.write_str(",")?;
            if let Some((algorithm, digest)) = &entry.hash {
                write!(f, "{algorithm}={}", urlsafe_b64encode_nopad(digest))?;
            }
            f.write_str(",")?;
            if let Some(size) = entry.size {
                write!(f, "{size}")?;
            }
            f.write_str("\n")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIX: &str = "six.py,sha256=I7ofDxNGBzE9gtPKz0ZNVXlpk-WyVpiI3SGr6Trn-vA,34549\n\
        six-1.15.0.dist-info/METADATA,sha256=W6rlyNfY-bM_lPmvgnwnjd0lEmDwvvs-ru_ZkxfKQmI,1795\n\
        six-1.15.0.dist-info/RECORD,,\n";

    #[test]
    fn ok_parse_six() {
        let record = Record::parse(SIX).unwrap();
        assert_eq!(record.entries.len(), 3);
        let six = &record.entries[0];
        assert_eq!(six.path, "six.py");
        let (algorithm, digest) = six.hash.as_ref().unwrap();
        assert_eq!(algorithm, "sha256");
        assert_eq!(digest.len(), 32);
        assert_eq!(six.size, Some(34549));
        assert_eq!(record.entries[2].hash, None);
        assert_eq!(record.entries[2].size, None);
        assert!(record.get("six-1.15.0.dist-info/RECORD").is_some());
    }

    #[test]
    fn ok_round_trip() {
        let record = Record::parse(SIX).unwrap();
        assert_eq!(record.to_string(), SIX);
        let tricky = "\"pkg/a,b.py\",,1\n\"pkg/say \"\"hi\"\".txt\",,2\n\"pkg/new\nline\",,3\n";
        let record = Record::parse(tricky).unwrap();
        assert_eq!(record.entries[0].path, "pkg/a,b.py");
        assert_eq!(record.entries[1].path, "pkg/say \"hi\".txt");
        assert_eq!(record.entries[2].path, "pkg/new\nline");
        assert_eq!(record.to_string(), tricky);
    }

    #[test]
    fn ok_crlf_and_blank_lines() {
        let record = Record::parse("a.py,,1\r\n\r\nb.py,,2").unwrap();
        assert_eq!(record.entries.len(), 2);
        assert_eq!(record.entries[1].path, "b.py");
        assert_eq!(record.entries[1].size, Some(2));
    }

    #[test]
    fn err_malformed_rows() {
        for (text, message) in [
            (
                "a.py,,\nb.py,,1,x\n",
                "RECORD line 2: expected 3 fields, found 4",
            ),
            ("a.py,\n", "RECORD line 1: expected 3 fields, found 2"),
            (",,\n", "RECORD line 1: empty path"),
            (
                "a.py,sha256,1\n",
                "RECORD line 1: hash \"sha256\" is not algorithm=digest",
            ),
            (
                "a.py,=abcd,1\n",
                "RECORD line 1: hash \"=abcd\" has no algorithm",
            ),
            (
                "a.py,sha256=ab+d,1\n",
                "RECORD line 1: hash \"sha256=ab+d\": invalid base64 character '+'",
            ),
            ("a.py,,-1\n", "RECORD line 1: size \"-1\" is not a number"),
            (
                "a.py,,99999999999999999999\n",
                "RECORD line 1: size \"99999999999999999999\" is too large",
            ),
            ("\"a.py,,1\n", "RECORD line 1: unterminated quoted field"),
            (
                "\"a\"x,,1\n",
                "RECORD line 1: unexpected 'x' after a quoted field",
            ),
            ("a\"b,,1\n", "RECORD line 1: quote inside an unquoted field"),
            (
                "x,,1\n\"a\nb\"c,,1\n",
                "RECORD line 3: unexpected 'c' after a quoted field",
            ),
        ] {
            assert_eq!(
                Record::parse(text).unwrap_err().to_string(),
                message,
                "{text:?}"
            );
        }
    }
}
