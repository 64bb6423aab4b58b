//! Archive opening, reading and drop-time validation, against wheels built
//! byte by byte: one good wheel, and each hostile variant with its pinned message.

use std::borrow::Cow;

use _native::archive::{Archive, ArchiveError, Limits};
use _native::wheel::{verify, verify_with, VerifiedWheel, VerifyError};

use crate::zipbuild::{deflate, Member, TempDir, Zip};

fn good_files() -> Vec<Member> {
    vec![
        Member::dir("demo/"),
        Member::new("demo/__init__.py", b"from .core import answer\n"),
        Member::deflated(
            "demo/core.py",
            &b"def answer():\n    return 42\n".repeat(20),
        ),
        Member::new("demo/empty.txt", b""),
        Member::new("demo/__pycache__/core.cpython-311.pyc", b"\x00bytecode"),
    ]
}

fn good() -> Zip {
    Zip::wheel(good_files())
}

/// Opens and validates `zip`, written to a temp file; the error text with the path replaced by `W`.
fn check(zip: &Zip) -> Result<VerifiedWheel, String> {
    let dir = TempDir::new("check");
    let path = dir.write("demo-1.0-py3-none-any.whl", &zip.build());
    let result = Archive::open(&path)
        .map_err(VerifyError::from)
        .and_then(|a| verify(&a));
    result.map_err(|e| e.to_string().replace(&path.display().to_string(), "W"))
}

#[test]
fn ok_good_wheel() {
    let zip = good();
    let dir = TempDir::new("good");
    let path = dir.write("demo-1.0-py3-none-any.whl", &zip.build());
    let archive = Archive::open(&path).unwrap();
    assert_eq!(archive.members().len(), 8);
    let init = archive.read("demo/__init__.py").unwrap();
    assert!(
        matches!(init, Cow::Borrowed(_)),
        "stored members are zero-copy"
    );
    assert_eq!(&*init, b"from .core import answer\n");
    let core = archive.read("demo/core.py").unwrap();
    assert!(matches!(core, Cow::Owned(_)));
    assert_eq!(core.len(), 28 * 20);
    assert_eq!(&*archive.read("demo/empty.txt").unwrap(), b"");
    let info = archive.member("demo/core.py").unwrap();
    assert_eq!(info.compression_method, 8);
    assert!(archive.member("demo/").unwrap().is_dir);
    assert!(archive.member("demo").is_none());

    let validated = verify(&archive).unwrap();
    assert_eq!(validated.dist_info, "demo-1.0.dist-info");
    assert_eq!(validated.directories, ["demo/"]);
    assert_eq!(
        validated.members,
        [
            "demo/__init__.py",
            "demo/core.py",
            "demo/empty.txt",
            "demo/__pycache__/core.cpython-311.pyc",
            "demo-1.0.dist-info/WHEEL",
            "demo-1.0.dist-info/METADATA",
            "demo-1.0.dist-info/RECORD",
        ]
    );
    assert_eq!(
        validated.bytecode,
        ["demo/__pycache__/core.cpython-311.pyc"]
    );
    assert_eq!(validated.record.entries.len(), 7);
}

#[test]
fn ok_tricky_but_valid_layouts() {
    let variants: Vec<(&str, Zip)> = vec![
        ("comment", {
            let mut z = good();
            z.comment = b"built by a test".to_vec();
            z
        }),
        ("descriptors", {
            let mut z = good();
            z.member("demo/core.py").descriptor = Some(true);
            z.member("demo/__init__.py").descriptor = Some(false);
            z
        }),
        ("zip64", {
            let mut z = good();
            z.zip64_end = true;
            z.member("demo/core.py").zip64 = true;
            z.member("demo/__init__.py").zip64 = true;
            z.member("demo/__init__.py").descriptor = Some(true);
            z
        }),
        ("extra fields", {
            let mut z = good();
            let m = z.member("demo/core.py");
            m.local_extra = vec![0x55, 0x54, 5, 0, 1, 0, 0, 0, 0];
            m.central_extra = vec![0x55, 0x54, 5, 0, 1, 0, 0, 0, 0];
            m.comment = b"member comment".to_vec();
            z
        }),
        ("utf-8 names", {
            let mut files = good_files();
            files.push(Member::new("demo/données.txt", b"x"));
            Zip::wheel(files)
        }),
    ];
    for (label, zip) in variants {
        check(&zip).unwrap_or_else(|e| panic!("{label}: {e}"));
    }
}

/// Each hostile variant and the message that refuses it (`W` is the wheel's path).
#[test]
fn err_hostile_variants() {
    type Patch = fn(&mut Zip);
    let cases: Vec<(&str, Patch, &str)> = vec![
        ("absolute name", |z| {
            z.members.insert(0, Member::new("/etc/x", b""));
            z.add_record();
        }, "W: member \"/etc/x\": absolute member name"),
        ("dot-dot", |z| {
            z.members.insert(0, Member::new("demo/../../x.py", b""));
            z.add_record();
        }, "W: member \"demo/../../x.py\": member name has a '..' segment"),
        ("backslash", |z| {
            z.members.insert(0, Member::new("demo\\x.py", b""));
            z.add_record();
        }, "W: member \"demo\\x.py\": member name contains a backslash"),
        ("drive letter", |z| {
            z.members.insert(0, Member::new("C:/x.py", b""));
            z.add_record();
        }, "W: member \"C:/x.py\": member name starts with a drive letter"),
        ("control character", |z| {
            z.members.insert(0, Member::new("demo/x\u{1b}.py", b""));
            z.add_record();
        }, "W: member \"demo/x\u{1b}.py\": member name contains control character '\\u{1b}'"),
        ("non-utf-8 name", |z| {
            let mut m = Member::new("x", b"");
            m.name = b"demo/\xff.py".to_vec();
            z.members.insert(0, m);
        }, "W: member \"demo/\u{fffd}.py\": member name is not valid utf-8"),
        ("unflagged non-ascii name", |z| {
            let mut m = Member::new("demo/é.py", b"");
            m.no_utf8_flag = true;
            z.members.insert(0, m);
            z.add_record();
        }, "W: member \"demo/é.py\": non-ascii member name without the utf-8 flag"),
        ("duplicate", |z| {
            z.members.insert(0, Member::new("demo/core.py", b"evil"));
        }, "W: member \"demo/core.py\": duplicate member name"),
        ("case duplicate", |z| {
            z.members.push(Member::new("demo/Core.py", b"evil"));
            z.add_record();
        }, "W: member \"demo/Core.py\": member name collides with \"demo/core.py\" when case is ignored"),
        ("fold duplicate", |z| {
            z.members.push(Member::new("demo/straße.py", b"a"));
            z.members.push(Member::new("demo/STRASSE.py", b"b"));
            z.add_record();
        }, "W: member \"demo/STRASSE.py\": member name collides with \"demo/straße.py\" when case is ignored"),
        ("decomposed name", |z| {
            z.members.push(Member::new("demo/e\u{301}.py", b"a"));
            z.add_record();
        }, "W: member \"demo/e\u{301}.py\": member name contains combining character U+0301 (unicode normalisation could make it collide with another name)"),
        ("file is also a directory", |z| {
            z.members.push(Member::new("demo/core.py/x.py", b"a"));
            z.add_record();
        }, "W: member \"demo/core.py/x.py\": its parent directory collides with the file \"demo/core.py\""),
        ("local name differs", |z| {
            z.member("demo/core.py").local_name = Some(b"demo/evil.py".to_vec());
        }, "W: member \"demo/core.py\": local file header names \"demo/evil.py\""),
        ("local method differs", |z| {
            z.member("demo/__init__.py").local_method = Some(8);
        }, "W: member \"demo/__init__.py\": local file header compression method 8 differs from the central directory's 0"),
        ("local crc differs", |z| {
            z.member("demo/__init__.py").local_crc = Some(1);
        }, "W: member \"demo/__init__.py\": local file header crc-32 0x00000001 differs from the central directory's 0xce5c8c3e"),
        ("local size differs", |z| {
            z.member("demo/__init__.py").local_size = Some(1);
        }, "W: member \"demo/__init__.py\": local file header size 1 differs from the central directory's 25"),
        ("local flags differ", |z| {
            z.member("demo/__init__.py").local_flags = Some(0x0800);
        }, "W: member \"demo/__init__.py\": local file header flags 0x0800 differs from the central directory's 0x0000"),
        ("prefixed", |z| {
            z.prefix_absolute = b"#!/bin/sh\nexec python3 \"$0\"\n".to_vec();
        }, "W: 28 bytes of unexpected data before the first member"),
        ("prefixed without offsets", |z| {
            z.prefix = vec![0; 100];
        }, "W: the central directory (offset 942, size 528) does not end where the end of central directory record begins (offset 1570)"),
        ("data between members", |z| {
            z.member("demo/__init__.py").trailing = b"junk".to_vec();
        }, "W: member \"demo/core.py\": 4 bytes of unexpected data before the member"),
        ("data before the central directory", |z| {
            z.member("demo-1.0.dist-info/RECORD").trailing = b"junk".to_vec();
        }, "W: 4 bytes of unexpected data before the central directory"),
        ("data before the end record", |z| {
            z.before_end = b"junk".to_vec();
        }, "W: the central directory (offset 942, size 528) does not end where the end of central directory record begins (offset 1474)"),
        ("zip in the comment", |z| {
            let inner = Zip::wheel(vec![Member::new("evil.py", b"")]).build();
            z.comment = inner;
        }, "W: the archive comment contains an end of central directory signature"),
        ("overlap", |z| {
            z.member("demo/empty.txt").central_offset = Some(0);
        }, "W: member \"demo/empty.txt\": member overlaps member \"demo/\""),
        ("method", |z| {
            let m = z.member("demo/core.py");
            m.central_method = Some(12);
            m.local_method = Some(12);
        }, "W: member \"demo/core.py\": compression method 12 is not supported"),
        ("encrypted", |z| {
            z.member("demo/core.py").flags = 1;
        }, "W: member \"demo/core.py\": encrypted members are not supported"),
        ("symlink", |z| {
            z.members.push(Member { mode: Some(0o120777), ..Member::new("demo/link", b"/etc/passwd") });
            z.add_record();
        }, "W: member \"demo/link\": symbolic links are not allowed"),
        ("fifo", |z| {
            z.members.push(Member { mode: Some(0o010644), ..Member::new("demo/fifo", b"") });
            z.add_record();
        }, "W: member \"demo/fifo\": file type 0o10000 is not allowed"),
        ("no dist-info", |z| {
            z.members.retain(|m| !m.name.starts_with(b"demo-1.0.dist-info"));
        }, "W: expected exactly one .dist-info directory, found 0"),
        ("two dist-infos", |z| {
            z.members.push(Member::new("other-2.0.dist-info/WHEEL", b""));
            z.add_record();
        }, "W: expected exactly one .dist-info directory, found 2 (demo-1.0.dist-info, other-2.0.dist-info)"),
        ("no METADATA", |z| {
            z.members.retain(|m| m.name != b"demo-1.0.dist-info/METADATA");
            z.add_record();
        }, "W: member \"demo-1.0.dist-info/METADATA\": required file is missing"),
        ("unlisted member", |z| {
            z.members.insert(0, Member::new("demo/extra.py", b"x = 1\n"));
        }, "W: member \"demo/extra.py\": not listed in RECORD"),
        ("unlisted bytecode", |z| {
            z.members.insert(0, Member::new("demo/__pycache__/x.pyc", b"x"));
        }, "W: member \"demo/__pycache__/x.pyc\": not listed in RECORD"),
        ("record row for a missing file", |z| {
            let text = z.record_text() + "demo/ghost.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n";
            z.member("demo-1.0.dist-info/RECORD").data = text.into_bytes();
        }, "W: member \"demo/ghost.py\": listed in RECORD but not in the archive"),
        ("record hashes itself", |z| {
            let text = z.record_text().replace(
                "demo-1.0.dist-info/RECORD,,",
                "demo-1.0.dist-info/RECORD,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0",
            );
            z.member("demo-1.0.dist-info/RECORD").data = text.into_bytes();
        }, "W: member \"demo-1.0.dist-info/RECORD\": RECORD lists a hash for itself"),
        ("hash mismatch", |z| {
            z.member("demo/core.py").data[0] = b'D';
        }, "W: member \"demo/core.py\": sha256 does not match RECORD"),
        ("size mismatch", |z| {
            z.member("demo/__init__.py").data.push(b'\n');
        }, "W: member \"demo/__init__.py\": member is 26 bytes, RECORD says 25"),
        ("no hash", |z| {
            let text = z.record_text().replace("demo/empty.txt,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0", "demo/empty.txt,,0");
            z.member("demo-1.0.dist-info/RECORD").data = text.into_bytes();
        }, "W: member \"demo/empty.txt\": RECORD has no hash for it"),
        ("md5", |z| {
            let text = z.record_text().replace("demo/empty.txt,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0", "demo/empty.txt,md5=1B2M2Y8AsgTpgAmY7PhCfg,0");
            z.member("demo-1.0.dist-info/RECORD").data = text.into_bytes();
        }, "W: member \"demo/empty.txt\": RECORD hash algorithm \"md5\" is not supported (sha256 expected)"),
        ("malformed record", |z| {
            z.member("demo-1.0.dist-info/RECORD").data = b"demo/core.py,sha256\n".to_vec();
        }, "W: member \"demo-1.0.dist-info/RECORD\": RECORD line 1: expected 3 fields, found 2"),
        ("crc mismatch", |z| {
            z.member("demo/core.py").central_crc = Some(0xdead_beef);
            z.member("demo/core.py").local_crc = Some(0xdead_beef);
        }, "W: member \"demo/core.py\": crc-32 mismatch (central directory says 0xdeadbeef, data has 0xa2933b46)"),
        ("inflates past its size", |z| {
            let m = z.member("demo/core.py");
            m.central_size = Some(10);
            m.local_size = Some(10);
        }, "W: member \"demo/core.py\": member inflates past its declared size 10"),
        ("corrupt deflate data", |z| {
            z.member("demo/core.py").raw_override = Some(vec![0xff; 40]);
        }, "W: member \"demo/core.py\": member data is not valid deflate data (corrupt deflate stream)"),
        ("truncated central directory", |z| {
            z.entries_override = Some(12);
        }, "W: the central directory (528 bytes) is too small for 12 entries"),
        ("entries miscounted", |z| {
            z.entries_override = Some(7);
        }, "W: 71 bytes of unexpected data at the end of the central directory"),
        ("entry past the central directory", |z| {
            z.member("demo-1.0.dist-info/RECORD").central_offset = Some(5000);
        }, "W: member \"demo-1.0.dist-info/RECORD\": member data extends past the start of the central directory"),
    ];
    let mut failures = Vec::new();
    for (label, patch, expected) in cases {
        let mut zip = good();
        patch(&mut zip);
        match check(&zip) {
            Ok(_) => failures.push(format!("{label}: accepted")),
            Err(message) if message != expected => failures.push(format!(
                "{label}:\n  got      {message}\n  expected {expected}"
            )),
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Opens and validates `zip` under `limits`; the error text with the path replaced by `W`.
fn check_with(zip: &Zip, limits: &Limits) -> Result<VerifiedWheel, String> {
    let dir = TempDir::new("check-limits");
    let path = dir.write("demo-1.0-py3-none-any.whl", &zip.build());
    let result = Archive::open(&path)
        .map_err(VerifyError::from)
        .and_then(|a| verify_with(&a, limits));
    result.map_err(|e| e.to_string().replace(&path.display().to_string(), "W"))
}

/// A wheel holding `count` members of `size` zeros each, under `demo.libs/`.
fn zeros(count: usize, size: usize) -> Zip {
    let mut files = good_files();
    for i in 0..count {
        files.push(Member::deflated(
            &format!("demo.libs/libz{i}.so"),
            &vec![0u8; size],
        ));
    }
    Zip::wheel(files)
}

#[test]
fn ok_compressible_members_within_budgets() {
    // 4 MiB of zeros deflates at 1028:1: compressing well is no attack.
    let validated = check(&zeros(1, 4 << 20)).unwrap();
    assert!(validated
        .members
        .contains(&"demo.libs/libz0.so".to_string()));
    let tight = Limits {
        max_member_size: 4 << 20,
        max_total_size: 9 << 20,
        ..Limits::default()
    };
    assert!(check_with(&zeros(2, 4 << 20), &tight).is_ok());
}

#[test]
fn err_members_past_budgets() {
    let limits = Limits {
        max_member_size: 1 << 20,
        ..Limits::default()
    };
    assert_eq!(
        check_with(&zeros(1, 4 << 20), &limits).unwrap_err(),
        "W: member \"demo.libs/libz0.so\": inflates to 4194304 bytes, past the 1048576-byte \
         limit for one member (--max-member-size)"
    );
    let limits = Limits {
        max_total_size: 6 << 20,
        ..Limits::default()
    };
    let err = check_with(&zeros(2, 4 << 20), &limits).unwrap_err();
    assert!(
        err.starts_with("W: members inflate to 8")
            && err.ends_with("bytes in all, past the 6291456-byte limit (--max-total-size)"),
        "{err}"
    );
}

#[test]
fn err_bomb_past_the_ratio_floor() {
    // The floor scaled down to test sizes: the rule is the same at 256 MiB.
    let limits = Limits {
        ratio_floor: 2 << 20,
        ..Limits::default()
    };
    assert_eq!(
        check_with(&zeros(1, 4 << 20), &limits).unwrap_err(),
        "W: member \"demo.libs/libz0.so\": inflates to 4194304 bytes at a compression ratio of \
         1028:1, past the 1000:1 limit for members over 2097152 bytes (a likely zip bomb)"
    );
    // Many members each under the floor: the archive as a whole is the bomb.
    // (The good members' overhead keeps this archive under 1000:1 as a whole, so the test
    // lowers the limit to 500:1.)
    let limits = Limits {
        ratio_floor: 3 << 20,
        max_ratio: 500,
        ..Limits::default()
    };
    assert!(check_with(&zeros(2, 1 << 20), &limits).is_ok());
    let err = check_with(&zeros(4, 1 << 20), &limits).unwrap_err();
    assert!(
        err.starts_with("W: members inflate to 4")
            && err.contains(
                ":1, past the 500:1 limit for archives over 3145728 bytes (a likely zip bomb)"
            ),
        "{err}"
    );
}

#[test]
fn err_truncated_files_never_panic() {
    let bytes = good().build();
    let dir = TempDir::new("truncated");
    for len in (0..bytes.len()).step_by(7) {
        let path = dir.write("t.whl", &bytes[..len]);
        if let Ok(archive) = Archive::open(&path) {
            let _ = verify(&archive);
        }
    }
    let path = dir.write("t.whl", &bytes[..10]);
    assert_eq!(
        Archive::open(&path).unwrap_err().to_string(),
        format!(
            "{}: file is too small to be a zip archive (10 bytes)",
            path.display()
        )
    );
}

#[test]
fn err_every_flipped_byte_is_an_error_or_harmless() {
    // Flip each byte of a small wheel: open, read every member and validate must
    // never panic, whatever the damage.
    let bytes = Zip::wheel(vec![Member::deflated("a.py", b"print('hi')\n")]).build();
    let dir = TempDir::new("flip");
    for at in 0..bytes.len() {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0xA5;
        let path = dir.write("f.whl", &damaged);
        if let Ok(archive) = Archive::open(&path) {
            for i in 0..archive.members().len() {
                let _ = archive.read_index(i);
            }
            let _ = verify(&archive);
        }
    }
}

#[test]
fn err_read_errors_name_archive_and_member() {
    let dir = TempDir::new("read");
    let mut zip = good();
    zip.member("demo/core.py").central_crc = Some(7);
    let path = dir.write("w.whl", &zip.build());
    let archive = Archive::open(&path).unwrap();
    let err = archive.read("demo/core.py").unwrap_err();
    assert!(matches!(err, ArchiveError::Member { .. }));
    assert_eq!(err.member_name(), Some("demo/core.py"));
    assert_eq!(
        archive.read("nope.py").unwrap_err().to_string(),
        format!("{}: member \"nope.py\": no such member", path.display())
    );
    // An impossible declared size is refused before anything is allocated.
    let mut zip = good();
    let m = zip.member("demo/core.py");
    m.central_size = Some(1 << 31);
    let path = dir.write("w2.whl", &zip.build());
    let archive = Archive::open(&path).unwrap();
    let raw_len = deflate(&b"def answer():\n    return 42\n".repeat(20)).len();
    assert_eq!(
        archive.read("demo/core.py").unwrap_err().to_string(),
        format!(
            "{}: member \"demo/core.py\": declared size 2147483648 is impossible for {raw_len} bytes of deflate data",
            path.display()
        )
    );
}
