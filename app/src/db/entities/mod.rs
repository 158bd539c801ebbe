//! sea-orm entities: the rows as stored. Domain modules convert them to shared types.

pub mod api_key;
pub mod ban;
pub mod ban_identity;
pub mod charge_attempt;
pub mod customer;
pub mod customer_currency_total;
pub mod customer_session;
pub mod dispute;
pub mod entitlement;
pub mod entitlement_command;
pub mod event;
pub mod idempotency_key;
pub mod invoice;
pub mod membership;
pub mod order;
pub mod payment_attempt;
pub mod payment_detail;
pub mod product;
pub mod provider_event;
pub mod refund;
pub mod session;
pub mod sim_ledger;
pub mod subscription;
pub mod user;
pub mod workspace;
