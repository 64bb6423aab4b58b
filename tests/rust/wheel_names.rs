//! Wheel filenames against `packaging.utils.parse_wheel_filename`, over thousands of
//! real PyPI filenames (tests/data/wheel-filenames.txt) and hand-written edge cases
//! (tests/data/wheel-filenames-edge.txt).

use std::collections::BTreeSet;

use _native::wheel::{FilenameError, WheelFilename};

use crate::support::json::Json;
use crate::support::oracle::{self, repo_path};

/// The names of a data file: every line but comments, verbatim (spaces are test data).
fn names(file: &str) -> Vec<String> {
    let text =
        std::fs::read_to_string(repo_path(file)).unwrap_or_else(|err| panic!("{file}: {err}"));
    text.split('\n')
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// A parse result in the oracle's terms.
#[derive(Debug, PartialEq, Eq)]
struct Parsed {
    name: String,
    version: String,
    build: Option<(u64, String)>,
    tags: BTreeSet<String>,
}

/// What wheelhook makes of `name`, or its error message.
fn ours(name: &str) -> Result<Parsed, String> {
    let wheel: WheelFilename = name.parse().map_err(|err: FilenameError| err.to_string())?;
    Ok(Parsed {
        name: wheel.name.to_string(),
        version: wheel.version.to_string(),
        tags: wheel.tags().map(|t| t.to_string()).collect(),
        build: wheel.build_tag.map(|b| (b.number, b.suffix)),
    })
}

/// What packaging makes of it, or `None` when it refuses it.
fn theirs(answer: &Json) -> Option<Parsed> {
    if !answer.get("ok").as_bool() {
        return None;
    }
    let build = match answer.get("build") {
        Json::Null => None,
        pair => {
            let items = pair.as_array();
            Some((items[0].as_u64(), items[1].as_str().to_owned()))
        }
    };
    Some(Parsed {
        name: answer.get("name").as_str().to_owned(),
        version: answer.get("version").as_str().to_owned(),
        build,
        tags: answer.get("tags").strings().into_iter().collect(),
    })
}

/// Compares every name of `file` with packaging; returns the count and the disagreements.
fn disagreements(file: &str) -> (usize, Vec<String>) {
    let names = names(file);
    let answers = oracle::packaging("filenames", &(names.join("\n") + "\n"));
    assert_eq!(answers.len(), names.len(), "one oracle answer per name");
    let mut failures = Vec::new();
    for (name, answer) in names.iter().zip(&answers) {
        let ours = ours(name);
        let agree = match (&ours, theirs(answer)) {
            (Err(_), None) => true,
            (Ok(ours), Some(theirs)) => *ours == theirs,
            _ => false,
        };
        if !agree {
            failures.push(format!(
                "{name:?}\n    packaging: {answer:?}\n    wheelhook: {ours:?}"
            ));
        }
    }
    (names.len(), failures)
}

fn assert_agrees(file: &str) {
    let (count, failures) = disagreements(file);
    assert!(
        failures.is_empty(),
        "{} of {count} names in {file} parse differently:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn ok_real_filenames_match_packaging() {
    assert!(
        names("tests/data/wheel-filenames.txt").len() > 5000,
        "the table holds thousands of names"
    );
    assert_agrees("tests/data/wheel-filenames.txt");
}

#[test]
fn ok_edge_filenames_match_packaging() {
    assert_agrees("tests/data/wheel-filenames-edge.txt");
}

#[test]
fn ok_real_filenames_round_trip() {
    // Display gives back the filename whenever the version is written in normal form
    // (tags come back lowercased, as they are stored).
    let mut checked = 0;
    for name in names("tests/data/wheel-filenames.txt") {
        let wheel: WheelFilename = name.parse().unwrap_or_else(|err| panic!("{err}"));
        let version_part = name.split('-').nth(1).expect("parsed, so it has a version");
        if version_part != wheel.version.to_string() {
            continue;
        }
        let dashes: Vec<usize> = name.match_indices('-').map(|(i, _)| i).collect();
        // Parsed, so there are at least four dashes.
        let (head, tags) = name.split_at(dashes[dashes.len() - 3]);
        let expected = format!("{head}{}", tags.to_lowercase());
        assert_eq!(wheel.to_string(), expected);
        assert_eq!(expected.parse::<WheelFilename>().unwrap(), wheel);
        checked += 1;
    }
    assert!(checked > 5000, "{checked}");
}
