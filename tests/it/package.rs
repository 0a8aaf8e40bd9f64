//! What the package holds for its readers: the screenshot rustdoc shows
//! is the README's one, the README links only to what users have (its
//! relative links point into the package; no project-internal documents),
//! and none of the workspace's unpublished members is in it.

use base64::Engine as _;

const README: &str = include_str!("../../README.md");

#[test]
fn rustdoc_shows_the_readmes_screenshot() {
    let inline = include_str!("../../docs/demo.png.b64").trim();
    let png = include_bytes!("../../docs/demo.png");
    let encoded = base64::engine::general_purpose::STANDARD.encode(png);
    assert!(
        inline == encoded,
        "docs/demo.png.b64 is not docs/demo.png: run `base64 -w0 docs/demo.png > docs/demo.png.b64`"
    );
    assert!(README.contains("[demo-screenshot]: docs/demo.png\n"));
}

#[test]
fn the_readme_links_only_to_what_users_have() {
    let manifest = include_str!("../../Cargo.toml");
    let include = manifest
        .lines()
        .find(|line| line.starts_with("include = "))
        .expect("the package's include list");
    // Relative link targets: `](path)` and `]: path`.
    let mut targets = Vec::new();
    for (at, _) in README.match_indices("](") {
        let rest = &README[at + 2..];
        targets.push(&rest[..rest.find(')').unwrap_or(rest.len())]);
    }
    let definitions = README.lines().filter(|line| line.starts_with('['));
    targets.extend(definitions.filter_map(|line| Some(line.split_once("]: ")?.1)));
    for target in targets {
        if target.starts_with("http") || target.starts_with('#') {
            continue;
        }
        let path = format!("/{target}");
        let held = include
            .split('"')
            .skip(1)
            .step_by(2)
            .any(|entry| path == entry || path.starts_with(&format!("{entry}/")));
        assert!(
            held,
            "the README links to {target}, which the package does not hold"
        );
    }
    for internal in ["PROTOCOL.md", "EDITIONS.md", "RESEARCH.md", "/work/"] {
        assert!(!README.contains(internal), "the README cites {internal}");
    }
}

#[test]
fn the_package_holds_no_workspace_member() {
    let manifest = include_str!("../../Cargo.toml");
    let include = manifest
        .lines()
        .find(|line| line.starts_with("include = "))
        .expect("the package's include list");
    let members = manifest
        .lines()
        .find(|line| line.starts_with("members = "))
        .expect("the workspace's members");
    let members: Vec<&str> = members.split('"').skip(1).step_by(2).collect();
    assert!(members.contains(&"test-support"), "{members:?}");
    for member in members {
        assert!(
            !include.contains(&format!("\"/{member}")),
            "the package holds the unpublished workspace member {member}"
        );
        if member == "cli" {
            // The `faceid` tool depends on the crate, not the other way.
            continue;
        }
        // Its dev-dependency has no version, so `cargo package` drops it.
        let dependency = manifest
            .lines()
            .find(|line| line.contains(&format!("{{ path = \"{member}\"")))
            .unwrap_or_else(|| panic!("{member} is a path dev-dependency"));
        assert!(!dependency.contains("version"), "{dependency}");
    }
}

/// sqlx's MySQL driver brings `rsa` (RUSTSEC-2023-0071, no patched
/// version) into the lockfile of every user of a crate that can enable it,
/// even behind a feature: it lives in tencent-faceid-mysql alone.
#[test]
fn the_crate_itself_carries_no_mysql_driver() {
    let manifest = include_str!("../../Cargo.toml");
    let dependencies = manifest
        .split("\n[dependencies]\n")
        .nth(1)
        .and_then(|rest| rest.split("\n[").next())
        .expect("the package's dependencies");
    let sqlx = dependencies
        .lines()
        .find(|line| line.starts_with("sqlx ="))
        .expect("sqlx, for PostgreSQL");
    for driver in ["\"mysql\"", "\"any\"", "\"all-databases\""] {
        assert!(!sqlx.contains(driver), "{sqlx}");
    }
    assert!(!manifest.contains("sqlx/mysql"), "a feature enables it");
}
