//! Supported tags against `packaging.tags`: the running interpreter against
//! `sys_tags()`, and a table of other interpreters and platforms against packaging's
//! generators with the machine facts patched in.

use _native::wheel::{InterpreterFacts, Platform, SupportedTags, WheelFilename};

use crate::support::json::Json;
use crate::support::oracle;

/// A platform both as wheelhook's [`Platform`] and as the oracle's JSON spec.
struct PlatformCase {
    platform: Platform,
    spec: String,
}

fn linux(arch: &str, glibc: Option<(u16, u16)>, musl: Option<(u16, u16)>) -> PlatformCase {
    let json = |v: Option<(u16, u16)>| v.map_or("null".to_owned(), |(a, b)| format!("[{a}, {b}]"));
    PlatformCase {
        platform: Platform::Linux {
            arch: arch.to_owned(),
            glibc,
            musl,
        },
        spec: format!(
            r#"{{"os": "linux", "arch": "{arch}", "glibc": {}, "musl": {}}}"#,
            json(glibc),
            json(musl)
        ),
    }
}

fn macos(arch: &str, version: (u16, u16)) -> PlatformCase {
    PlatformCase {
        platform: Platform::MacOs {
            arch: arch.to_owned(),
            version,
        },
        spec: format!(
            r#"{{"os": "macos", "arch": "{arch}", "version": [{}, {}]}}"#,
            version.0, version.1
        ),
    }
}

/// `sysconfig` is what `sysconfig.get_platform()` says on that machine.
fn windows(arch: &str, sysconfig: &str) -> PlatformCase {
    PlatformCase {
        platform: Platform::Windows {
            arch: arch.to_owned(),
        },
        spec: format!(r#"{{"os": "windows", "sysconfig": "{sysconfig}"}}"#),
    }
}

fn platform_cases() -> Vec<PlatformCase> {
    vec![
        linux("x86_64", Some((2, 5)), None),
        linux("x86_64", Some((2, 17)), None),
        linux("x86_64", Some((2, 31)), None),
        linux("x86_64", Some((2, 39)), None),
        linux("x86_64", Some((3, 2)), None),
        linux("x86_64", None, None),
        linux("x86_64", None, Some((1, 1))),
        linux("x86_64", None, Some((1, 2))),
        linux("i686", Some((2, 28)), None),
        linux("i686", Some((2, 4)), None),
        linux("aarch64", Some((2, 17)), None),
        linux("aarch64", Some((2, 35)), None),
        linux("aarch64", Some((2, 12)), None),
        linux("aarch64", None, Some((1, 2))),
        linux("armv7l", Some((2, 31)), None),
        linux("armv7l", None, Some((1, 2))),
        linux("armv8l", Some((2, 31)), None),
        linux("armv8l", None, Some((1, 1))),
        linux("armv6l", Some((2, 31)), None),
        linux("ppc64le", Some((2, 28)), None),
        linux("ppc64", Some((2, 17)), None),
        linux("s390x", Some((2, 17)), None),
        linux("riscv64", Some((2, 39)), Some((1, 2))),
        linux("loongarch64", Some((2, 38)), None),
        linux("mips64", Some((2, 31)), None),
        macos("x86_64", (10, 3)),
        macos("x86_64", (10, 9)),
        macos("x86_64", (10, 15)),
        macos("x86_64", (10, 16)),
        macos("x86_64", (11, 0)),
        macos("x86_64", (14, 2)),
        macos("arm64", (11, 0)),
        macos("arm64", (11, 3)),
        macos("arm64", (15, 1)),
        macos("arm64", (26, 0)),
        macos("i386", (10, 6)),
        macos("i386", (10, 3)),
        macos("ppc", (10, 5)),
        macos("ppc", (10, 7)),
        macos("ppc64", (10, 5)),
        macos("ppc64", (10, 6)),
        macos("intel", (10, 6)),
        windows("x86_64", "win-amd64"),
        windows("x86", "win32"),
        windows("aarch64", "win-arm64"),
    ]
}

/// An interpreter both as [`InterpreterFacts`] (without platform) and as the oracle's spec.
fn interpreter_cases() -> Vec<InterpreterFacts> {
    let placeholder = Platform::Other {
        platform: "any".to_owned(),
    };
    let cpython = |version, debug, free_threaded| InterpreterFacts {
        debug,
        free_threaded,
        ..InterpreterFacts::cpython(version, placeholder.clone())
    };
    let other = |implementation: &str, version, abi: Option<&str>| InterpreterFacts {
        implementation: implementation.to_owned(),
        abi: abi.map(str::to_owned),
        ..InterpreterFacts::cpython(version, placeholder.clone())
    };
    vec![
        cpython((3, 6), false, false),
        cpython((3, 7), false, false),
        cpython((3, 7), true, false),
        cpython((3, 8), false, false),
        cpython((3, 9), true, false),
        cpython((3, 11), false, false),
        cpython((3, 12), false, false),
        cpython((3, 13), false, true),
        cpython((3, 13), true, true),
        cpython((3, 14), false, false),
        cpython((3, 15), false, true),
        // Free-threading only exists from 3.13: the flag is ignored before.
        cpython((3, 12), false, true),
        cpython((3, 2), false, false),
        other("pypy", (3, 10), Some("pypy310_pp73")),
        other("pypy", (3, 11), Some("pypy311_pp73")),
        other("graalpy", (3, 11), Some("graalpy311_311_native")),
        other("ironpython", (3, 4), None),
    ]
}

fn interpreter_spec(facts: &InterpreterFacts, platform_spec: &str) -> String {
    let (major, minor) = facts.version;
    let abi = facts
        .abi
        .as_ref()
        .map_or("null".to_owned(), |a| format!("\"{a}\""));
    format!(
        r#"{{"implementation": "{}", "version": [{major}, {minor}], "debug": {}, "free_threaded": {}, "abi": {abi}, "platform": {platform_spec}}}"#,
        facts.implementation, facts.debug, facts.free_threaded
    )
}

fn strings(tags: &SupportedTags) -> Vec<String> {
    tags.tags.iter().map(ToString::to_string).collect()
}

#[test]
fn ok_platform_tags_match_packaging() {
    let cases = platform_cases();
    let input: String = cases.iter().map(|c| c.spec.clone() + "\n").collect();
    let answers = oracle::packaging("platforms", &input);
    assert_eq!(answers.len(), cases.len());
    let failures: Vec<String> = cases
        .iter()
        .zip(&answers)
        .filter_map(|(case, answer)| {
            oracle::diff(&answer.strings(), &case.platform.tags())
                .map(|d| format!("{:?}:\n{d}", case.platform))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} platforms differ:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn ok_supported_tags_match_packaging() {
    // Every interpreter on a few platforms (the lists run to thousands of tags), and
    // CPython 3.12 on every platform.
    let platforms = platform_cases();
    let mut cases = Vec::new();
    for facts in interpreter_cases() {
        for (i, platform) in platforms.iter().enumerate() {
            if matches!(i, 2 | 7 | 16 | 33 | 42)
                || (facts.version == (3, 12) && !facts.free_threaded)
            {
                cases.push((
                    InterpreterFacts {
                        platform: platform.platform.clone(),
                        ..facts.clone()
                    },
                    &platform.spec,
                ));
            }
        }
    }
    let input: String = cases
        .iter()
        .map(|(facts, spec)| interpreter_spec(facts, spec) + "\n")
        .collect();
    let answers = oracle::packaging("tags", &input);
    assert_eq!(answers.len(), cases.len());
    let failures: Vec<String> = cases
        .iter()
        .zip(&answers)
        .filter_map(|((facts, _), answer)| {
            oracle::diff(&answer.strings(), &strings(&SupportedTags::new(facts)))
                .map(|d| format!("{facts:?}:\n{d}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

/// The running interpreter as the oracle describes it, on the platform wheelhook detects.
fn running_interpreter(answer: &Json) -> InterpreterFacts {
    let facts = answer.get("facts");
    let (major, minor) = facts.get("version").pair().expect("a version");
    InterpreterFacts {
        implementation: facts.get("implementation").as_str().to_owned(),
        version: (major as u8, minor as u8),
        debug: facts.get("debug").as_bool(),
        free_threaded: facts.get("free_threaded").as_bool(),
        abi: match facts.get("abi") {
            Json::Null => None,
            abi => Some(abi.as_str().to_owned()),
        },
        platform: Platform::detect(),
    }
}

#[test]
fn ok_sys_tags_match_packaging() {
    let answer = &oracle::packaging("sys-tags", "")[0];
    let facts = running_interpreter(answer);
    if let Platform::Linux { glibc, musl, .. } = &facts.platform {
        let pair = |v: Option<(u16, u16)>| v.map(|(a, b)| (u64::from(a), u64::from(b)));
        let python = answer.get("facts");
        assert_eq!(
            pair(*glibc),
            python.get("glibc").pair(),
            "glibc: wheelhook vs packaging"
        );
        assert_eq!(
            pair(*musl),
            python.get("musl").pair(),
            "musl: wheelhook vs packaging"
        );
    }
    let want = answer.get("tags").strings();
    let got = strings(&SupportedTags::new(&facts));
    if let Some(diff) = oracle::diff(&want, &got) {
        panic!(
            "sys_tags() of {facts:?} (sysconfig platform {:?}):\n{diff}",
            answer.get("facts").get("sysconfig_platform")
        );
    }
}

#[test]
fn ok_rank_agrees_with_packaging_selector() {
    // The best wheel per the rank is the first one packaging's tag order accepts.
    let answer = &oracle::packaging("sys-tags", "")[0];
    let supported = SupportedTags::new(&running_interpreter(answer));
    let order = answer.get("tags").strings();
    let names =
        std::fs::read_to_string(oracle::repo_path("tests/data/wheel-filenames.txt")).unwrap();
    let mut compatible = 0;
    for name in names.lines().filter(|l| !l.starts_with('#')) {
        let wheel: WheelFilename = name.parse().unwrap();
        let tags: Vec<String> = wheel.tags().map(|t| t.to_string()).collect();
        let want = order.iter().position(|t| tags.contains(t));
        assert_eq!(supported.rank(&wheel), want, "{name}");
        assert_eq!(supported.is_compatible(&wheel), want.is_some(), "{name}");
        compatible += usize::from(want.is_some());
    }
    assert!(compatible > 100, "{compatible} compatible wheels");
}
