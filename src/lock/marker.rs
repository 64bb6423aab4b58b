//! PEP 751's marker variables `extras` and `dependency_groups`, which pep508_rs (0.9) does not
//! know: `'name' in extras` is rewritten to `extra == 'lockextra-name'` (and `not in` to `!=`),
//! `'name' in dependency_groups` to `extra == 'lockgroup-name'`, so that the marker evaluates
//! with the selected extras and groups passed as prefixed extra names (see [`selected`]). The
//! prefixes keep the two namespaces apart; every other part of the marker is left as written.

use pep508_rs::ExtraName;

const EXTRA: &str = "lockextra-";
const GROUP: &str = "lockgroup-";

/// The marker text with every `'x' [not] in extras|dependency_groups` rewritten.
pub fn rewrite(marker: &str) -> String {
    let mut out = String::with_capacity(marker.len());
    let mut rest = marker;
    while let Some(open) = rest.find(['\'', '"']) {
        let quote = rest[open..].chars().next().unwrap_or('"');
        let Some(len) = rest[open + 1..].find(quote) else {
            break;
        };
        let literal = &rest[open + 1..open + 1 + len];
        let after = &rest[open + 2 + len..];
        out.push_str(&rest[..open]);
        match membership(after) {
            Some((negated, variable, used)) => {
                let prefix = if variable == "extras" { EXTRA } else { GROUP };
                let op = if negated { "!=" } else { "==" };
                out.push_str(&format!("extra {op} '{prefix}{literal}'"));
                rest = &after[used..];
            }
            None => {
                out.push_str(&rest[open..open + 2 + len]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `[not] in extras|dependency_groups` at the start of `text` (after spaces): whether negated,
/// the variable, and the bytes it takes.
fn membership(text: &str) -> Option<(bool, &'static str, usize)> {
    let (first, at) = word(text, 0)?;
    let (negated, at) = match first {
        "in" => (false, at),
        "not" => match word(text, at)? {
            ("in", at) => (true, at),
            _ => return None,
        },
        _ => return None,
    };
    match word(text, at)? {
        ("extras", at) => Some((negated, "extras", at)),
        ("dependency_groups", at) => Some((negated, "dependency_groups", at)),
        _ => None,
    }
}

/// The identifier after the spaces at `at`, and where it ends.
fn word(text: &str, at: usize) -> Option<(&str, usize)> {
    let rest = &text[at..];
    let start = at + rest.len() - rest.trim_start().len();
    let end = text[start..]
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(text.len(), |e| start + e);
    (start < end).then(|| (&text[start..end], end))
}

/// The extra names a rewritten marker sees for the selected extras and groups.
pub fn selected(extras: &[String], groups: &[String]) -> Vec<ExtraName> {
    let named = |prefix: &str, name: &String| format!("{prefix}{name}").parse().ok();
    extras
        .iter()
        .filter_map(|e| named(EXTRA, e))
        .chain(groups.iter().filter_map(|g| named(GROUP, g)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn ok_rewrite() {
        for (marker, want) in [
            ("'socks' in extras", "extra == 'lockextra-socks'"),
            (
                "\"dev\" not in dependency_groups and os_name == 'posix'",
                "extra != 'lockgroup-dev' and os_name == 'posix'",
            ),
            ("sys_platform == 'linux'", "sys_platform == 'linux'"),
            ("'a' in extrasx", "'a' in extrasx"),
            ("'linux' in sys_platform", "'linux' in sys_platform"),
        ] {
            assert_eq!(rewrite(marker), want, "{marker}");
        }
    }
}
