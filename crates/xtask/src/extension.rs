//! `cargo xtask extension [--release]`: the browser extension, built from the web app's crates into
//! `target/extension/chromium/` and `target/extension/firefox/`, and a zip of each beside them.
//!
//! Trunk builds the wallet page once (`extension/Trunk.toml`: no inline loader, names without
//! hashes); each browser's folder is that build, the icons, the `_locales` (English and Swedish) and
//! its own `manifest.json` (Manifest V3 for both). The manifest is written here rather than kept as two
//! files so that the two browsers' permissions and policy cannot drift apart.

use std::path::{Path, PathBuf};

use crate::shell;

/// The browsers the extension is built for, each with its own folder and manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Browser {
    Chromium,
    Firefox,
}

impl Browser {
    pub const ALL: [Browser; 2] = [Browser::Chromium, Browser::Firefox];

    pub fn name(self) -> &'static str {
        match self {
            Browser::Chromium => "chromium",
            Browser::Firefox => "firefox",
        }
    }
}

/// Where the build went: one folder and one zip per browser.
pub struct ExtensionBuild {
    pub dir: PathBuf,
}

impl ExtensionBuild {
    pub fn unpacked(&self, browser: Browser) -> PathBuf {
        self.dir.join(browser.name())
    }

    pub fn zip(&self, browser: Browser) -> PathBuf {
        self.dir.join(format!("blixtra-{}.zip", browser.name()))
    }
}

/// The extension pages' content security policy: scripts from the extension only, and compiling
/// WebAssembly (the wallet is wasm). Nothing else is loosened: no inline script, no eval.
const PAGES_POLICY: &str = "script-src 'self' 'wasm-unsafe-eval'; object-src 'self'";

/// The pages WebLN is offered to: websites, not `file:` or the browser's own pages.
const WEBSITES: &str = r#"["https://*/*", "http://*/*"]"#;

/// Firefox needs an id of the add-on's own to keep its storage across updates (and to install it).
const GECKO_ID: &str = "wallet@blixtra.dev";

/// Builds the wallet page with Trunk, then each browser's folder and zip. The app takes the devnet's
/// URL at compile time (`BLIXTRA_DEVNET_URL`) as the web app does.
pub fn build(root: &Path, release: bool) -> Result<ExtensionBuild, String> {
    let mut args = vec!["build", "--config", "extension/Trunk.toml"];
    if release {
        args.push("--release");
    }
    shell::run(root, "trunk", &args)?;
    let out = ExtensionBuild { dir: root.join("target/extension") };
    let version = package_version(root)?;
    for browser in Browser::ALL {
        let dir = out.unpacked(browser);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| format!("cannot empty {}: {e}", dir.display()))?;
        }
        copy_dir(&out.dir.join("build"), &dir)?;
        copy_dir(&root.join("extension/icons"), &dir.join("icons"))?;
        copy_dir(&root.join("extension/_locales"), &dir.join("_locales"))?;
        // Each browser's background (Chromium: a service worker and the offscreen document the node
        // runs in; Firefox: the background page the node runs in), the node's host and the toolbar's
        // part they share, and the WebLN content scripts.
        copy_dir(&root.join("extension").join(browser.name()), &dir)?;
        copy_dir(&root.join("extension/shared"), &dir.join("shared"))?;
        copy_dir(&root.join("extension/webln"), &dir.join("webln"))?;
        let manifest = manifest(browser, &version);
        std::fs::write(dir.join("manifest.json"), manifest).map_err(|e| format!("cannot write {}'s manifest: {e}", browser.name()))?;
        let zip = out.zip(browser);
        let _ = std::fs::remove_file(&zip);
        // `-X`: no file attributes beyond the names and contents, so the same build zips the same.
        shell::run(&dir, "zip", &["-q", "-r", "-X", &zip.to_string_lossy(), "."])?;
    }
    Ok(out)
}

/// The manifest for `browser`. Permissions, each for a reason:
/// - `unlimitedStorage`: the wallet's IndexedDB holds its channels' state; the browser must neither
///   cap it by the site quota nor evict it under storage pressure, as it may a web page's.
/// - `offscreen` (Chromium): the document the node's worker runs in while no page of the wallet is
///   open; a service worker cannot start a worker.
/// - `storage`: one setting the content scripts must read, whether a click on a website's
///   `lightning:` link opens the wallet's Send page (off by default); the wallet's own data stays in
///   its sealed IndexedDB.
///
/// No host permission: the Esplora servers answer with CORS and the proxy is a WebSocket, which
/// extension pages reach as web pages do.
///
/// Content scripts: the WebLN provider in every web page's top frame, which is what WebLN is; they
/// read nothing of the page and only relay what the page's own scripts ask of `window.webln`, and
/// (when the person turned it on) a click of theirs on a `lightning:` link.
pub fn manifest(browser: Browser, version: &str) -> String {
    let (browser_specific, permissions) = match browser {
        Browser::Chromium => (
            r#"  "minimum_chrome_version": "116",
  "background": { "service_worker": "background.js" },"#
                .to_owned(),
            r#"["unlimitedStorage", "storage", "offscreen"]"#,
        ),
        // It collects nothing: no data leaves the browser except what the wallet sends its own chain
        // server and proxy, which the person chooses in settings. 128 is the first Firefox with
        // MAIN-world content scripts; 142 the first that reads `data_collection_permissions`.
        Browser::Firefox => (
            format!(
                r#"  "browser_specific_settings": {{ "gecko": {{ "id": "{GECKO_ID}", "strict_min_version": "142.0", "data_collection_permissions": {{ "required": ["none"] }} }} }},
  "background": {{ "scripts": ["shared/senders.js", "shared/toolbar.js", "shared/node_host.js", "background.js"] }},"#
            ),
            r#"["unlimitedStorage", "storage"]"#,
        ),
    };
    let content_scripts = format!(
        r#"  "content_scripts": [
    {{ "matches": {WEBSITES}, "js": ["webln/provider.js"], "run_at": "document_start", "world": "MAIN" }},
    {{ "matches": {WEBSITES}, "js": ["webln/bridge.js", "webln/links.js"], "run_at": "document_start" }}
  ],"#
    );
    format!(
        r#"{{
  "manifest_version": 3,
  "name": "__MSG_name__",
  "description": "__MSG_description__",
  "default_locale": "en",
  "version": "{version}",
{browser_specific}
{content_scripts}
  "icons": {{ "16": "icons/icon-16.png", "32": "icons/icon-32.png", "48": "icons/icon-48.png", "128": "icons/icon-128.png" }},
  "action": {{
    "default_title": "__MSG_action_title__",
    "default_popup": "wallet.html?popup",
    "default_icon": {{ "16": "icons/icon-16.png", "32": "icons/icon-32.png" }}
  }},
  "content_security_policy": {{ "extension_pages": "{PAGES_POLICY}" }},
  "permissions": {permissions}
}}
"#
    )
}

/// The version of the app's package (the workspace root's `Cargo.toml`), which the extension carries.
fn package_version(root: &Path) -> Result<String, String> {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).map_err(|e| format!("cannot read Cargo.toml: {e}"))?;
    let in_package = manifest.split("\n[").find(|section| section.starts_with("[package]") || section.starts_with("package]"));
    in_package
        .and_then(|section| section.lines().find_map(|line| line.trim().strip_prefix("version")?.trim().strip_prefix('=')))
        .map(|value| value.trim().trim_matches('"').to_owned())
        .ok_or_else(|| "Cargo.toml's [package] has no version".to_owned())
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    for entry in std::fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))? {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", from.display()))?;
        let target = to.join(entry.file_name());
        if entry.file_type().map_err(|e| e.to_string())?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(|e| format!("cannot copy {}: {e}", entry.path().display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_is_the_app_packages() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let version = package_version(&root).expect("a version");
        assert!(version.split('.').count() == 3 && version.split('.').all(|part| part.parse::<u32>().is_ok()), "{version}");
    }

    #[test]
    fn both_manifests_ask_for_the_same_policy_and_content_scripts_and_each_browser_for_its_background() {
        for browser in Browser::ALL {
            let manifest = manifest(browser, "1.2.3");
            assert!(manifest.contains(r#""manifest_version": 3"#), "{manifest}");
            assert!(manifest.contains(PAGES_POLICY), "{manifest}");
            let permissions =
                if browser == Browser::Chromium { r#"["unlimitedStorage", "storage", "offscreen"]"# } else { r#"["unlimitedStorage", "storage"]"# };
            assert!(manifest.contains(&format!(r#""permissions": {permissions}"#)), "{manifest}");
            assert!(manifest.contains("background.js"), "{manifest}");
            assert_eq!(manifest.contains("service_worker"), browser == Browser::Chromium, "{manifest}");
            assert_eq!(manifest.contains("shared/node_host.js"), browser == Browser::Firefox, "{manifest}");
            assert!(manifest.contains(r#""world": "MAIN""#), "{manifest}");
            // A manifest is JSON: the browsers refuse one that is not.
            assert!(manifest.trim_end().ends_with('}') && manifest.matches('{').count() == manifest.matches('}').count(), "{manifest}");
            assert!(manifest.contains(r#""version": "1.2.3""#), "{manifest}");
            assert_eq!(manifest.contains(GECKO_ID), browser == Browser::Firefox, "{manifest}");
        }
    }
}
