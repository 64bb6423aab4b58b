//! The `RECORD` file: every member of a wheel with its hash and size, as CSV.
//!
//! <https://packaging.python.org/en/latest/specifications/recording-installed-packages/#the-record-file>

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::{DecodeError, Engine as _};
use thiserror::Error;

/// Why a `RECORD` file could not be parsed; `line` is where the row starts (from 1).
#[derive(Debug, Error)]
pub enum RecordError {
    #[error("RECORD line {line}: {reason}")]
    Invalid { line: usize, reason: String },
}

/// Why a `RECORD` digest is not URL-safe base64 (RFC 4648 §5).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
enum DigestError {
    /// Ex) `invalid base64 character '+'`
    #[error("invalid base64 character {0:?}")]
    Character(char),
    /// The length of the text as written, padding included. Ex) `invalid base64 length 5`
    #[error("invalid base64 length {0}")]
    Length(usize),
    #[error("base64 has non-zero trailing bits")]
    TrailingBits,
}

/// Encodes a digest as `RECORD` writes it: URL-safe base64 without `=` padding.
/// Ex) `[0xfb, 0xff]` -> `"-_8"`
pub fn encode_digest(digest: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(digest)
}

/// Decodes a `RECORD` digest: URL-safe base64, with or without trailing `=` padding. The
/// standard alphabet's `+` and `/` are refused, and so are non-zero trailing bits, or two
/// texts would decode to one digest. Ex) `"-_8"` -> `[0xfb, 0xff]`
fn decode_digest(text: &str) -> Result<Vec<u8>, DigestError> {
    // Padding is accepted only where it completes a 4-character group.
    let unpadded = if text.len() % 4 == 0 {
        let kept = text.len()
            - text
                .bytes()
                .rev()
                .take(2)
                .take_while(|&b| b == b'=')
                .count();
        &text[..kept]
    } else {
        text
    };
    if unpadded.len() % 4 == 1 {
        return Err(DigestError::Length(text.len()));
    }
    URL_SAFE_NO_PAD.decode(unpadded).map_err(|err| match err {
        DecodeError::InvalidByte(at, byte) => DigestError::Character(
            unpadded
                .get(at..)
                .and_then(|rest| rest.chars().next())
                .unwrap_or(char::from(byte)),
        ),
        DecodeError::InvalidLastSymbol(..) => DigestError::TrailingBits,
        // Only `=` is padding; a length of 1 mod 4 was refused above.
        DecodeError::InvalidPadding => DigestError::Character('='),
        DecodeError::InvalidLength(_) => DigestError::Length(text.len()),
    })
}

/// One `RECORD` row. Ex) `six.py,sha256=AAAA...,34549`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordEntry {
    /// The member's path inside the wheel. Ex) `six.py`
    pub path: String,
    /// The hash field, absent for `RECORD` itself and its signatures.
    pub hash: Option<RecordHash>,
    /// The size in bytes, absent where the hash is.
    pub size: Option<u64>,
}

/// The hash field of a `RECORD` row: `algorithm=digest`. Ex) `sha256=I7ofDxNG...`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordHash {
    /// A `hashlib` algorithm name. Ex) `sha256`
    pub algorithm: String,
    /// The digest, decoded from URL-safe base64. Ex) 32 bytes for sha256
    pub digest: Vec<u8>,
}

/// A parsed `RECORD`, rows in file order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Record {
    /// Every row but blank lines, in file order.
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
                let digest =
                    decode_digest(digest).map_err(|e| invalid(format!("hash {hash:?}: {e}")))?;
                Some(RecordHash {
                    algorithm: algorithm.to_owned(),
                    digest,
                })
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

impl CsvRows<'_> {
    /// One row, from the current position to the end of its line (or of the text).
    fn row(&mut self) -> Result<(usize, Vec<String>), RecordError> {
        let start = self.line;
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        // Whether the current field began with a quote (then only a separator may follow its end).
        let mut was_quoted = false;
        loop {
            let Some(c) = self.chars.next() else {
                if quoted {
                    return Err(RecordError::Invalid {
                        line: start,
                        reason: "unterminated quoted field".into(),
                    });
                }
                fields.push(field);
                return Ok((start, fields));
            };
            if quoted {
                quoted = self.quoted_char(c, &mut field);
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
                    return Ok((start, fields));
                }
                _ => {
                    self.check_unquoted(c, was_quoted)?;
                    field.push(c);
                }
            }
        }
    }

    /// Takes `c`, read inside a quoted field; whether the field is still quoted after it.
    fn quoted_char(&mut self, c: char, field: &mut String) -> bool {
        match c {
            '"' if self.chars.peek() == Some(&'"') => {
                self.chars.next();
                field.push('"');
            }
            '"' => return false,
            '\n' => {
                self.line += 1;
                field.push(c);
            }
            _ => field.push(c),
        }
        true
    }

    /// Whether `c` may stand in an unquoted field, or after the quoted part of one.
    fn check_unquoted(&self, c: char, was_quoted: bool) -> Result<(), RecordError> {
        let reason = if was_quoted {
            format!("unexpected {c:?} after a quoted field")
        } else if c == '"' {
            "quote inside an unquoted field".into()
        } else if c == '\r' {
            "carriage return inside an unquoted field".into()
        } else {
            return Ok(());
        };
        Err(RecordError::Invalid {
            line: self.line,
            reason,
        })
    }
}

impl Iterator for CsvRows<'_> {
    type Item = Result<(usize, Vec<String>), RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.chars.peek()?;
        Some(self.row())
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
            if let Some(hash) = &entry.hash {
                write!(f, "{}={}", hash.algorithm, encode_digest(&hash.digest))?;
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
        let hash = six.hash.as_ref().unwrap();
        assert_eq!(hash.algorithm, "sha256");
        assert_eq!(hash.digest.len(), 32);
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
    fn ok_digest_rfc4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(encode_digest(plain.as_bytes()), encoded);
            assert_eq!(decode_digest(encoded).unwrap(), plain.as_bytes());
        }
        assert_eq!(decode_digest("Zg==").unwrap(), b"f");
        assert_eq!(decode_digest("Zm8=").unwrap(), b"fo");
    }

    #[test]
    fn ok_digest_urlsafe_alphabet_round_trip() {
        let data: Vec<u8> = (0..=255u8).collect();
        let encoded = encode_digest(&data);
        assert!(!encoded.contains(['+', '/', '=']));
        assert_eq!(decode_digest(&encoded).unwrap(), data);
        assert_eq!(encode_digest(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn err_digest_invalid() {
        for (text, message) in [
            ("ab+d", "invalid base64 character '+'"),
            ("ab/d", "invalid base64 character '/'"),
            ("abcde", "invalid base64 length 5"),
            ("Zh", "base64 has non-zero trailing bits"),
            // Padding only completes a group of four.
            ("Zg=", "invalid base64 character '='"),
            ("Z===", "invalid base64 character '='"),
            ("Zm9v====", "invalid base64 character '='"),
            ("Zm=v", "invalid base64 character '='"),
            // The character as written, not one byte of it.
            ("Zé", "invalid base64 character 'é'"),
        ] {
            assert_eq!(
                decode_digest(text).unwrap_err().to_string(),
                message,
                "{text:?}"
            );
        }
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
