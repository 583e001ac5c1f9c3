//! Replays the fuzzers' kept inputs on stable: every file under `fuzz/seeds/<target>/` (the
//! seed corpus and any `crash-*` reproducer found by `scripts/fuzz.sh`) goes through the same
//! invariant checks as the cargo-fuzz target of that name, so a crash found once stays fixed.

#[path = "../fuzz/checks.rs"]
mod checks;

use std::path::{Path, PathBuf};

/// The kept inputs of one target, in name order.
fn seeds(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs every kept input of `target`, and names all the ones that fail, not just the first.
fn replay(target: &str) {
    let files = seeds(target);
    assert!(!files.is_empty(), "no seeds for {target}");
    let failed: Vec<String> = files
        .iter()
        .filter(|file| {
            let data = std::fs::read(file).unwrap();
            std::panic::catch_unwind(|| checks::run(target, &data)).is_err()
        })
        .map(|file| file.display().to_string())
        .collect();
    assert!(
        failed.is_empty(),
        "{target}: {} of {} inputs break an invariant: {failed:?}",
        failed.len(),
        files.len()
    );
}

#[test]
fn every_target_has_a_seed_folder() {
    for target in checks::TARGETS {
        assert!(!seeds(target).is_empty(), "{target}");
    }
}

#[test]
fn h1_request_head_seeds() {
    replay("h1_request_head");
}

#[test]
fn h1_chunked_seeds() {
    replay("h1_chunked");
}

#[test]
fn h1_response_head_seeds() {
    replay("h1_response_head");
}

#[test]
fn config_toml_seeds() {
    replay("config_toml");
}

#[test]
fn config_haproxy_seeds() {
    replay("config_haproxy");
}

#[test]
fn dns_answer_seeds() {
    replay("dns_answer");
}

#[test]
fn proxy_proto_seeds() {
    replay("proxy_proto");
}

#[test]
fn client_hello_seeds() {
    replay("client_hello");
}
