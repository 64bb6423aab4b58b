//! Parsing PEP 508 requirements without tripping a pep508_rs 0.9 crash.
//!
//! pep508_rs 0.9.2 panics on a marker that puts a string-valued variable on the right of `~=`
//! (`'linux' ~= sys_platform`), while holding the lock of its global marker interner: the
//! lock is poisoned and every marker parsed afterwards in the process panics too. Such text
//! can come from any wheel's METADATA, so every requirement wheelhook parses goes through
//! [`parse_requirement`], which refuses that shape before pep508_rs sees it (packaging
//! refuses to evaluate it as well: `UndefinedComparison`). It also panics (without poisoning)
//! on a name that ends in `.`, `-` or `_` when a specifier follows (`bad.>=1`), and on an
//! extra that ends in one of them (`six[test_]`, found by fuzzing), which are refused here the
//! same way.

use std::cell::Cell;
use std::str::FromStr;
use std::sync::Once;

use pep508_rs::{Requirement, VersionOrUrl};

use thiserror::Error;

/// A requirement that cannot be parsed. Ex) `The requirement "bad.>=1" is invalid: ...`
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("The requirement \"{text}\" is invalid: {reason}")]
pub struct RequirementError {
    /// The requirement as written.
    pub text: String,
    /// What is wrong with it, a lowercase fragment.
    pub reason: String,
}

fn invalid(text: &str, reason: String) -> RequirementError {
    RequirementError {
        text: text.to_owned(),
        reason,
    }
}

/// The marker variables with version values: the only ones `~=` may have on its right.
const VERSION_VARIABLES: [&str; 3] = [
    "python_version",
    "python_full_version",
    "implementation_version",
];

/// Parses a PEP 508 requirement. Ex) `requests[socks]>=2; python_version >= "3.8"`
///
/// <https://packaging.python.org/en/latest/specifications/dependency-specifiers/>
pub fn parse_requirement(text: &str) -> Result<Requirement, RequirementError> {
    let name_end = text
        .trim_start()
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
        .unwrap_or(text.trim_start().len());
    let name = &text.trim_start()[..name_end];
    if name.ends_with(['.', '-', '_']) {
        return Err(invalid(
            text,
            format!("the name \"{name}\" must end with a letter or digit"),
        ));
    }
    let after_name = text.trim_start()[name_end..].trim_start();
    if let Some(extras) = after_name.strip_prefix('[') {
        let extras = extras.split(']').next().unwrap_or(extras);
        // pep508_rs takes the longest run of name characters as the extra, whatever follows.
        let name_run = |e: &str| -> usize {
            e.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
                .unwrap_or(e.len())
        };
        if let Some(extra) = extras
            .split(',')
            .map(|e| {
                let e = e.trim_start();
                &e[..name_run(e)]
            })
            .find(|e| e.ends_with(['.', '-', '_']))
        {
            return Err(invalid(
                text,
                format!("the extra \"{extra}\" must end with a letter or digit"),
            ));
        }
    }
    if let Some(variable) = string_after_tilde(text) {
        return Err(invalid(
            text,
            format!(
                "the marker compares with `~= {variable}`, \
             but {variable} is not a version"
            ),
        ));
    }
    // pep508_rs 0.9.2 has more panics than the shapes refused above (fuzzing found slicing
    // inside a multi-byte character, for one): a panic is an invalid requirement, not a crash
    // of the interpreter (pyo3 would raise PanicException, which no ImportError handler
    // catches). Its input is a &str and its state is its own, so nothing is left half-updated
    // for us to observe.
    let parsed = quietly(|| Requirement::from_str(text))
        .map_err(|_| invalid(text, "the PEP 508 parser failed on it".to_owned()))?;
    parsed.map_err(|err| {
        // The message without pep508_rs's caret diagram: errors stay one line.
        invalid(text, err.message.to_string())
    })
}

/// A requirement taken apart the way `pkg_resources.Requirement` shows it: the name and the
/// marker as written (pep508_rs keeps neither), the extras, each specifier as (operator,
/// version) and the URL.
/// Ex) `Foo_Bar[x] (>=1.0,==2.*) ; python_version > '3'` -> `Foo_Bar`, `[x]`,
/// `[(">=", "1.0"), ("==", "2.*")]`, no URL, `python_version > '3'`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequirementParts {
    pub name: String,
    pub extras: Vec<String>,
    pub specifiers: Vec<(String, String)>,
    pub url: Option<String>,
    pub marker: Option<String>,
}

/// Parses `text` with [`parse_requirement`] and takes it apart (see [`RequirementParts`]).
pub fn requirement_parts(text: &str) -> Result<RequirementParts, RequirementError> {
    let parsed = parse_requirement(text)?;
    let trimmed = text.trim_start();
    let name_end = trimmed
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
        .unwrap_or(trimmed.len());
    let (specifiers, url) = match &parsed.version_or_url {
        None => (Vec::new(), None),
        Some(VersionOrUrl::VersionSpecifier(specifiers)) => (
            specifiers
                .iter()
                .map(|spec| {
                    let operator = spec.operator().to_string();
                    let shown = spec.to_string();
                    let version = shown[operator.len()..].to_owned();
                    (operator, version)
                })
                .collect(),
            None,
        ),
        Some(VersionOrUrl::Url(url)) => (
            Vec::new(),
            Some(url.given().map_or_else(|| url.to_string(), str::to_owned)),
        ),
    };
    let marker = marker_start(text, url.is_some())
        .map(|start| text[start..].trim().to_owned())
        .filter(|marker| !marker.is_empty());
    Ok(RequirementParts {
        name: trimmed[..name_end].to_owned(),
        extras: parsed.extras.iter().map(ToString::to_string).collect(),
        specifiers,
        url,
        marker,
    })
}

/// Where the marker of a parsed requirement starts: after the first `;` outside quotes, which
/// after a URL must follow whitespace (a URL may hold a `;` itself).
fn marker_start(text: &str, has_url: bool) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == ';' && (!has_url || previous.is_whitespace()) => return Some(i + 1),
            None => {}
        }
        previous = c;
    }
    None
}

/// The variable named right after a `~=` outside quotes, when it is not a version variable.
fn string_after_tilde(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'\'' || c == b'"' => quote = Some(c),
            None if c == b'~' && bytes.get(i + 1) == Some(&b'=') => {
                let rest = text[i + 2..].trim_start();
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                    .unwrap_or(rest.len());
                let word = &rest[..end];
                let is_name = word.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
                if is_name && !VERSION_VARIABLES.contains(&word) {
                    return Some(word);
                }
            }
            None => {}
        }
        i += 1;
    }
    None
}

thread_local! {
    /// Whether a panic on this thread is expected and caught (see [`quietly`]).
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`, catching a panic without the panic message on stderr: the caller turns it into
/// an error of its own. Other panics print as before.
///
/// The hook is the process's (this library's copy of std), installed once and delegating to
/// the hook it replaced; the flag is per thread, so a panic elsewhere meanwhile still prints.
fn quietly<T>(f: impl FnOnce() -> T + std::panic::UnwindSafe) -> std::thread::Result<T> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let result = std::panic::catch_unwind(f);
    QUIET.with(|q| q.set(was));
    result
}

#[cfg(test)]
mod tests {
    use super::{parse_requirement, requirement_parts, RequirementParts};

    #[test]
    fn ok_parts_as_written() {
        let parts = requirement_parts("Foo_Bar[x, Y] (>=1.0, ==2.*) ; python_version > '3'");
        assert_eq!(
            parts.unwrap(),
            RequirementParts {
                name: "Foo_Bar".to_owned(),
                extras: vec!["x".to_owned(), "y".to_owned()],
                specifiers: vec![
                    (">=".to_owned(), "1.0".to_owned()),
                    ("==".to_owned(), "2.*".to_owned())
                ],
                url: None,
                marker: Some("python_version > '3'".to_owned()),
            }
        );
        let parts = requirement_parts("pip @ https://h.example/p;x=1/pip.whl ; os_name == ';'");
        let parts = parts.unwrap();
        assert_eq!(
            parts.url.as_deref(),
            Some("https://h.example/p;x=1/pip.whl")
        );
        assert_eq!(parts.marker.as_deref(), Some("os_name == ';'"));
        let parts = requirement_parts("six").unwrap();
        assert!(parts.specifiers.is_empty() && parts.marker.is_none() && parts.url.is_none());
        let err = requirement_parts("six; os_name ==").unwrap_err();
        assert_eq!(err.text, "six; os_name ==");
    }

    /// The URL of a direct-reference requirement, as pep508_rs resolved it.
    fn url_of(text: &str) -> String {
        match parse_requirement(text).unwrap().version_or_url {
            Some(pep508_rs::VersionOrUrl::Url(url)) => url.to_url().to_string(),
            other => panic!("{text}: no URL but {other:?}"),
        }
    }

    #[test]
    fn ok_url_variables() {
        // pep508_rs expands `${NAME}` in URLs with a regular expression: through the `regex`
        // shim (shim/regex) it must behave as before, set variables replaced, others kept.
        let home = std::env::var("HOME").expect("HOME is set");
        assert_eq!(
            url_of("x @ file://${HOME}/x-1.0-py3-none-any.whl"),
            format!("file://{home}/x-1.0-py3-none-any.whl")
        );
        let kept = url_of("x @ https://host/${WHEELHOOK_NO_SUCH_VARIABLE_9}/x.whl");
        assert!(kept.contains("WHEELHOOK_NO_SUCH_VARIABLE_9"), "{kept}");
        let lower = url_of("x @ https://host/${home}/x.whl");
        assert!(!lower.contains(&home) || home.is_empty(), "{lower}");
    }

    #[test]
    fn ok_quietly_catches_and_restores() {
        assert_eq!(super::quietly(|| 5).unwrap(), 5);
        assert!(super::quietly(|| -> u8 { panic!("expected in this test") }).is_err());
        assert!(
            !super::QUIET.with(std::cell::Cell::get),
            "the flag is reset afterwards"
        );
        // Nested: the inner call leaves the outer one quiet.
        let outer = super::quietly(|| {
            let _ = super::quietly(|| 1);
            super::QUIET.with(std::cell::Cell::get)
        });
        assert!(outer.unwrap());
    }

    #[test]
    fn ok_parses() {
        for text in [
            "six",
            "requests[socks]>=2,<3; python_version >= '3.8'",
            "a~=1.0; '3.8' ~= python_version",
            "a; sys_platform == '~=linux'",
        ] {
            assert!(parse_requirement(text).is_ok(), "{text}");
        }
    }

    #[test]
    fn err_string_after_tilde() {
        let err = parse_requirement("x; 'linux' ~= sys_platform").unwrap_err();
        assert_eq!(
            err.to_string(),
            "The requirement \"x; 'linux' ~= sys_platform\" is invalid: the marker compares with \
             `~= sys_platform`, but sys_platform is not a version"
        );
        assert!(parse_requirement("x; 'a'~=os.name").is_err());
        assert!(parse_requirement("bad.>=1").is_err());
        for text in [
            "si[ni_",
            "si[ni_]",
            "si[a, ni_]",
            "si [ ni- ]>=1",
            "si[ni.]",
        ] {
            assert!(parse_requirement(text)
                .unwrap_err()
                .to_string()
                .contains("must end with a letter or digit"));
        }
        assert!(parse_requirement("si[ni_x, a]").is_ok());
        // Found by fuzzing: pep508_rs slices inside a multi-byte character and panics.
        let text = "pkg; os_name == '\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}nt' and (extra == 'tesmiaplemenTatkonZQ\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}lemenTation\u{0}\u{0}D-4n@=\u{d0}<=:\u{d0}c/\u{1}\u{0}\u{0}:0\u{d0}<z:\u{d0}')caa0\u{d0}<=:DDD\u{d0}D";
        assert!(parse_requirement(text)
            .unwrap_err()
            .to_string()
            .contains("the PEP 508 parser failed on it"));
        // The process can still parse markers afterwards.
        assert!(parse_requirement("x; os_name == 'posix'").is_ok());
    }

    #[test]
    fn err_syntax() {
        let err = parse_requirement("foo>=").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("The requirement \"foo>=\" is invalid: "),
            "{err}"
        );
    }
}
