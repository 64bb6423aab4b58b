//! The email-header format of `WHEEL` and `METADATA`: `Field: value` lines, indented
//! continuation lines, and a blank line before the body.
//!
//! Read as Python's `email.parser.HeaderParser` (the compat32 policy `importlib.metadata`
//! uses) reads it, without copying: a field borrows its value from the text unless it
//! has continuation lines.
//!
//! <https://packaging.python.org/en/latest/specifications/core-metadata/>

use std::borrow::Cow;

/// One header: its name as written and its value, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header<'a> {
    /// Ex) `Requires-Dist`
    pub name: &'a str,
    /// Ex) `requests>=2; extra == "http"`
    pub value: Cow<'a, str>,
}

/// The headers of `text`, in order, up to the body.
///
/// The headers end at the first blank line, or at the first line that is neither a
/// header nor a continuation (Python's parser starts the body there too). Continuation
/// lines (starting with a space or a tab) are unfolded: the line break is dropped, the
/// indentation kept, as `email` does.
pub(crate) fn headers(text: &str) -> Headers<'_> {
    Headers {
        rest: text.strip_prefix('\u{feff}').unwrap_or(text),
    }
}

/// The iterator [`headers`] returns.
pub(crate) struct Headers<'a> {
    rest: &'a str,
}

impl<'a> Headers<'a> {
    /// The next line without its line break, advancing past it.
    fn take_line(&mut self) -> &'a str {
        let (line, rest) = self.rest.split_once('\n').unwrap_or((self.rest, ""));
        self.rest = rest;
        line.strip_suffix('\r').unwrap_or(line)
    }

    fn next_is_continuation(&self) -> bool {
        self.rest.starts_with([' ', '\t'])
    }
}

impl<'a> Iterator for Headers<'a> {
    type Item = Header<'a>;

    fn next(&mut self) -> Option<Header<'a>> {
        if self.rest.is_empty() {
            return None;
        }
        let line = self.take_line();
        let Some((name, value)) = line.split_once(':') else {
            // A blank line, or body text without the blank line: the headers are over.
            self.rest = "";
            return None;
        };
        if name.is_empty() || name.contains([' ', '\t']) {
            self.rest = "";
            return None;
        }
        if !self.next_is_continuation() {
            return Some(Header {
                name,
                value: Cow::Borrowed(value.trim()),
            });
        }
        let mut folded = value.to_owned();
        while self.next_is_continuation() {
            folded.push_str(self.take_line());
        }
        Some(Header {
            name,
            value: Cow::Owned(folded.trim().to_owned()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(&str, String)> {
        headers(text)
            .map(|h| (h.name, h.value.into_owned()))
            .collect()
    }

    #[test]
    fn ok_simple() {
        assert_eq!(
            pairs("Name: six\r\nVersion:1.16.0\nSummary: \n"),
            [
                ("Name", "six".to_owned()),
                ("Version", "1.16.0".to_owned()),
                ("Summary", String::new())
            ]
        );
    }

    #[test]
    fn ok_continuation_lines() {
        assert_eq!(
            pairs("Description: one\n  two\n\tthree\nName: x\n"),
            [
                ("Description", "one  two\tthree".to_owned()),
                ("Name", "x".to_owned())
            ]
        );
    }

    #[test]
    fn ok_stops_at_body() {
        assert_eq!(pairs("Name: a\n\nVersion: 2\n"), [("Name", "a".to_owned())]);
        assert_eq!(
            pairs("Name: a\nnot a header\nVersion: 2\n"),
            [("Name", "a".to_owned())]
        );
        assert_eq!(pairs("\u{feff}Name: a"), [("Name", "a".to_owned())]);
        assert_eq!(pairs(""), []);
    }

    #[test]
    fn ok_value_with_colons() {
        assert_eq!(
            pairs("Project-URL: Home, https://example.org\n"),
            [("Project-URL", "Home, https://example.org".to_owned())]
        );
    }
}
