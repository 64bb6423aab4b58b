//! Which versions a requirement's specifiers admit, with pip's pre-release rule.
//!
//! pep440_rs's `VersionSpecifiers::contains` is the bare PEP 440 comparison: `>=1.0` contains
//! `2.0a1`. PEP 440 adds that pre-releases (and developmental releases) are excluded "by
//! default" and pip applies it per requirement, over the versions that exist:
//!
//! 1. a pre-release is admitted when the specifier names one itself (`>=2.0b1`), the way
//!    `packaging.specifiers.SpecifierSet.prereleases` decides it: any clause other than `!=`
//!    and `==X.*` whose version is a pre-release;
//! 2. otherwise, when no final release among the candidates matches, the matching
//!    pre-releases are admitted (PEP 440: "accept pre-releases ... if no final releases are
//!    available");
//! 3. a version already active in the process is admitted whatever it is: it is in use, and
//!    refusing it would only make the request fail.
//!
//! <https://packaging.python.org/en/latest/specifications/version-specifiers/#handling-of-pre-releases>

use pep440_rs::{Operator, Version, VersionSpecifier, VersionSpecifiers};

/// Whether the specifier set itself names a pre-release, which admits pre-releases.
///
/// Mirrors `packaging.specifiers.SpecifierSet(...).prereleases is True`.
/// Ex) `>=2.0b1` -> true, `!=2.0b1` -> false, `>=1.0` -> false
pub fn names_prerelease(specifiers: &VersionSpecifiers) -> bool {
    specifiers.iter().any(|specifier| {
        !matches!(
            specifier.operator(),
            Operator::NotEqual | Operator::NotEqualStar | Operator::EqualStar
        ) && specifier.version().any_prerelease()
    })
}

/// Whether `version` satisfies every clause: the bare PEP 440 comparison, pre-releases included.
///
/// pep440_rs 0.7 gets three clauses wrong, found by the differential test against `packaging`
/// (`tests/rust/markers_differential.rs`), so they are decided here:
/// - `==1.2.*` / `!=1.2.*`: the candidate's release must be zero-padded before the prefix
///   comparison (`2` is `2.0.0`, so `==2.3.*` does not match it; pep440_rs says it does);
/// - `<V`: what is excluded is V's own pre-releases, `[V.dev0, V)`, and only when V is not
///   a pre-release itself (so `<2.0rc0` contains `2.0a1` and `<3.0.post1` contains
///   `3.0.dev1`; pep440_rs excludes both);
/// - `>V`: V's post-releases are excluded only when V is neither a post- nor a developmental
///   release (so `>3.2.dev0` contains `3.2.post1`; pep440_rs excludes it).
pub fn matches(specifiers: &VersionSpecifiers, version: &Version) -> bool {
    specifiers
        .iter()
        .all(|clause| clause_matches(clause, version))
}

fn clause_matches(clause: &VersionSpecifier, version: &Version) -> bool {
    let spec = clause.version();
    let release_only = spec.pre().is_none()
        && spec.post().is_none()
        && spec.dev().is_none()
        && spec.local().is_empty();
    match clause.operator() {
        Operator::EqualStar | Operator::NotEqualStar if release_only => {
            let release = version.release();
            let prefix = spec.epoch() == version.epoch()
                && spec
                    .release()
                    .iter()
                    .enumerate()
                    .all(|(i, n)| release.get(i).copied().unwrap_or(0) == *n);
            prefix == (*clause.operator() == Operator::EqualStar)
        }
        Operator::LessThan if spec.local().is_empty() => {
            // `<V` stops below V's earliest pre-release, V.dev0, unless V is one itself.
            let bound = if spec.any_prerelease() {
                spec.clone()
            } else {
                spec.clone().with_dev(Some(0))
            };
            version.clone().without_local() < bound
        }
        Operator::GreaterThan if spec.local().is_empty() => {
            let candidate = version.clone().without_local();
            if let Some(dev) = spec.dev() {
                // A developmental release has no post-releases: the next one is V.dev(N+1).
                candidate >= spec.clone().with_dev(Some(dev + 1))
            } else if let Some(post) = spec.post() {
                candidate >= spec.clone().with_post(Some(post + 1)).with_dev(Some(0))
            } else {
                // `>V` excludes V's post-releases and local versions.
                let family = candidate.epoch() == spec.epoch()
                    && candidate.clone().only_release() == spec.clone().only_release()
                    && candidate.pre() == spec.pre()
                    && (candidate.post().is_some() || candidate == *spec);
                candidate > *spec && !family
            }
        }
        _ => clause.contains(version),
    }
}

/// Whether `version` satisfies `specifiers` when pre-releases are admitted or not.
///
/// With `prereleases` false, pre-release and developmental versions never match; with true,
/// this is the bare PEP 440 comparison. Same as packaging's
/// `SpecifierSet.contains(version, prereleases=...)`.
pub fn contains(specifiers: &VersionSpecifiers, version: &Version, prereleases: bool) -> bool {
    (prereleases || !version.any_prerelease()) && matches(specifiers, version)
}

/// The versions, out of `versions` (those that exist), that `specifiers` admit under the
/// module's pre-release rule; `locked` is the version already active, if any (rule 3).
pub fn admitted<'a>(
    specifiers: &VersionSpecifiers,
    versions: impl Iterator<Item = &'a Version> + Clone,
    locked: Option<&Version>,
) -> Vec<&'a Version> {
    let prereleases = names_prerelease(specifiers)
        || !versions
            .clone()
            .any(|v| !v.any_prerelease() && matches(specifiers, v));
    versions
        .filter(|v| {
            contains(specifiers, v, prereleases) || (Some(*v) == locked && matches(specifiers, v))
        })
        .collect()
}

/// Why a version a specifier does not admit is out: for error messages.
/// Ex) `the version does not match ==9.0`
pub fn exclusion_reason(specifiers: &VersionSpecifiers, version: &Version) -> String {
    if matches(specifiers, version) {
        format!(
            "pre-release not admitted by {specifiers} (name a pre-release in the specifier to allow it)"
        )
    } else {
        format!("the version does not match {specifiers}")
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use pep440_rs::{Version, VersionSpecifiers};

    use super::{admitted, contains, exclusion_reason, names_prerelease};

    fn specs(s: &str) -> VersionSpecifiers {
        VersionSpecifiers::from_str(s).unwrap()
    }

    fn versions(list: &[&str]) -> Vec<Version> {
        list.iter().map(|v| v.parse().unwrap()).collect()
    }

    fn shown(list: Vec<&Version>) -> Vec<String> {
        list.into_iter().map(ToString::to_string).collect()
    }

    #[test]
    fn ok_names_prerelease() {
        assert!(names_prerelease(&specs(">=2.0b1")));
        assert!(names_prerelease(&specs("==2.0.dev3")));
        assert!(!names_prerelease(&specs("!=2.0b1")));
        assert!(!names_prerelease(&specs(">=1.0,<2")));
        assert!(!names_prerelease(&specs("")));
    }

    #[test]
    fn ok_matches_where_pep440_rs_does_not() {
        use super::matches;
        let v = |s: &str| -> pep440_rs::Version { s.parse().unwrap() };
        assert!(!matches(&specs("==2.3.*"), &v("2")));
        assert!(matches(&specs("!=3.1.*"), &v("3")));
        assert!(matches(&specs("==3.0.*"), &v("3")));
        assert!(matches(&specs("<2.0rc0"), &v("2.0a1")));
        assert!(!matches(&specs("<2.0"), &v("2.0a1")));
        assert!(matches(&specs("<2.0"), &v("1.9a1")));
        assert!(matches(&specs("<3.0.post1"), &v("3.0.dev1")));
        assert!(matches(&specs(">3.2.dev0"), &v("3.2.post1+1.2")));
        assert!(!matches(&specs(">3.2"), &v("3.2.post1")));
        assert!(matches(&specs(">3.2.post1"), &v("3.2.post2")));
    }

    #[test]
    fn ok_contains() {
        assert!(contains(&specs(">=1.0"), &"2.0a1".parse().unwrap(), true));
        assert!(!contains(&specs(">=1.0"), &"2.0a1".parse().unwrap(), false));
        assert!(contains(&specs("==1.*"), &"1.4".parse().unwrap(), false));
    }

    #[test]
    fn ok_prereleases_only_when_no_final_matches() {
        let all = versions(&["1.0", "2.0a1", "1.5"]);
        assert_eq!(
            shown(admitted(&specs(">=1.0"), all.iter(), None)),
            ["1.0", "1.5"]
        );
        assert_eq!(
            shown(admitted(&specs(">=1.9"), all.iter(), None)),
            ["2.0a1"]
        );
        assert_eq!(
            shown(admitted(&specs(">=1.0b1"), all.iter(), None)),
            ["1.0", "2.0a1", "1.5"]
        );
    }

    #[test]
    fn ok_locked_prerelease_admitted() {
        let all = versions(&["1.0", "2.0a1"]);
        let locked: Version = "2.0a1".parse().unwrap();
        assert_eq!(
            shown(admitted(&specs(">=1.0"), all.iter(), Some(&locked))),
            ["1.0", "2.0a1"]
        );
    }

    #[test]
    fn ok_exclusion_reason() {
        assert_eq!(
            exclusion_reason(&specs("==9.0"), &"1.16.0".parse().unwrap()),
            "the version does not match ==9.0"
        );
        assert_eq!(
            exclusion_reason(&specs(">=1"), &"2.0rc1".parse().unwrap()),
            "pre-release not admitted by >=1 (name a pre-release in the specifier to allow it)"
        );
    }
}
