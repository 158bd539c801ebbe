//! Pages of the merchant dashboard (`/dashboard/...`).

pub mod customer;
pub mod customers;
pub mod erasure;
pub mod imports;
pub mod layout;
pub mod segments;
pub mod settings;
pub mod team;
pub mod webhooks;
