//! Differential tests against Python: every archive Rust accepts must hold
//! exactly the members and bytes `zipfile` sees, and SHA-256 must agree with
//! `hashlib`. The oracles run under `$PYTHON` (or `python3`), see `support/oracle.rs`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use _native::archive::Archive;
use _native::hash::sha256;
use _native::wheel::verify;

use crate::support::oracle::Oracle;
use crate::zipbuild::{Member, TempDir, Zip};

/// One member as seen by either side: name, CRC-32, size, sha256 of the bytes (hex).
type Seen = (String, u32, u64, String);

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// Runs the oracle over `paths`: per path, the members zipfile sees or its error.
fn zipfile_sees(paths: &[PathBuf]) -> HashMap<PathBuf, Result<Vec<Seen>, String>> {
    let text = paths
        .iter()
        .fold(Oracle::script("zipfile_oracle.py"), Oracle::arg)
        .text();
    let mut seen = HashMap::new();
    let mut current: Option<PathBuf> = None;
    for line in text.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields[..] {
            ["archive", path, "ok", _] => {
                current = Some(PathBuf::from(path));
                seen.insert(PathBuf::from(path), Ok(Vec::new()));
            }
            ["archive", path, "error", error] => {
                current = None;
                seen.insert(PathBuf::from(path), Err(error.to_string()));
            }
            ["member", name, crc, size, digest] => {
                let path = current
                    .as_ref()
                    .expect("member line after an ok archive line");
                let Some(Ok(members)) = seen.get_mut(path) else {
                    unreachable!()
                };
                members.push((
                    String::from_utf8(unhex(name)).unwrap(),
                    crc.parse().unwrap(),
                    size.parse().unwrap(),
                    digest.to_string(),
                ));
            }
            _ => panic!("unexpected oracle line {line:?}"),
        }
    }
    seen
}

/// What Rust sees in an archive it accepts (open + validate), or why it refuses.
fn rust_sees(path: &Path) -> Result<Vec<Seen>, String> {
    let archive = Archive::open(path).map_err(|e| e.to_string())?;
    verify(&archive).map_err(|e| e.to_string())?;
    archive
        .members()
        .iter()
        .map(|m| {
            let bytes = archive.read(&m.name).map_err(|e| e.to_string())?;
            Ok((
                m.name.clone(),
                m.crc32,
                bytes.len() as u64,
                hex(&sha256(&bytes)),
            ))
        })
        .collect()
}

fn files() -> Vec<Member> {
    vec![
        Member::dir("pkg/"),
        Member::new("pkg/__init__.py", b"VALUE = 1\n"),
        Member::deflated("pkg/big.py", &b"# filler line\n".repeat(500)),
        Member::new("pkg/empty.py", b""),
        Member::deflated("pkg/empty_deflated.txt", b""),
        Member::new("pkg/data/blob.bin", &(0..=255u8).collect::<Vec<_>>()),
    ]
}

/// The archives: `(label, zip, Rust must accept it)`.
fn corpus() -> Vec<(&'static str, Zip, bool)> {
    let wheel = || Zip::wheel(files());
    let mut out: Vec<(&'static str, Zip, bool)> = Vec::new();
    out.push(("plain", wheel(), true));
    out.push((
        "comment",
        {
            let mut z = wheel();
            z.comment = b"a comment, with PK in it".to_vec();
            z
        },
        true,
    ));
    out.push((
        "descriptors",
        {
            let mut z = wheel();
            z.member("pkg/big.py").descriptor = Some(true);
            z.member("pkg/__init__.py").descriptor = Some(false);
            z.member("pkg/empty_deflated.txt").descriptor = Some(true);
            z
        },
        true,
    ));
    out.push((
        "zip64",
        {
            let mut z = wheel();
            z.zip64_end = true;
            for name in ["pkg/big.py", "pkg/__init__.py", "pkg/empty.py"] {
                z.member(name).zip64 = true;
            }
            z.member("pkg/empty.py").descriptor = Some(true);
            z
        },
        true,
    ));
    out.push((
        "extra fields and comments",
        {
            let mut z = wheel();
            let m = z.member("pkg/big.py");
            m.local_extra = vec![0x55, 0x54, 5, 0, 1, 0, 0, 0, 0];
            m.central_extra = vec![0x55, 0x54, 5, 0, 1, 0, 0, 0, 0, 0x75, 0x78, 0, 0];
            m.comment = b"member comment".to_vec();
            z
        },
        true,
    ));
    out.push((
        "utf-8 names",
        {
            let mut f = files();
            f.push(Member::new("pkg/données/été.txt", b"summer"));
            Zip::wheel(f)
        },
        true,
    ));
    out.push((
        "comma in a name",
        {
            let mut f = files();
            f.push(Member::new("pkg/a,b \"c\".txt", b"quoted in RECORD"));
            Zip::wheel(f)
        },
        true,
    ));
    // Archives Rust must refuse; zipfile may or may not read them.
    out.push((
        "prefixed",
        {
            let mut z = wheel();
            z.prefix_absolute = b"#!/bin/sh\n".to_vec();
            z
        },
        false,
    ));
    out.push((
        "prefixed, relative offsets",
        {
            let mut z = wheel();
            z.prefix = b"#!/bin/sh\n".to_vec();
            z
        },
        false,
    ));
    out.push((
        "duplicate",
        {
            let mut z = wheel();
            z.members
                .push(Member::new("pkg/__init__.py", b"EVIL = 1\n"));
            z
        },
        false,
    ));
    out.push((
        "local name differs",
        {
            let mut z = wheel();
            z.member("pkg/__init__.py").local_name = Some(b"pkg/__evil__.py".to_vec());
            z
        },
        false,
    ));
    out.push((
        "unflagged utf-8 name",
        {
            let mut f = files();
            f.push(Member {
                no_utf8_flag: true,
                ..Member::new("pkg/é.txt", b"x")
            });
            Zip::wheel(f)
        },
        false,
    ));
    out.push((
        "zip in the comment",
        {
            let mut z = wheel();
            z.comment = Zip::wheel(vec![Member::new("evil.py", b"")]).build();
            z
        },
        false,
    ));
    out.push((
        "bad crc",
        {
            let mut z = wheel();
            z.member("pkg/big.py").central_crc = Some(5);
            z.member("pkg/big.py").local_crc = Some(5);
            z
        },
        false,
    ));
    out
}

#[test]
fn ok_accepted_archives_match_zipfile() {
    let dir = TempDir::new("differential");
    let corpus = corpus();
    let paths: Vec<PathBuf> = corpus
        .iter()
        .enumerate()
        .map(|(i, (_, zip, _))| dir.write(&format!("case{i}.whl"), &zip.build()))
        .collect();
    let oracle = zipfile_sees(&paths);
    let mut failures = Vec::new();
    for ((label, _, must_accept), path) in corpus.iter().zip(&paths) {
        let rust = rust_sees(path);
        let python = &oracle[path];
        // Shown with --nocapture: where the two readers part ways.
        println!(
            "{label}: rust {}, zipfile {}",
            rust.as_ref().map_or_else(
                |e| format!("refuses ({e})"),
                |m| format!("accepts {} members", m.len())
            ),
            python.as_ref().map_or_else(
                |e| format!("fails ({e})"),
                |m| format!("reads {} members", m.len())
            ),
        );
        match (&rust, must_accept) {
            (Ok(_), false) => failures.push(format!("{label}: Rust accepted a hostile archive")),
            (Err(e), true) => failures.push(format!("{label}: Rust refused: {e}")),
            _ => {}
        }
        if let Ok(members) = &rust {
            match python {
                Ok(expected) if expected == members => {}
                Ok(expected) => failures.push(format!(
                    "{label}: Rust sees {members:?}\n  zipfile sees {expected:?}"
                )),
                Err(e) => failures.push(format!("{label}: Rust accepts, zipfile fails: {e}")),
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn ok_sha256_matches_hashlib() {
    // xorshift: deterministic "random" bytes without a crate.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut random = |len: usize| -> Vec<u8> {
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect()
    };
    for len in [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 65_537, 1 << 20] {
        let data = random(len);
        let expected = Oracle::code(
            "hashlib",
            "import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())",
        )
        .stdin(data.clone())
        .text();
        assert_eq!(hex(&sha256(&data)), expected.trim(), "length {len}");
    }
}

#[test]
fn ok_wheels_written_by_zipfile_are_accepted_and_match() {
    let dir = TempDir::new("pywriter");
    let paths: Vec<PathBuf> = Oracle::script("zipfile_writer.py")
        .arg(&dir.0)
        .text()
        .lines()
        .map(PathBuf::from)
        .collect();
    assert_eq!(paths.len(), 5);
    let oracle = zipfile_sees(&paths);
    for path in &paths {
        let rust = rust_sees(path).unwrap_or_else(|e| panic!("Rust refused: {e}"));
        assert_eq!(oracle[path].as_ref().unwrap(), &rust, "{}", path.display());
    }
}
