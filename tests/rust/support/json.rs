//! A small JSON reader for the oracle's output (the crate has no JSON dependency).

use std::collections::BTreeMap;

/// A JSON value; numbers keep their text so no precision is lost.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(BTreeMap<String, Json>),
}

impl Json {
    /// Parses one JSON document. Panics with the position on malformed input: the oracle
    /// is trusted, a parse failure is a bug in the test.
    pub fn parse(text: &str) -> Json {
        let mut parser = Parser {
            bytes: text.as_bytes(),
            pos: 0,
        };
        let value = parser.value();
        parser.skip_ws();
        assert_eq!(parser.pos, text.len(), "trailing data in JSON: {text}");
        value
    }

    /// The member `key` of an object. Panics when absent.
    pub fn get(&self, key: &str) -> &Json {
        match self {
            Json::Object(map) => map
                .get(key)
                .unwrap_or_else(|| panic!("no key {key:?} in {self:?}")),
            _ => panic!("not an object: {self:?}"),
        }
    }

    /// The string; panics on any other value.
    pub fn as_str(&self) -> &str {
        match self {
            Json::String(s) => s,
            _ => panic!("not a string: {self:?}"),
        }
    }

    /// The boolean; panics on any other value.
    pub fn as_bool(&self) -> bool {
        match self {
            Json::Bool(b) => *b,
            _ => panic!("not a bool: {self:?}"),
        }
    }

    /// The number as a `u64`; panics on any other value.
    pub fn as_u64(&self) -> u64 {
        match self {
            Json::Number(n) => n.parse().unwrap_or_else(|_| panic!("not a u64: {n}")),
            _ => panic!("not a number: {self:?}"),
        }
    }

    /// The items of an array; panics on any other value.
    pub fn as_array(&self) -> &[Json] {
        match self {
            Json::Array(items) => items,
            _ => panic!("not an array: {self:?}"),
        }
    }

    /// An array of strings.
    pub fn strings(&self) -> Vec<String> {
        self.as_array()
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect()
    }

    /// `[major, minor]` or `null`.
    pub fn pair(&self) -> Option<(u64, u64)> {
        match self {
            Json::Null => None,
            _ => {
                let items = self.as_array();
                Some((items[0].as_u64(), items[1].as_u64()))
            }
        }
    }
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while self.pos < self.bytes.len() && self.bytes[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn peek(&self) -> u8 {
        *self
            .bytes
            .get(self.pos)
            .unwrap_or_else(|| panic!("JSON ends early"))
    }

    fn expect(&mut self, literal: &str) {
        assert!(
            self.bytes[self.pos..].starts_with(literal.as_bytes()),
            "expected {literal} at {}",
            self.pos
        );
        self.pos += literal.len();
    }

    fn value(&mut self) -> Json {
        self.skip_ws();
        match self.peek() {
            b'n' => {
                self.expect("null");
                Json::Null
            }
            b't' => {
                self.expect("true");
                Json::Bool(true)
            }
            b'f' => {
                self.expect("false");
                Json::Bool(false)
            }
            b'"' => Json::String(self.string()),
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                self.skip_ws();
                if self.peek() == b']' {
                    self.pos += 1;
                    return Json::Array(items);
                }
                loop {
                    items.push(self.value());
                    self.skip_ws();
                    match self.peek() {
                        b',' => self.pos += 1,
                        b']' => {
                            self.pos += 1;
                            return Json::Array(items);
                        }
                        other => panic!("unexpected {:?} in array at {}", other as char, self.pos),
                    }
                }
            }
            b'{' => {
                self.pos += 1;
                let mut map = BTreeMap::new();
                self.skip_ws();
                if self.peek() == b'}' {
                    self.pos += 1;
                    return Json::Object(map);
                }
                loop {
                    self.skip_ws();
                    let key = self.string();
                    self.skip_ws();
                    self.expect(":");
                    map.insert(key, self.value());
                    self.skip_ws();
                    match self.peek() {
                        b',' => self.pos += 1,
                        b'}' => {
                            self.pos += 1;
                            return Json::Object(map);
                        }
                        other => panic!("unexpected {:?} in object at {}", other as char, self.pos),
                    }
                }
            }
            _ => {
                let start = self.pos;
                while self.pos < self.bytes.len()
                    && matches!(
                        self.bytes[self.pos],
                        b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
                    )
                {
                    self.pos += 1;
                }
                assert!(self.pos > start, "unexpected byte at {start}");
                Json::Number(
                    String::from_utf8(self.bytes[start..self.pos].to_vec()).expect("ASCII"),
                )
            }
        }
    }

    fn hex4(&mut self) -> u32 {
        let hex = std::str::from_utf8(&self.bytes[self.pos..self.pos + 4]).expect("ASCII escape");
        self.pos += 4;
        u32::from_str_radix(hex, 16).expect("hex escape")
    }

    fn string(&mut self) -> String {
        self.expect("\"");
        let mut out = Vec::new();
        loop {
            let byte = self.peek();
            self.pos += 1;
            match byte {
                b'"' => return String::from_utf8(out).expect("UTF-8 string"),
                b'\\' => {
                    let escape = self.peek();
                    self.pos += 1;
                    let c = match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let first = self.hex4();
                            let code = if (0xD800..0xDC00).contains(&first) {
                                self.expect("\\u");
                                let second = self.hex4();
                                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                            } else {
                                first
                            };
                            char::from_u32(code).expect("valid code point")
                        }
                        other => panic!("bad escape \\{}", other as char),
                    };
                    let mut buf = [0; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                other => out.push(other),
            }
        }
    }
}

#[test]
fn ok_json_round_trip() {
    let value =
        Json::parse(r#"{"a": [1, -2.5e3, true, false, null], "b": "x\"\u00e9\ud83d\ude00\n"}"#);
    assert_eq!(value.get("a").as_array()[0].as_u64(), 1);
    assert_eq!(
        value.get("a").as_array()[1],
        Json::Number("-2.5e3".to_owned())
    );
    assert_eq!(value.get("b").as_str(), "x\"é😀\n");
}
