//! What the parsers' tests share: the seed files, and a deterministic mutator for the
//! fuzz-style "never panics" tests (no fuzzing crate needed).

use std::path::{Path, PathBuf};

/// The repository's root (this crate is `crates/lbtop-core` in it), where `config.toml` and
/// `assets/` are.
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/lbtop-core sits two levels below the repository root")
}

/// A seed file from `../shared/seed` (next to the repository), or `None` (said loudly) where
/// the checkout has none.
pub fn seed_path(name: &str) -> Option<PathBuf> {
    let p = repo_root().join("../shared/seed").join(name);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("SKIPPED: {} does not exist", p.display());
        None
    }
}

/// A tiny deterministic PRNG (xorshift64*).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Applies one to five random edits: byte swaps and flips, truncation, deletion, insertion
/// from `alphabet`, and repeated slices (duplicate keywords, sections and names).
pub fn mutate(bytes: &mut Vec<u8>, rng: &mut Rng, alphabet: &[u8]) {
    for _ in 0..=rng.below(4) {
        let at = rng.below(bytes.len());
        match rng.below(6) {
            0 if at < bytes.len() => bytes[at] = alphabet[rng.below(alphabet.len())],
            1 if at < bytes.len() => bytes[at] ^= 1 << rng.below(8),
            2 => bytes.truncate(at),
            3 => {
                let end = (at + rng.below(40)).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            4 => bytes.insert(at.min(bytes.len()), alphabet[rng.below(alphabet.len())]),
            _ => {
                let at = at.min(bytes.len());
                let end = (at + rng.below(120)).min(bytes.len());
                let piece = bytes[at..end].to_vec();
                let to = rng.below(bytes.len());
                bytes.splice(to..to, piece);
            }
        }
    }
}

/// Hands `check` each of `rounds` mutations of `base`: the body of a "never panics" test.
pub fn for_mutations(
    base: &[u8],
    seed: u64,
    alphabet: &[u8],
    rounds: usize,
    mut check: impl FnMut(&[u8]),
) {
    let mut rng = Rng(seed);
    for _ in 0..rounds {
        let mut m = base.to_vec();
        mutate(&mut m, &mut rng, alphabet);
        check(&m);
    }
}
