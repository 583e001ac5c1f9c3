#![no_main]
//! Fuzz target `client_hello`: the invariants live in `fuzz/checks.rs`, shared with `tests/fuzz_seeds.rs`.

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::client_hello(data));
