//! A small web server standing in for one of the seed's Apaches: it serves a folder as it is
//! on disk at each request, names itself in an `x-server` header, and can be stopped or lose
//! its health_check.html (in memory: the folder is never touched).

use super::page::{self, Page};
use super::DemoError;
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
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

    /// The dashboard's `x`: hides (or shows again) health_check.html without touching the
    /// folder, so a checkout is never modified by a key press.
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
        if page::is_slow(path) {
            tokio::time::sleep(page::SLOW_DELAY).await;
        }
        let hidden = !self.health_page.load(Relaxed);
        let found = match page::resolve(path) {
            Some(rel) if hidden && rel.as_path() == std::path::Path::new(page::HEALTH_PAGE) => {
                Page::NotFound
            }
            Some(rel) => page::look_up(&self.root, &rel, path).await,
            None => Page::NotFound,
        };
        let host = req
            .headers()
            .get(hyper::header::HOST)
            .and_then(|h| h.to_str().ok());
        self.reply(found.into_parts(host, path))
    }

    fn reply(&self, parts: page::Parts) -> Response<Full<Bytes>> {
        let mut builder = Response::builder()
            .status(parts.status)
            .header("content-type", parts.content_type)
            .header("x-server", self.name.as_str());
        if let Some(location) = parts.location {
            builder = builder.header("location", location);
        }
        builder
            .body(Full::new(parts.body))
            .expect("static parts are valid")
    }
}
