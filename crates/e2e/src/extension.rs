//! The browser extension under test: the unpacked Chromium build (`cargo xtask extension`) copied with a
//! key of its own, so that Chromium gives it a known id and the test can open its pages by URL; the
//! Firefox build installed as a temporary add-on, with the internal id Firefox gives it fixed by a
//! preference for the same reason ([`FirefoxExtension`]).
//!
//! The key stays out of the build itself: a store gives an extension its key, and rejects one that
//! brings its own. Only the public half is here; an unpacked extension needs nothing else.

use std::path::Path;

use base64::Engine;
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// A public RSA key (DER, base64) made for this test only.
const TEST_KEY: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAl7v7jx1/RYOWizOdF64T3mWyeBV23PhzQKBIv5ddlrebQ+hHcW5vsMJma254ua1KlSUPBJHDwPbRhb1GifKvcWOTorN0NmaBmC59ObDSlltneNe5B3QOweHyaH9aFkUyJ83/5vTueP9QK74XHgHXVt/SOh6vtmHPeRPco7yBhmZSMvK7SNW+0zWgXDyik4uNDVD2c6rNl/CQMB/AO9ou7ESMFQayj5v7N1xZ1mmrRkJEhRGJlP+CIT1lTKTx5CE9BoSJj6ou1kQnFYzwS/UjME2qhpQ/etb45gOcO/PQ1hHxOo0GahcVF7XPEA6/tZJYhmAT8twhxtM2xfP+cf0mhQIDAQAB";

/// An unpacked extension in a temporary folder, with [`TEST_KEY`] in its manifest.
pub struct UnpackedExtension {
    pub dir: tempfile::TempDir,
    /// The id Chromium derives from the key.
    pub id: String,
}

impl UnpackedExtension {
    /// Copies the unpacked build at `build` and adds the test key to its manifest.
    pub fn with_test_key(build: &Path) -> Result<Self> {
        let dir = tempfile::Builder::new().prefix("blixtra-e2e-extension-").tempdir().map_err(Error::io("creating the extension's folder"))?;
        copy_dir(build, dir.path())?;
        let manifest_path = dir.path().join("manifest.json");
        let text = std::fs::read_to_string(&manifest_path).map_err(Error::io(format!("reading {}", manifest_path.display())))?;
        let mut manifest: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| Error::Unexpected { what: "the extension's manifest".into(), detail: e.to_string() })?;
        manifest["key"] = TEST_KEY.into();
        std::fs::write(&manifest_path, manifest.to_string()).map_err(Error::io("writing the extension's manifest"))?;
        Ok(UnpackedExtension { id: extension_id(TEST_KEY)?, dir })
    }

    /// The base URL of its pages.
    pub fn url(&self) -> String {
        format!("chrome-extension://{}", self.id)
    }

    /// Chromium's flags that load it (and no other extension).
    pub fn flags(&self) -> Vec<String> {
        let dir = self.dir.path().display();
        vec![format!("--load-extension={dir}"), format!("--disable-extensions-except={dir}")]
    }
}

/// The Firefox build, installed as a temporary add-on into a session started with [`Self::prefs`].
pub struct FirefoxExtension {
    pub dir: std::path::PathBuf,
}

impl FirefoxExtension {
    /// The add-on's id (its manifest's `browser_specific_settings.gecko.id`, crates/xtask/src/extension.rs).
    pub const ADDON_ID: &'static str = "wallet@blixtra.dev";
    /// The internal id its pages load under (`moz-extension://…`): Firefox draws one at random per
    /// profile unless `extensions.webextensions.uuids` names it.
    pub const INTERNAL_ID: &'static str = "5a1f0c2e-8d3b-4c71-9e26-b1a7d4f3c905";

    /// The preference that fixes its internal id.
    pub fn prefs() -> Vec<(String, serde_json::Value)> {
        let uuids = serde_json::json!({ Self::ADDON_ID: Self::INTERNAL_ID }).to_string();
        vec![("extensions.webextensions.uuids".to_owned(), uuids.into())]
    }

    /// What geckodriver needs to open the add-on's pages: Firefox 153 lets WebDriver navigate to
    /// http, https, file, blob and about:blank only, unless the session has system access.
    pub fn driver_args() -> Vec<String> {
        vec!["--allow-system-access".to_owned()]
    }

    /// Installs the unpacked build as a temporary add-on (as about:debugging loads one).
    pub async fn install(&self, driver: &thirtyfour::WebDriver) -> Result<()> {
        let tools = thirtyfour::extensions::addons::firefox::FirefoxTools::new(driver.handle().clone());
        tools.install_addon(&self.dir.to_string_lossy(), Some(true)).await.map_err(Error::webdriver("installing the add-on"))
    }

    /// The base URL of its pages.
    pub fn url(&self) -> String {
        format!("moz-extension://{}", Self::INTERNAL_ID)
    }
}

/// Chromium's id for an extension with `key`: the first 16 bytes of the key's SHA-256, each hex digit
/// written as a letter from `a` to `p`.
fn extension_id(key: &str) -> Result<String> {
    let der = base64::engine::general_purpose::STANDARD
        .decode(key)
        .map_err(|e| Error::Unexpected { what: "the extension's test key".into(), detail: e.to_string() })?;
    let digest = Sha256::digest(der);
    Ok(digest[..16].iter().flat_map(|byte| [byte >> 4, byte & 0xf]).map(|nibble| char::from(b'a' + nibble)).collect())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).map_err(Error::io(format!("creating {}", to.display())))?;
    for entry in std::fs::read_dir(from).map_err(Error::io(format!("reading {}", from.display())))? {
        let entry = entry.map_err(Error::io(format!("reading {}", from.display())))?;
        let target = to.join(entry.file_name());
        if entry.file_type().map_err(Error::io("reading a file's type"))?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(Error::io(format!("copying {}", entry.path().display())))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_is_the_keys_hash_in_letters() {
        // The id Chromium gives an extension with this key (its pages load at it in tests/extension.rs).
        assert_eq!(extension_id(TEST_KEY).expect("an id"), "abfdjkcjejgnokjkdghhkgmneebnnmhd");
    }
}
