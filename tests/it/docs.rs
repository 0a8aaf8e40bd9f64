//! Docs checked against the code: the metric names in the README's
//! table (the crate's documentation) are the ones `src/metrics.rs`
//! emits, with every endpoint's and edition's label; the crate's
//! documentation cites no document outside the package.

use std::collections::BTreeSet;

use tencent_faceid::client::Endpoint;
use tencent_faceid::session::Edition;
use tencent_faceid::wechat::Action;

const METRICS: &str = include_str!("../../src/metrics.rs");
const README: &str = include_str!("../../README.md");

/// The metric names `source` emits: the first argument of each
/// `metrics::counter!`, `histogram!` or `gauge!`.
fn emitted(source: &str) -> BTreeSet<&str> {
    let mut names = BTreeSet::new();
    for macro_call in ["counter!(\"", "histogram!(\"", "gauge!(\""] {
        for (at, _) in source.match_indices(macro_call) {
            let rest = &source[at + macro_call.len()..];
            names.insert(&rest[..rest.find('"').expect("a closing quote")]);
        }
    }
    names
}

/// The metric names a Markdown table lists: each `faceid_...` in code
/// quotes in the first cell of a row.
fn tabled<'a>(rows: impl Iterator<Item = &'a str>) -> BTreeSet<&'a str> {
    let mut names = BTreeSet::new();
    for row in rows {
        let Some(first) = row.trim_start_matches('|').split('|').next() else {
            continue;
        };
        for quoted in first.split('`').skip(1).step_by(2) {
            if quoted.starts_with("faceid_") {
                names.insert(quoted);
            }
        }
    }
    names
}

#[test]
fn the_metric_tables_list_what_the_crate_emits() {
    let emitted = emitted(METRICS);
    assert!(emitted.len() >= 10, "{emitted:?}");
    let observability = &README[README.find("## Observability").expect("the section")..];
    let rows = observability
        .lines()
        .filter(|line| line.starts_with("| `faceid_"));
    assert_eq!(tabled(rows), emitted, "the README's table");
}

#[test]
fn the_metric_tables_name_every_endpoint_and_edition_label() {
    let endpoints = [
        Endpoint::AccessToken,
        Endpoint::ApiTicket,
        Endpoint::StartSession,
        Endpoint::QueryRecord,
        Endpoint::StartEnhanced,
        Endpoint::StartSdk,
    ];
    let row = |metric: &str| {
        README
            .lines()
            .find(|line| line.contains(&format!("`{metric}`")) && line.contains('|'))
            .unwrap_or_else(|| panic!("a row for {metric}"))
    };
    let vendor_calls = row("faceid_vendor_calls_total");
    let names = endpoints.iter().map(|endpoint| endpoint.name());
    let actions = [Action::DetectAuth, Action::GetDetectInfoEnhanced].map(Action::name);
    for name in names.chain(actions) {
        let label = format!("`{name}`");
        assert!(vendor_calls.contains(&label), "{label} in {vendor_calls}");
    }
    let starts = row("faceid_starts_total");
    for edition in Edition::ALL {
        let label = format!("`{}`", edition.as_str());
        assert!(starts.contains(&label), "{label} in {starts}");
    }
}

#[test]
fn the_crate_documentation_cites_no_document_outside_the_package() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![src];
    let mut cited = Vec::new();
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(
                std::fs::read_dir(&path)
                    .unwrap()
                    .map(|entry| entry.unwrap().path()),
            );
            continue;
        }
        if path.extension().is_none_or(|ext| ext != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for line in text
            .lines()
            .filter(|line| line.trim_start().starts_with("//"))
        {
            for word in line.split(|c: char| c.is_whitespace() || "()[]`,;".contains(c)) {
                if word.ends_with(".md") {
                    cited.push((path.display().to_string(), word.to_owned()));
                }
            }
        }
    }
    // What the package holds (Cargo.toml's include): README.md,
    // CHANGELOG.md, CONTRIBUTING.md and docs/.
    let in_package = |word: &str| {
        let word = word.trim_start_matches("../");
        ["README.md", "CHANGELOG.md", "CONTRIBUTING.md"].contains(&word)
            || word.starts_with("docs/")
    };
    let outside: Vec<_> = cited.iter().filter(|(_, word)| !in_package(word)).collect();
    assert!(outside.is_empty(), "{outside:?}");
}
