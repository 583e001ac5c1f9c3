//! The thread layout: one single-threaded tokio runtime per worker, each with its own
//! SO_REUSEPORT listener per frontend. A connection, its server connection and their tasks stay on
//! the thread that accepted it, so the data path never hops threads.

use super::frontend::{accept_loop, FrontendRt};
use std::cell::Cell;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpSocket;
use tokio::sync::{watch, Semaphore};

thread_local! {
    static WORKER: Cell<usize> = const { Cell::new(0) };
}

/// The worker the current thread belongs to (0 outside the workers).
pub fn current() -> usize {
    WORKER.with(Cell::get)
}

/// Binds one listener per worker on `addr`, all sharing its port through SO_REUSEPORT.
/// Port 0 becomes the port the first listener got.
pub fn bind_group(addr: SocketAddr, workers: usize) -> std::io::Result<Vec<std::net::TcpListener>> {
    let first = bind(addr)?;
    let addr = first.local_addr()?;
    let mut group = vec![first];
    for _ in 1..workers {
        group.push(bind(addr)?);
    }
    Ok(group)
}

fn bind(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.set_reuseport(true)?;
    socket.bind(addr)?;
    let listener = socket.listen(1024)?;
    // Hand it over as a std listener: it is registered with the worker's own runtime later.
    listener.into_std()
}

pub struct Workers {
    stop: watch::Sender<bool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Workers {
    /// Starts `listeners[w][f]` (worker w, frontend f) on their own threads.
    pub fn start(
        listeners: Vec<Vec<std::net::TcpListener>>,
        frontends: &[Arc<FrontendRt>],
        global: Arc<Semaphore>,
    ) -> std::io::Result<Workers> {
        let (stop, watch) = watch::channel(false);
        let mut threads = Vec::new();
        for (w, group) in listeners.into_iter().enumerate() {
            let frontends: Vec<Arc<FrontendRt>> = frontends.to_vec();
            let global = global.clone();
            let mut watch = watch.clone();
            let thread = std::thread::Builder::new()
                .name(format!("lbtop-worker-{w}"))
                .spawn(move || {
                    WORKER.with(|c| c.set(w));
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("a worker runtime");
                    runtime.block_on(async move {
                        let mut loops = tokio::task::JoinSet::new();
                        for (listener, fe) in group.into_iter().zip(frontends) {
                            let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                                continue;
                            };
                            loops.spawn(accept_loop(listener, fe, global.clone()));
                        }
                        let _ = watch.wait_for(|stopped| *stopped).await;
                    });
                    // Dropping the runtime here closes the listeners and every connection.
                })?;
            threads.push(thread);
        }
        Ok(Workers { stop, threads })
    }

    pub fn count(&self) -> usize {
        self.threads.len()
    }

    /// Stops every worker and waits for its thread to end.
    pub fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.threads {
            let _ = t.join();
        }
    }
}
