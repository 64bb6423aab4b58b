//! The resolver against an in-memory store: preferences, markers, extras, failures, laziness.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;

use _native::candidate::{Candidate, Origin, Rejected};
use _native::resolve::{resolve, EnvironmentFacts, Provider, ResolveError};
use _native::wheel::{Metadata, PackageName, WheelFilename};
use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::Requirement;

/// Where a fake candidate lives.
#[derive(Clone, Copy)]
enum Kind {
    /// A wheel with this tag rank.
    Wheel(usize),
    /// An installed distribution.
    Default,
}

/// An in-memory store that counts metadata reads.
#[derive(Default)]
struct Fake {
    candidates: HashMap<PackageName, Vec<Candidate>>,
    rejected: HashMap<PackageName, Vec<Rejected>>,
    metadata: HashMap<PathBuf, Result<Arc<Metadata>, String>>,
    reads: RefCell<Vec<String>>,
}

fn path_of(name: &str, version: &str, kind: Kind) -> PathBuf {
    match kind {
        Kind::Wheel(0) => PathBuf::from(format!("/store/{name}-{version}-py3-none-any.whl")),
        Kind::Wheel(rank) => PathBuf::from(format!(
            "/store/{name}-{version}-cp311-cp311-manylinux_2_{rank}_x86_64.whl"
        )),
        Kind::Default => PathBuf::from(format!("/site-packages/{name}-{version}.dist-info")),
    }
}

impl Fake {
    /// A wheel of rank 0 requiring `deps`.
    fn wheel(&mut self, name: &str, version: &str, deps: &[&str]) -> &mut Self {
        self.add(name, version, Kind::Wheel(0), deps, None, &[])
    }

    fn add(
        &mut self,
        name: &str,
        version: &str,
        kind: Kind,
        deps: &[&str],
        requires_python: Option<&str>,
        extras: &[&str],
    ) -> &mut Self {
        let metadata = Metadata {
            name: name.to_string(),
            version: version.parse().unwrap(),
            requires_dist: deps
                .iter()
                .map(|d| Requirement::from_str(d).unwrap())
                .collect(),
            requires_python: requires_python.map(|s| VersionSpecifiers::from_str(s).unwrap()),
            provides_extra: extras.iter().map(|e| e.parse().unwrap()).collect(),
        };
        self.insert(name, version, kind, Ok(Arc::new(metadata)))
    }

    /// A candidate whose metadata cannot be read.
    fn broken(&mut self, name: &str, version: &str, reason: &str) -> &mut Self {
        self.insert(name, version, Kind::Wheel(0), Err(reason.to_string()))
    }

    fn reject(&mut self, name: &str, file: &str, reason: &str) -> &mut Self {
        self.rejected
            .entry(PackageName::new(name))
            .or_default()
            .push(Rejected {
                path: PathBuf::from(format!("/store/{file}")),
                version: None,
                reason: reason.to_string(),
            });
        self
    }

    fn insert(
        &mut self,
        name: &str,
        version: &str,
        kind: Kind,
        metadata: Result<Arc<Metadata>, String>,
    ) -> &mut Self {
        let path = path_of(name, version, kind);
        let package = PackageName::new(name);
        let version: Version = version.parse().unwrap();
        let (origin, rank) = match kind {
            Kind::Wheel(rank) => (
                Origin::Wheel {
                    path: path.clone(),
                    filename: WheelFilename {
                        name: package.clone(),
                        name_as_written: name.to_owned(),
                        version: version.clone(),
                        build_tag: None,
                        python_tags: vec!["py3".into()],
                        abi_tags: vec!["none".into()],
                        platform_tags: vec!["any".into()],
                    },
                },
                rank,
            ),
            Kind::Default => (
                Origin::Default {
                    dist_info: path.clone(),
                },
                0,
            ),
        };
        self.candidates
            .entry(package.clone())
            .or_default()
            .push(Candidate {
                name: package,
                version,
                origin,
                rank,
            });
        self.metadata.insert(path, metadata);
        self
    }
}

impl Provider for Fake {
    fn candidates(&self, name: &PackageName) -> &[Candidate] {
        self.candidates.get(name).map_or(&[], Vec::as_slice)
    }

    fn rejected(&self, name: &PackageName) -> &[Rejected] {
        self.rejected.get(name).map_or(&[], Vec::as_slice)
    }

    fn metadata(&self, candidate: &Candidate) -> Result<Arc<Metadata>, String> {
        let path = match &candidate.origin {
            Origin::Wheel { path, .. } => path,
            Origin::Default { dist_info } => dist_info,
        };
        self.reads
            .borrow_mut()
            .push(format!("{} {}", candidate.name, candidate.version));
        self.metadata[path].clone()
    }
}

/// Facts of a CPython 3.11.7 on x86-64 Linux.
fn facts() -> EnvironmentFacts {
    [
        ("implementation_name", "cpython"),
        ("implementation_version", "3.11.7"),
        ("os_name", "posix"),
        ("platform_machine", "x86_64"),
        ("platform_python_implementation", "CPython"),
        ("platform_release", "6.1.0"),
        ("platform_system", "Linux"),
        ("platform_version", "#1 SMP"),
        ("python_full_version", "3.11.7"),
        ("python_version", "3.11"),
        ("sys_platform", "linux"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn reqs(list: &[&str]) -> Vec<Requirement> {
    list.iter()
        .map(|r| Requirement::from_str(r).unwrap())
        .collect()
}

fn run(fake: &Fake, requirements: &[&str]) -> Result<Vec<Candidate>, ResolveError> {
    resolve(fake, &reqs(requirements), &facts(), &HashMap::new())
}

fn run_locked(
    fake: &Fake,
    requirements: &[&str],
    locked: &[(&str, &str)],
) -> Result<Vec<Candidate>, ResolveError> {
    let locked = locked
        .iter()
        .map(|(n, v)| (PackageName::new(n), v.parse().unwrap()))
        .collect();
    resolve(fake, &reqs(requirements), &facts(), &locked)
}

/// `name version (origin)` lines of a result, for terse assertions.
fn pins(result: Result<Vec<Candidate>, ResolveError>) -> Vec<String> {
    result
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|c| {
            let origin = match c.origin {
                Origin::Default { .. } => "installed".to_string(),
                Origin::Wheel { path, .. } => path.file_name().unwrap().to_string_lossy().into(),
            };
            format!("{} {} {origin}", c.name, c.version)
        })
        .collect()
}

fn message(result: Result<Vec<Candidate>, ResolveError>) -> (String, String) {
    let err = match result {
        Ok(chosen) => panic!("expected a failure, got {chosen:?}"),
        Err(err) => err,
    };
    let kind = match &err {
        ResolveError::NotFound { .. } => "NotFound",
        ResolveError::Conflict { .. } => "Conflict",
        ResolveError::Url { .. } => "Url",
        ResolveError::Facts(_) => "Facts",
    };
    (kind.into(), err.to_string())
}

#[test]
fn ok_transitive_highest_sorted() {
    let mut fake = Fake::default();
    fake.wheel("Zope.Interface", "5.0", &[])
        .wheel("app", "1.0", &["zope-interface>=4", "attrs"])
        .wheel("attrs", "22.1.0", &[])
        .wheel("attrs", "23.1.0", &[])
        .wheel("zope.interface", "4.0", &[]);
    assert_eq!(
        pins(run(&fake, &["app"])),
        [
            "app 1.0 app-1.0-py3-none-any.whl",
            "attrs 23.1.0 attrs-23.1.0-py3-none-any.whl",
            "zope-interface 5.0 Zope.Interface-5.0-py3-none-any.whl",
        ]
    );
}

#[test]
fn ok_markers_true_and_false() {
    let mut fake = Fake::default();
    fake.wheel(
        "a",
        "1.0",
        &[
            "pywin32; sys_platform == 'win32'",
            "uvloop; sys_platform == 'linux' and python_version >= '3.8'",
            "tomli; python_version < '3.11'",
        ],
    )
    .wheel("uvloop", "0.19", &[]);
    // pywin32 and tomli do not exist: their markers are false, so nothing asks for them.
    assert_eq!(
        pins(run(&fake, &["a", "never; os_name == 'nt'"])),
        [
            "a 1.0 a-1.0-py3-none-any.whl",
            "uvloop 0.19 uvloop-0.19-py3-none-any.whl"
        ]
    );
}

#[test]
fn ok_extras() {
    let mut fake = Fake::default();
    fake.add(
        "requests",
        "2.31.0",
        Kind::Wheel(0),
        &[
            "idna>=2.5",
            "PySocks!=1.5.7,>=1.5.6; extra == 'socks'",
            "chardet<6,>=3.0.2; extra == 'use-chardet-on-py3'",
        ],
        Some(">=3.7"),
        &["socks", "use-chardet-on-py3"],
    )
    .wheel("idna", "3.6", &[])
    .wheel("pysocks", "1.5.7", &[])
    .wheel("pysocks", "1.7.1", &[]);
    assert_eq!(
        pins(run(&fake, &["requests"])),
        [
            "idna 3.6 idna-3.6-py3-none-any.whl",
            "requests 2.31.0 requests-2.31.0-py3-none-any.whl"
        ]
    );
    assert_eq!(
        pins(run(&fake, &["requests[socks]"])),
        [
            "idna 3.6 idna-3.6-py3-none-any.whl",
            "pysocks 1.7.1 pysocks-1.7.1-py3-none-any.whl",
            "requests 2.31.0 requests-2.31.0-py3-none-any.whl"
        ]
    );
}

#[test]
fn ok_extra_of_an_extra_same_version() {
    let mut fake = Fake::default();
    for version in ["1.0", "2.0"] {
        fake.add(
            "pkg",
            version,
            Kind::Wheel(0),
            &["pkg[fast]; extra == 'all'", "speedups; extra == 'fast'"],
            None,
            &["all", "fast"],
        );
    }
    fake.wheel("speedups", "1.0", &[]);
    assert_eq!(
        pins(run(&fake, &["pkg[all]"])),
        [
            "pkg 2.0 pkg-2.0-py3-none-any.whl",
            "speedups 1.0 speedups-1.0-py3-none-any.whl"
        ]
    );
}

#[test]
fn ok_requires_python_excludes() {
    let mut fake = Fake::default();
    fake.add("a", "2.0", Kind::Wheel(0), &[], Some(">=3.12"), &[])
        .add("a", "1.5", Kind::Wheel(0), &[], Some(">=3.8"), &[]);
    assert_eq!(pins(run(&fake, &["a"])), ["a 1.5 a-1.5-py3-none-any.whl"]);
}

#[test]
fn err_requires_python_everywhere() {
    let mut fake = Fake::default();
    fake.add("a", "2.0", Kind::Wheel(0), &[], Some(">=3.12"), &[]);
    let (kind, text) = message(run(&fake, &["a>=2"]));
    assert_eq!(kind, "NotFound");
    assert_eq!(
        text,
        "No distribution satisfies \"a>=2\" (required by the program): found a 2.0 (wheel \
         /store/a-2.0-py3-none-any.whl): requires Python >=3.12 (this is Python 3.11.7)"
    );
}

#[test]
fn ok_backtracking_lowers_a() {
    // The highest `a` needs a `b` that is not available, so `a` must go down a version.
    let mut fake = Fake::default();
    fake.wheel("a", "2.0", &["b==1.0"])
        .wheel("a", "1.0", &["b>=2"])
        .broken("b", "1.0", "the archive is truncated")
        .wheel("b", "2.0", &[])
        .wheel("b", "3.0", &["c"]);
    // The highest `b` needs `c`, which does not exist: `b` goes down too.
    assert_eq!(
        pins(run(&fake, &["a"])),
        [
            "a 1.0 a-1.0-py3-none-any.whl",
            "b 2.0 b-2.0-py3-none-any.whl"
        ]
    );
}

#[test]
fn err_unsatisfiable_diamond() {
    let mut fake = Fake::default();
    fake.wheel("a", "1.0", &["c<2"])
        .wheel("b", "1.0", &["c>=2"])
        .wheel("c", "1.0", &[])
        .wheel("c", "1.5", &[])
        .wheel("c", "2.0", &[])
        .wheel("c", "2.1", &[]);
    let (kind, text) = message(run(&fake, &["a", "b"]));
    assert_eq!(kind, "Conflict");
    assert_eq!(
        text,
        "The requirements cannot be met together:\n  \
         Because b 1.0 requires c>=2 and a 1.0 requires c<2, a 1.0 and b 1.0 cannot be used together.\n  \
         And because the program requires a, b 1.0 cannot be used.\n  \
         And because the program requires b, the requirements of the program cannot be met."
    );
}

#[test]
fn err_not_found_lists_everything() {
    let mut fake = Fake::default();
    fake.add("six", "1.16.0", Kind::Default, &[], None, &[])
        .wheel("six", "1.15.0", &[])
        .reject(
            "six",
            "six-1.17.0-cp27-cp27m-win32.whl",
            "incompatible tags",
        );
    let (kind, text) = message(run(&fake, &["six==9.0"]));
    assert_eq!(kind, "NotFound");
    assert_eq!(
        text,
        "No distribution satisfies \"six==9.0\" (required by the program): found six 1.16.0 \
         (installed), six 1.15.0 (wheel /store/six-1.15.0-py3-none-any.whl): the version does \
         not match ==9.0; skipped /store/six-1.17.0-cp27-cp27m-win32.whl: incompatible tags"
    );
    assert!(fake.reads.borrow().is_empty(), "{:?}", fake.reads.borrow());
}

#[test]
fn err_not_found_carries_what_exists() {
    let mut fake = Fake::default();
    fake.wheel("six", "1.15.0", &[]).reject(
        "six",
        "six-1.17.0-cp27-cp27m-win32.whl",
        "incompatible tags",
    );
    let Err(ResolveError::NotFound {
        requirement,
        required_by,
        candidates,
    }) = run(&fake, &["six>=2; python_version >= '3'"])
    else {
        panic!("expected NotFound");
    };
    assert_eq!(requirement, "six>=2");
    assert_eq!(required_by, "the program");
    assert_eq!(candidates.name.as_str(), "six");
    assert_eq!(candidates.groups.len(), 1);
    assert_eq!(
        candidates.groups[0].candidates[0].version.to_string(),
        "1.15.0"
    );
    assert_eq!(
        candidates.groups[0].reason,
        "the version does not match >=2"
    );
    assert_eq!(candidates.skipped.len(), 1);
}

#[test]
fn err_not_found_transitive_names_the_requirer() {
    let mut fake = Fake::default();
    fake.wheel("app", "1.2", &["Missing_Dep>=1"]);
    let (kind, text) = message(run(&fake, &["app"]));
    assert_eq!(kind, "NotFound");
    assert_eq!(
        text,
        "No distribution satisfies \"missing-dep>=1\" (required by app 1.2): no wheel or \
         installed distribution named \"missing-dep\" was found"
    );
}

#[test]
fn err_unreadable_reason_kept() {
    let mut fake = Fake::default();
    fake.broken("b", "1.0", "bad CRC-32 for METADATA");
    let (kind, text) = message(run(&fake, &["b"]));
    assert_eq!(kind, "NotFound");
    assert_eq!(
        text,
        "No distribution satisfies \"b\" (required by the program): found b 1.0 (wheel \
         /store/b-1.0-py3-none-any.whl): cannot be read: bad CRC-32 for METADATA"
    );
}

#[test]
fn ok_locked_version_kept() {
    let mut fake = Fake::default();
    fake.wheel("six", "1.15.0", &[]).wheel("six", "1.16.0", &[]);
    assert_eq!(
        pins(run_locked(&fake, &["six>=1.10"], &[("six", "1.15.0")])),
        ["six 1.15.0 six-1.15.0-py3-none-any.whl"]
    );
}

#[test]
fn err_locked_version_excluded() {
    let mut fake = Fake::default();
    fake.wheel("six", "1.15.0", &[]).wheel("six", "1.16.0", &[]);
    let (kind, text) = message(run_locked(&fake, &["six>=1.16"], &[("six", "1.15.0")]));
    assert_eq!(kind, "Conflict");
    assert_eq!(
        text,
        "\"six>=1.16\" (required by the program) conflicts with six 1.15.0, which is already \
         active in this process: a version cannot change once it is in use"
    );
}

#[test]
fn err_locked_version_in_a_derivation() {
    let mut fake = Fake::default();
    fake.wheel("six", "1.15.0", &[])
        .wheel("six", "1.16.0", &[])
        .wheel("a", "1.0", &["six>=1.16"])
        .wheel("a", "2.0", &["six>=1.16.0"]);
    let (kind, text) = message(run_locked(&fake, &["a"], &[("six", "1.15.0")]));
    assert_eq!(kind, "Conflict");
    assert_eq!(
        text,
        "The requirements cannot be met together:\n  \
         Because a requires six>=1.16.0 (six 1.15.0 is already active) and the program requires \
         a, the requirements of the program cannot be met."
    );
}

#[test]
fn ok_default_preferred_when_it_satisfies() {
    let mut fake = Fake::default();
    fake.add("six", "1.15.0", Kind::Default, &[], None, &[])
        .wheel("six", "1.16.0", &[])
        .wheel("six", "1.14.0", &[]);
    assert_eq!(pins(run(&fake, &["six"])), ["six 1.15.0 installed"]);
    // The default does not satisfy: the highest wheel that does.
    assert_eq!(
        pins(run(&fake, &["six>=1.16"])),
        ["six 1.16.0 six-1.16.0-py3-none-any.whl"]
    );
    assert_eq!(
        pins(run(&fake, &["six<1.15"])),
        ["six 1.14.0 six-1.14.0-py3-none-any.whl"]
    );
}

#[test]
fn ok_equal_versions_default_then_best_rank() {
    let mut fake = Fake::default();
    fake.add("np", "1.0", Kind::Wheel(3), &[], None, &[])
        .add("np", "1.0", Kind::Wheel(1), &[], None, &[])
        .add("np", "2.0", Kind::Wheel(5), &[], None, &[])
        .add("np", "2.0", Kind::Default, &[], None, &[])
        .add("np", "2.0", Kind::Wheel(0), &[], None, &[]);
    assert_eq!(pins(run(&fake, &["np"])), ["np 2.0 installed"]);
    assert_eq!(
        pins(run(&fake, &["np<2"])),
        ["np 1.0 np-1.0-cp311-cp311-manylinux_2_1_x86_64.whl"]
    );
}

#[test]
fn ok_prereleases_as_pip() {
    let mut fake = Fake::default();
    fake.wheel("a", "1.0", &[])
        .wheel("a", "2.0b1", &[])
        .wheel("b", "3.0rc1", &[]);
    assert_eq!(pins(run(&fake, &["a"])), ["a 1.0 a-1.0-py3-none-any.whl"]);
    assert_eq!(
        pins(run(&fake, &["a>=2.0b1"])),
        ["a 2.0b1 a-2.0b1-py3-none-any.whl"]
    );
    // Nothing but a pre-release exists: it is admitted.
    assert_eq!(
        pins(run(&fake, &["b"])),
        ["b 3.0rc1 b-3.0rc1-py3-none-any.whl"]
    );
}

#[test]
fn ok_lazy_metadata() {
    let mut fake = Fake::default();
    for i in 0..2000 {
        fake.wheel(&format!("unrelated{i}"), "1.0", &[]);
    }
    for v in 0..50 {
        fake.wheel("a", &format!("1.{v}"), &["b"]);
        fake.wheel("b", &format!("1.{v}"), &[]);
    }
    pins(run(&fake, &["a"]));
    assert_eq!(*fake.reads.borrow(), ["a 1.49", "b 1.49"]);
}

#[test]
fn err_direct_url_invalid() {
    let fake = Fake::default();
    let (kind, text) = message(run(
        &fake,
        &["six @ https://example.com/six-1.0-py3-none-any.whl"],
    ));
    assert_eq!(kind, "Url");
    assert!(
        text.starts_with("The requirement \"six @ https://example.com/"),
        "{text}"
    );
}

#[test]
fn ok_timing_smoke() {
    // A realistic program (25 distributions, each with 30 versions, a web of requirements)
    // in a store that also holds 5,000 unrelated distributions of 4 versions each.
    let mut fake = Fake::default();
    for i in 0..5000 {
        for v in 0..4 {
            fake.wheel(&format!("noise-{i}"), &format!("{v}.0"), &["noise-0"]);
        }
    }
    let names: Vec<String> = (0..25).map(|i| format!("dist{i}")).collect();
    for (i, name) in names.iter().enumerate() {
        for v in 0..30 {
            let deps: Vec<String> = (1..=3)
                .map(|k| i + k * 3)
                .filter(|&j| j < names.len())
                .map(|j| format!("{}>=1.{},<3; python_version >= '3.8'", names[j], v % 7))
                .collect();
            let deps: Vec<&str> = deps.iter().map(String::as_str).collect();
            fake.wheel(name, &format!("1.{v}"), &deps);
        }
    }
    let roots = ["dist0", "dist1", "dist2"];
    let start = Instant::now();
    let chosen = run(&fake, &roots).unwrap();
    let elapsed = start.elapsed();
    println!(
        "resolved {} distributions in {elapsed:?} with {} metadata reads",
        chosen.len(),
        fake.reads.borrow().len()
    );
    assert_eq!(chosen.len(), 25);
    assert!(fake.reads.borrow().iter().all(|r| r.starts_with("dist")));
}
