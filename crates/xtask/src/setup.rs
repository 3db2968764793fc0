//! `cargo xtask setup`: installs what building and testing need, skipping what is already there.
//! Nothing downloads prebuilt binaries: tools come from crates.io sources and Debian packages.

use std::path::PathBuf;

use crate::shell;

/// Debian packages: clang and llvm (C code such as secp256k1 compiled for wasm32), chromium and its
/// driver, and Firefox ESR (browser tests; its driver comes from crates.io), cmake and Boost's headers
/// (the devnet builds Bitcoin Core's kernel from source), zip (the extension's packages).
const DEBIAN_PACKAGES: [&str; 8] = ["clang", "llvm", "chromium", "chromium-driver", "firefox-esr", "cmake", "libboost-dev", "zip"];
/// Mozilla's WebDriver for Firefox, built from crates.io (Debian does not package it).
const GECKODRIVER_VERSION: &str = "0.37.1";
/// wasm-opt for Trunk's release builds, from npm's binaryen (binaryen compiled to wasm, run by node).
/// Debian's binaryen 108 cannot be used: it rewrites the export of wasm-bindgen's externref table to
/// the function table, and the optimised app fails to instantiate ("WebAssembly.Table.set(): Argument
/// 1 is invalid"); 132 keeps it.
const BINARYEN_NPM_VERSION: &str = "132.0.0";
/// Mozilla's `web-ext`, whose `lint` checks the Firefox build of the extension as addons.mozilla.org
/// would.
const WEB_EXT_NPM_VERSION: &str = "10.7.0";
/// The WebLN client real sites use (`requestProvider()`), which the extension's test website loads.
const WEBLN_NPM_VERSION: &str = "0.3.2";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// Trunk 0.22 needs a newer rustc than this project's toolchain.
const TRUNK_VERSION: &str = "0.21.14";

/// Where the tools that tests call by path are.
pub struct Tools {
    pub chromedriver: String,
    pub geckodriver: String,
    pub web_ext: String,
    /// The `webln` package's browser build (`dist/webln.min.js`, the global `WebLN`).
    pub webln_js: PathBuf,
}

pub fn run() -> Result<(), String> {
    run_and_locate().map(|_| ())
}

/// Installs what is missing, then returns the tools' locations.
pub fn run_and_locate() -> Result<Tools, String> {
    shell::step("setup: checking tools");
    put_cargo_bin_on_path();
    ensure_wasm_target()?;
    ensure_debian_packages(&DEBIAN_PACKAGES)?;
    let root = shell::workspace_root()?;
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let bindgen = lock_version(&lock, "wasm-bindgen").ok_or("Cargo.lock has no wasm-bindgen")?;
    // wasm-bindgen's CLI must be the exact version of the library the wallet links.
    ensure_cargo_tool("wasm-bindgen-cli", "wasm-bindgen", Some(&bindgen))?;
    ensure_cargo_tool("wasm-pack", "wasm-pack", None)?;
    ensure_cargo_tool("trunk", "trunk", Some(TRUNK_VERSION))?;
    ensure_cargo_tool("geckodriver", "geckodriver", Some(GECKODRIVER_VERSION))?;
    put_first_on_path(ensure_npm_package("binaryen", BINARYEN_NPM_VERSION, "wasm-opt")?);
    let web_ext = ensure_npm_package("web-ext", WEB_EXT_NPM_VERSION, "web-ext")?.join("web-ext");
    let chromedriver = shell::output("sh", &["-c", "command -v chromedriver"]).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let chromedriver = chromedriver.ok_or("chromedriver is not on PATH after installing chromium-driver")?;
    let geckodriver = shell::output("sh", &["-c", "command -v geckodriver"]).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let geckodriver = geckodriver.ok_or("geckodriver is not on PATH after installing it")?;
    println!("setup: all tools present");
    let webln_js = ensure_npm_library("webln", WEBLN_NPM_VERSION)?.join("dist/webln.min.js");
    Ok(Tools { chromedriver, geckodriver, web_ext: web_ext.to_string_lossy().into_owned(), webln_js })
}

/// Puts `~/.cargo/bin` on PATH for the commands xtask starts, as `cargo install` puts tools there.
fn put_cargo_bin_on_path() {
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|home| home.join("bin"));
    if let Some(cargo_bin) = cargo_bin {
        put_first_on_path(cargo_bin);
    }
}

fn put_first_on_path(dir: PathBuf) {
    let mut paths: Vec<PathBuf> = std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect()).unwrap_or_default();
    if !paths.contains(&dir) {
        paths.insert(0, dir);
        if let Ok(joined) = std::env::join_paths(paths) {
            std::env::set_var("PATH", joined);
        }
    }
}

/// Installs the npm package `name` at `version` under `~/.cache/blixtra/` once, unless its command
/// `bin` already answers `--version` with that major version, and returns the folder of its commands.
/// Binaryen's `wasm-opt` goes first on PATH, where Trunk finds it; web-ext is called by path.
fn ensure_npm_package(name: &str, version: &str, bin: &str) -> Result<PathBuf, String> {
    let home = std::env::var_os("HOME").map(PathBuf::from).ok_or("HOME is not set")?;
    let prefix = home.join(".cache/blixtra").join(format!("{name}-{version}"));
    let bins = prefix.join("node_modules/.bin");
    let major = version.split('.').next().unwrap_or_default();
    if shell::output(&bins.join(bin).to_string_lossy(), &["--version"]).is_none_or(|v| !v.contains(major)) {
        println!("setup: installing {name} {version} from npm");
        std::fs::create_dir_all(&prefix).map_err(|e| format!("cannot create {}: {e}", prefix.display()))?;
        let package = format!("{name}@{version}");
        shell::run(&prefix, "npm", &["install", "--prefix", &prefix.to_string_lossy(), "--no-audit", "--no-fund", &package])?;
    }
    Ok(bins)
}

/// Installs an npm package without a command (a library a test page loads) under
/// `~/.cache/blixtra/{name}-{version}`, unless that version is there; returns the package's folder.
fn ensure_npm_library(name: &str, version: &str) -> Result<PathBuf, String> {
    let home = std::env::var_os("HOME").map(PathBuf::from).ok_or("HOME is not set")?;
    let prefix = home.join(".cache/blixtra").join(format!("{name}-{version}"));
    let package = prefix.join("node_modules").join(name);
    let installed = std::fs::read_to_string(package.join("package.json")).is_ok_and(|json| json.contains(&format!("\"version\": \"{version}\"")));
    if !installed {
        println!("setup: installing {name} {version} from npm");
        std::fs::create_dir_all(&prefix).map_err(|e| format!("cannot create {}: {e}", prefix.display()))?;
        shell::run(&prefix, "npm", &["install", "--prefix", &prefix.to_string_lossy(), "--no-audit", "--no-fund", &format!("{name}@{version}")])?;
    }
    Ok(package)
}

fn ensure_wasm_target() -> Result<(), String> {
    let installed = shell::output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if installed.lines().any(|l| l.trim() == WASM_TARGET) {
        return Ok(());
    }
    shell::run(&shell::workspace_root()?, "rustup", &["target", "add", WASM_TARGET])
}

/// What the devnet alone needs: Bitcoin Core's kernel builds from source with cmake and Boost.
pub fn devnet() -> Result<(), String> {
    ensure_debian_packages(&["cmake", "libboost-dev"])
}

fn ensure_debian_packages(packages: &[&str]) -> Result<(), String> {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| !shell::output("dpkg-query", &["-W", "-f=${Status}", p]).is_some_and(|s| s.contains("install ok installed")))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    println!("setup: installing Debian packages {}", missing.join(" "));
    let root = shell::workspace_root()?;
    let as_root = shell::output("id", &["-u"]).is_some_and(|id| id.trim() == "0");
    let apt = |args: &[&str]| {
        let mut full = vec!["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"];
        full.extend_from_slice(args);
        if as_root {
            shell::run(&root, full[0], &full[1..])
        } else {
            shell::run(&root, "sudo", &full)
        }
    };
    apt(&["update", "-q"])?;
    let mut install = vec!["install", "-y", "-q"];
    install.extend(&missing);
    apt(&install)
}

/// Installs the crate `package` unless its binary `bin` answers `--version` with `version` (any
/// version when `None`). Tries `--locked` first; the registry may lack a locked dependency version,
/// and then an unlocked build is the working fallback.
fn ensure_cargo_tool(package: &str, bin: &str, version: Option<&str>) -> Result<(), String> {
    let found = shell::output(bin, &["--version"]).unwrap_or_default();
    let is_ok = !found.is_empty() && version.is_none_or(|v| found.split_whitespace().nth(1) == Some(v));
    if is_ok {
        return Ok(());
    }
    println!("setup: installing {package} {} (a few minutes, once)", version.unwrap_or("latest"));
    let root = shell::workspace_root()?;
    let mut args = vec!["install", package];
    if let Some(v) = version {
        args.extend(["--version", v]);
    }
    let mut locked = args.clone();
    locked.push("--locked");
    shell::cargo(&root, &locked).or_else(|_| shell::cargo(&root, &args))
}

/// Returns the version of package `name` in a Cargo.lock (the first, if several are locked).
pub fn lock_version(lock: &str, name: &str) -> Option<String> {
    let wanted = format!("name = \"{name}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == wanted {
            let version = lines.next()?.trim().strip_prefix("version = \"")?.strip_suffix('"')?;
            return Some(version.to_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_locked_version_is_read_for_the_exact_package_name() {
        let lock =
            "[[package]]\nname = \"wasm-bindgen-futures\"\nversion = \"0.4.1\"\n\n[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n";
        assert_eq!(lock_version(lock, "wasm-bindgen").as_deref(), Some("0.2.130"));
        assert_eq!(lock_version(lock, "trunk"), None);
    }
}
