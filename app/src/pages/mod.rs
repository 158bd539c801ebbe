//! Routed pages.

pub mod dashboard;
pub mod invite;
pub mod login;
pub mod not_found;
pub mod portal;
