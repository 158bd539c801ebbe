//! Pages of the merchant dashboard (`/dashboard/...`).

pub mod customers;
