//! The resolver's version sets: explicit lists of versions that exist, or everything but some.
//!
//! pubgrub reasons about sets of versions. PEP 440 specifiers do not map onto intervals once
//! pre-releases, local versions, `!=1.*` and pip's "pre-releases only if nothing else"
//! rule come in, but the resolver only ever chooses among versions that exist. So a requirement
//! is turned into the finite list of existing versions it admits (see `specifier.rs`), and sets
//! are finite (`Only`) or co-finite (`AllBut`, what complements give). The two forms are kept
//! sorted and deduplicated, so structural equality is set equality, as pubgrub requires.

use std::cmp::Ordering;
use std::fmt;

use pep440_rs::Version;

/// A set of versions: finite, or the complement of a finite set.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Versions {
    /// Exactly these versions (sorted ascending, no duplicates).
    Only(Vec<Version>),
    /// Every version but these (sorted ascending, no duplicates).
    AllBut(Vec<Version>),
}

impl Versions {
    /// The set of the given versions, in any order, duplicates allowed.
    pub fn from_versions(versions: impl IntoIterator<Item = Version>) -> Self {
        let mut list: Vec<Version> = versions.into_iter().collect();
        list.sort();
        list.dedup();
        Self::Only(list)
    }

    /// The members of this set among `existing` (sorted ascending), in ascending order.
    pub fn among<'a>(&'a self, existing: &'a [Version]) -> impl Iterator<Item = &'a Version> + 'a {
        existing
            .iter()
            .filter(move |v| pubgrub::VersionSet::contains(self, v))
    }
}

/// Items in both sorted lists.
fn both(a: &[Version], b: &[Version]) -> Vec<Version> {
    merge(a, b, |in_a, in_b| in_a && in_b)
}

/// Items in either sorted list.
fn either(a: &[Version], b: &[Version]) -> Vec<Version> {
    merge(a, b, |in_a, in_b| in_a || in_b)
}

/// Items of the first sorted list not in the second.
fn minus(a: &[Version], b: &[Version]) -> Vec<Version> {
    merge(a, b, |in_a, in_b| in_a && !in_b)
}

/// A sorted merge keeping each item for which `keep(in a, in b)` holds.
fn merge(a: &[Version], b: &[Version], keep: impl Fn(bool, bool) -> bool) -> Vec<Version> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() || j < b.len() {
        let order = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) => x.cmp(y),
            (Some(_), None) => Ordering::Less,
            _ => Ordering::Greater,
        };
        let (item, in_a, in_b) = match order {
            Ordering::Less => (&a[i], true, false),
            Ordering::Greater => (&b[j], false, true),
            Ordering::Equal => (&a[i], true, true),
        };
        if keep(in_a, in_b) {
            out.push(item.clone());
        }
        if in_a {
            i += 1;
        }
        if in_b {
            j += 1;
        }
    }
    out
}

impl pubgrub::VersionSet for Versions {
    type V = Version;

    fn empty() -> Self {
        Self::Only(Vec::new())
    }

    fn singleton(v: Version) -> Self {
        Self::Only(vec![v])
    }

    fn complement(&self) -> Self {
        match self {
            Self::Only(list) => Self::AllBut(list.clone()),
            Self::AllBut(list) => Self::Only(list.clone()),
        }
    }

    fn intersection(&self, other: &Self) -> Self {
        match (self, other) {
            (Self::Only(a), Self::Only(b)) => Self::Only(both(a, b)),
            (Self::Only(a), Self::AllBut(b)) | (Self::AllBut(b), Self::Only(a)) => {
                Self::Only(minus(a, b))
            }
            (Self::AllBut(a), Self::AllBut(b)) => Self::AllBut(either(a, b)),
        }
    }

    fn contains(&self, v: &Version) -> bool {
        match self {
            Self::Only(list) => list.binary_search(v).is_ok(),
            Self::AllBut(list) => list.binary_search(v).is_err(),
        }
    }

    fn union(&self, other: &Self) -> Self {
        match (self, other) {
            (Self::Only(a), Self::Only(b)) => Self::Only(either(a, b)),
            (Self::Only(a), Self::AllBut(b)) | (Self::AllBut(b), Self::Only(a)) => {
                Self::AllBut(minus(b, a))
            }
            (Self::AllBut(a), Self::AllBut(b)) => Self::AllBut(both(a, b)),
        }
    }
}

impl fmt::Display for Versions {
    /// Debugging form only: explanations render sets through `report.rs`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join = |list: &[Version]| {
            list.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" | ")
        };
        match self {
            Self::Only(list) if list.is_empty() => f.write_str("∅"),
            Self::Only(list) => f.write_str(&join(list)),
            Self::AllBut(list) if list.is_empty() => f.write_str("*"),
            Self::AllBut(list) => write!(f, "not ({})", join(list)),
        }
    }
}

#[cfg(test)]
mod tests {
    use pubgrub::VersionSet;

    use super::Versions;

    fn only(list: &[&str]) -> Versions {
        Versions::from_versions(list.iter().map(|v| v.parse().unwrap()))
    }

    fn all_but(list: &[&str]) -> Versions {
        only(list).complement()
    }

    #[test]
    fn ok_set_algebra() {
        let a = only(&["1.0", "2.0", "3.0"]);
        let b = only(&["2.0", "4.0"]);
        assert_eq!(a.intersection(&b), only(&["2.0"]));
        assert_eq!(a.union(&b), only(&["1.0", "2.0", "3.0", "4.0"]));
        assert_eq!(a.intersection(&all_but(&["2.0"])), only(&["1.0", "3.0"]));
        assert_eq!(a.union(&all_but(&["2.0", "5.0"])), all_but(&["5.0"]));
        assert_eq!(
            all_but(&["1.0"]).intersection(&all_but(&["2.0"])),
            all_but(&["1.0", "2.0"])
        );
        assert_eq!(Versions::full().complement(), Versions::empty());
        assert!(all_but(&["1.0"]).contains(&"7".parse().unwrap()));
        assert!(!a.contains(&"7".parse().unwrap()));
    }

    #[test]
    fn ok_equal_versions_are_one_member() {
        // PEP 440: 1.0 and 1.0.0 are the same version.
        assert_eq!(only(&["1.0", "1.0.0"]), only(&["1.0"]));
    }

    #[test]
    fn ok_display() {
        assert_eq!(only(&["1.0", "2.0"]).to_string(), "1.0 | 2.0");
        assert_eq!(Versions::empty().to_string(), "∅");
        assert_eq!(Versions::full().to_string(), "*");
    }
}
