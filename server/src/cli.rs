//! The command line: `serve` (default), `migrate`, `seed-demo`, admin commands and the
//! benchmark's `seed-bench` and `bench-list`.

use std::net::SocketAddr;
use std::path::PathBuf;

use app::domain::provider::{Fault, FaultPoint, Faults, parse_duration};
use clap::{Args, Parser, Subcommand};

/// Patron: customers, orders, subscriptions and bans for merchants of digital goods.
#[derive(Debug, Parser)]
#[command(name = "server", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every subcommand understands.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// PostgreSQL (postgres://...) or SQLite (sqlite://path) database; default: the embedded
    /// SQLite file in the data directory.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

    /// Folder of the embedded SQLite database [default: data-dir in Leptos.toml, else ./data].
    #[arg(long, env = "PATRON_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,

    /// Runtime settings file [default: ./Leptos.toml when present].
    #[arg(long, env = "PATRON_CONFIG", global = true)]
    pub config: Option<PathBuf>,

    /// The address end customers reach Patron at, for links in emails
    /// (`https://billing.example.com`) [default: http:// and the listen address].
    #[arg(long, env = "PATRON_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// Log as JSON lines instead of text.
    #[arg(long, env = "PATRON_LOG_JSON", global = true)]
    pub log_json: bool,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the dashboard and the API (the default).
    Serve(Box<ServeArgs>),
    /// Apply, roll back or list schema migrations.
    Migrate(MigrateArgs),
    /// Create the demo workspace unless it exists, and print how to use it.
    SeedDemo,
    /// Create a workspace; prints its id alone.
    CreateWorkspace {
        /// The store's name.
        #[arg(long)]
        name: String,
        /// ISO 4217 currency lifetime values are shown in.
        #[arg(long, default_value = "EUR")]
        currency: app::types::money::CurrencyCode,
    },
    /// Create a merchant user in a workspace; the password is read from standard input.
    CreateUser {
        /// The workspace id (ws_...).
        #[arg(long)]
        workspace: String,
        /// Login email.
        #[arg(long)]
        email: String,
        /// owner, admin, support or viewer.
        #[arg(long)]
        role: app::types::Role,
        /// Read the password from the first line of standard input (required: never on the
        /// command line, where other users could see it).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Create an API key; prints the secret alone (it is never shown again).
    CreateApiKey {
        /// The workspace id (ws_...).
        #[arg(long)]
        workspace: String,
        /// Comma-separated scopes, such as customers:read,customers:write.
        #[arg(long, value_delimiter = ',', required = true)]
        scopes: Vec<app::types::Scope>,
        /// A name to recognise the key by.
        #[arg(long, default_value = "API key")]
        name: String,
    },
    /// Write the benchmark workspace: a million customers with orders and subscriptions
    /// (deterministic; into an empty database).
    SeedBench {
        /// How many customers.
        #[arg(long, default_value_t = 1_000_000)]
        customers: u64,
        /// Average orders per customer.
        #[arg(long, default_value_t = 5)]
        orders_per_customer: u64,
        /// Seed of the generator: the same seed writes the same data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Time the customer list on the benchmark workspace: p50 and p99 of the domain query
    /// and of the same query in raw SQL, at page 1 and page 1,000.
    BenchList {
        /// Timed runs per cell.
        #[arg(long, default_value_t = 200)]
        runs: usize,
        /// Only the rows whose name contains this text (such as `search`).
        #[arg(long)]
        only: Option<String>,
    },
    /// The whole benchmark on the seeded benchmark workspace: starts the server and prints
    /// REST, domain and SQL latency of every list and search query, throughput under
    /// concurrent connections, the export's rows per second and peak memory, and the wasm
    /// bundle's size raw, gzipped and brotli-compressed.
    Bench {
        /// Timed requests per latency cell.
        #[arg(long, default_value_t = 100)]
        runs: usize,
        /// Concurrent connections of the throughput rows.
        #[arg(long, default_value_t = 16)]
        connections: usize,
        /// Seconds each throughput row lasts.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
    },
    /// Compare the payment provider's ledger with Patron's orders and refunds: one line per
    /// difference, nothing (exit 0) when they agree to the cent. `--fix` first runs the
    /// reconciliation job, which finishes or gives back what a crash or an outage left pending.
    Reconcile {
        /// Run the reconciliation job before comparing.
        #[arg(long)]
        fix: bool,
    },
    /// Import customers from a CSV file, with a progress bar; prints the counts (the per-row
    /// report is at the import's report URL).
    ImportCustomers {
        /// The CSV file: a header line naming the columns (as the export writes them, plus
        /// phone, tax_id, username, profile_url and metadata.<key>).
        file: std::path::PathBuf,
        /// The workspace id (ws_...).
        #[arg(long)]
        workspace: String,
        /// create_or_update, or create_only (a row matching a customer is rejected).
        #[arg(long, default_value = "create_or_update")]
        mode: app::types::import::ImportMode,
        /// Check and count every row, change no customer.
        #[arg(long)]
        dry_run: bool,
    },
    /// Time the CSV import on a generated file in a new workspace: first import, the same file
    /// again, and a dry run; prints rows per second and peak memory.
    BenchImport {
        /// How many rows the file has.
        #[arg(long, default_value_t = 1_000_000)]
        rows: u64,
    },
    /// Rehearse the outages money must survive, on a database of its own: a checkout's client
    /// hanging up and retrying with the same Idempotency-Key, a server process killed between
    /// the provider's answer and the commit, two billing clocks renewing the same
    /// subscriptions, and a provider refusing every refund; then reconcile and print money
    /// moved and recorded, differences and duplicate charges (both must be 0).
    Drill,
    /// Write a consistent copy of the embedded SQLite database, even while Patron serves, with
    /// its checksum and schema version in FILE.manifest.json beside it (PostgreSQL: pg_dump).
    Backup {
        /// Where to write the copy; an existing file is never overwritten.
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
    /// Replace the embedded SQLite database with a backup (refused while a server runs on it,
    /// for a file that no longer matches its checksum and for a newer schema), or `--check` a
    /// database, such as one pg_restore filled, before serving it.
    Restore(RestoreArgs),
    /// Revoke an API key: it authenticates nothing from then on.
    RevokeApiKey {
        /// The workspace id (ws_...).
        #[arg(long)]
        workspace: String,
        /// The key's id (key_...).
        #[arg(long)]
        id: String,
    },
}

/// Options of `serve`.
#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// Address to listen on [default: site-addr in Leptos.toml, else 127.0.0.1:3000].
    #[arg(long, env = "LEPTOS_SITE_ADDR")]
    pub addr: Option<SocketAddr>,

    /// Folder of the built site (wasm, JS, CSS, assets).
    #[arg(long, env = "LEPTOS_SITE_ROOT")]
    pub site_root: Option<String>,

    /// Apply pending migrations at start on PostgreSQL too (the embedded SQLite always does).
    #[arg(long)]
    pub migrate: bool,

    /// Send emails through this SMTP server (smtp://user:pass@host:587?tls=required, or
    /// smtps://...); without it they are written as .eml files under the data directory.
    #[arg(long, env = "PATRON_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// The address emails are sent from; each shop's name is shown as the sender
    /// [default: receipts@patron.localhost].
    #[arg(long, env = "PATRON_MAIL_FROM")]
    pub mail_from: Option<String>,

    /// Hosts and CIDR ranges webhooks may reach beyond public addresses, comma-separated
    /// (127.0.0.0/8,localhost), for development and tests; plain http:// is allowed for them.
    #[arg(long, env = "PATRON_WEBHOOK_ALLOW_HOSTS")]
    pub webhook_allow_hosts: Option<String>,

    /// The header a reverse proxy in front of Patron puts the client's address in, such as
    /// X-Forwarded-For (its last address is taken); only set it behind such a proxy, since
    /// clients could otherwise claim any address.
    #[arg(long, env = "PATRON_CLIENT_IP_HEADER")]
    pub client_ip_header: Option<axum::http::HeaderName>,

    /// Requests one API key may make a minute, shared by every server process on the database;
    /// beyond it the API answers 429 with Retry-After [default: 6000].
    #[arg(long, env = "PATRON_API_RATE_LIMIT", value_parser = clap::value_parser!(u32).range(1..))]
    pub api_rate_limit: Option<u32>,

    /// Faults for the simulated payment provider, to rehearse outages against a running server:
    /// comma-separated point:fail:calls or point:hang:duration:calls, where the point is
    /// charge.before, charge.after, refund.before or refund.after (charge.after:hang:30s:1).
    #[arg(long, env = "PATRON_SIM_FAULTS", value_parser = sim_faults)]
    pub sim_faults: Option<SimFaults>,

    /// How long a request owns its Idempotency-Key while it runs, such as 60s or 500ms; a retry
    /// after it takes the key over (and resumes any payment the request started) [default: 60s].
    #[arg(long, env = "PATRON_IDEMPOTENCY_LOCK", value_parser = duration)]
    pub idempotency_lock: Option<std::time::Duration>,

    /// Serve Prometheus metrics at /metrics to scrapes sending `Authorization: Bearer <this>`
    /// (at least 16 characters) [default: none: /metrics answers 404].
    #[arg(long, env = "PATRON_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// After SIGTERM, keep serving this long with `/readyz` answering 503, so a load balancer
    /// stops sending before the listener closes (such as 10s) [default: 0s].
    #[arg(long, env = "PATRON_DRAIN_FOR", value_parser = duration_or_zero)]
    pub drain_for: Option<std::time::Duration>,

    /// Back the embedded SQLite database up now and then this often (`30m`, `1h`), into
    /// --backup-dir; the copies are what `server backup` writes.
    #[arg(long, env = "PATRON_BACKUP_EVERY", value_parser = duration)]
    pub backup_every: Option<std::time::Duration>,

    /// How many scheduled backups to keep; older ones are deleted [default: 48].
    #[arg(long, visible_alias = "keep", env = "PATRON_BACKUP_KEEP", value_parser = clap::value_parser!(u32).range(1..))]
    pub backup_keep: Option<u32>,

    /// Folder of scheduled backups [default: backups in the data directory].
    #[arg(long, env = "PATRON_BACKUP_DIR")]
    pub backup_dir: Option<PathBuf>,
}

/// A fault plan for the simulated provider, as `PATRON_SIM_FAULTS` gives it.
#[derive(Debug, Clone)]
pub struct SimFaults(pub Vec<(FaultPoint, Fault, u32)>);

fn sim_faults(text: &str) -> Result<SimFaults, String> {
    Faults::parse(text).map(SimFaults)
}

fn duration(text: &str) -> Result<std::time::Duration, String> {
    parse_duration(text)
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("\"{text}\" is not a duration such as 500ms, 30s, 2m or 1h"))
}

/// A duration that may be zero (`0s`: none).
fn duration_or_zero(text: &str) -> Result<std::time::Duration, String> {
    parse_duration(text)
        .ok_or_else(|| format!("\"{text}\" is not a duration such as 0s, 500ms, 30s or 2m"))
}

/// Options of `migrate`.
/// `server restore`: from a backup, or a check of the database as it is.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup to restore (its manifest, FILE.manifest.json, must be beside it).
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "check",
        conflicts_with = "check"
    )]
    pub from: Option<PathBuf>,
    /// Restore nothing: check the database answers, is whole and has a schema this build can
    /// serve, and print its counts.
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(subcommand)]
    pub action: Option<MigrateAction>,
}

/// A migration action; `up` by default.
#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Roll back the newest migrations.
    Down {
        /// How many to roll back.
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List migrations and whether each is applied.
    Status,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn no_subcommand_means_serve_and_migrate_defaults_to_up() {
        let cli = Cli::try_parse_from(["server"]).unwrap();
        assert!(cli.command.is_none());
        let cli = Cli::try_parse_from(["server", "migrate"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Migrate(MigrateArgs { action: None }))
        ));
        let cli = Cli::try_parse_from(["server", "migrate", "down", "--steps", "2"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Migrate(MigrateArgs {
                action: Some(MigrateAction::Down { steps: 2 })
            }))
        ));
    }

    #[test]
    fn a_bad_listen_address_is_refused_by_name() {
        let err = Cli::try_parse_from(["server", "serve", "--addr", "localhost"]).unwrap_err();
        assert!(err.to_string().contains("--addr"), "{err}");
    }
}
