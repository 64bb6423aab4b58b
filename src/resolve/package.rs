//! What the resolver chooses versions for: the program, distributions, and extras of them.

use std::fmt;

use pep508_rs::ExtraName;

use crate::wheel::PackageName;

/// A node of the resolution graph.
///
/// Extras are virtual packages, the standard technique: `requests[socks]` at version V depends
/// on `requests` at exactly V plus what the `socks` extra adds, so the base and all its
/// extras always end at one version.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    /// The program whose requirements are resolved (one version, `0`).
    Root,
    /// A distribution. Ex) `requests`
    Dist(PackageName),
    /// A distribution with one extra. Ex) `requests[socks]`
    Extra(PackageName, ExtraName),
}

impl Node {
    /// The distribution this node stands for, `None` for the root.
    pub fn name(&self) -> Option<&PackageName> {
        match self {
            Self::Root => None,
            Self::Dist(name) | Self::Extra(name, _) => Some(name),
        }
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Root => f.write_str("the program"),
            Self::Dist(name) => write!(f, "{name}"),
            Self::Extra(name, extra) => write!(f, "{name}[{extra}]"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Node, PackageName};

    #[test]
    fn ok_display() {
        let name = PackageName::new("Requests");
        assert_eq!(Node::Root.to_string(), "the program");
        assert_eq!(Node::Dist(name.clone()).to_string(), "requests");
        assert_eq!(
            Node::Extra(name, "SOCKS".parse().unwrap()).to_string(),
            "requests[socks]"
        );
    }
}
