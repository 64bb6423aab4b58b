//! Member-name safety: what a wheel member may be called, and when two names
//! would land on the same file of a case-insensitive or normalising filesystem.
//!
//! Unicode normalisation (NFC) needs tables this crate does not carry, so
//! [`collision_key`] only folds case (upper- then lower-casing, which also
//! folds `ß`/`ss`, `ſ`/`s`, the Kelvin sign), and [`check_name`] refuses names
//! with combining marks, the usual way one visible name gets two byte spellings
//! (`é` as U+00E9 or `e` + U+0301). Precomposed characters outside those marks
//! (Hangul jamo, compatibility forms) are not compared.

/// Checks one member name; the reason fragment on refusal.
///
/// Refused: empty names, absolute paths (`/x`), drive letters (`C:x`),
/// backslashes, control characters, empty, `.` and `..` segments (a directory
/// entry's trailing `/` aside), combining marks, and non-ASCII names not
/// flagged as UTF-8 (other tools decode those as CP437, so they would see a
/// different name). Ex) `six.py`, `six-1.15.0.dist-info/RECORD`
pub fn check_name(name: &str, utf8_flag: bool) -> Result<(), String> {
    if name.is_empty() {
        return Err("empty member name".into());
    }
    if name.starts_with('/') {
        return Err("absolute member name".into());
    }
    let bytes = name.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return Err("member name starts with a drive letter".into());
    }
    if name.contains('\\') {
        return Err("member name contains a backslash".into());
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Err(format!("member name contains control character {c:?}"));
    }
    if !name.is_ascii() {
        if !utf8_flag {
            return Err("non-ascii member name without the utf-8 flag".into());
        }
        if let Some(c) = name.chars().find(|&c| is_combining(c)) {
            return Err(format!(
                "member name contains combining character U+{:04X} (unicode normalisation could make it collide with another name)",
                u32::from(c)
            ));
        }
    }
    let body = name.strip_suffix('/').unwrap_or(name);
    for segment in body.split('/') {
        match segment {
            ".." => return Err("member name has a '..' segment".into()),
            "." => return Err("member name has a '.' segment".into()),
            "" => return Err("member name has an empty segment".into()),
            _ => {}
        }
    }
    Ok(())
}

/// Combining diacritical marks (the blocks NFD decomposes Latin, Greek and
/// Cyrillic letters into).
fn is_combining(c: char) -> bool {
    matches!(u32::from(c),
        0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// The key under which two names collide on a case-insensitive filesystem.
/// Ex) `Six.py` and `six.PY` share `six.py`
pub(crate) fn collision_key(name: &str) -> String {
    let name = name.strip_suffix('/').unwrap_or(name);
    if name.is_ascii() {
        name.to_ascii_lowercase()
    } else {
        name.to_uppercase().to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_ordinary_names() {
        for name in [
            "six.py",
            "pkg/",
            "pkg/__init__.py",
            "six-1.15.0.dist-info/RECORD",
            "pkg-1.0.data/scripts/run",
            "a..b/c...d",
        ] {
            assert_eq!(check_name(name, false), Ok(()), "{name}");
        }
        assert_eq!(check_name("café.py", true), Ok(()));
    }

    #[test]
    fn err_unsafe_names() {
        for (name, reason) in [
            ("", "empty member name"),
            ("/etc/passwd", "absolute member name"),
            ("C:/x.py", "member name starts with a drive letter"),
            ("c:x.py", "member name starts with a drive letter"),
            ("pkg\\x.py", "member name contains a backslash"),
            ("pkg/x\n.py", "member name contains control character '\\n'"),
            (
                "a\u{7f}",
                "member name contains control character '\\u{7f}'",
            ),
            ("../x.py", "member name has a '..' segment"),
            ("pkg/../../x.py", "member name has a '..' segment"),
            ("pkg/..", "member name has a '..' segment"),
            ("./x.py", "member name has a '.' segment"),
            ("pkg//x.py", "member name has an empty segment"),
            ("pkg//", "member name has an empty segment"),
        ] {
            assert_eq!(check_name(name, true), Err(reason.to_string()), "{name:?}");
        }
    }

    #[test]
    fn err_non_ascii_names() {
        assert_eq!(
            check_name("café.py", false),
            Err("non-ascii member name without the utf-8 flag".to_string())
        );
        assert_eq!(
            check_name("cafe\u{301}.py", true),
            Err("member name contains combining character U+0301 (unicode normalisation could make it collide with another name)".to_string())
        );
    }

    #[test]
    fn ok_collision_keys() {
        assert_eq!(collision_key("Six.PY"), collision_key("six.py"));
        assert_eq!(collision_key("pkg/"), collision_key("PKG"));
        assert_eq!(collision_key("Straße.py"), collision_key("STRASSE.py"));
        assert_eq!(collision_key("\u{212A}.py"), collision_key("k.py"));
        assert_ne!(collision_key("a.py"), collision_key("b.py"));
    }
}
