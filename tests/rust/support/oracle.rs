//! The one launcher of the Python oracles: `packaging`, `zipfile` and `hashlib` answers that
//! the differential tests compare wheelhook with.
//!
//! Every oracle runs under [`python`]: `$PYTHON` (`scripts/test.sh` points it at its tools'
//! environment, which has `packaging`), else `python3` on PATH. An oracle that cannot run
//! fails its test with the interpreter named and how to choose another: a differential test
//! that quietly passes without its reference would prove nothing. The one exception is the
//! requirements table, which [`skipped`] lets a machine without `packaging` leave out.

use std::collections::HashSet;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::json::Json;

/// The interpreter that runs the oracles: `$PYTHON`, else `python3` on PATH.
pub fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// A file of the repository. Ex) `tests/data/wheel-filenames.txt`
pub fn repo_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// Whether `WHEELHOOK_NO_ORACLE` is set, which skips the differential test against
/// `packaging` named `test` where `packaging` cannot be installed; says so on stderr.
pub fn skipped(test: &str) -> bool {
    let skip = std::env::var_os("WHEELHOOK_NO_ORACLE").is_some();
    if skip {
        eprintln!("WHEELHOOK_NO_ORACLE is set: {test} is skipped");
    }
    skip
}

/// One run of an oracle: a script of `tests/tools/` or a `-c` program, with its arguments
/// and what it reads on stdin.
pub struct Oracle {
    /// Ex) `zipfile_oracle.py`: named in failures.
    name: String,
    args: Vec<OsString>,
    stdin: Vec<u8>,
}

impl Oracle {
    /// The script `tests/tools/<name>`. Ex) `packaging_oracle.py`
    pub fn script(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            args: vec![repo_path("tests/tools").join(name).into_os_string()],
            stdin: Vec::new(),
        }
    }

    /// A program given inline, as `python -c CODE`; `name` says what it is in failures.
    pub fn code(name: &str, code: &str) -> Self {
        Self {
            name: name.to_owned(),
            args: vec!["-c".into(), code.into()],
            stdin: Vec::new(),
        }
    }

    /// Adds a command-line argument.
    pub fn arg(mut self, arg: impl AsRef<Path>) -> Self {
        self.args.push(arg.as_ref().as_os_str().to_owned());
        self
    }

    /// What the oracle reads on stdin (nothing unless set).
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = bytes.into();
        self
    }

    /// Runs the oracle to completion; its stdout.
    ///
    /// Panics with the oracle's stderr when it cannot run or fails (for instance when
    /// `packaging` is missing or too old): the differential tests need it.
    pub fn output(self) -> Vec<u8> {
        let python = python();
        let mut child = Command::new(&python)
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| {
                panic!(
                    "cannot run {python} for {} (set $PYTHON to a python with packaging >= 26.3): {err}",
                    self.name
                )
            });
        let mut stdin = child.stdin.take().expect("stdin was piped");
        let input = self.stdin;
        // Written from a thread: an oracle answers while it reads, and a full pipe would
        // deadlock a single-threaded writer.
        let writer = std::thread::spawn(move || stdin.write_all(&input));
        let output = child.wait_with_output().expect("oracle output");
        writer.join().expect("writer thread").expect("oracle stdin");
        assert!(
            output.status.success(),
            "the oracle {} failed under {python} (is packaging >= 26.3 installed for it? set $PYTHON to choose another): {}",
            self.name,
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    }

    /// [`Oracle::output`] as UTF-8 text.
    pub fn text(self) -> String {
        String::from_utf8(self.output()).expect("UTF-8 oracle output")
    }

    /// [`Oracle::output`] as one JSON value per line.
    pub fn json_lines(self) -> Vec<Json> {
        self.text().lines().map(Json::parse).collect()
    }
}

/// Runs `tests/tools/packaging_oracle.py` in `mode` with `input` on stdin: the reference
/// `packaging` answers, one JSON value per output line.
pub fn packaging(mode: &str, input: &str) -> Vec<Json> {
    Oracle::script("packaging_oracle.py")
        .arg(mode)
        .stdin(input)
        .json_lines()
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
