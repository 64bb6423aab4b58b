//! `entry_points.txt`: the plugin and script declarations of a distribution.
//!
//! <https://packaging.python.org/en/latest/specifications/entry-points/#file-format>

/// One declared entry point. Ex) `[console_scripts]` `black = black:patched_main`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryPointDecl {
    pub group: String,
    pub name: String,
    /// `module[:attr][ [extra, ...]]`, as written (trimmed).
    pub value: String,
}

/// The entry points of `text`, in file order, read as `importlib.metadata` reads them: lines
/// trimmed; blank lines and lines starting with `#` or `;` skipped; `[group]` opens a group;
/// any other line is `name = value`, split at its first `=`. Lines before the first group, and
/// lines with no `=` (which `importlib.metadata` refuses with a `ValueError` for the whole
/// process), are skipped, so one broken distribution hides only its own lines.
pub fn parse_entry_points(text: &str) -> Vec<EntryPointDecl> {
    let mut out = Vec::new();
    let mut group: Option<&str> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            group = Some(line.trim_matches(|c| c == '[' || c == ']'));
            continue;
        }
        let (Some(group), Some((name, value))) = (group, line.split_once('=')) else {
            continue;
        };
        out.push(EntryPointDecl {
            group: group.to_owned(),
            name: name.trim().to_owned(),
            value: value.trim().to_owned(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl(group: &str, name: &str, value: &str) -> EntryPointDecl {
        EntryPointDecl {
            group: group.into(),
            name: name.into(),
            value: value.into(),
        }
    }

    #[test]
    fn ok_groups_in_file_order() {
        let text =
            "[console_scripts]\nblack = black:patched_main\nblackd=blackd:patched_main [d]\n\n\
                    # a comment\n; another\n[pytest11]\n  timeout = pytest_timeout  \n";
        assert_eq!(
            parse_entry_points(text),
            vec![
                decl("console_scripts", "black", "black:patched_main"),
                decl("console_scripts", "blackd", "blackd:patched_main [d]"),
                decl("pytest11", "timeout", "pytest_timeout"),
            ]
        );
    }

    #[test]
    fn ok_value_keeps_later_equals_signs() {
        assert_eq!(
            parse_entry_points("[g]\na = m:f [x]\r\nb = c=d\n"),
            vec![decl("g", "a", "m:f [x]"), decl("g", "b", "c=d")]
        );
    }

    #[test]
    fn ok_skips_lines_outside_groups_and_without_equals() {
        assert_eq!(
            parse_entry_points("stray = x\n[g]\nnot an entry\nok = m\n"),
            vec![decl("g", "ok", "m")]
        );
    }

    #[test]
    fn ok_empty() {
        assert!(parse_entry_points("").is_empty());
        assert!(parse_entry_points("[g]\n").is_empty());
    }
}
