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

use pep440_rs::Version;
use pep508_rs::{Requirement, VersionOrUrl};
use pubgrub::{DerivationTree, Derived, External, Term, VersionSet};

use super::package::Node;
use super::resolver::{describe, Resolver, Unusable};
use super::specifier::{admitted, exclusion_reason, matches};
use super::version_set::Versions;
use super::{Provider, ResolveError};
use crate::wheel::PackageName;

type Tree = DerivationTree<Node, Versions, Unusable>;

/// A requirement as its author wrote it, without its marker. Ex) `requests[socks]>=2,<3`
pub fn requirement_text(requirement: &Requirement) -> String {
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
    let mut text = String::from("The requirements cannot be met together:");
    for (line, number) in &explainer.lines {
        text.push_str("\n  ");
        text.push_str(line);
        if let Some(n) = number {
            text.push_str(&format!(" ({n})"));
        }
    }
    let mut short = explainer.short_of;
    short.sort();
    short.dedup();
    for name in short {
        text.push_str(&format!(
            "\n  Candidates of {name}: {}",
            listing(resolver, &name, None)
        ));
    }
    ResolveError::Conflict(text)
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

/// A failure that is a straight chain ending at a distribution nothing usable can serve.
fn not_found<P: Provider>(tree: &Tree, resolver: &Resolver<'_, P>) -> Option<ResolveError> {
    let mut facts = Vec::new();
    externals(tree, &mut facts);
    let mut missing: Option<PackageName> = None;
    let mut edge: Option<(Node, Version, Node)> = None;
    // Whether every unavailable distribution so far is `name`.
    let mut blame =
        |name: &PackageName| -> bool { missing.replace(name.clone()).is_none_or(|m| m == *name) };
    let mut targets: Vec<(Node, Version, Node)> = Vec::new();
    for fact in &facts {
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
                targets.push((from.clone(), version, to.clone()));
            }
        }
    }
    let missing = missing?;
    for (from, version, to) in targets {
        if to.name() == Some(&missing) {
            match &edge {
                Some((f, v, _)) if (f, v) != (&from, &version) => return None,
                Some(_) => {}
                None => edge = Some((from, version, to)),
            }
        }
    }
    let (from, version, to) = edge?;
    let requirement = resolver.edge(&from, &version, &to).into_iter().next()?;
    let requirer = match from {
        Node::Root => "the program".to_string(),
        other => format!("{other} {version}"),
    };
    let text = requirement_text(&requirement);
    if let Some(locked) = resolver.locked(&missing) {
        let admits = match &requirement.version_or_url {
            Some(VersionOrUrl::VersionSpecifier(specifiers)) => matches(specifiers, locked),
            _ => true,
        };
        if !admits || resolver.catalog(&missing).versions.is_empty() {
            return Some(ResolveError::Conflict(format!(
                "\"{text}\" (required by {requirer}) conflicts with {missing} {locked}, which is already active in this process: a version cannot change once it is in use"
            )));
        }
    }
    Some(ResolveError::NotFound(format!(
        "No distribution satisfies \"{text}\" (required by {requirer}): {}",
        listing(resolver, &missing, Some(&requirement))
    )))
}

/// Every candidate and rejected file of `name`, grouped by why it cannot serve `requirement`.
fn listing<P: Provider>(
    resolver: &Resolver<'_, P>,
    name: &PackageName,
    requirement: Option<&Requirement>,
) -> String {
    let provider = resolver.provider();
    let catalog = resolver.catalog(name);
    let locked = resolver.locked(name);
    let specifiers = requirement.and_then(|r| match &r.version_or_url {
        Some(VersionOrUrl::VersionSpecifier(specifiers)) => Some(specifiers),
        _ => None,
    });
    let allowed: Vec<&Version> = match specifiers {
        Some(specifiers) => admitted(specifiers, catalog.versions.iter(), locked),
        None => catalog.versions.iter().collect(),
    };
    let mut candidates: Vec<_> = provider.candidates(name).iter().enumerate().collect();
    candidates.sort_by(|(_, a), (_, b)| {
        b.version
            .cmp(&a.version)
            .then_with(|| b.is_default().cmp(&a.is_default()))
            .then_with(|| a.rank.cmp(&b.rank))
    });
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for (index, candidate) in candidates {
        let reason = if locked.is_some_and(|l| *l != candidate.version) {
            // Checked just above: the name is locked.
            format!(
                "another version, {}, is already active",
                locked.expect("locked")
            )
        } else if !allowed.contains(&&candidate.version) {
            match specifiers {
                Some(specifiers) => exclusion_reason(specifiers, &candidate.version),
                None => "not admitted by the requirements".to_string(),
            }
        } else {
            match resolver.read_outcome(name, &candidate.version) {
                Some(Err(Unusable::Unreadable(_))) => match resolver.failure(name, index) {
                    Some(reason) => format!("cannot be read: {reason}"),
                    None => "not tried (another file of this version was used)".to_string(),
                },
                Some(Err(unusable)) => unusable.to_string(),
                Some(Ok((used, _))) if used == index => "usable".to_string(),
                Some(Ok(_)) => "not tried (another file of this version was used)".to_string(),
                None => "not tried".to_string(),
            }
        };
        match groups.last_mut() {
            Some((last, members)) if *last == reason => members.push(describe(candidate)),
            _ => groups.push((reason, vec![describe(candidate)])),
        }
    }
    let mut parts: Vec<String> = groups
        .into_iter()
        .enumerate()
        .map(|(i, (reason, members))| {
            let found = if i == 0 { "found " } else { "" };
            format!("{found}{}: {reason}", members.join(", "))
        })
        .collect();
    for rejected in provider.rejected(name) {
        parts.push(format!(
            "skipped {}: {}",
            rejected.path.display(),
            rejected.reason
        ));
    }
    if parts.is_empty() {
        return format!("no wheel or installed distribution named \"{name}\" was found");
    }
    parts.join("; ")
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
