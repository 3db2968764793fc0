//! `cargo xtask page-policy`: Trunk's post-build hook for the web app (Trunk.toml). It gives the page
//! a content security policy under which no inline script runs: Trunk's loader, the one inline script
//! it writes, moves to a file of its own named by its content, and the policy goes in a `<meta>` at
//! the top of `index.html`. A server that can send headers sends the same policy with
//! `frame-ancestors 'none'` (which a `<meta>` cannot carry): the demo's does
//! (`crates/e2e/src/server.rs`).

use std::hash::{Hash, Hasher};
use std::path::Path;

/// The page's policy: its own scripts and WebAssembly only; connections to the servers a person may
/// choose in settings (any `https:`/`wss:`), and plain `http:`/`ws:` to loopback only (a local devnet
/// or server).
pub const PAGE_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
connect-src 'self' https: wss: http://127.0.0.1:* ws://127.0.0.1:* http://localhost:* ws://localhost:* http://[::1]:* ws://[::1]:*; \
object-src 'none'; base-uri 'none'; form-action 'self'";

const LOADER_OPEN: &str = "<script type=\"module\">";
const SCRIPT_CLOSE: &str = "</script>";
const CHARSET: &str = "<meta charset=\"utf-8\" />";

/// Runs as Trunk's hook: the page in `TRUNK_STAGING_DIR`, scripts under `TRUNK_PUBLIC_URL`.
pub fn run_as_hook() -> Result<(), String> {
    let staging = std::env::var("TRUNK_STAGING_DIR").map_err(|_| "page-policy runs as Trunk's post_build hook (no TRUNK_STAGING_DIR)")?;
    let public_url = std::env::var("TRUNK_PUBLIC_URL").unwrap_or_else(|_| "/".to_owned());
    apply(Path::new(&staging), &public_url)
}

/// Rewrites `dir/index.html` in place and writes the loader beside it.
pub fn apply(dir: &Path, public_url: &str) -> Result<(), String> {
    let page_path = dir.join("index.html");
    let page = std::fs::read_to_string(&page_path).map_err(|e| format!("reading {}: {e}", page_path.display()))?;
    let (page, loader) = with_policy(&page, public_url)?;
    std::fs::write(dir.join(&loader.name), loader.text).map_err(|e| format!("writing the loader: {e}"))?;
    std::fs::write(&page_path, page).map_err(|e| format!("writing {}: {e}", page_path.display()))
}

/// Trunk's inline loader as a file of its own.
#[derive(Debug, PartialEq, Eq)]
pub struct Loader {
    pub name: String,
    pub text: String,
}

/// The page with its loader moved out and the policy in, and the loader. Refuses a page without
/// exactly one inline loader, or with any other inline script (the policy would stop it).
pub fn with_policy(page: &str, public_url: &str) -> Result<(String, Loader), String> {
    if page.contains("Content-Security-Policy") {
        return Err("the page already has a policy".to_owned());
    }
    let start = page.find(LOADER_OPEN).ok_or("the page has no inline module loader (is this Trunk's index.html?)")?;
    let body_start = start + LOADER_OPEN.len();
    let end = body_start + page[body_start..].find(SCRIPT_CLOSE).ok_or("the loader is not closed")?;
    let text = page[body_start..end].trim().to_owned();
    let rest = &page[end + SCRIPT_CLOSE.len()..];
    if rest.contains("<script>") || rest.contains(LOADER_OPEN) || page[..start].contains("<script") {
        return Err("the page has another inline script, which the policy would stop".to_owned());
    }
    // Named by its content, like Trunk's own files, so that a browser never mixes two builds.
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hasher);
    let name = format!("boot-{:016x}.js", hasher.finish());
    let base = if public_url.ends_with('/') { public_url.to_owned() } else { format!("{public_url}/") };
    let tag = format!("<script type=\"module\" src=\"{base}{name}\"></script>");
    let page = format!("{}{tag}{rest}", &page[..start]);
    let meta = format!("{CHARSET}\n    <meta http-equiv=\"Content-Security-Policy\" content=\"{PAGE_POLICY}\" />");
    if !page.contains(CHARSET) {
        return Err("the page has no <meta charset=\"utf-8\" /> to put the policy after".to_owned());
    }
    Ok((page.replacen(CHARSET, &meta, 1), Loader { name, text }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRUNKS_PAGE: &str = r#"<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Blixtra</title>
<script type="module">
import init, * as bindings from '/blixtra-5752df26c57bc1f2.js';
const wasm = await init({ module_or_path: '/blixtra-5752df26c57bc1f2_bg.wasm' });
</script>
  <link rel="modulepreload" href="/blixtra-5752df26c57bc1f2.js"></head>
  <body></body>
</html>"#;

    #[test]
    fn the_loader_moves_to_a_file_named_by_its_content_and_the_policy_comes_first() {
        let (page, loader) = with_policy(TRUNKS_PAGE, "/").expect("rewritten");
        assert!(loader.text.starts_with("import init") && loader.text.ends_with("_bg.wasm' });"), "{}", loader.text);
        assert!(loader.name.starts_with("boot-") && loader.name.ends_with(".js"));
        assert!(page.contains(&format!("<script type=\"module\" src=\"/{}\"></script>", loader.name)));
        assert!(!page.contains("import init"), "no inline script is left: {page}");
        let policy = page.find("Content-Security-Policy").expect("a policy");
        assert!(policy < page.find("<script").expect("the loader's tag"), "the policy comes before any script");
        assert!(page.contains("script-src 'self' 'wasm-unsafe-eval'"));
        let (_, other) = with_policy(&TRUNKS_PAGE.replace("bg.wasm", "bg2.wasm"), "/").expect("rewritten");
        assert_ne!(other.name, loader.name, "another build, another name");
    }

    #[test]
    fn a_page_with_another_inline_script_or_a_policy_already_is_refused() {
        let extra = TRUNKS_PAGE.replace("<body></body>", "<body><script>alert(1)</script></body>");
        assert!(with_policy(&extra, "/").is_err());
        let (once, _) = with_policy(TRUNKS_PAGE, "/").expect("rewritten");
        assert!(with_policy(&once, "/").is_err(), "a page is rewritten once");
        assert!(with_policy("<html></html>", "/").is_err());
    }

    #[test]
    fn the_loader_is_under_the_public_url() {
        let (page, loader) = with_policy(TRUNKS_PAGE, "/wallet").expect("rewritten");
        assert!(page.contains(&format!("src=\"/wallet/{}\"", loader.name)));
    }
}
