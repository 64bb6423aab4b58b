//! Explanations of failed resolutions: what exists and why it was refused, or the derivation.
//!
//! pubgrub proves a failure with a derivation tree. A failure whose proof is one straight
//! chain of requirements (no alternative was available anywhere) ending at a distribution
//! without a usable version is reported as [`ResolveError::NotFound`], listing every
//! candidate of that distribution and why it was refused. Anything else is a
//! [`ResolveError::Conflict`], rendered as the chain of "because ..." sentences of the PubGrub
//! paper, naming versions as the requirements wrote them.
//!
//! <https://github.com/dart-lang/pub/blob/master/doc/solver.md#error-reporting>

use std::collections::HashMap;

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{Requirement, VersionOrUrl};
use pubgrub::{DerivationTree, Derived, External, Term, VersionSet};

use super::error::{ConflictReason, Listing, Refusal};
use super::package::Node;
use super::resolver::{Resolver, Unusable};
use super::specifier::{admitted, exclusion_reason, matches};
use super::version_set::Versions;
use super::{Provider, ResolveError};
use crate::candidate::Candidate;
use crate::wheel::PackageName;

type Tree = DerivationTree<Node, Versions, Unusable>;

/// A requirement as its author wrote it, without its marker. Ex) `requests[socks]>=2,<3`
fn requirement_text(requirement: &Requirement) -> String {
    let mut text = requirement.name.to_string();
    if !requirement.extras.is_empty() {
        let extras: Vec<String> = requirement.extras.iter().map(ToString::to_string).collect();
        text.push_str(&format!("[{}]", extras.join(",")));
    }
    match &requirement.version_or_url {
        Some(VersionOrUrl::VersionSpecifier(specifiers)) => {
            let parts: Vec<String> = specifiers.iter().map(ToString::to_string).collect();
            text.push_str(&parts.join(","));
        }
        Some(VersionOrUrl::Url(url)) => text.push_str(&format!(" @ {url}")),
        None => {}
    }
    text
}

/// Turns pubgrub's proof of failure into the error a user reads.
pub fn explain<P: Provider>(tree: Tree, resolver: &Resolver<'_, P>) -> ResolveError {
    if let Some(error) = not_found(&tree, resolver) {
        return error;
    }
    let mut tree = tree;
    tree.collapse_no_versions();
    let mut explainer = Explainer {
        resolver,
        lines: Vec::new(),
        numbers: HashMap::new(),
        next_number: 1,
        short_of: Vec::new(),
    };
    match &tree {
        DerivationTree::Derived(derived) => explainer.visit(derived),
        DerivationTree::External(external) => {
            let text = explainer.external(external);
            explainer
                .lines
                .push((format!("{}.", capitalise(&text)), None));
        }
    }
    let lines = explainer
        .lines
        .into_iter()
        .map(|(line, number)| match number {
            Some(n) => format!("{line} ({n})"),
            None => line,
        })
        .collect();
    let mut short = explainer.short_of;
    short.sort();
    short.dedup();
    let short_of = short
        .iter()
        .map(|name| listing(resolver, name, None))
        .collect();
    ResolveError::Conflict {
        reason: ConflictReason::Derivation { lines, short_of },
    }
}

/// Every external fact of the tree, in order.
fn externals<'t>(tree: &'t Tree, out: &mut Vec<&'t External<Node, Versions, Unusable>>) {
    match tree {
        DerivationTree::External(external) => out.push(external),
        DerivationTree::Derived(derived) => {
            externals(&derived.cause1, out);
            externals(&derived.cause2, out);
        }
    }
}

/// The single version of `set`, if it holds exactly one.
fn single(set: &Versions) -> Option<&Version> {
    match set {
        Versions::Only(list) if list.len() == 1 => list.first(),
        _ => None,
    }
}

/// A dependency edge of the proof: `from` at `version` requires something of `to`.
struct Edge {
    from: Node,
    version: Version,
    to: Node,
}

/// A failure that is a straight chain ending at a distribution nothing usable can serve.
fn not_found<P: Provider>(tree: &Tree, resolver: &Resolver<'_, P>) -> Option<ResolveError> {
    let mut facts = Vec::new();
    externals(tree, &mut facts);
    let (missing, edges) = unavailable(&facts, resolver)?;
    let edge = only_edge_into(&missing, edges)?;
    let requirement = resolver
        .edge(&edge.from, &edge.version, &edge.to)
        .into_iter()
        .next()?;
    let required_by = match edge.from {
        Node::Root => "the program".to_string(),
        other => format!("{other} {}", edge.version),
    };
    if let Some(locked) = resolver.locked(&missing) {
        let admits = match &requirement.version_or_url {
            Some(VersionOrUrl::VersionSpecifier(specifiers)) => matches(specifiers, locked),
            _ => true,
        };
        if !admits || resolver.catalog(&missing).versions.is_empty() {
            return Some(ResolveError::Conflict {
                reason: ConflictReason::Active {
                    requirement: requirement_text(&requirement),
                    required_by,
                    name: missing,
                    version: locked.clone(),
                },
            });
        }
    }
    Some(ResolveError::NotFound {
        requirement: requirement_text(&requirement),
        required_by,
        candidates: listing(resolver, &missing, Some(&requirement)),
    })
}

/// The one distribution every unavailable fact of the proof is about, and the dependency
/// edges of the proof; `None` when the proof is not a straight chain (another distribution is
/// unavailable too, or a dependent had several versions to try).
fn unavailable<P: Provider>(
    facts: &[&External<Node, Versions, Unusable>],
    resolver: &Resolver<'_, P>,
) -> Option<(PackageName, Vec<Edge>)> {
    let mut missing: Option<PackageName> = None;
    // Whether every unavailable distribution so far is `name`.
    let mut blame =
        |name: &PackageName| -> bool { missing.replace(name.clone()).is_none_or(|m| m == *name) };
    let mut edges = Vec::new();
    for fact in facts {
        match fact {
            External::NotRoot(..) => {}
            External::NoVersions(node, _) | External::Custom(node, _, _) => {
                if !blame(node.name()?) {
                    return None;
                }
            }
            External::FromDependencyOf(from, from_set, to, to_set) => {
                // A dependent with several versions means alternatives were tried.
                let version = single(from_set)?.clone();
                let to_name = to.name()?;
                if to_set
                    .among(&resolver.catalog(to_name).versions)
                    .next()
                    .is_none()
                    && !blame(to_name)
                {
                    return None;
                }
                edges.push(Edge {
                    from: from.clone(),
                    version,
                    to: to.clone(),
                });
            }
        }
    }
    Some((missing?, edges))
}

/// The edge into `missing`, when all edges into it come from one dependent at one version.
fn only_edge_into(missing: &PackageName, edges: Vec<Edge>) -> Option<Edge> {
    let mut found: Option<Edge> = None;
    for edge in edges {
        if edge.to.name() != Some(missing) {
            continue;
        }
        match &found {
            Some(first) if (&first.from, &first.version) != (&edge.from, &edge.version) => {
                return None
            }
            Some(_) => {}
            None => found = Some(edge),
        }
    }
    found
}

/// Every candidate and rejected file of `name`, grouped by why it cannot serve `requirement`.
fn listing<P: Provider>(
    resolver: &Resolver<'_, P>,
    name: &PackageName,
    requirement: Option<&Requirement>,
) -> Listing {
    let provider = resolver.provider();
    let judge = Judge::new(resolver, name, requirement);
    let mut candidates: Vec<_> = provider.candidates(name).iter().enumerate().collect();
    candidates.sort_by(|(_, a), (_, b)| {
        b.version
            .cmp(&a.version)
            .then_with(|| b.is_default().cmp(&a.is_default()))
            .then_with(|| a.rank.cmp(&b.rank))
    });
    let mut groups: Vec<Refusal> = Vec::new();
    for (index, candidate) in candidates {
        let reason = judge.reason(index, candidate);
        match groups.last_mut() {
            Some(last) if last.reason == reason => last.candidates.push(candidate.clone()),
            _ => groups.push(Refusal {
                candidates: vec![candidate.clone()],
                reason,
            }),
        }
    }
    Listing {
        name: name.clone(),
        groups,
        skipped: provider.rejected(name).to_vec(),
    }
}

/// Decides, candidate by candidate, why one cannot serve a requirement (or that it can).
struct Judge<'r, 'a, P: Provider> {
    resolver: &'r Resolver<'a, P>,
    name: &'r PackageName,
    locked: Option<&'r Version>,
    specifiers: Option<&'r VersionSpecifiers>,
    /// The versions the requirement admits, among those that exist.
    allowed: Vec<Version>,
}

impl<'r, 'a, P: Provider> Judge<'r, 'a, P> {
    fn new(
        resolver: &'r Resolver<'a, P>,
        name: &'r PackageName,
        requirement: Option<&'r Requirement>,
    ) -> Self {
        let catalog = resolver.catalog(name);
        let locked = resolver.locked(name);
        let specifiers = requirement.and_then(|r| match &r.version_or_url {
            Some(VersionOrUrl::VersionSpecifier(specifiers)) => Some(specifiers),
            _ => None,
        });
        let allowed = match specifiers {
            Some(specifiers) => admitted(specifiers, catalog.versions.iter(), locked)
                .into_iter()
                .cloned()
                .collect(),
            None => catalog.versions.clone(),
        };
        Self {
            resolver,
            name,
            locked,
            specifiers,
            allowed,
        }
    }

    /// Why candidate `index` (of `Provider::candidates`) cannot serve, or `usable`.
    fn reason(&self, index: usize, candidate: &Candidate) -> String {
        if let Some(locked) = self.locked.filter(|l| **l != candidate.version) {
            return format!("another version, {locked}, is already active");
        }
        if !self.allowed.contains(&candidate.version) {
            return match self.specifiers {
                Some(specifiers) => exclusion_reason(specifiers, &candidate.version),
                None => "not admitted by the requirements".to_string(),
            };
        }
        let other_file = "not tried (another file of this version was used)";
        match self.resolver.read_outcome(self.name, &candidate.version) {
            Some(Err(Unusable::Unreadable(_))) => match self.resolver.failure(self.name, index) {
                Some(reason) => format!("cannot be read: {reason}"),
                None => other_file.to_string(),
            },
            Some(Err(unusable)) => unusable.to_string(),
            Some(Ok((used, _))) if used == index => "usable".to_string(),
            Some(Ok(_)) => other_file.to_string(),
            None => "not tried".to_string(),
        }
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Renders a derivation tree as numbered sentences.
struct Explainer<'r, 'a, P: Provider> {
    resolver: &'r Resolver<'a, P>,
    /// Sentences, and the number given to those referred to later.
    lines: Vec<(String, Option<usize>)>,
    /// The line explaining each shared incompatibility.
    numbers: HashMap<usize, usize>,
    next_number: usize,
    /// Distributions some of whose versions were unavailable: listed after the explanation.
    short_of: Vec<PackageName>,
}

impl<P: Provider> Explainer<'_, '_, P> {
    /// A reference to line `index`, numbering it on first use.
    fn reference(&mut self, index: usize) -> usize {
        if let Some(n) = self.lines[index].1 {
            return n;
        }
        let n = self.next_number;
        self.next_number += 1;
        self.lines[index].1 = Some(n);
        n
    }

    /// The line of an already explained shared incompatibility.
    fn explained(&self, tree: &Tree) -> Option<usize> {
        match tree {
            DerivationTree::Derived(Derived {
                shared_id: Some(id),
                ..
            }) => self.numbers.get(id).copied(),
            _ => None,
        }
    }

    fn push(&mut self, text: String, derived: &Derived<Node, Versions, Unusable>) {
        self.lines.push((text, None));
        if let Some(id) = derived.shared_id {
            self.numbers.insert(id, self.lines.len() - 1);
        }
    }

    fn visit(&mut self, derived: &Derived<Node, Versions, Unusable>) {
        let conclusion = self.terms(&derived.terms);
        match (&*derived.cause1, &*derived.cause2) {
            (DerivationTree::External(a), DerivationTree::External(b)) => {
                let text = format!(
                    "Because {} and {}, {conclusion}.",
                    self.external(a),
                    self.external(b)
                );
                self.push(text, derived);
            }
            (DerivationTree::Derived(inner), DerivationTree::External(external))
            | (DerivationTree::External(external), DerivationTree::Derived(inner)) => {
                let external = self.external(external);
                let tree = DerivationTree::Derived(inner.clone());
                if let Some(line) = self.explained(&tree) {
                    let n = self.reference(line);
                    let text = format!(
                        "Because {external} and {} ({n}), {conclusion}.",
                        self.terms(&inner.terms)
                    );
                    self.push(text, derived);
                } else {
                    self.visit(inner);
                    let text = format!("And because {external}, {conclusion}.");
                    self.push(text, derived);
                }
            }
            (DerivationTree::Derived(first), DerivationTree::Derived(second)) => {
                let mut refs = Vec::new();
                for inner in [first, second] {
                    let tree = DerivationTree::Derived(inner.clone());
                    let line = match self.explained(&tree) {
                        Some(line) => line,
                        None => {
                            self.visit(inner);
                            self.lines.len() - 1
                        }
                    };
                    let n = self.reference(line);
                    refs.push(format!("{} ({n})", self.terms(&inner.terms)));
                }
                let text = format!("Because {} and {}, {conclusion}.", refs[0], refs[1]);
                self.push(text, derived);
            }
        }
    }

    /// An external fact as a clause.
    fn external(&mut self, external: &External<Node, Versions, Unusable>) -> String {
        match external {
            External::NotRoot(..) => "the program is being resolved".to_string(),
            External::NoVersions(node, set) => {
                if let Some(name) = node.name() {
                    self.short_of.push(name.clone());
                }
                format!("no version of {} can be used", self.term(node, set))
            }
            External::Custom(node, set, unusable) => {
                if let Some(name) = node.name() {
                    self.short_of.push(name.clone());
                }
                format!("{} {unusable}", self.term(node, set))
            }
            External::FromDependencyOf(from, from_set, to, to_set) => {
                if let Some(name) = to.name() {
                    // Nothing exists that fits: the candidate list says why (unless the name
                    // is locked, which the clause itself says).
                    let catalog = self.resolver.catalog(name);
                    let locked = self.resolver.locked(name).is_some();
                    if !locked && to_set.among(&catalog.versions).next().is_none() {
                        self.short_of.push(name.clone());
                    }
                }
                let mut wanted = self.wanted(from, from_set, to, to_set);
                if let Some(locked) = to.name().and_then(|name| self.resolver.locked(name)) {
                    if !to_set.contains(locked) {
                        wanted.push_str(&format!(" ({to} {locked} is already active)"));
                    }
                }
                match from {
                    Node::Root => format!("the program requires {wanted}"),
                    _ => format!("{} requires {wanted}", self.term(from, from_set)),
                }
            }
        }
    }

    /// The requirement text on the edges from `from` (versions `from_set`) to `to`, when they
    /// all agree; otherwise the set.
    fn wanted(&self, from: &Node, from_set: &Versions, to: &Node, to_set: &Versions) -> String {
        let versions: Vec<Version> = match from {
            Node::Root => vec![super::resolver::root_version()],
            _ => from
                .name()
                .map(|name| {
                    from_set
                        .among(&self.resolver.catalog(name).versions)
                        .cloned()
                        .collect()
                })
                .unwrap_or_default(),
        };
        let mut texts: Vec<String> = Vec::new();
        for version in &versions {
            let reqs = self.resolver.edge(from, version, to);
            let text = reqs
                .iter()
                .map(|r| self.spec_of(to, r))
                .collect::<Vec<_>>()
                .join(" and ");
            if !texts.contains(&text) {
                texts.push(text);
            }
        }
        // pubgrub merges dependents only when their requirements select the same versions,
        // so any one of the texts is exact; the one of the highest version reads best.
        match texts.last() {
            Some(text) if !text.is_empty() => text.clone(),
            _ => self.term(to, to_set),
        }
    }

    /// `to` with the specifiers of `requirement`. Ex) `requests[socks]>=2`
    fn spec_of(&self, to: &Node, requirement: &Requirement) -> String {
        match &requirement.version_or_url {
            Some(VersionOrUrl::VersionSpecifier(specifiers)) => {
                let parts: Vec<String> = specifiers.iter().map(ToString::to_string).collect();
                format!("{to}{}", parts.join(","))
            }
            _ => to.to_string(),
        }
    }

    /// A node restricted to a set of versions, in words.
    fn term(&self, node: &Node, set: &Versions) -> String {
        let Some(name) = node.name() else {
            return "the program".to_string();
        };
        let catalog = self.resolver.catalog(name);
        let members: Vec<&Version> = set.among(&catalog.versions).collect();
        let locked = self.resolver.locked(name);
        let mark = |v: &Version| {
            if Some(v) == locked {
                format!("{v} (already active)")
            } else {
                v.to_string()
            }
        };
        // A requirement someone wrote that selects exactly these versions names them best.
        for (from, version, reqs) in self.resolver.edges_into(node) {
            let _ = (from, version);
            for requirement in reqs {
                if let Some(VersionOrUrl::VersionSpecifier(specifiers)) =
                    &requirement.version_or_url
                {
                    if members.len() > 1
                        && admitted(specifiers, catalog.versions.iter(), locked) == members
                    {
                        return self.spec_of(node, &requirement);
                    }
                }
            }
        }
        match members.as_slice() {
            [] => format!("{node} (no version)"),
            [one] => format!("{node} {}", mark(one)),
            _ if members.len() == catalog.versions.len() => node.to_string(),
            _ => {
                let first = catalog
                    .versions
                    .iter()
                    .position(|v| v == members[0])
                    .unwrap_or(0);
                let contiguous = catalog.versions[first..]
                    .iter()
                    .zip(&members)
                    .all(|(a, b)| a == *b);
                let last = members[members.len() - 1];
                if contiguous && first == 0 {
                    format!("{node}<={last}")
                } else if contiguous && catalog.versions.last() == Some(last) {
                    format!("{node}>={}", members[0])
                } else if contiguous {
                    format!("{node}>={},<={last}", members[0])
                } else {
                    let list: Vec<String> = members.iter().map(|v| mark(v)).collect();
                    format!("{node} {}", list.join(" | "))
                }
            }
        }
    }

    /// An incompatibility (terms that cannot all hold) as a conclusion clause.
    fn terms(&self, terms: &pubgrub::Map<Node, Term<Versions>>) -> String {
        let mut positive: Vec<(&Node, &Versions)> = Vec::new();
        let mut negative: Vec<(&Node, &Versions)> = Vec::new();
        for (node, term) in terms {
            match (node, term) {
                (Node::Root, Term::Positive(_)) => {}
                (node, Term::Positive(set)) => positive.push((node, set)),
                (node, Term::Negative(set)) => negative.push((node, set)),
            }
        }
        positive.sort_by(|a, b| a.0.cmp(b.0));
        negative.sort_by(|a, b| a.0.cmp(b.0));
        let words = |list: &[(&Node, &Versions)]| -> Vec<String> {
            list.iter().map(|(n, s)| self.term(n, s)).collect()
        };
        let (pos, neg) = (words(&positive), words(&negative));
        match (pos.as_slice(), neg.as_slice()) {
            ([], []) => "the requirements of the program cannot be met".to_string(),
            ([one], []) => format!("{one} cannot be used"),
            ([], [one]) => format!("the program requires {one}"),
            ([one], [other]) => format!("{one} requires {other}"),
            (many, []) => format!("{} cannot be used together", join_and(many)),
            (many, some) => format!("{} together require {}", join_and(many), some.join(" or ")),
        }
    }
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
