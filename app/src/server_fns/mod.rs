//! Leptos server functions, grouped by audience. They live under `/rpc`, apart from the REST API.

pub mod auth;
#[cfg(feature = "ssr")]
pub mod ctx;
pub mod customer;
pub mod dashboard;
pub mod imports;
pub mod portal;
pub mod segments;
pub mod team;
pub mod webhooks;

/// URL prefix of every server function.
pub const PREFIX: &str = "/rpc";
