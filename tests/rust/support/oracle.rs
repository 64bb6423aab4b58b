//! Runs `tests/tools/packaging_oracle.py`, the reference `packaging` answers.

use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::json::Json;

/// The interpreter that runs the oracle: `$PYTHON`, else `python3` on PATH.
fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// A file of the repository. Ex) `tests/data/wheel-filenames.txt`
pub fn repo_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// Runs the oracle in `mode` with `input` on stdin; one JSON value per output line.
///
/// Panics with the oracle's stderr when it fails (for instance when `packaging` is
/// missing or older than 26.3): the differential tests need it.
pub fn run(mode: &str, input: &str) -> Vec<Json> {
    let python = python();
    let mut child = Command::new(&python)
        .arg(repo_path("tests/tools/packaging_oracle.py"))
        .arg(mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| {
            panic!("cannot run {python} (set $PYTHON to a python with packaging >= 26.3): {err}")
        });
    let mut stdin = child.stdin.take().expect("stdin was piped");
    let input = input.to_owned();
    // Written from a thread: the oracle answers while it reads, and a full pipe would
    // deadlock a single-threaded writer.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("oracle output");
    writer.join().expect("writer thread").expect("oracle stdin");
    assert!(
        output.status.success(),
        "the packaging oracle failed ({python} {mode}): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("UTF-8 oracle output")
        .lines()
        .map(Json::parse)
        .collect()
}

/// A readable diff of two tag lists: the first differing position with some context,
/// and what each side has that the other lacks.
pub fn diff(want: &[String], got: &[String]) -> Option<String> {
    if want == got {
        return None;
    }
    let first = want
        .iter()
        .zip(got)
        .position(|(w, g)| w != g)
        .unwrap_or(want.len().min(got.len()));
    let from = first.saturating_sub(3);
    let show = |list: &[String]| {
        list.iter()
            .enumerate()
            .skip(from)
            .take(8)
            .map(|(i, t)| format!("    {i:5} {t}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (want_set, got_set): (HashSet<&String>, HashSet<&String>) =
        (want.iter().collect(), got.iter().collect());
    let missing: Vec<&String> = want
        .iter()
        .filter(|t| !got_set.contains(t))
        .take(10)
        .collect();
    let extra: Vec<&String> = got
        .iter()
        .filter(|t| !want_set.contains(t))
        .take(10)
        .collect();
    Some(format!(
        "packaging gives {} tags, wheelhook {}; first difference at {first}\n  packaging:\n{}\n  wheelhook:\n{}\n  missing in wheelhook: {missing:?}\n  extra in wheelhook: {extra:?}",
        want.len(),
        got.len(),
        show(want),
        show(got),
    ))
}
