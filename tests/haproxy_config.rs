//! lbtop speaks HAProxy's configuration language: `lbtop check` on the seed's haproxy.cfg,
//! `lbtop export` read back by real HAProxy (`haproxy -c -f`), and errors in HAProxy's words.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const LBTOP: &str = env!("CARGO_BIN_EXE_lbtop");

fn lbtop(args: &[&str]) -> Output {
    Command::new(LBTOP).args(args).output().expect("run lbtop")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A file of the seed, by the path the brief gives (`../shared/seed/...` from the crate).
fn seed(name: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/seed")
        .join(name);
    if path.exists() {
        Some(path)
    } else {
        eprintln!(
            "\n!!! SKIPPED: {} does not exist, nothing to check it against !!!\n",
            path.display()
        );
        None
    }
}

/// Whether real HAProxy is installed (CI installs it).
fn haproxy() -> bool {
    let found = Command::new("haproxy")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("\n!!! SKIPPED: `haproxy` is not on PATH, so `haproxy -c -f` was not run !!!\n");
    }
    found
}

#[test]
fn check_reads_the_seed_and_warns_with_line_numbers() {
    let Some(path) = seed("haproxy.cfg") else {
        return;
    };
    let p = path.to_str().unwrap();
    let out = lbtop(&["check", "--config", p]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    for want in [
        "  maxconn          4000\n",
        "  log              127.0.0.1:514 local6 debug\n",
        "  stats socket     /var/lib/haproxy/stats level operator\n",
        "frontend main  (line 58)\n",
        "  bind             0.0.0.0:80\n",
        "  default_backend  hoge\n",
        "  maxconn          3000\n",
        "backend hoge  (line 64)\n",
        "  balance          roundrobin\n",
        "  check            httpchk GET /health_check.html HTTP/1.0 (User-agent: Proxy-Check)\n",
        "  retries          3\n",
        "connect 10s, client 1m, server 1m, check 10s, http-request 10s, queue 1m, http-keep-alive 10s",
        "log-health-checks, httplog, dontlognull, http-server-close, redispatch, forwardfor except 127.0.0.0/8",
        "  log              global\n",
        "  server web10  192.168.33.10:80  weight 1  check inter 3s fall 2 rise 2\n",
        "  server web11  192.168.33.11:80  weight 1  check inter 3s fall 2 rise 2\n",
        "Configuration file is valid",
    ] {
        assert!(stdout.contains(want), "missing {want:?} in:\n{stdout}");
    }
    for want in [
        format!("{p}:16: warning: 'chroot' ignored"),
        format!("{p}:17: warning: 'pidfile' ignored"),
        format!("{p}:19: warning: 'user' ignored"),
        format!("{p}:20: warning: 'group' ignored"),
        format!("{p}:21: warning: 'daemon' ignored"),
        format!("{p}:40: warning: 'option httpchk' : hiding headers or body at the end of the version string is deprecated"),
        format!("{p}:58: warning: frontend 'main': an address on the 'frontend' line ('*:80') is deprecated HAProxy 1.x syntax"),
    ] {
        assert!(stderr.contains(&want), "missing {want:?} in:\n{stderr}");
    }
    assert_eq!(stderr.lines().count(), 7, "{stderr}");
}

#[test]
fn export_is_accepted_by_haproxy() {
    let dir = tempfile::tempdir().unwrap();
    let mut sources = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml")];
    sources.extend(seed("haproxy.cfg"));
    sources.extend(seed("haproxy-loopback.cfg"));
    let run_haproxy = haproxy();
    for (i, source) in sources.iter().enumerate() {
        let out = lbtop(&["export", "--config", source.to_str().unwrap()]);
        let cfg = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(cfg.contains("\nfrontend main\n"), "{cfg}");
        assert!(cfg.contains("\nbackend hoge\n"), "{cfg}");
        let file = dir.path().join(format!("export{i}.cfg"));
        std::fs::write(&file, &cfg).unwrap();

        // lbtop reads its own export without a word to say.
        let back = lbtop(&["check", "--config", file.to_str().unwrap()]);
        assert_eq!(back.status.code(), Some(0), "{}", text(&back.stderr));
        assert_eq!(text(&back.stderr), "", "{cfg}");

        if run_haproxy {
            let checked = Command::new("haproxy")
                .args(["-c", "-f"])
                .arg(&file)
                .output()
                .expect("run haproxy -c");
            assert!(
                checked.status.success(),
                "haproxy -c -f refused the export of {}:\n{}\n---\n{cfg}",
                source.display(),
                text(&checked.stderr)
            );
        }
    }
    if let Some(path) = seed("haproxy.cfg") {
        let cfg = text(&lbtop(&["export", "--config", path.to_str().unwrap()]).stdout);
        assert!(cfg.contains("\n    bind *:80\n"), "{cfg}");
        assert!(!cfg.contains("\n    chroot"), "{cfg}");
        assert!(cfg.contains("#   line 16: 'chroot' ignored"), "{cfg}");
        assert!(cfg.contains(
            "\n    option httpchk\n    http-check send meth GET uri /health_check.html ver HTTP/1.0 hdr User-agent Proxy-Check\n"
        ), "{cfg}");
    }
}

#[test]
fn config_errors_speak_haproxy_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.cfg");
    std::fs::write(
        &path,
        "global\n    maxconn 100\n\ndefaults\n    mode http\n    optoin httplog\n",
    )
    .unwrap();
    let p = path.to_str().unwrap();
    let out = lbtop(&["check", "--config", p]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        format!(
            "{p}:6: unknown keyword 'optoin' in 'defaults' section; did you mean 'option'?\n\
             lbtop: 1 error and 0 warnings in {p}\n"
        )
    );
    // Running (not just checking) fails the same way, before anything listens.
    let out = lbtop(&["--headless", "--config", p]);
    assert_eq!(out.status.code(), Some(2));

    // HAProxy syntax is recognised by content too, whatever the file is called.
    let path = dir.path().join("lb.conf");
    std::fs::write(&path, "# lb\nbackend b\n    server s 127.0.0.1:80 chekc\n").unwrap();
    let p = path.to_str().unwrap();
    let out = lbtop(&["check", "--config", p]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        format!(
            "{p}:3: backend 'b': server 's': unknown keyword 'chekc'; did you mean 'check'?\n\
             lbtop: 1 error and 0 warnings in {p}\n"
        )
    );
}
