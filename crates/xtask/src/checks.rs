//! The project's invariants, checked on every test run (see ARCHITECTURE.md).

use std::path::Path;

use crate::shell;

/// Crates the wallet core must never depend on: it stays platform-neutral.
const BROWSER_CRATES: [&str; 4] = ["web-sys", "js-sys", "wasm-bindgen", "leptos"];
/// Where ARCHITECTURE.md's paths start; every such path it names must exist.
const PATH_ROOTS: [&str; 7] = ["src/", "crates/", "tests/", "www/", ".ci/", ".cargo/", "Cargo.toml"];

pub fn run(root: &Path) -> Result<(), String> {
    core_is_platform_neutral(root)?;
    host_has_no_ui(root)?;
    wallet_builds_lightning_without_std(root)?;
    architecture_paths_exist(root)
}

/// **Architecture invariant:** the core never depends on a browser crate directly, natively or for
/// wasm32, so naming one in its code is a compile error. Portable crates it uses may reach the browser
/// underneath on wasm32 (esplora-client's HTTP client uses `fetch` there): that is their business.
fn core_is_platform_neutral(root: &Path) -> Result<(), String> {
    for target in [None, Some("wasm32-unknown-unknown")] {
        let mut args = vec!["tree", "-p", "blixtra-core", "-e", "normal", "--depth", "1", "--prefix", "none"];
        if let Some(t) = target {
            args.extend(["--target", t]);
        }
        let tree = cargo_output(root, &args)?;
        if let Some(bad) = first_browser_crate(&tree) {
            return Err(format!("blixtra-core depends on {bad}: the core must stay platform-neutral"));
        }
    }
    println!("check: blixtra-core depends on no browser crate");
    Ok(())
}

/// **Architecture invariant:** the node's host (`crates/host`) runs without any UI: Leptos is nowhere
/// in its tree, so a second host (the browser extension's node host) needs none.
fn host_has_no_ui(root: &Path) -> Result<(), String> {
    let tree = cargo_output(root, &["tree", "-p", "blixtra-host", "-e", "normal", "--target", "wasm32-unknown-unknown", "--prefix", "none"])?;
    if let Some(line) = tree.lines().find(|l| l.starts_with("leptos")) {
        return Err(format!("blixtra-host depends on {line}: the node's host must not need a UI"));
    }
    println!("check: blixtra-host depends on no UI crate");
    Ok(())
}

/// Returns the first browser crate a `cargo tree --prefix none` listing names.
pub fn first_browser_crate(tree: &str) -> Option<&'static str> {
    tree.lines().find_map(|l| BROWSER_CRATES.iter().copied().find(|c| l.split_whitespace().next() == Some(*c)))
}

/// **Architecture invariant:** the wallet builds `lightning` without `std` (whose clock calls panic in
/// wasm32), for wasm32 and natively alike.
fn wallet_builds_lightning_without_std(root: &Path) -> Result<(), String> {
    for package in ["blixtra", "blixtra-core"] {
        for target in [None, Some("wasm32-unknown-unknown")] {
            let with_target = |mut args: Vec<&'static str>| {
                if let Some(t) = target {
                    args.extend(["--target", t]);
                }
                args
            };
            // `cargo tree -i` fails for a crate outside the tree: look first.
            let tree = cargo_output(root, &with_target(vec!["tree", "-p", package, "-e", "normal", "--prefix", "none"]))?;
            if !tree.lines().any(|l| l.starts_with("lightning v")) {
                continue;
            }
            let features = cargo_output(root, &with_target(vec!["tree", "-p", package, "-e", "features", "-i", "lightning"]))?;
            if turns_on_lightning_std(&features) {
                return Err(format!("{package} ({}) turns on lightning's \"std\" feature", target.unwrap_or("native")));
            }
        }
    }
    println!("check: the wallet builds lightning without std (where it uses lightning)");
    Ok(())
}

pub fn turns_on_lightning_std(feature_tree: &str) -> bool {
    feature_tree.contains("lightning feature \"std\"") || feature_tree.contains("lightning feature \"default\"")
}

fn architecture_paths_exist(root: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(root.join("ARCHITECTURE.md")).map_err(|e| format!("cannot read ARCHITECTURE.md: {e}"))?;
    let missing: Vec<String> = named_paths(&text).into_iter().filter(|p| !root.join(p).exists()).collect();
    if !missing.is_empty() {
        return Err(format!("ARCHITECTURE.md names paths that do not exist: {}", missing.join(", ")));
    }
    println!("check: every path ARCHITECTURE.md names exists");
    Ok(())
}

/// Returns the `backticked` tokens of a Markdown text that are repository paths.
pub fn named_paths(markdown: &str) -> Vec<String> {
    markdown
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|token| !token.contains(char::is_whitespace) && PATH_ROOTS.iter().any(|root| token.starts_with(root)))
        .map(|token| token.trim_end_matches("::").to_owned())
        .collect()
}

fn cargo_output(root: &Path, args: &[&str]) -> Result<String, String> {
    let out = shell::command(root, &shell::cargo_program(), args).output().map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!("`cargo {}` failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_backticked_repository_paths_are_named() {
        let md = "See `src/app.rs` and `crates/core/src/vault.rs`, not `lightning/std` or `cargo xtask test` or `Vault`.";
        assert_eq!(named_paths(md), ["src/app.rs", "crates/core/src/vault.rs"]);
    }

    #[test]
    fn a_browser_crate_among_the_dependencies_is_named() {
        assert_eq!(first_browser_crate("blixtra-core v0.1.0 (/w/crates/core)\nbip39 v2.2.0\njs-sys v0.3.107\n"), Some("js-sys"));
        assert_eq!(first_browser_crate("blixtra-core v0.1.0\nwasm-bindgen-futures v0.4.80\nlightning v0.2.7\n"), None);
    }

    #[test]
    fn a_feature_tree_with_lightning_std_is_caught() {
        assert!(turns_on_lightning_std("lightning feature \"std\"\n└── blixtra-core"));
        assert!(turns_on_lightning_std("lightning feature \"default\"\n"));
        assert!(!turns_on_lightning_std("lightning feature \"grind_signatures\"\n"));
    }
}
