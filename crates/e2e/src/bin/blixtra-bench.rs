//! `blixtra-bench [--quick] [--out FILE]`: the benchmark (see `blixtra_e2e::bench`). `cargo xtask
//! bench` builds the release app, starts the devnet with its anchor and runs this with:
//! `BLIXTRA_BENCH_DIST` (the release build), `BLIXTRA_BENCH_EXTENSION` (the extension's release
//! build, `target/extension`), `BLIXTRA_E2E_WEBLN_JS` (the npm `webln` package's browser build),
//! `BLIXTRA_DEVNET_URL`, `BLIXTRA_E2E_CHROMEDRIVER` (default /usr/bin/chromedriver) and
//! `BLIXTRA_BENCH_ANCHOR_BUILD` (`debug` or `release`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use blixtra_e2e::bench::extension::ExtensionBench;
use blixtra_e2e::bench::{self, report, BenchConfig, Counts};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("blixtra-bench: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Vec<String>) -> Result<(), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut quick = false;
    let mut out = root.join("target/bench/results.json");
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--out" => out = PathBuf::from(args.next().ok_or("--out needs a file")?),
            other => return Err(format!("unknown option {other}; usage: blixtra-bench [--quick] [--out FILE]")),
        }
    }
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let chromedriver = env("BLIXTRA_E2E_CHROMEDRIVER").map_or_else(|| PathBuf::from("/usr/bin/chromedriver"), PathBuf::from);
    let mut counts = if quick { Counts::quick() } else { Counts::full() };
    // The history's size alone, for its figures (the backup file's, the restart's) without a full run.
    if let Some(history) = env("BLIXTRA_BENCH_HISTORY") {
        counts.history = Some(history.parse().map_err(|_| format!("BLIXTRA_BENCH_HISTORY is a number of payments, not {history}"))?);
    }
    let extension = ExtensionBench {
        build: root.join(
            env("BLIXTRA_BENCH_EXTENSION").ok_or("BLIXTRA_BENCH_EXTENSION is not set: the extension's release build (cargo xtask bench sets it)")?,
        ),
        chromedriver: chromedriver.clone(),
        webln_js: PathBuf::from(
            env("BLIXTRA_E2E_WEBLN_JS")
                .ok_or("BLIXTRA_E2E_WEBLN_JS is not set: the npm webln package's dist/webln.min.js (cargo xtask setup installs it)")?,
        ),
        payments: counts.website_payments,
    };
    let config = BenchConfig {
        dist: root.join(env("BLIXTRA_BENCH_DIST").ok_or("BLIXTRA_BENCH_DIST is not set: the app's release build (cargo xtask bench sets it)")?),
        bench_page: root.join("crates/e2e/bench"),
        devnet_url: env("BLIXTRA_DEVNET_URL")
            .ok_or("BLIXTRA_DEVNET_URL is not set: a devnet started with --anchor (cargo xtask bench starts one)")?,
        chromedriver,
        counts,
        anchor_build: env("BLIXTRA_BENCH_ANCHOR_BUILD").unwrap_or_else(|| "unknown".to_owned()),
        extension,
    };
    let results = bench::run(&config).await.map_err(|e| e.to_string())?;
    let document = serde_json::json!({ "quick": quick, "results": results });
    println!("\n{}", report::table(&results));
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(&document).map_err(|e| e.to_string())?;
    std::fs::write(&out, text).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    println!("\nfigures written to {}", out.display());
    Ok(())
}
