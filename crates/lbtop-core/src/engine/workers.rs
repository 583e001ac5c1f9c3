//! The thread layout: one single-threaded tokio runtime per worker, each with its own
//! SO_REUSEPORT listener per bind (see [`super::listen`]). A connection, its server connection and their tasks stay on
//! the thread that accepted it, so the data path never hops threads.

use super::accept::accept_loop;
use super::frontend::FrontendRt;
use super::limit::Limit;
use super::live::Live;
use std::cell::Cell;
use std::sync::Arc;
use tokio::sync::watch;

thread_local! {
    static WORKER: Cell<usize> = const { Cell::new(0) };
}

/// The worker the current thread belongs to (0 outside the workers).
pub fn current() -> usize {
    WORKER.with(Cell::get)
}

/// A worker's listener: the frontend and the bind it serves, by index.
pub type Listener = (usize, usize, std::net::TcpListener);

pub struct Workers {
    stop: watch::Sender<bool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Workers {
    /// Starts each worker's listeners (`listeners[w]`) on its own thread.
    pub fn start(
        listeners: Vec<Vec<Listener>>,
        frontends: &[Arc<FrontendRt>],
        global: Arc<Limit>,
        live: &Arc<Live>,
    ) -> std::io::Result<Workers> {
        let (stop, watch) = watch::channel(false);
        let mut threads = Vec::new();
        for (w, group) in listeners.into_iter().enumerate() {
            let frontends: Vec<Arc<FrontendRt>> = frontends.to_vec();
            let global = global.clone();
            let live = live.clone();
            let mut watch = watch.clone();
            // Counted from now, so a soft stop can tell when every listener of this
            // engine is closed, even one whose thread has not started yet.
            let group: Vec<_> = group
                .into_iter()
                .map(|l| (l, live.stop.track_loop()))
                .collect();
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
                        for ((f, b, listener), counted) in group {
                            let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                                continue;
                            };
                            let fe = frontends[f].clone();
                            let on = (b, global.clone(), live.clone());
                            loops.spawn(accept_loop(listener, fe, on, counted));
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
