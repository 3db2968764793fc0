//! `cargo xtask`: the project's one entry point for people and CI.
//!
//! - `setup`: installs what is missing (wasm target, Debian packages, wasm-bindgen-cli, wasm-pack, trunk)
//! - `test`: setup, the invariant checks, native tests, clippy, browser tests, and the app and the
//!   extension built and driven end to end in Chromium and Firefox ESR
//! - `tidy`: the invariant and habit checks alone (seconds): what `test` runs first
//! - `demo`: setup, then the devnet on its default ports and the app built for it, served at
//!   http://127.0.0.1:8080
//! - `devnet [options]`: the local Lightning network (`cargo run -p devnet`), options passed through
//! - `extension [--release]`: the browser extension for Chromium and Firefox, unpacked and zipped,
//!   under target/extension/
//! - `bench [--quick]`: the benchmark: the release build in Chromium against a devnet whose native
//!   LDK Node ("anchor") makes the same payments; a table, and target/bench/results.json
//!
//! Written with the standard library only, so it builds in seconds on a fresh machine.

mod checks;
mod devnet;
mod extension;
mod page_policy;
mod setup;
mod shell;
mod tidy;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <setup | test | tidy | demo | devnet [options] | extension [--release] | bench [--quick]>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::run(),
        Some("test") => test(),
        Some("tidy") => shell::workspace_root().and_then(|root| tidy::run(&root).and_then(|()| checks::run(&root))),
        Some("demo") => demo(),
        // Trunk's post_build hook for the web app (Trunk.toml), not run by hand.
        Some("page-policy") => page_policy::run_as_hook(),
        Some("devnet") => run_devnet(&args[1..]),
        Some("extension") => match &args[1..] {
            [] => build_extension(false),
            [release] if release == "--release" => build_extension(true),
            _ => Err(USAGE.to_owned()),
        },
        Some("bench") => match &args[1..] {
            [] => bench(false),
            [quick] if quick == "--quick" => bench(true),
            _ => Err(USAGE.to_owned()),
        },
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs every test the project has. Fails at the first failing step.
fn test() -> Result<(), String> {
    let tools = setup::run_and_locate()?;
    let root = shell::workspace_root()?;
    let scratch = shell::scratch_tmpdir(&root)?;
    shell::print_disk(&root);
    shell::step("invariant checks");
    checks::run(&root)?;
    tidy::run(&root)?;

    let mut tally = shell::Tally::default();
    let cargo = shell::cargo_program();
    shell::step("native tests");
    // Package by package, never `--workspace`: the wallet must never be built in one cargo invocation
    // with a crate that turns on `lightning/std` (see ARCHITECTURE.md).
    shell::run_tests(&root, &cargo, &["test", "-p", "blixtra-core"], &mut tally)?;
    shell::run_tests(&root, &cargo, &["test", "-p", "blixtra-host"], &mut tally)?;
    shell::run_tests(&root, &cargo, &["test", "-p", "xtask"], &mut tally)?;
    shell::run_tests(&root, &cargo, &["test", "-p", "blixtra-proxy"], &mut tally)?;
    shell::run_tests(&root, &cargo, &["test", "-p", "devnet"], &mut tally)?;
    shell::run_tests(&root, &cargo, &["test", "-p", "blixtra", "--lib"], &mut tally)?;

    shell::step("clippy");
    // The devnet (ldk-node turns on `lightning/std`) is linted on its own, like it is tested.
    shell::cargo(
        &root,
        &[
            "clippy",
            "-p",
            "blixtra-core",
            "-p",
            "blixtra-host",
            "-p",
            "blixtra-proxy",
            "-p",
            "xtask",
            "-p",
            "blixtra-e2e",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    shell::cargo(&root, &["clippy", "-p", "devnet", "--all-targets", "--", "-D", "warnings"])?;
    shell::cargo(
        &root,
        &["clippy", "-p", "blixtra", "-p", "blixtra-host", "--target", "wasm32-unknown-unknown", "--all-targets", "--", "-D", "warnings"],
    )?;

    shell::step("browser tests (wasm-pack, headless Chromium and Firefox ESR, against a devnet)");
    // With the anchor, so that the quick benchmark at the end runs against the same devnet.
    let devnet = devnet::RunningDevnet::start_at(&root, &devnet::DevnetAddresses::free_with_anchor()?)?;
    // The tests read it at compile time: a page under test has no environment.
    std::env::set_var("BLIXTRA_DEVNET_URL", &devnet.url);
    // The node's end-to-end test opens, uses and closes a channel: more than the runner's default 20 s.
    std::env::set_var("WASM_BINDGEN_TEST_TIMEOUT", "300");
    shell::run_tests(&root, "wasm-pack", &["test", "--headless", "--chrome", "--chromedriver", &tools.chromedriver], &mut tally)?;
    shell::run_tests(&root, "wasm-pack", &["test", "--headless", "--firefox", "--geckodriver", &tools.geckodriver], &mut tally)?;

    shell::step("app and extension builds (trunk), the end-to-end tests (the UI in Chromium and Firefox ESR, against the same devnet)");
    // The app, like the tests, takes the devnet's URL at compile time as its default network.
    shell::run(&root, "trunk", &["build"])?;
    let extension = extension::build(&root, false)?;
    std::env::set_var("BLIXTRA_E2E_DIST", root.join("dist"));
    std::env::set_var("BLIXTRA_E2E_EXTENSION", &extension.dir);
    std::env::set_var("BLIXTRA_E2E_CHROMEDRIVER", &tools.chromedriver);
    std::env::set_var("BLIXTRA_E2E_GECKODRIVER", &tools.geckodriver);
    std::env::set_var("BLIXTRA_E2E_WEBLN_JS", &tools.webln_js);
    shell::run_tests(&root, &cargo, &["test", "-p", "blixtra-e2e"], &mut tally)?;
    shell::step("the Firefox build of the extension, checked by Mozilla's linter (web-ext lint)");
    lint_firefox_extension(&root, &tools, &extension)?;

    shell::step("the benchmark, quick (a few payments), so that it cannot rot");
    run_bench(&root, &tools, devnet::DevnetBuild::Debug, true)?;
    drop(devnet);
    // The browsers' leftovers (see `scratch_tmpdir`); a failed run keeps them to look at.
    let _ = std::fs::remove_dir_all(&scratch);
    shell::print_disk(&root);
    // A closing line in the plain form CI reads: the sum over every harness above.
    println!("\nxtask: {} passed, {} failed", tally.passed, tally.failed);
    Ok(())
}

/// `cargo xtask extension [--release]`: the extension for the devnet in `BLIXTRA_DEVNET_URL`, if set
/// (the app's default network, as for `trunk build`).
fn build_extension(release: bool) -> Result<(), String> {
    setup::run_and_locate()?;
    let root = shell::workspace_root()?;
    shell::step("extension build (trunk)");
    let build = extension::build(&root, release)?;
    for browser in extension::Browser::ALL {
        println!("{}: {} and {}", browser.name(), build.unpacked(browser).display(), build.zip(browser).display());
    }
    Ok(())
}

/// `web-ext lint` on the Firefox folder: any error fails (warnings are printed, not fatal).
fn lint_firefox_extension(root: &std::path::Path, tools: &setup::Tools, build: &extension::ExtensionBuild) -> Result<(), String> {
    let source = build.unpacked(extension::Browser::Firefox);
    shell::run(root, &tools.web_ext, &["lint", "--source-dir", &source.to_string_lossy(), "--no-input", "--no-config-discovery"])
}

/// `cargo xtask bench [--quick]`: a devnet with its anchor (optimised for the full run, so that the
/// native figures are a release build's like the wallet's), then [`run_bench`].
fn bench(quick: bool) -> Result<(), String> {
    let tools = setup::run_and_locate()?;
    setup::devnet()?;
    let root = shell::workspace_root()?;
    shell::scratch_tmpdir(&root)?;
    let build = if quick { devnet::DevnetBuild::Debug } else { devnet::DevnetBuild::Optimised };
    shell::step("devnet with the anchor");
    let devnet = devnet::RunningDevnet::start_built(&root, &devnet::DevnetAddresses::free_with_anchor()?, build)?;
    std::env::set_var("BLIXTRA_DEVNET_URL", &devnet.url);
    let result = run_bench(&root, &tools, build, quick);
    drop(devnet);
    result
}

/// Builds the app and the extension for release (`trunk build --release` into target/bench/dist and
/// target/extension, for the devnet in `BLIXTRA_DEVNET_URL`) and runs `blixtra-bench` against them.
fn run_bench(root: &std::path::Path, tools: &setup::Tools, anchor: devnet::DevnetBuild, quick: bool) -> Result<(), String> {
    shell::step("app release build (trunk --release)");
    shell::run(root, "trunk", &["build", "--release", "--dist", "target/bench/dist"])?;
    shell::step("extension release build (trunk --release)");
    let extension = extension::build(root, true)?;
    shell::step("benchmark");
    std::env::set_var("BLIXTRA_BENCH_DIST", "target/bench/dist");
    std::env::set_var("BLIXTRA_BENCH_EXTENSION", &extension.dir);
    std::env::set_var("BLIXTRA_E2E_WEBLN_JS", &tools.webln_js);
    std::env::set_var("BLIXTRA_E2E_CHROMEDRIVER", &tools.chromedriver);
    std::env::set_var("BLIXTRA_BENCH_ANCHOR_BUILD", anchor.name());
    shell::cargo(root, &["build", "-p", "blixtra-e2e", "--bin", "blixtra-bench"])?;
    let harness = root.join("target/debug/blixtra-bench");
    let mut args = Vec::new();
    if quick {
        args.push("--quick");
    }
    shell::run(root, &harness.to_string_lossy(), &args)
}

/// Runs the devnet in the foreground until Ctrl-C (see `crates/devnet`).
fn run_devnet(options: &[String]) -> Result<(), String> {
    setup::devnet()?;
    let root = shell::workspace_root()?;
    let mut args = vec!["run", "-p", "devnet", "--"];
    args.extend(options.iter().map(String::as_str));
    shell::cargo(&root, &args)
}

/// Starts the devnet on its default ports, builds the app for it, and serves the app at
/// http://127.0.0.1:8080 until Ctrl-C (which the terminal sends to the devnet and the server too).
fn demo() -> Result<(), String> {
    setup::run_and_locate()?;
    setup::devnet()?;
    let root = shell::workspace_root()?;
    shell::step("devnet");
    let devnet = devnet::RunningDevnet::start_at(&root, &devnet::DevnetAddresses::defaults())?;
    shell::step("app build (trunk)");
    std::env::set_var("BLIXTRA_DEVNET_URL", &devnet.url);
    shell::run(&root, "trunk", &["build"])?;
    // The end-to-end test's server: it serves dist/ as built, never rebuilding or fetching anything.
    shell::cargo(&root, &["build", "-p", "blixtra-e2e", "--bin", "blixtra-e2e"])?;
    shell::step("demo");
    println!("Blixtra: http://127.0.0.1:8080");
    println!("devnet:  {}/devnet.json (control API: README.md)", devnet.url);
    println!("Ctrl-C stops both.");
    let server = root.join("target/debug/blixtra-e2e");
    let result = shell::run(&root, &server.to_string_lossy(), &["serve", "--dist", "dist", "--addr", "127.0.0.1:8080"]);
    drop(devnet);
    result
}
