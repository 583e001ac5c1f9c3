//! The corpus of haproxy.cfg files in `tests/configs/`, written in the shapes real users have
//! (the Debian stock file, `listen stats`, Kubernetes API, Patroni, Galera, RabbitMQ, Redis,
//! docker-compose, ...): real HAProxy accepts every one with `haproxy -c`, and so must
//! `lbtop check`, except the files of [`NOT_YET`], each refused for a keyword lbtop does not
//! take yet. `tests/configs/routing/` holds configs for the routing work (ACLs, `use_backend`,
//! TLS, cookies, stick tables, userlists): HAProxy accepts each, and `routing/EXPECTED` says
//! which of them lbtop accepts and which keyword blocks each of the others.
//!
//! Both programs run in the file's folder, so relative paths (`errorfile 400 errors/400.http`,
//! `crt certs/localhost.pem`) mean the same file to both.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const LBTOP: &str = env!("CARGO_BIN_EXE_lbtop");

/// The environment the files expand (`bind 127.0.0.1:$PORT`, `"${BACKEND_HOST}"`).
const ENV: &[(&str, &str)] = &[
    ("PORT", "18080"),
    ("APP_PORT", "18081"),
    ("BACKEND_HOST", "127.0.0.1"),
    ("MAXCONN", "1000"),
];

/// Files lbtop refuses today, each with a keyword that blocks it (as its errors name it: every
/// word of it appears in one of the file's error lines). When the keyword lands, the file
/// loads and the test asks for its removal from this list.
const NOT_YET: &[(&str, &str)] = &[];

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/configs")
}

/// The `.cfg` files directly in `dir`, sorted.
fn cfg_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "cfg"))
        .collect();
    files.sort();
    files
}

fn name(path: &Path) -> &str {
    path.file_name()
        .and_then(|n| n.to_str())
        .expect("file name")
}

/// `program args... <file name>` run in the file's folder with [`ENV`].
fn run_in_folder(program: &str, args: &[&str], path: &Path) -> Output {
    Command::new(program)
        .args(args)
        .arg(name(path))
        .current_dir(path.parent().expect("folder"))
        .envs(ENV.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("run {program}: {e}"))
}

/// Whether real HAProxy is installed (CI installs it).
fn haproxy() -> bool {
    let found = Command::new("haproxy")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!(
            "\n!!! SKIPPED: `haproxy` is not on PATH, so the corpus was not checked against it !!!\n"
        );
    }
    found
}

fn haproxy_check(path: &Path) -> Result<(), String> {
    let out = run_in_folder("haproxy", &["-c", "-f"], path);
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// `lbtop check`: `Err` with its error lines (warnings left out) when it refuses the file.
fn lbtop_check(path: &Path) -> Result<(), Vec<String>> {
    let out = run_in_folder(LBTOP, &["check", "--config"], path);
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => Ok(()),
        Some(2) => Err(stderr
            .lines()
            .filter(|l| !l.contains(": warning: ") && !l.starts_with("lbtop: "))
            .map(String::from)
            .collect()),
        other => panic!("{}: lbtop check exited {other:?}:\n{stderr}", name(path)),
    }
}

/// `word` appears in `line` as a whole word (not `port` inside `supported`).
fn mentions(line: &str, word: &str) -> bool {
    let part = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.';
    line.match_indices(word).any(|(i, _)| {
        let before = line[..i].chars().next_back();
        let after = line[i + word.len()..].chars().next();
        !before.is_some_and(part) && !after.is_some_and(part)
    })
}

/// What is wrong with `file`'s `lbtop check` result against [`NOT_YET`], if anything.
fn verdict(file: &str, result: Result<(), Vec<String>>) -> Option<String> {
    let blocked_by = NOT_YET.iter().find(|(f, _)| *f == file).map(|(_, k)| *k);
    match (result, blocked_by) {
        (Ok(()), None) => None,
        (Ok(()), Some(_)) => Some(format!(
            "{file}: lbtop check accepts it now: remove it from NOT_YET"
        )),
        (Err(errors), None) => Some(format!(
            "{file}: lbtop check refuses it:\n  {}",
            errors.join("\n  ")
        )),
        (Err(errors), Some(keyword)) => {
            let named = errors
                .iter()
                .any(|l| keyword.split(' ').all(|w| mentions(l, w)));
            (!named).then(|| {
                format!(
                    "{file}: no longer blocked by '{keyword}': update NOT_YET with one of:\n  {}",
                    errors.join("\n  ")
                )
            })
        }
    }
}

#[test]
fn every_corpus_file_passes_haproxy_and_lbtop_check_or_is_not_yet() {
    let files = cfg_files(&corpus_dir());
    assert!(
        files.len() >= 45,
        "only {} configs in the corpus",
        files.len()
    );
    for (listed, _) in NOT_YET {
        assert!(
            files.iter().any(|f| name(f) == *listed),
            "NOT_YET names {listed}, which is not in tests/configs/"
        );
    }
    let check_haproxy = haproxy();
    let mut problems = Vec::new();
    for path in &files {
        if check_haproxy {
            if let Err(e) = haproxy_check(path) {
                problems.push(format!("{}: haproxy -c refuses it:\n{e}", name(path)));
            }
        }
        problems.extend(verdict(name(path), lbtop_check(path)));
    }
    let loaded = files.len() - NOT_YET.len();
    eprintln!(
        "lbtop check accepts {loaded} of {} corpus files",
        files.len()
    );
    assert!(problems.is_empty(), "\n{}", problems.join("\n\n"));
}

/// `tests/configs/routing/EXPECTED`: each routing config, `accepted` or `refused: <keyword>`.
fn routing_manifest(dir: &Path) -> Vec<(String, Option<String>)> {
    let path = dir.join("EXPECTED");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (file, verdict) = l
                .split_once(char::is_whitespace)
                .unwrap_or_else(|| panic!("EXPECTED: '{l}' has no verdict"));
            let verdict = verdict.trim();
            let keyword = match verdict.strip_prefix("refused:") {
                Some(k) => Some(k.trim().to_string()),
                None if verdict == "accepted" => None,
                None => {
                    panic!("EXPECTED: '{l}': the verdict is 'accepted' or 'refused: <keyword>'")
                }
            };
            (file.to_string(), keyword)
        })
        .collect()
}

/// A copy of `from` (files and sub-folders) in `to`.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// `certs/localhost.pem` and `certs/other.pem`, certificate and key in one file as `crt`
/// reads them, made now so that no key is checked in.
fn write_test_certs(dir: &Path) {
    let certs = dir.join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    for name in ["localhost", "other"] {
        let made = rcgen::generate_simple_self_signed(vec![format!("{name}.test"), name.into()])
            .expect("test certificate");
        let pem = made.cert.pem() + &made.signing_key.serialize_pem();
        std::fs::write(certs.join(format!("{name}.pem")), pem).unwrap();
    }
}

/// What is wrong with a routing config's `lbtop check` result against its manifest line.
fn routing_verdict(
    file: &str,
    result: Result<(), Vec<String>>,
    expected: Option<&str>,
) -> Option<String> {
    match (result, expected) {
        (Ok(()), None) => None,
        (Ok(()), Some(k)) => Some(format!(
            "{file}: lbtop check accepts it now (EXPECTED says refused: {k}): mark it accepted"
        )),
        (Err(errors), None) => Some(format!(
            "{file}: lbtop check refuses it (EXPECTED says accepted):\n  {}",
            errors.join("\n  ")
        )),
        (Err(errors), Some(k)) => {
            let named = errors.iter().any(|l| k.split(' ').all(|w| mentions(l, w)));
            (!named).then(|| {
                format!(
                    "{file}: no longer blocked by '{k}': update EXPECTED from its errors:\n  {}",
                    errors.join("\n  ")
                )
            })
        }
    }
}

/// The routing configs (ACLs, `use_backend`, rules, TLS, stickiness, userlists): each passes
/// `haproxy -c`, and `lbtop check` accepts or refuses it as `routing/EXPECTED` says, so the
/// list moves as the features land. They run in a copy of the folder, where the test writes
/// the certificates the `crt` paths name.
#[test]
fn every_routing_config_passes_haproxy_and_matches_expected() {
    let source = corpus_dir().join("routing");
    let files = cfg_files(&source);
    assert!(files.len() >= 40, "only {} routing configs", files.len());
    let manifest = routing_manifest(&source);
    let work = tempfile::tempdir().unwrap();
    copy_tree(&source, work.path());
    write_test_certs(work.path());
    let check_haproxy = haproxy();
    let mut problems = Vec::new();
    for (listed, _) in &manifest {
        if !files.iter().any(|f| name(f) == listed) {
            problems.push(format!("EXPECTED names {listed}, which is not in routing/"));
        }
    }
    let mut accepted = 0;
    for file in files.iter().map(|f| name(f)) {
        let path = work.path().join(file);
        if check_haproxy {
            if let Err(e) = haproxy_check(&path) {
                problems.push(format!("{file}: haproxy -c refuses it:\n{e}"));
            }
        }
        let Some((_, expected)) = manifest.iter().find(|(f, _)| f == file) else {
            problems.push(format!("{file} is not listed in routing/EXPECTED"));
            continue;
        };
        let result = lbtop_check(&path);
        accepted += usize::from(result.is_ok());
        problems.extend(routing_verdict(file, result, expected.as_deref()));
    }
    eprintln!(
        "lbtop accepts {accepted} of {} routing configs",
        files.len()
    );
    assert!(problems.is_empty(), "\n{}", problems.join("\n\n"));
}

#[test]
fn whole_words_only() {
    assert!(mentions("server 's': 'port' is not supported", "port"));
    assert!(!mentions("'maxqueue' is not supported", "port"));
    assert!(mentions("global: log: address 'stdout': ...", "log"));
    assert!(mentions("bind '127.0.0.1:$PORT' has", "$PORT"));
}

/// A file with a typo in every section, a misspelt section keyword, a proxy with a bad name
/// and a duplicate one, each followed by lines read where HAProxy reads them.
const MANY_ERRORS: &str = "\
global
    maxconn 100
    maxcon 200

defaults
    mode http
    timeout connect 5s
    timeout client 5s
    timeout server 5s
    tiemout check 2s

frontend main
    bind 127.0.0.1:18080
    default_backend app
    opton httplog

backend app
    balance roundrobn
    server s1 127.0.0.1:18081 check inetr 2s
    server s2 127.0.0.1:18082 check

fronted other
    bind 127.0.0.1:18090
    default_backend app
    chroot /tmp

frontend we!rd
    bind 127.0.0.1:18091
    default_backend app
    balance roundrobin
    mode htttp

backend app
    server s3 127.0.0.1:18083 chekc
";

/// `(line, is_warning)` of each `[ALERT]`/`[WARNING]` of `haproxy -c` that names a line.
fn haproxy_lines(stderr: &str, file: &str) -> Vec<(usize, bool)> {
    let at = format!("[{file}:");
    stderr
        .lines()
        .filter_map(|l| {
            let warning = l.starts_with("[WARNING]");
            let rest = &l[l.find(&at)? + at.len()..];
            let line = rest[..rest.find(']')?].parse().ok()?;
            Some((line, warning))
        })
        .collect()
}

/// `(line, is_warning)` of each error and warning `lbtop check` lists.
fn lbtop_lines(stderr: &str, file: &str) -> Vec<(usize, bool)> {
    let at = format!("{file}:");
    stderr
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix(&at)?;
            let (line, message) = rest.split_once(": ")?;
            Some((line.parse().ok()?, message.starts_with("warning: ")))
        })
        .collect()
}

#[test]
fn every_error_and_warning_falls_on_a_line_haproxy_names() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.cfg");
    std::fs::write(&path, MANY_ERRORS).unwrap();
    let ours = run_in_folder(LBTOP, &["check", "--config"], &path);
    assert_eq!(ours.status.code(), Some(2));
    let ours = lbtop_lines(&String::from_utf8_lossy(&ours.stderr), "many.cfg");
    // Measured with HAProxy 2.6.12: every parse error of the file at once, in file order.
    let expected = [3, 10, 15, 18, 19, 22, 25, 27, 31, 33, 34].map(|l| (l, false));
    let warnings = [23, 24, 30].map(|l| (l, true));
    let mut all: Vec<(usize, bool)> = expected.into_iter().chain(warnings).collect();
    all.sort();
    assert_eq!(ours, all);
    if !haproxy() {
        return;
    }
    let theirs = run_in_folder("haproxy", &["-c", "-f"], &path);
    assert_eq!(theirs.status.code(), Some(1));
    let theirs = haproxy_lines(&String::from_utf8_lossy(&theirs.stderr), "many.cfg");
    assert_eq!(ours, theirs);
}
