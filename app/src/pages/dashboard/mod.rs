//! Pages of the merchant dashboard (`/dashboard/...`).

pub mod customer;
pub mod customers;
pub mod layout;
pub mod settings;
pub mod webhooks;
