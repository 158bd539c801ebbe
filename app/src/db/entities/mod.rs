//! sea-orm entities: the rows as stored. Domain modules convert them to shared types.

pub mod api_key;
pub mod customer;
pub mod event;
pub mod idempotency_key;
pub mod membership;
pub mod session;
pub mod user;
pub mod workspace;
