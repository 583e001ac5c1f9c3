//! Running under systemd with `Type=notify` (dist/lbtop.service): lbtop tells the service
//! manager over `NOTIFY_SOCKET` when it serves (`READY=1`), when a reload starts and ends
//! (`RELOADING=1` then `READY=1`) and when it stops (`STOPPING=1`). Without `NOTIFY_SOCKET`
//! (a shell, a container, the dashboard on a terminal) every call does nothing.
//!
//! `MAINPID` goes with every `READY=1`: a reload by signal keeps the PID, so systemd keeps
//! watching the process it started. `MONOTONIC_USEC` goes with `RELOADING=1`, which systemd
//! 253 and later require for `Type=notify-reload` (older ones ignore it).

use crate::config::Config;
use sd_notify::NotifyState;
use std::sync::atomic::{AtomicBool, Ordering};

/// Every listener is bound and accepting.
pub fn ready(config: &Config) {
    reloaded(config, true);
}

/// A reload begins: systemd marks the unit `reloading` until the next [`ready`].
pub fn reloading() {
    match NotifyState::monotonic_usec_now() {
        Ok(now) => send(&[
            NotifyState::Reloading,
            now,
            NotifyState::Status("reloading"),
        ]),
        Err(_) => send(&[NotifyState::Reloading, NotifyState::Status("reloading")]),
    }
}

/// A reload ended: READY again, on the new configuration or, when it was refused, on the old.
pub fn reloaded(config: &Config, ok: bool) {
    let status = if ok {
        serving_status(config)
    } else {
        format!(
            "{}; the last reload was refused (see the log)",
            serving_status(config)
        )
    };
    send(&[
        NotifyState::Ready,
        NotifyState::MainPid(std::process::id()),
        NotifyState::Status(&status),
    ]);
}

/// The process stops: soft (finishing the sessions in flight) or now. Said once: a soft stop
/// that ends is not announced a second time.
pub fn stopping(how: &str) {
    static SAID: AtomicBool = AtomicBool::new(false);
    if !SAID.swap(true, Ordering::Relaxed) {
        send(&[NotifyState::Stopping, NotifyState::Status(how)]);
    }
}

/// `serving 2 frontends on 3 addresses`: what `systemctl status` shows under the unit.
pub fn serving_status(config: &Config) -> String {
    let frontends = config.frontends.len();
    let binds: usize = config.frontends.iter().map(|f| f.binds.len()).sum();
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "es" });
    format!(
        "serving {frontends} frontend{} on {}",
        if frontends == 1 { "" } else { "s" },
        plural(binds, "address")
    )
}

/// Sends `state`; a failure (the socket went away) is said once on stderr and never stops
/// the balancer.
fn send(state: &[NotifyState]) {
    static REPORTED: AtomicBool = AtomicBool::new(false);
    if let Err(e) = sd_notify::notify(state) {
        if !REPORTED.swap(true, Ordering::Relaxed) {
            eprintln!("lbtop: cannot notify the service manager (NOTIFY_SOCKET): {e}");
        }
    }
}
