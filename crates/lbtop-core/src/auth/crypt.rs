//! `user ... password <hash>`: the crypt(3) hashes glibc's (libxcrypt's) crypt reads, checked
//! at load for their shape so that a hash lbtop cannot check is an error naming its line
//! rather than a user who can never log in. HAProxy only calls crypt(3) when a request comes,
//! so there a hash of an unknown scheme loads and every login with it fails
//! (docs/haproxy-semantics.md §26).

use super::md5crypt::md5_crypt;
use super::same_secret;
use sha_crypt::{PasswordVerifier as _, ShaCrypt};
use yescrypt::Yescrypt;

/// crypt's base64 alphabet.
const CRYPT64: &str = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The schemes lbtop checks, by their `$id$`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `$1$`: MD5-crypt.
    Md5,
    /// `$5$`: SHA-256-crypt.
    Sha256,
    /// `$6$`: SHA-512-crypt.
    Sha512,
    /// `$2a$`, `$2b$`, `$2y$`: bcrypt.
    Bcrypt,
    /// `$y$`: yescrypt (Debian's default since 11).
    Yescrypt,
}

/// A password hash of a scheme lbtop checks, as written in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CryptHash {
    pub scheme: Scheme,
    pub text: String,
}

impl CryptHash {
    /// The hash `text`, or why lbtop cannot check it.
    pub fn parse(text: &str) -> Result<CryptHash, String> {
        let scheme = scheme_of(text)?;
        let fields: Vec<&str> = text.split('$').skip(2).collect();
        let ok = match scheme {
            Scheme::Md5 => md5_shape(&fields),
            Scheme::Sha256 => sha_shape(&fields, 43),
            Scheme::Sha512 => sha_shape(&fields, 86),
            Scheme::Bcrypt => bcrypt_shape(&fields),
            Scheme::Yescrypt => fields.len() == 3 && fields.iter().all(|f| crypt64(f, 1..=200)),
        };
        if !ok {
            return Err(format!(
                "password hash '{text}' is not a well-formed {} hash",
                scheme.name()
            ));
        }
        Ok(CryptHash {
            scheme,
            text: text.to_string(),
        })
    }

    /// Whether `password` hashes to this.
    pub fn verify(&self, password: &[u8]) -> bool {
        match self.scheme {
            Scheme::Md5 => {
                let salt = self.text.split('$').nth(2).unwrap_or("");
                let made = format!("$1${salt}${}", md5_crypt(password, salt.as_bytes()));
                same_secret(made.as_bytes(), self.text.as_bytes())
            }
            Scheme::Sha256 | Scheme::Sha512 => ShaCrypt::default()
                .verify_password(password, self.text.as_str())
                .is_ok(),
            Scheme::Bcrypt => bcrypt::verify(password, &self.text).unwrap_or(false),
            Scheme::Yescrypt => Yescrypt::default()
                .verify_password(password, self.text.as_str())
                .is_ok(),
        }
    }
}

impl Scheme {
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Md5 => "MD5-crypt ($1$)",
            Scheme::Sha256 => "SHA-256-crypt ($5$)",
            Scheme::Sha512 => "SHA-512-crypt ($6$)",
            Scheme::Bcrypt => "bcrypt ($2b$)",
            Scheme::Yescrypt => "yescrypt ($y$)",
        }
    }
}

fn scheme_of(text: &str) -> Result<Scheme, String> {
    let Some(rest) = text.strip_prefix('$') else {
        if text.len() == 13 && crypt64(text, 13..=13) {
            return Err(format!(
                "password hash '{text}' is DES crypt, which lbtop does not check (it keeps only \
                 the first 8 characters of a password); make a $6$ hash with 'openssl passwd -6' \
                 or 'mkpasswd -m sha-512'"
            ));
        }
        return Err(format!(
            "password '{text}' is not a crypt(3) hash ($1$, $5$, $6$, $2b$ or $y$); a clear-text \
             password is written 'insecure-password'"
        ));
    };
    let id = rest.split('$').next().unwrap_or("");
    Ok(match id {
        "1" => Scheme::Md5,
        "5" => Scheme::Sha256,
        "6" => Scheme::Sha512,
        "2a" | "2b" | "2y" => Scheme::Bcrypt,
        "y" => Scheme::Yescrypt,
        _ => {
            return Err(format!(
                "password hash scheme '${id}$' is not supported by lbtop (it checks $1$, $5$, \
                 $6$, $2a$/$2b$/$2y$ and $y$)"
            ))
        }
    })
}

/// Only crypt64 characters, a length in `len`.
fn crypt64(s: &str, len: std::ops::RangeInclusive<usize>) -> bool {
    len.contains(&s.len()) && s.chars().all(|c| CRYPT64.contains(c))
}

/// `salt$hash`: a salt of at most 8 characters, 22 of hash.
fn md5_shape(fields: &[&str]) -> bool {
    matches!(fields, [salt, hash] if salt.len() <= 8 && !salt.contains(':') && crypt64(hash, 22..=22))
}

/// `[rounds=N$]salt$hash`: a salt of at most 16 characters.
fn sha_shape(fields: &[&str], hash_len: usize) -> bool {
    let fields = match fields {
        [rounds, rest @ ..] if rounds.starts_with("rounds=") => {
            let n = &rounds["rounds=".len()..];
            if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
                return false;
            }
            rest
        }
        _ => fields,
    };
    matches!(fields, [salt, hash] if salt.len() <= 16 && crypt64(hash, hash_len..=hash_len))
}

/// `NN$<53 characters>`: a cost from 04 to 31, then salt and hash.
fn bcrypt_shape(fields: &[&str]) -> bool {
    let [cost, rest] = fields else { return false };
    let cost_ok = cost.len() == 2 && cost.parse::<u32>().is_ok_and(|c| (4..=31).contains(&c));
    cost_ok && crypt64(rest, 53..=53)
}
