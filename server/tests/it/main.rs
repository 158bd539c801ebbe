//! The server's integration tests: one binary, a module per area. Database tests run once on
//! SQLite and once on PostgreSQL, each on a fresh database.

mod support;

mod cli;
mod http;
mod migrations;
mod workspaces;
