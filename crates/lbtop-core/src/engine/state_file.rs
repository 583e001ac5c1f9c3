//! Reading a server-state file at start (`load-server-state-from-file`): the format of
//! `show servers state`, applied to the servers it names, as HAProxy 2.6 does
//! (docs/haproxy-semantics.md §27.3). A problem with the file is a warning, never fatal.

use super::backend::BackendRt;
use super::cli::state::{admin, check_state, kind_of, VERSION};
use super::state::{CheckOutcome, ServerState, Tally, Transition};
use crate::config::{Config, Server};
use crate::events::{AdminState, EventSender, Level, Topic};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

/// Fewer words than this on a line and HAProxy calls the whole file corrupted (measured).
const MIN_FIELDS: usize = 20;

/// `srv_op_state` of a running server.
const RUNNING: u32 = 2;
const STOPPING: u32 = 3;

/// One server's line: its file line, then its words.
type Line = (usize, Vec<String>);

/// Reads each backend's file and applies it; the warnings go to the watcher.
pub(super) fn load(config: &Config, backends: &[std::sync::Arc<BackendRt>], events: &EventSender) {
    let mut read_once: HashMap<PathBuf, Result<Vec<Line>, String>> = HashMap::new();
    let warn = |text: String| events.log(Level::Warning, Topic::System, text);
    for (cfg, rt) in config.backends.iter().zip(backends) {
        let Some((path, global)) = config
            .global
            .server_state
            .file_for(&cfg.name, &cfg.server_state)
        else {
            if cfg.server_state.load == crate::config::LoadState::Global {
                warn(format!(
                    "backend '{}' configured to load server state file from global section \
                     'server-state-file' directive. Unfortunately, 'server-state-file' is not set!",
                    cfg.name
                ));
            }
            continue;
        };
        // The global file is read once, and its problem told once; a local one per backend.
        let first = !global || !read_once.contains_key(&path);
        if global && first {
            read_once.insert(path.clone(), read(&path, true, &cfg.name));
        }
        let local;
        let lines = match global {
            true => &read_once[&path],
            false => {
                local = read(&path, false, &cfg.name);
                &local
            }
        };
        match lines {
            Err(message) if first => warn(message.clone()),
            Err(_) => {}
            Ok(lines) => apply_all(rt, cfg, lines, (&path, global), &warn),
        }
    }
}

/// Applies the lines of `file` (its path, whether it is the global one) that name `cfg`.
fn apply_all(
    rt: &BackendRt,
    cfg: &crate::config::Backend,
    lines: &[Line],
    (path, global): (&Path, bool),
    warn: &impl Fn(String),
) {
    for (no, words) in lines {
        if words[1] != cfg.name {
            // A global file holds every backend; a local one should hold only its own, and
            // HAProxy says so (measured).
            if !global {
                warn(format!(
                    "Proxy '{}': backend name mismatch: from server state file: '{}', from \
                     running config '{}'",
                    cfg.name, words[1], cfg.name
                ));
            }
            continue;
        }
        if let Err(m) = apply(rt, cfg.servers.as_slice(), words) {
            warn(format!("{}:{no}: {m}", path.display()));
        }
    }
}

/// The server lines of a file, or the warning that it cannot be used at all.
fn read(path: &Path, global: bool, backend: &str) -> Result<Vec<Line>, String> {
    let (what, who) = match global {
        true => ("global server state file", "config: ".to_string()),
        false => ("server state file", format!("Proxy '{backend}': ")),
    };
    let bytes = std::fs::read(path).map_err(|e| {
        let text = e.to_string();
        let reason = text.split(" (os error").next().unwrap_or(&text);
        // Measured: only the local file's message ends with a period.
        let end = if global { "" } else { "." };
        format!("{who}Can't open {what} '{}': {reason}{end}", path.display())
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let mut lines = text.lines().enumerate();
    if lines.next().map(|(_, l)| l.trim()) != Some(VERSION) {
        return Err(format!(
            "{who}Can't get version of the {what} '{}'.",
            path.display()
        ));
    }
    let mut out = Vec::new();
    for (i, line) in lines {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        if words.len() < MIN_FIELDS {
            // HAProxy counts the lines after the version line.
            return Err(format!(
                "{who}corrupted {what} '{}' at line {i}.",
                path.display()
            ));
        }
        out.push((i + 1, words));
    }
    Ok(out)
}

/// What a line says about a server, its numbers read.
struct Saved {
    op: u32,
    admin: u32,
    uweight: u32,
    iweight: u32,
    since: u64,
    status: u32,
    health: u32,
    check_state: u32,
    port: u16,
}

impl Saved {
    fn parse(w: &[String]) -> Result<Saved, String> {
        fn num<T: std::str::FromStr>(w: &[String], i: usize, name: &str) -> Result<T, String> {
            w[i].parse()
                .map_err(|_| format!("invalid {name} '{}' for server '{}/{}'", w[i], w[1], w[3]))
        }
        Ok(Saved {
            op: num(w, 5, "srv_op_state")?,
            admin: num(w, 6, "srv_admin_state")?,
            uweight: num(w, 7, "srv_uweight")?,
            iweight: num(w, 8, "srv_iweight")?,
            since: num(w, 9, "srv_time_since_last_change")?,
            status: num(w, 10, "srv_check_status")?,
            health: num(w, 12, "srv_check_health")?,
            check_state: num(w, 13, "srv_check_state")?,
            port: num(w, 18, "srv_port")?,
        })
    }
}

/// Applies one line to the server it names (by name: HAProxy 2.6 does not look at the ids).
fn apply(rt: &BackendRt, servers: &[Server], words: &[String]) -> Result<(), String> {
    let Some(i) = servers.iter().position(|s| s.name == words[3]) else {
        return Ok(());
    };
    let saved = Saved::parse(words)?;
    let cfg = &servers[i];
    let rt_server = &rt.servers[i];
    let resolved = rt_server.resolved();
    if !resolved && saved.admin & admin::CMAINT == cmaint(cfg) {
        // Without an address it stays in maintenance; the file says whether it was also
        // forced there, for when its name resolves.
        let forced = saved.admin & admin::FMAINT != 0;
        rt_server.maint_wanted.store(forced, Relaxed);
    }
    let targets = (has_target(words, 21, 22), has_target(words, 24, 23));
    rt.change(
        i,
        Topic::Admin,
        |st, now| Some((restore(st, cfg, resolved, &saved, now), ())),
        |st, who, t, tally, _| messages(st, who.proxy_server, t, tally, targets),
    );
    if resolved && takes_last(cfg) {
        if let Ok(ip) = words[4].parse::<std::net::IpAddr>() {
            rt_server.set_addr(Some(ip));
        }
    }
    if saved.port != cfg.addr.port() && saved.port != 0 {
        rt.servers[i].set_port(saved.port);
    }
    Ok(())
}

/// The saved state, where HAProxy takes it: the forced admin state unless `disabled` was
/// added or removed since; the weight unless the configured one changed; health, last check
/// and whether checks are on for a checked server; the time of the last change.
fn restore(
    st: &mut ServerState,
    cfg: &Server,
    resolved: bool,
    s: &Saved,
    now: Instant,
) -> Transition {
    let was_up = st.is_up();
    let was_stopping = st.stopping;
    if resolved && s.admin & admin::CMAINT == cmaint(cfg) {
        st.admin = match s.admin {
            a if a & admin::FMAINT != 0 => AdminState::Maint,
            a if a & admin::FDRAIN != 0 => AdminState::Drain,
            _ => AdminState::Ready,
        };
    }
    if s.iweight == cfg.weight && s.uweight <= 256 {
        st.weight = s.uweight;
    }
    if st.checks_configured {
        st.checks_enabled = s.check_state & check_state::ENABLED != 0;
        st.health.value = s.health.min(st.health.max());
        st.last_check = kind_of(s.status)
            .filter(|k| *k != crate::events::CheckKind::Ini)
            .map(|kind| CheckOutcome {
                kind,
                code: None,
                info: None,
                duration: Duration::ZERO,
                head: None,
            });
    }
    if st.admin == AdminState::Maint {
        st.health.value = 0;
    } else if !st.checks_configured && s.op == RUNNING {
        // Measured: an unchecked server saved running comes back with a full health count.
        st.health.value = st.health.max();
    }
    st.stopping = s.op == STOPPING && st.checks_configured && st.health.is_up();
    st.last_change = now.checked_sub(Duration::from_secs(s.since)).unwrap_or(now);
    if was_up && !st.is_up() {
        st.down_transitions += 1;
        st.down_since = Some(now);
    }
    Transition {
        was_up,
        is_up: st.is_up(),
        moved: true,
        was_stopping,
    }
}

/// A server written with a host name whose first `init-addr` method is `last` (the
/// default, `last,libc`) starts on the address the file saved for it (measured).
fn takes_last(cfg: &Server) -> bool {
    let first = cfg.init_addr.as_ref().and_then(|m| m.first().copied());
    cfg.host.is_some() && matches!(first, None | Some(crate::config::InitAddr::Last))
}

/// The `disabled` bit the server has now, to compare with the file's.
fn cmaint(cfg: &Server) -> u32 {
    if cfg.disabled {
        admin::CMAINT
    } else {
        0
    }
}

/// Whether a line names a port (word `port`, not `0`) or an address (word `addr`, not `-`)
/// for checks or the agent; a short line names none.
fn has_target(words: &[String], port: usize, addr: usize) -> bool {
    let set = |i: usize, empty: &str| words.get(i).is_some_and(|w| w != empty);
    set(port, "0") || set(addr, "-")
}

/// The lines HAProxy 2.6 prints for a restored state (measured). `targets`: the line names
/// a check port or address, an agent port or address. lbtop has no agent checks.
fn messages(
    st: &ServerState,
    name: &str,
    t: &Transition,
    tally: &Tally,
    targets: (bool, bool),
) -> Vec<(Level, String)> {
    let mut out = Vec::new();
    if t.was_up && !t.is_up {
        out.push(format!(
            "Server {name} is DOWN, changed from server-state after a reload. {} active and {} \
             backup servers left. {} sessions active, 0 requeued, 0 remaining in queue.",
            tally.active, tally.backup, tally.sessions
        ));
    }
    if st.admin == AdminState::Drain {
        out.push(format!("Server {name} remains in forced drain mode."));
    }
    // HAProxy words one reason: the checks' when they are off, else the agent's.
    let checks_on = st.checks_configured && st.checks_enabled;
    let partial = match targets {
        (true, _) if !checks_on => Some("health"),
        (_, true) => Some("agent"),
        _ => None,
    };
    if let Some(which) = partial {
        out.push(format!(
            "server-state partially applied for server '{name}', {which} checks are not \
             enabled on this server"
        ));
    }
    out.into_iter().map(|m| (Level::Warning, m)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    const ROW: &str = "3 be 1 s 127.0.0.1 2 8 1 1 7 15 3 4 6 0 0 0 - 80 - 0 0 - - 0";

    #[test]
    fn a_missing_file_is_named_with_its_reason() {
        let e = read(Path::new("/nonexistent/st"), true, "be").unwrap_err();
        assert_eq!(
            e,
            "config: Can't open global server state file '/nonexistent/st': No such file or directory"
        );
        let e = read(Path::new("/nonexistent/be"), false, "be").unwrap_err();
        assert!(
            e.starts_with("Proxy 'be': Can't open server state file"),
            "{e}"
        );
    }

    #[test]
    fn another_version_is_refused() {
        let (_d, path) = file(&format!("2\n{ROW}\n"));
        let e = read(&path, true, "be").unwrap_err();
        assert!(
            e.ends_with(
                "Can't get version of the global server state file '{}'."
                    .replace("{}", &path.display().to_string())
                    .as_str()
            ),
            "{e}"
        );
        let (_d, path) = file("");
        assert!(read(&path, true, "be").is_err());
    }

    #[test]
    fn a_short_line_spoils_the_file_counted_after_the_version() {
        let (_d, path) = file(&format!("1\n# header\n{ROW}\n\n3 be 2 t 127.0.0.1 2\n"));
        let e = read(&path, true, "be").unwrap_err();
        assert!(e.ends_with("' at line 4."), "{e}");
    }

    #[test]
    fn comments_blank_lines_and_extra_words_pass() {
        let (_d, path) = file(&format!("1\n# header\n\n{ROW} extra\n\u{0}\u{ff}\n"));
        let lines = read(&path, true, "be");
        assert!(lines.is_err(), "a line of garbage is too short");
        let (_d, path) = file(&format!("1\n# header\n\n{ROW} extra\n"));
        let lines = read(&path, true, "be").unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].0, 4);
    }

    #[test]
    fn bad_numbers_name_the_column() {
        let words: Vec<String> = ROW
            .replace(" 8 1 1 ", " x 1 1 ")
            .split(' ')
            .map(str::to_string)
            .collect();
        let e = Saved::parse(&words).err().unwrap();
        assert_eq!(e, "invalid srv_admin_state 'x' for server 'be/s'");
    }
}
