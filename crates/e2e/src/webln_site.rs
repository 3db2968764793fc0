//! A website on loopback that pays through WebLN as real sites do: it loads the npm `webln`
//! package's browser build (`WebLN.requestProvider()`, not code written here) and exposes one
//! helper, `ask(name, run)`, which records each call's outcome under its name for the test to read.

use std::net::SocketAddr;
use std::path::Path;

use crate::server::AppServer;
use crate::{Error, Result};

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>A test shop</title><script src="/webln.min.js"></script></head>
<body>
<h1>A test shop</h1>
<script>
  window.outcomes = {};
  // Runs `run` and records how it ended: { ok: value } or { error: { name, message } }.
  window.ask = (name, run) => {
    window.outcomes[name] = null;
    Promise.resolve().then(run).then(
      (value) => { window.outcomes[name] = { ok: value === undefined ? null : value }; },
      (error) => { window.outcomes[name] = { error: { name: String(error && error.name), message: String(error && error.message) } }; },
    );
  };
</script>
</body>
</html>
"#;

/// The site, served until dropped.
pub struct WeblnSite {
    pub port: u16,
    _dir: tempfile::TempDir,
    _server: AppServer,
}

impl WeblnSite {
    /// Serves the page and `webln_js` (the package's `dist/webln.min.js`) on 127.0.0.1.
    pub async fn serve(webln_js: &Path) -> Result<Self> {
        let setup = |what: &str, e: std::io::Error| Error::Unexpected { what: format!("the test website's {what}"), detail: e.to_string() };
        let dir = tempfile::tempdir().map_err(|e| setup("folder", e))?;
        std::fs::write(dir.path().join("index.html"), PAGE).map_err(|e| setup("page", e))?;
        std::fs::copy(webln_js, dir.path().join("webln.min.js")).map_err(|e| setup(&format!("copy of {}", webln_js.display()), e))?;
        let router = axum::Router::new().fallback_service(tower_http::services::ServeDir::new(dir.path()));
        let server = AppServer::serve(router, SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let port = server
            .url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| Error::Unexpected { what: "the test website's address".into(), detail: server.url.clone() })?;
        Ok(WeblnSite { port, _dir: dir, _server: server })
    }

    /// The site's address under `host` (`127.0.0.1` or `localhost`: two origins of one server).
    pub fn url(&self, host: &str) -> String {
        format!("http://{host}:{}/", self.port)
    }
}
