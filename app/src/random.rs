//! Patron's one source of randomness, below every other room: ids (`types`), tokens, secrets
//! and salts (`domain::secrets`) all draw from [`rng`].

/// A cryptographically secure generator seeded from the OS.
pub fn rng() -> rand::rngs::ThreadRng {
    rand::rng()
}
