//! Differential test: requirements, specifiers and markers as wheelhook reads them vs `packaging`.
//!
//! A seeded generator writes thousands of rows to a temporary table; `tests/tools/
//! requirements_oracle.py` answers each with `packaging` (26), and every answer must match
//! what the Rust side computes through the code wheelhook resolves with: pep440_rs/pep508_rs
//! parsing, `resolve::{contains, names_prerelease}` and `resolve::Environment`.
//!
//! Where the two implementations legitimately differ, the difference is listed in
//! [`EXCEPTIONS`] with the reason; rows it covers are counted and printed, never hidden.
//! Set `$PYTHON` to choose the interpreter (default `python3`); `WHEELHOOK_NO_ORACLE=1` skips
//! the test where `packaging` cannot be installed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::str::FromStr;

use _native::resolve::{contains, names_prerelease, Environment, EnvironmentFacts, MARKER_NAMES};
use _native::wheel::parse_requirement;

use crate::support::oracle::{self, Oracle};
use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{ExtraName, Requirement, VersionOrUrl};

/// A small deterministic generator (xorshift64*), so the table is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// A PEP 440 version, with the spellings normalisation must handle. Ex) `1!2.0-RC1.post2+abc.1`
fn version(rng: &mut Rng, local: bool) -> String {
    let mut v = String::new();
    if rng.chance(5) {
        v.push_str("1!");
    }
    let segments = 1 + rng.below(4);
    let release: Vec<String> = (0..segments).map(|_| rng.below(4).to_string()).collect();
    v.push_str(&release.join("."));
    if rng.chance(25) {
        let pre = rng.pick(&[
            "a", "b", "rc", "alpha", "-beta", ".RC", "c", "pre", "preview",
        ]);
        write!(v, "{pre}{}", rng.below(3)).unwrap();
    }
    if rng.chance(15) {
        let post = rng.pick(&[".post", "-post", "post", "-", ".rev", "r"]);
        write!(v, "{post}{}", 1 + rng.below(2)).unwrap();
    }
    if rng.chance(15) {
        write!(v, "{}{}", rng.pick(&[".dev", "dev", "-dev"]), rng.below(2)).unwrap();
    }
    if local && rng.chance(10) {
        v.push_str(rng.pick(&["+abc", "+ubuntu.1", "+1.2"]));
    }
    v
}

/// One clause: sometimes malformed (`~=1`, `>=1.*`, a local version with `<`).
fn clause(rng: &mut Rng) -> String {
    // `===` is rare in the wild and differs by design (see EXCEPTIONS): 1 clause in 25.
    let op = if rng.chance(4) {
        "==="
    } else {
        rng.pick(&["==", "!=", ">=", "<=", ">", "<", "~="])
    };
    let mut v = version(rng, matches!(op, "==" | "!=" | "==="));
    if matches!(op, "==" | "!=") && rng.chance(20) || rng.chance(2) {
        v = v
            .split(['a', 'b', 'r', 'c', 'p', '-', '+', 'd'])
            .next()
            .unwrap()
            .trim_end_matches('.')
            .to_string();
        v.push_str(".*");
    }
    let space = if rng.chance(20) { " " } else { "" };
    format!("{op}{space}{v}")
}

fn specifiers(rng: &mut Rng) -> String {
    let n = rng.below(3) + usize::from(rng.chance(70));
    let clauses: Vec<String> = (0..n).map(|_| clause(rng)).collect();
    clauses.join(rng.pick(&[",", ", "]))
}

const PLATFORMS: [[&str; 5]; 3] = [
    ["linux", "Linux", "posix", "x86_64", "6.1.0"],
    ["win32", "Windows", "nt", "AMD64", "10"],
    ["darwin", "Darwin", "posix", "arm64", "23.1.0"],
];

/// An interpreter's marker values, in the order of [`MARKER_NAMES`].
fn environment(rng: &mut Rng) -> Vec<String> {
    let [sys, system, os, machine, release] = PLATFORMS[rng.below(3)];
    let minor = 7 + rng.below(7);
    let full = match rng.below(6) {
        0 => format!("3.{minor}.0rc1"),
        _ => format!("3.{minor}.{}", rng.below(12)),
    };
    let pypy = rng.chance(20);
    vec![
        (if pypy { "pypy" } else { "cpython" }).to_string(),
        if pypy {
            "7.3.15".to_string()
        } else {
            full.clone()
        },
        os.to_string(),
        machine.to_string(),
        (if pypy { "PyPy" } else { "CPython" }).to_string(),
        release.to_string(),
        system.to_string(),
        rng.pick(&[
            "#1 SMP PREEMPT_DYNAMIC",
            "10.0.19045",
            "Darwin Kernel Version 23.1.0",
        ])
        .to_string(),
        full,
        format!("3.{minor}"),
        sys.to_string(),
    ]
}

/// A marker comparison between a variable and a literal.
fn atom(rng: &mut Rng) -> String {
    let var = rng.pick(&MARKER_NAMES[..]);
    let versionish = matches!(
        var,
        "python_version" | "python_full_version" | "implementation_version"
    );
    let value = if versionish {
        rng.pick(&[
            "3.8",
            "3.11",
            "3.11.7",
            "3",
            "3.12.0rc1",
            "3.13",
            "2.7",
            "3.*",
            "3.10 3.11",
            "foo",
        ])
        .to_string()
    } else {
        rng.pick(&[
            "linux", "win32", "darwin", "Linux", "Windows", "posix", "nt", "x86_64", "arm64",
            "cpython", "CPython", "PyPy", "6.1.0", "10", "lin", "SMP", "",
        ])
        .to_string()
    };
    let op = rng.pick(&[
        "==", "!=", "<", "<=", ">", ">=", "~=", "in", "not in", "===",
    ]);
    let quote = if rng.chance(50) { '\'' } else { '"' };
    if rng.chance(15) {
        format!("{quote}{value}{quote} {op} {var}")
    } else {
        format!("{var} {op} {quote}{value}{quote}")
    }
}

fn marker(rng: &mut Rng, depth: usize) -> String {
    if depth == 0 || rng.chance(40) {
        if rng.chance(10) {
            let extra = rng.pick(&["socks", "Tests_Extra", "tests-extra", "other"]);
            return format!("extra {} '{extra}'", rng.pick(&["==", "!="]));
        }
        return atom(rng);
    }
    let joiner = rng.pick(&["and", "or"]);
    let (left, right) = (marker(rng, depth - 1), marker(rng, depth - 1));
    if rng.chance(50) {
        format!("({left}) {joiner} ({right})")
    } else {
        format!("{left} {joiner} {right}")
    }
}

fn requirement(rng: &mut Rng) -> String {
    let mut r = rng
        .pick(&[
            "six",
            "Foo_Bar.baz",
            "zope.interface",
            "A",
            "typing-extensions",
            "Django",
            "x1",
            "-bad",
            "bad.",
            "pkg__x",
        ])
        .to_string();
    if rng.chance(30) {
        let extras = rng.pick(&["socks", "Tests_Extra", "a, b", "", "socks,"]);
        write!(r, "{}[{extras}]", if rng.chance(20) { " " } else { "" }).unwrap();
    }
    if rng.chance(10) {
        r.push_str(" @ https://example.com/pkg-1.0-py3-none-any.whl");
        if rng.chance(50) {
            r.push(' ');
        }
    } else if rng.chance(75) {
        let s = specifiers(rng);
        if rng.chance(15) {
            write!(r, " ({s})").unwrap();
        } else {
            write!(r, "{}{s}", if rng.chance(30) { " " } else { "" }).unwrap();
        }
    }
    if rng.chance(40) {
        write!(r, "; {}", marker(rng, 1)).unwrap();
    }
    r
}

/// The fixed environment `req` rows evaluate markers in (same as the oracle's).
fn fixed_env() -> Environment {
    let values = [
        "cpython", "3.11.7", "posix", "x86_64", "CPython", "6.1.0", "Linux", "#1 SMP", "3.11.7",
        "3.11", "linux",
    ];
    let facts: EnvironmentFacts = MARKER_NAMES
        .iter()
        .zip(values)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Environment::from_facts(&facts).unwrap()
}

fn flag(b: bool) -> &'static str {
    if b {
        "1"
    } else {
        "0"
    }
}

/// Parses a requirement; a panic inside pep508_rs becomes the answer `panic`.
fn parse(text: &str) -> Result<Requirement, String> {
    match std::panic::catch_unwind(|| parse_requirement(text)) {
        Ok(Ok(req)) => Ok(req),
        Ok(Err(_)) => Err("invalid".into()),
        Err(_) => Err("panic".into()),
    }
}

/// What wheelhook computes for a row (same format as the oracle).
fn answer(fields: &[&str], fixed: &Environment) -> String {
    if fields[0] != "spec" {
        let text = if fields[0] == "marker" {
            format!("x; {}", fields[1])
        } else {
            fields[1].to_string()
        };
        if let Err(kind) = parse(&text) {
            return kind;
        }
    }
    match fields[0] {
        "spec" => {
            let (Ok(specs), Ok(v)) = (
                VersionSpecifiers::from_str(fields[1]),
                Version::from_str(fields[2]),
            ) else {
                return "invalid".into();
            };
            let names = names_prerelease(&specs);
            format!(
                "ok|{}|{}|{}",
                flag(contains(&specs, &v, true)),
                flag(names),
                flag(contains(&specs, &v, names))
            )
        }
        "marker" => {
            let Ok(req) = parse(&format!("x; {}", fields[1])) else {
                return "invalid".into();
            };
            let facts: EnvironmentFacts = MARKER_NAMES
                .iter()
                .zip(&fields[3..])
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let env = Environment::from_facts(&facts).unwrap();
            let extras: Vec<ExtraName> = match fields[2] {
                "" => vec![],
                extra => vec![extra.parse().unwrap()],
            };
            format!("ok|{}", flag(env.applies(&req, &extras)))
        }
        "req" => {
            let Ok(req) = parse(fields[1]) else {
                return "invalid".into();
            };
            let mut extras: Vec<String> = req.extras.iter().map(ToString::to_string).collect();
            extras.sort();
            let (specs, url) = match &req.version_or_url {
                Some(VersionOrUrl::VersionSpecifier(specs)) => {
                    let mut parts: Vec<String> = specs.iter().map(ToString::to_string).collect();
                    parts.sort();
                    (parts.join(","), String::new())
                }
                Some(VersionOrUrl::Url(url)) => (
                    String::new(),
                    url.given().map_or_else(|| url.to_string(), str::to_string),
                ),
                None => (String::new(), String::new()),
            };
            format!(
                "ok|{}|{}|{specs}|{url}|{}",
                req.name,
                extras.join(","),
                flag(fixed.applies(&req, &[]))
            )
        }
        other => panic!("unknown row kind {other}"),
    }
}

/// A documented, legitimate difference: which rows it covers and why.
struct Exception {
    why: &'static str,
    covers: fn(row: &[&str], rust: &str, oracle: &str) -> bool,
}

/// The differences between pep508_rs/pep440_rs and packaging 26 that wheelhook accepts.
const EXCEPTIONS: &[Exception] = &[
    Exception {
        why: "`===` (arbitrary equality, discouraged by PEP 440): pep440_rs requires a valid \
              version after it and pep508_rs has no `===` marker operator; packaging compares \
              any string",
        covers: |row, _, _| row[1].contains("==="),
    },
    Exception {
        why: "ordering (<, <=, >, >=) on a string-valued marker variable: pep508_rs compares \
              lexicographically; packaging 26 makes < and > false and <=, >= mean ==",
        covers: |row, _, _| {
            marker_atoms(row).iter().any(|(var, op, _)| {
                !VERSION_VARIABLES.contains(&var.as_str())
                    && matches!(op.as_str(), "<" | "<=" | ">" | ">=")
            })
        },
    },
    Exception {
        why: "a comparison pep508_rs cannot read as PEP 440 (a version variable against a \
              non-version, `~=` with one release segment or a reversed `~=`, `in` on a version \
              variable, `~=` on a string variable): pep508_rs drops it (true) or reads `in` as \
              version-list membership; packaging compares strings or raises UndefinedComparison",
        covers: |row, _, _| {
            marker_atoms(row).iter().any(|(var, op, value)| {
                let version_var = VERSION_VARIABLES.contains(&var.as_str());
                op == "~="
                    || (version_var && matches!(op.as_str(), "in" | "not in"))
                    || (version_var && Version::from_str(value).is_err())
            })
        },
    },
    Exception {
        why: "platform_release: packaging 26 compares it as a version when the literal makes a \
              valid specifier (so an unparsable environment value never matches); pep508_rs \
              always compares it as a string",
        covers: |row, _, _| {
            marker_atoms(row)
                .iter()
                .any(|(var, _, _)| var == "platform_release")
        },
    },
    Exception {
        why: "`<V` against a pre-release environment version of V (`3.13.0rc1 < '3.13'`): \
              packaging applies PEP 440's exclusion of V's pre-releases even in markers; \
              pep508_rs orders plainly (true)",
        covers: |row, _, _| {
            row[0] == "marker"
                && row[3..].iter().any(|value| value.contains("rc"))
                && marker_atoms(row)
                    .iter()
                    .any(|(var, op, _)| VERSION_VARIABLES.contains(&var.as_str()) && op == "<")
        },
    },
    Exception {
        why: "empty specifier parentheses (`name ()`): packaging accepts them, pep508_rs does not",
        covers: |row, rust, _| row[0] == "req" && rust == "invalid" && row[1].contains("()"),
    },
];

/// The marker variables whose values are versions.
const VERSION_VARIABLES: [&str; 3] = [
    "python_version",
    "python_full_version",
    "implementation_version",
];

/// The comparisons `(variable, operator, literal)` of a row's marker (the part after `;` for
/// requirements), whichever side the variable is on.
fn marker_atoms(row: &[&str]) -> Vec<(String, String, String)> {
    let text = match row[0] {
        "marker" => row[1],
        "req" => row[1].split_once(';').map_or("", |(_, m)| m),
        _ => "",
    };
    let mut tokens: Vec<(bool, String)> = Vec::new(); // (is a quoted literal, text)
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                let literal: String = chars.by_ref().take_while(|&d| d != c).collect();
                tokens.push((true, literal));
            }
            c if c.is_alphanumeric() || c == '_' || c == '.' => {
                let mut word = c.to_string();
                while let Some(&d) = chars
                    .peek()
                    .filter(|d| d.is_alphanumeric() || **d == '_' || **d == '.')
                {
                    word.push(d);
                    chars.next();
                }
                tokens.push((false, word));
            }
            '<' | '>' | '=' | '!' | '~' => {
                let mut op = c.to_string();
                while let Some(&d) = chars
                    .peek()
                    .filter(|d| matches!(d, '<' | '>' | '=' | '!' | '~'))
                {
                    op.push(d);
                    chars.next();
                }
                tokens.push((false, op));
            }
            _ => {}
        }
    }
    // `not in` is one operator.
    let mut merged: Vec<(bool, String)> = Vec::new();
    for token in tokens {
        match merged.last_mut() {
            Some((false, last)) if last == "not" && !token.0 && token.1 == "in" => {
                *last = "not in".into()
            }
            _ => merged.push(token),
        }
    }
    let is_op = |t: &(bool, String)| {
        !t.0 && matches!(
            t.1.as_str(),
            "==" | "!=" | "<" | "<=" | ">" | ">=" | "~=" | "===" | "in" | "not in"
        )
    };
    merged
        .windows(3)
        .filter(|w| is_op(&w[1]))
        .filter_map(|w| match (&w[0], &w[2]) {
            ((false, var), (true, value)) | ((true, value), (false, var)) => {
                Some((var.clone(), w[1].1.clone(), value.clone()))
            }
            _ => None,
        })
        .collect()
}

fn table(rng: &mut Rng) -> Vec<String> {
    let mut rows = Vec::new();
    for _ in 0..4000 {
        rows.push(format!("spec\t{}\t{}", specifiers(rng), version(rng, true)));
    }
    for _ in 0..4000 {
        let extra = rng.pick(&["", "", "socks", "tests-extra"]);
        rows.push(format!(
            "marker\t{}\t{extra}\t{}",
            marker(rng, 2),
            environment(rng).join("\t")
        ));
    }
    for _ in 0..2000 {
        rows.push(format!("req\t{}", requirement(rng)));
    }
    rows
}

/// Removes a file when dropped, so a failing test leaves no table behind.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn ok_agrees_with_packaging() {
    if oracle::skipped("the differential test against packaging") {
        return;
    }
    let rows = table(&mut Rng(0x5eed_1234_abcd_0001));
    let path: PathBuf =
        std::env::temp_dir().join(format!("wheelhook-oracle-{}.tsv", std::process::id()));
    std::fs::write(&path, rows.join("\n") + "\n").unwrap();
    // Removed when the test ends, whether the oracle ran or not.
    let _remove = RemoveOnDrop(path.clone());
    let answers: Vec<String> = Oracle::script("requirements_oracle.py")
        .arg(&path)
        .text()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(answers.len(), rows.len(), "one answer per row");

    let fixed = fixed_env();
    let mut mismatches = Vec::new();
    let mut excused: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (row, oracle) in rows.iter().zip(&answers) {
        let fields: Vec<&str> = row.split('\t').collect();
        let rust = answer(&fields, &fixed);
        if rust == *oracle {
            continue;
        }
        let line = format!(
            "{}\n    wheelhook: {rust}\n    packaging: {oracle}",
            fields.join("  ")
        );
        match EXCEPTIONS
            .iter()
            .find(|e| (e.covers)(&fields, &rust, oracle))
        {
            Some(exception) => excused.entry(exception.why).or_default().push(line),
            None => mismatches.push(line),
        }
    }
    for (why, lines) in &excused {
        println!(
            "{} rows differ as documented: {why}\n  e.g. {}",
            lines.len(),
            lines[0]
        );
    }
    if let Some(dump) = std::env::var_os("WHEELHOOK_ORACLE_DUMP") {
        // Every disagreement, for studying a new packaging or pep508_rs release.
        std::fs::write(dump, mismatches.join("\n")).unwrap();
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} rows disagree with packaging:\n{}",
        mismatches.len(),
        rows.len(),
        mismatches
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
