//! Randomness and hashing in one place: every random draw (ids, tokens, API key secrets,
//! licence keys, salts) comes from [`rng`].

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use hmac::{Hmac, Mac};
use rand::Rng;
use rand::distr::{Alphanumeric, SampleString};
use sha2::{Digest, Sha256};

use super::DomainError;

pub use crate::random::rng;

/// A random alphanumeric string of `len` characters from [`rng`] (~5.95 bits each).
pub fn random_token(len: usize) -> String {
    Alphanumeric.sample_string(&mut rng(), len)
}

/// `len` characters drawn uniformly from `alphabet` (ASCII) with [`rng`].
pub fn random_chars(alphabet: &[u8], len: usize) -> String {
    let mut rng = rng();
    (0..len)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

/// SHA-256 of `s`, lower-case hex. For high-entropy secrets only (tokens, API keys).
pub fn sha256_hex(s: &str) -> String {
    sha256_hex_bytes(s.as_bytes())
}

/// SHA-256 of raw bytes, lower-case hex: fingerprints of request bodies, which need not be text.
pub fn sha256_hex_bytes(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

fn mac(key: &str, message: &str) -> Hmac<Sha256> {
    // HMAC takes a key of any length.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
    m.update(message.as_bytes());
    m
}

/// HMAC-SHA256 of `message` under `key`, lower-case hex: the signature of a signed link.
pub fn sign(key: &str, message: &str) -> String {
    format!("{:x}", mac(key, message).finalize().into_bytes())
}

/// The form an identity takes once its person is erased: a keyed hash of its kind and
/// canonical value, matched by computing the same hash of what a purchase presents.
pub(crate) fn keyed_hash(key: &str, kind: &str, canonical: &str) -> String {
    format!("erased:{}", sign(key, &format!("{kind}:{canonical}")))
}

/// Whether `signature` (hex) is `message`'s under `key`, compared in constant time.
pub fn signature_holds(key: &str, message: &str, signature: &str) -> bool {
    let Some(tag) = unhex(signature) else {
        return false;
    };
    mac(key, message).verify_slice(&tag).is_ok()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Hashes a password with Argon2id and a fresh salt (PHC string).
pub fn hash_password(password: &str) -> Result<String, DomainError> {
    let salt = SaltString::encode_b64(&rng().random::<[u8; 16]>())
        .map_err(|e| DomainError::internal(format!("encoding a salt failed: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| DomainError::internal(format!("hashing a password failed: {e}")))
}

/// Checks a password against a stored PHC string; a malformed hash never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Password hashes computed at once: Argon2 takes tens of milliseconds of CPU and 19 MiB each,
/// so a flood of logins queues here instead of starving the API or the memory.
static HASHING: LazyLock<tokio::sync::Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    tokio::sync::Semaphore::new(cores)
});

/// Runs `work` (an Argon2 hash or check) on the blocking pool once a hashing slot is free:
/// never on the async workers that serve requests.
pub(crate) async fn off_the_workers<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, DomainError> {
    let _slot = HASHING
        .acquire()
        .await
        .map_err(|e| DomainError::internal(format!("the hashing slots closed: {e}")))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| DomainError::internal(format!("a password hash failed to run: {e}")))
}

/// [`hash_password`] off the async workers, bounded by the hashing slots.
pub async fn hash_password_async(password: String) -> Result<String, DomainError> {
    off_the_workers(move || hash_password(&password)).await?
}

/// [`verify_password`] off the async workers, bounded by the hashing slots.
pub async fn verify_password_async(password: String, phc: String) -> Result<bool, DomainError> {
    off_the_workers(move || verify_password(&password, &phc)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keyed_hash_depends_on_the_key_kind_and_value() {
        let a = keyed_hash("k1", "email", "a@x.io");
        assert!(a.starts_with("erased:"));
        assert_eq!(a, keyed_hash("k1", "email", "a@x.io"));
        assert_ne!(a, keyed_hash("k2", "email", "a@x.io"));
        assert_ne!(a, keyed_hash("k1", "name", "a@x.io"));
    }

    #[test]
    fn a_password_verifies_against_its_hash_only() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterY", &h));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_of_the_asked_length() {
        let a = random_token(32);
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, random_token(32));
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
