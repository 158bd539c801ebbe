//! The server's outbound adapters: what it sends to, or fetches from, other machines. The
//! outbox's emails over SMTP (or as `.eml` files), webhook deliveries over HTTP, and download
//! files fetched from where merchants keep them; the last two through one guard that refuses
//! private, loopback and link-local addresses. And the payment provider as the server runs
//! it, counted for `/metrics`.

pub mod files;
pub mod mail;
pub mod metered;
pub mod webhooks;
