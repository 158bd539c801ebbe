//! The server's integration tests: one binary, a module per area. Database tests run once on
//! SQLite and once on PostgreSQL, each on a fresh database.

// Test bodies are plain async fns run by `on_both_engines!`, which clippy does not see as tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step in a test or its harness should fail that test"
)]

mod support;

mod bans;
mod bench_seed;
mod billing;
mod cli;
mod customer_list;
mod customer_page;
mod customers_api;
mod embed;
mod entitlement_commands;
mod erasure;
mod hardening;
mod http;
mod idempotency;
mod idempotent_money;
mod imports;
mod merges;
mod migrations;
mod money_api;
mod money_safety;
mod openapi;
mod operations;
mod portal;
mod portal_codes;
mod portal_doors;
mod rate_limits;
mod receipts;
mod scale;
mod segments;
mod team;
mod webhooks;
mod workspaces;
