//! A small web server standing in for one of the seed's Apaches: it serves a folder, names
//! itself in an `x-server` header, and can be stopped or lose its health_check.html.

use super::DemoError;
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use tokio::net::{TcpListener, TcpSocket};
use tokio::task::{JoinHandle, JoinSet};

pub struct WebServer {
    pub name: String,
    pub addr: SocketAddr,
    site: Arc<Site>,
    task: Option<JoinHandle<()>>,
}

struct Site {
    name: String,
    root: PathBuf,
    health_page: AtomicBool,
}

impl WebServer {
    pub async fn start(
        name: &str,
        addr: SocketAddr,
        root: PathBuf,
    ) -> Result<WebServer, DemoError> {
        let mut server = WebServer {
            name: name.to_string(),
            addr,
            site: Arc::new(Site {
                name: name.to_string(),
                root,
                health_page: AtomicBool::new(true),
            }),
            task: None,
        };
        server.resume().await?;
        Ok(server)
    }

    /// Listens again after [`WebServer::stop`]; a no-op while running.
    pub async fn resume(&mut self) -> Result<(), DemoError> {
        if self.task.is_some() {
            return Ok(());
        }
        let listener = bind(self.addr).map_err(|source| DemoError {
            name: self.name.clone(),
            addr: self.addr,
            source,
        })?;
        self.addr = listener.local_addr().unwrap_or(self.addr);
        self.task = Some(tokio::spawn(serve(listener, self.site.clone())));
        Ok(())
    }

    /// Closes the listener and every open connection, like stopping Apache.
    pub fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }

    pub fn set_health_page(&self, present: bool) {
        self.site.health_page.store(present, Relaxed);
    }
}

impl Drop for WebServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

async fn serve(listener: TcpListener, site: Arc<Site>) {
    // Aborting this task drops the set, which closes every connection with it.
    let mut conns = JoinSet::new();
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => continue,
        };
        let _ = stream.set_nodelay(true);
        let site = site.clone();
        conns.spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let site = site.clone();
                async move { Ok::<_, Infallible>(site.respond(&req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

impl Site {
    async fn respond<B>(&self, req: &Request<B>) -> Response<Full<Bytes>> {
        let path = req.uri().path();
        let name = if path == "/" {
            "index.html"
        } else {
            path.trim_start_matches('/')
        };
        if name == "health_check.html" && !self.health_page.load(Relaxed) {
            return self.reply(
                StatusCode::NOT_FOUND,
                "text/plain",
                Bytes::from_static(b"Not Found\n"),
            );
        }
        match self.read(name).await {
            Some(body) => self.reply(StatusCode::OK, content_type(name), body),
            None => self.reply(
                StatusCode::NOT_FOUND,
                "text/plain",
                Bytes::from_static(b"Not Found\n"),
            ),
        }
    }

    /// Reads a file under the root; falls back to built-in pages when the folder is missing,
    /// so the demo works wherever lbtop runs from.
    async fn read(&self, name: &str) -> Option<Bytes> {
        let rel = Path::new(name);
        if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
            return None;
        }
        if let Ok(data) = tokio::fs::read(self.root.join(rel)).await {
            return Some(Bytes::from(data));
        }
        match name {
            "index.html" => Some(Bytes::from(format!(
                "<!DOCTYPE html>\n<html><body><h1>{0}</h1><p>This page came from {0}.</p></body></html>\n",
                self.name
            ))),
            "health_check.html" => Some(Bytes::from(format!("{} is healthy\n", self.name))),
            _ => None,
        }
    }

    fn reply(&self, status: StatusCode, ctype: &'static str, body: Bytes) -> Response<Full<Bytes>> {
        Response::builder()
            .status(status)
            .header("content-type", ctype)
            .header("x-server", self.name.as_str())
            .body(Full::new(body))
            .expect("static parts are valid")
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css",
        Some("js") => "text/javascript",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        _ => "text/plain; charset=utf-8",
    }
}
