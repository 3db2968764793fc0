//! The built app (Trunk's `dist/`) served over plain HTTP on loopback: files as they are, and
//! `index.html` for any other path, since the app routes `/home`, `/send`, … itself (a reload on
//! `/home` must load the app). tower-http's `ServeDir` picks the types by extension (`.wasm` as
//! `application/wasm`, which streaming compilation requires; `.js` as `text/javascript`). Every answer
//! carries the page's content security policy as a header, with `frame-ancestors 'none'`, which the
//! page's `<meta>` cannot say (`crates/xtask/src/page_policy.rs` writes it).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use axum::http::{header, HeaderValue};
use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::{Error, Result};

/// The app being served; the server stops when this is dropped.
pub struct AppServer {
    /// The base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    task: JoinHandle<()>,
}

impl AppServer {
    /// Serves `dist` on `addr` (port 0: a free one) from a task of the current Tokio runtime.
    pub async fn start(dist: &Path, addr: SocketAddr) -> Result<Self> {
        Self::serve(app_router(dist)?, addr).await
    }

    /// Serves `router` (the app's, perhaps with more beside it) on `addr`.
    pub async fn serve(router: Router, addr: SocketAddr) -> Result<Self> {
        let listener = TcpListener::bind(addr).await.map_err(Error::io(format!("listening on {addr}")))?;
        let bound = listener.local_addr().map_err(Error::io("reading the server's address"))?;
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router).await {
                eprintln!("app server stopped: {e}");
            }
        });
        Ok(AppServer { url: format!("http://{bound}"), task })
    }
}

impl Drop for AppServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Returns the router for `dist`; fails if it holds no built app.
pub fn app_router(dist: &Path) -> Result<Router> {
    let index: PathBuf = dist.join("index.html");
    if !index.is_file() {
        return Err(Error::Unexpected {
            what: format!("the app directory {}", dist.display()),
            detail: "it has no index.html: build the app first (`trunk build` in the workspace root)".to_owned(),
        });
    }
    let page = std::fs::read_to_string(&index).map_err(Error::io(format!("reading {}", index.display())))?;
    let files = ServeDir::new(dist).fallback(ServeFile::new(index));
    let router = Router::new().fallback_service(files);
    Ok(match page_policy(&page) {
        Some(policy) => {
            let value = HeaderValue::from_str(&format!("{policy}; frame-ancestors 'none'"))
                .map_err(|e| Error::Unexpected { what: "the page's content security policy".to_owned(), detail: e.to_string() })?;
            router.layer(SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, value))
        }
        None => router,
    })
}

/// The policy in the page's `<meta http-equiv="Content-Security-Policy">`, if it has one.
fn page_policy(page: &str) -> Option<&str> {
    const META: &str = "http-equiv=\"Content-Security-Policy\" content=\"";
    let start = page.find(META)? + META.len();
    let length = page[start..].find('"')?;
    Some(&page[start..start + length])
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(url: &str) -> (u16, String, String) {
        let response = reqwest::get(url).await.expect("the test server answers");
        let status = response.status().as_u16();
        let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        (status, content_type, response.text().await.expect("a text body"))
    }

    #[tokio::test]
    async fn files_get_their_types_and_unknown_paths_get_the_app() {
        let dist = tempfile::tempdir().expect("a temporary directory");
        for (name, body) in [("index.html", "<!doctype html>app"), ("app_bg.wasm", "\0asm"), ("app.js", "export {}")] {
            std::fs::write(dist.path().join(name), body).expect("a test file is written");
        }
        let server = AppServer::start(dist.path(), "127.0.0.1:0".parse().expect("an address")).await.expect("the server starts");

        let (status, content_type, _) = get(&format!("{}/app_bg.wasm", server.url)).await;
        assert_eq!((status, content_type.as_str()), (200, "application/wasm"));
        let (_, content_type, _) = get(&format!("{}/app.js", server.url)).await;
        assert!(content_type.starts_with("text/javascript"), "{content_type}");
        for path in ["/", "/home", "/send?x=1"] {
            let (status, content_type, body) = get(&format!("{}{path}", server.url)).await;
            assert_eq!((status, body.as_str()), (200, "<!doctype html>app"), "{path}");
            assert!(content_type.starts_with("text/html"), "{path}: {content_type}");
        }
    }

    #[tokio::test]
    async fn every_answer_carries_the_pages_policy_and_forbids_framing() {
        let dist = tempfile::tempdir().expect("a temporary directory");
        let policy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'";
        let page = format!("<meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\" />");
        std::fs::write(dist.path().join("index.html"), page).expect("a test file is written");
        std::fs::write(dist.path().join("app.js"), "export {}").expect("a test file is written");
        let server = AppServer::start(dist.path(), "127.0.0.1:0".parse().expect("an address")).await.expect("the server starts");
        for path in ["/", "/home", "/app.js"] {
            let response = reqwest::get(format!("{}{path}", server.url)).await.expect("the test server answers");
            let sent = response.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            assert_eq!(sent, format!("{policy}; frame-ancestors 'none'"), "{path}");
        }
    }

    #[test]
    fn a_directory_without_an_app_is_refused() {
        let empty = tempfile::tempdir().expect("a temporary directory");
        assert!(matches!(app_router(empty.path()), Err(Error::Unexpected { .. })));
    }
}
