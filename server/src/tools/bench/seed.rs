//! The generator writes rows in bulk (one transaction per batch: multi-row inserts on SQLite,
//! `COPY … FROM STDIN` on PostgreSQL) with the same invariants the domain keeps: each
//! customer's stats equal its orders, its subscription status its subscriptions, its id's time
//! part its creation time.

use std::time::Instant;

use anyhow::{Context, bail};
use app::db::entities::{
    customer, customer_currency_total as totals, order, subscription, workspace,
};
use app::domain::{Caller, Services, products, workspaces};
use app::types::money::{self, CurrencyCode};
use app::types::order::{OrderKind, OrderStatus};
use app::types::product::{BillingInterval, ProductCreate, ProductKind};
use app::types::subscription::SubscriptionStatus;
use app::types::{CustomerId, OrderId, ProductId, SubscriptionId, WorkspaceId};
use chrono::{DateTime, Duration, TimeZone, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ConnectionTrait, DatabaseBackend, EntityTrait, Set, Statement, TransactionTrait};

use super::BENCH_WORKSPACE_ID;

/// Customers written per transaction.
const BATCH: usize = 5_000;
/// Rows per INSERT statement (SQLite): within SQLite's bound on parameters, and always the
/// same statement text, so that it is prepared once.
const ROWS: usize = 400;

const FIRST: [&str; 24] = [
    "Ada", "Mara", "Martin", "Zoe", "Omar", "Lin", "Sam", "Jonas", "Fatima", "Hiro", "Ines",
    "Kaito", "Lena", "Noah", "Olga", "Pia", "Ravi", "Sofia", "Tariq", "Uma", "Vera", "Wim", "Yara",
    "Emeka",
];
const LAST: [&str; 24] = [
    "Lovelace",
    "Martin",
    "Okafor",
    "Haddad",
    "Rossi",
    "Tanaka",
    "Volkov",
    "Andersson",
    "Nguyen",
    "Silva",
    "Kowalski",
    "Dubois",
    "Schmidt",
    "Jensen",
    "Costa",
    "Novak",
    "Horvat",
    "Meyer",
    "Peeters",
    "Ivanova",
    "Moreau",
    "Fischer",
    "Bauer",
    "Kim",
];
/// Countries weighted like a European game store's: Germany a quarter of the buyers.
const COUNTRIES: [(&str, u32); 10] = [
    ("DE", 25),
    ("FR", 12),
    ("GB", 12),
    ("US", 15),
    ("PL", 8),
    ("SE", 6),
    ("NL", 6),
    ("JP", 6),
    ("BR", 5),
    ("CA", 5),
];

fn pick_country(rng: &mut StdRng) -> &'static str {
    let mut n = rng.random_range(0..100);
    for (c, w) in COUNTRIES {
        if n < w {
            return c;
        }
        n -= w;
    }
    "DE"
}

/// The simulated provider's rates, as the generator records them on orders.
fn rate_to_eur(currency: &str) -> i64 {
    match currency {
        "USD" => 925_926,
        "GBP" => 1_162_791,
        "JPY" => 6_101,
        _ => 1_000_000,
    }
}

struct Catalogue {
    id: ProductId,
    amount: i64,
    currency: CurrencyCode,
    monthly: bool,
}

fn progress(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{what:>9} [{{bar:40}}] {{pos}}/{{len}} {{per_sec}} eta {{eta}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}

/// Writes the benchmark workspace: `customers` customers, about `orders_per_customer` orders
/// each, subscriptions for the subscription product's buyers. Deterministic for a given seed.
pub async fn seed_bench(
    svc: &Services,
    customers: u64,
    orders_per_customer: u64,
    seed: u64,
) -> anyhow::Result<()> {
    let ws_id: WorkspaceId = BENCH_WORKSPACE_ID.parse().context("bench workspace id")?;
    if workspace::Entity::find_by_id(ws_id.clone())
        .one(&svc.db)
        .await?
        .is_some()
    {
        bail!("the benchmark workspace is already here; seed a fresh database");
    }
    workspaces::create_workspace_with_id(
        svc,
        ws_id.clone(),
        workspaces::NewWorkspace {
            name: "Benchmark Store".into(),
            default_currency: app::types::money::CurrencyCode::EUR,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let caller = Caller::system(ws_id.clone());
    let mut catalogue = Vec::new();
    for (name, amount, currency, monthly) in [
        ("Starter Kit", 1499, "EUR", false),
        ("VIP Rank", 999, "EUR", true),
        ("Season Pass", 4999, "USD", false),
        ("Cosmetic Bundle", 899, "GBP", false),
        ("Founders Pack", 2400, "JPY", false),
    ] {
        let p = products::create_product(
            svc,
            &caller,
            ProductCreate {
                name: name.into(),
                kind: if monthly {
                    ProductKind::Subscription
                } else {
                    ProductKind::OneTime
                },
                amount,
                currency: CurrencyCode::parse(currency).map_err(anyhow::Error::msg)?,
                interval: monthly.then_some(BillingInterval::Month),
                interval_count: None,
                benefits: vec![],
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        catalogue.push(Catalogue {
            id: p.id,
            amount,
            currency: CurrencyCode::parse(currency).map_err(anyhow::Error::msg)?,
            monthly,
        });
    }
    let eur = CurrencyCode::parse("EUR").map_err(anyhow::Error::msg)?;
    let ws = ws_id.clone();
    let mut rng = StdRng::seed_from_u64(seed);
    // Three years of history ending at a fixed day: the data never depends on today.
    let start = Utc
        .with_ymd_and_hms(2023, 11, 1, 0, 0, 0)
        .single()
        .context("start")?;
    let span_minutes = 3 * 365 * 24 * 60;
    let end = start + Duration::minutes(span_minutes);
    // Indexes and triggers are cheaper built once, sorted, than kept up a row at a time.
    let aside = SetAside::take(&svc.db, &LOADED).await?;
    let bar = progress(customers, "customers");
    let started = Instant::now();
    let mut written_orders = 0u64;
    let mut done = 0u64;
    while done < customers {
        let n = BATCH.min((customers - done) as usize);
        let mut cs = Vec::with_capacity(n);
        let mut os = Vec::with_capacity(n * orders_per_customer as usize);
        let mut subs = Vec::new();
        let mut tots = Vec::new();
        for k in 0..n {
            let i = done + k as u64;
            // Customers arrive in order over the three years, a few minutes apart.
            let created = start
                + Duration::milliseconds((i as i64) * (span_minutes * 60_000) / customers as i64);
            let id = CustomerId::generate_at(created);
            let first = FIRST[rng.random_range(0..FIRST.len())];
            let last = LAST[rng.random_range(0..LAST.len())];
            let email = (rng.random_range(0..10) != 0).then(|| {
                format!(
                    "{}.{}{}@example.com",
                    first.to_lowercase(),
                    last.to_lowercase(),
                    i
                )
            });
            let name = (rng.random_range(0..6) != 0).then(|| format!("{first} {last}"));
            let external_id =
                (rng.random_range(0..3) != 0).then(|| format!("{}", 76_561_198_000_000_000u64 + i));
            let country = pick_country(&mut rng);
            let count = rng.random_range(0..=2 * orders_per_customer);
            let mut ltv = 0i64;
            let mut last_order: Option<DateTime<Utc>> = None;
            let mut by_currency: Vec<(&'static str, i64)> = Vec::new();
            let mut subscribed: Option<DateTime<Utc>> = None;
            for _ in 0..count {
                let p = &catalogue[rng.random_range(0..catalogue.len())];
                let at = created
                    + Duration::minutes(
                        rng.random_range(0..((end - created).num_minutes().max(1))),
                    );
                let ws_amount =
                    money::convert(p.amount, p.currency, eur, rate_to_eur(p.currency.as_str()));
                ltv += ws_amount;
                last_order = Some(last_order.map_or(at, |l| l.max(at)));
                match by_currency
                    .iter_mut()
                    .find(|(c, _)| *c == p.currency.as_str())
                {
                    Some(t) => t.1 += p.amount,
                    None => by_currency.push((p.currency.as_str(), p.amount)),
                }
                if p.monthly && subscribed.is_none() {
                    subscribed = Some(at);
                }
                os.push(order::ActiveModel {
                    id: Set(OrderId::generate_at(at)),
                    workspace_id: Set(ws.clone()),
                    customer_id: Set(id.clone()),
                    product_id: Set(p.id.clone()),
                    subscription_id: Set(None),
                    kind: Set(OrderKind::Purchase),
                    status: Set(OrderStatus::Paid),
                    status_before_dispute: Set(None),
                    amount: Set(p.amount),
                    currency: Set(p.currency),
                    refunded_amount: Set(0),
                    charged_back_amount: Set(0),
                    workspace_amount: Set(ws_amount),
                    workspace_currency: Set(CurrencyCode::EUR),
                    exchange_rate_micros: Set(rate_to_eur(p.currency.as_str())),
                    payment_method: Set(r#"{"type":"card","brand":"visa","last4":"4242","account":null,"fingerprint":null,"country":null}"#.into()),
                    card_fingerprint: Set(None),
                    provider: Set("simulated".into()),
                    provider_payment_id: Set(None),
                    ip: Set(None),
                    customer_note: Set(None),
                    failure_code: Set(None),
                    failure_message: Set(None),
                    created_at: Set(at),
                    paid_at: Set(Some(at)),
                    receipt_number: Set(None),
                    receipt_seller: Set(None),
                });
            }
            // Subscribers: most still active, some lapsed.
            let status = subscribed.map(|since| {
                let roll = rng.random_range(0..10);
                let status = match roll {
                    0..=5 => SubscriptionStatus::Active,
                    6 => SubscriptionStatus::PastDue,
                    7 | 8 => SubscriptionStatus::Canceled,
                    _ => SubscriptionStatus::Expired,
                };
                let vip = &catalogue[1];
                subs.push(subscription::ActiveModel {
                    id: Set(SubscriptionId::generate_at(since)),
                    workspace_id: Set(ws.clone()),
                    customer_id: Set(id.clone()),
                    product_id: Set(vip.id.clone()),
                    status: Set(status),
                    amount: Set(vip.amount),
                    currency: Set(CurrencyCode::EUR),
                    workspace_amount: Set(vip.amount),
                    interval: Set(BillingInterval::Month),
                    interval_count: Set(1),
                    payment_method: Set(r#"{"type":"card","brand":"visa","last4":"4242","account":null,"fingerprint":null,"country":null}"#.into()),
                    payment_token: Set("sim_pm:bench".into()),
                    current_period_start: Set(end - Duration::days(10)),
                    current_period_end: Set(end + Duration::days(20)),
                    cancel_at_period_end: Set(false),
                    canceled_at: Set(None),
                    ended_at: Set(None),
                    cancel_reason: Set(None),
                    retry_count: Set(0),
                    next_retry_at: Set(None),
                    created_at: Set(since),
                    updated_at: Set(since),
                    version: Set(1),
                    claimed_until: Set(None),
                    claim_failures: Set(0),
                });
                status
            });
            let active = status == Some(SubscriptionStatus::Active);
            for (c, paid) in &by_currency {
                tots.push(totals::ActiveModel {
                    customer_id: Set(id.clone()),
                    currency: Set(CurrencyCode::parse(c).map_err(anyhow::Error::msg)?),
                    workspace_id: Set(ws.clone()),
                    paid_amount: Set(*paid),
                    refunded_amount: Set(0),
                    charged_back_amount: Set(0),
                });
            }
            let search = app::domain::customers::search_text(
                email.as_deref(),
                name.as_deref(),
                external_id.as_deref(),
            );
            cs.push(customer::ActiveModel {
                id: Set(id.clone()),
                workspace_id: Set(ws.clone()),
                external_id: Set(external_id),
                email: Set(email),
                name: Set(name),
                phone: Set(None),
                tax_id: Set(None),
                country: Set(Some(country.into())),
                username: Set(None),
                profile_url: Set(None),
                metadata: Set("{}".into()),
                first_seen_at: Set(created),
                created_at: Set(created),
                updated_at: Set(created),
                archived_at: Set(None),
                version: Set(1),
                ltv_amount: Set(ltv),
                order_count: Set(count as i64),
                total_payments: Set(count as i64),
                mrr_amount: Set(if active { catalogue[1].amount } else { 0 }),
                active_subscriptions: Set(i64::from(active)),
                refunds_count: Set(0),
                refunded_amount: Set(0),
                disputes_count: Set(0),
                last_order_at: Set(last_order),
                last_order_key: Set(last_order.map_or(0, |t| t.timestamp_millis())),
                subscription_status: Set(status),
                search_text: Set(search),
                banned_until: Set(None),
                portal_link_version: Set(0),
                erased_at: Set(None),
                merged_into: Set(None),
                merged_at: Set(None),
            });
        }
        written_orders += os.len() as u64;
        if svc.db.get_database_backend() == DatabaseBackend::Postgres {
            let mut tx = svc.db.get_postgres_connection_pool().begin().await?;
            copy_in(&mut tx, cs).await?;
            copy_in(&mut tx, os).await?;
            copy_in(&mut tx, subs).await?;
            copy_in(&mut tx, tots).await?;
            tx.commit().await?;
        } else {
            let txn = svc.db.begin().await?;
            insert_all(&txn, cs).await?;
            insert_all(&txn, os).await?;
            insert_all(&txn, subs).await?;
            insert_all(&txn, tots).await?;
            txn.commit().await?;
        }
        done += n as u64;
        bar.set_position(done);
        // Without a terminal the bar is hidden: report every tenth instead.
        if bar.is_hidden() && done * 10 / customers != (done - n as u64) * 10 / customers {
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "{done}/{customers} customers, {written_orders} orders, {:.0} customers/s",
                done as f64 / secs
            );
        }
    }
    bar.finish();
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "wrote {done} customers and {written_orders} orders in {secs:.0} s ({:.0} customers/s, {:.0} orders/s); analysing...",
        done as f64 / secs,
        written_orders as f64 / secs
    );
    let t = Instant::now();
    aside.restore(&svc.db).await?;
    eprintln!(
        "built {} indexes and triggers in {:.0} s",
        aside.ddl.len(),
        t.elapsed().as_secs_f64()
    );
    for table in LOADED {
        svc.db
            .execute_unprepared(&format!("ANALYZE {table}"))
            .await?;
    }
    Ok(())
}

/// Inserts `rows` [`ROWS`] at a time.
async fn insert_all<A>(
    txn: &sea_orm::DatabaseTransaction,
    rows: Vec<A>,
) -> Result<(), sea_orm::DbErr>
where
    A: sea_orm::ActiveModelTrait + Send,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        sea_orm::Insert::many(rows.by_ref().take(ROWS))
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// Loads `rows` into their table with PostgreSQL's `COPY … FROM STDIN` (text format): one
/// statement per table and batch instead of a parameterised INSERT per 400 rows. The columns are
/// those the first row sets; the generator sets the same ones on every row.
async fn copy_in<A>(conn: &mut sea_orm::sqlx::PgConnection, rows: Vec<A>) -> anyhow::Result<()>
where
    A: sea_orm::ActiveModelTrait,
{
    use sea_orm::{EntityName, IdenStatic, Iterable};

    let Some(first) = rows.first() else {
        return Ok(());
    };
    let columns: Vec<_> = <A::Entity as EntityTrait>::Column::iter()
        .filter(|c| first.get(*c).is_set())
        .collect();
    let names = columns
        .iter()
        .map(|c| format!("\"{}\"", c.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    // About 16 bytes a field: most are short numbers, times and ids.
    let mut text = String::with_capacity(rows.len() * 16 * columns.len());
    for row in rows {
        for (i, column) in columns.iter().enumerate() {
            if i > 0 {
                text.push('\t');
            }
            let value = row
                .get(*column)
                .into_value()
                .with_context(|| format!("a row leaves {} unset", column.as_str()))?;
            copy_text(&mut text, value)?;
        }
        text.push('\n');
    }
    let table = A::Entity::default().table_name().to_owned();
    let mut copy = conn
        .copy_in_raw(&format!("COPY \"{table}\" ({names}) FROM STDIN"))
        .await?;
    copy.send(text.into_bytes()).await?;
    copy.finish().await?;
    Ok(())
}

/// `value` as a field of `COPY`'s text format: `\N` for NULL, backslash escapes for the
/// characters the format gives a meaning to.
fn copy_text(out: &mut String, value: sea_orm::Value) -> anyhow::Result<()> {
    use sea_orm::Value;
    use std::fmt::Write;

    fn escaped(out: &mut String, s: &str) {
        for c in s.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\t' => out.push_str("\\t"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                c => out.push(c),
            }
        }
    }
    match value {
        Value::Bool(Some(b)) => out.push(if b { 't' } else { 'f' }),
        Value::SmallInt(Some(n)) => write!(out, "{n}")?,
        Value::Int(Some(n)) => write!(out, "{n}")?,
        Value::BigInt(Some(n)) => write!(out, "{n}")?,
        Value::String(Some(s)) => escaped(out, &s),
        Value::Json(Some(j)) => escaped(out, &j.to_string()),
        Value::ChronoDateTimeUtc(Some(t)) => write!(out, "{}", t.to_rfc3339())?,
        Value::Bool(None)
        | Value::SmallInt(None)
        | Value::Int(None)
        | Value::BigInt(None)
        | Value::String(None)
        | Value::Json(None)
        | Value::ChronoDateTimeUtc(None) => out.push_str("\\N"),
        other => anyhow::bail!("no COPY text for {other:?}"),
    }
    Ok(())
}

/// The tables the generator fills.
const LOADED: [&str; 4] = [
    "customers",
    "orders",
    "subscriptions",
    "customer_currency_totals",
];

/// The secondary indexes and triggers of some tables, as their own DDL read from the
/// database's catalogue: dropped before a bulk load, made again after it. Keys that are
/// constraints (primary keys, unique constraints) stay.
struct SetAside {
    /// `CREATE` statements, indexes before triggers.
    ddl: Vec<String>,
    sqlite: bool,
}

impl SetAside {
    async fn take(db: &sea_orm::DatabaseConnection, tables: &[&str]) -> anyhow::Result<Self> {
        let backend = db.get_database_backend();
        let sqlite = backend != DatabaseBackend::Postgres;
        let list = tables
            .iter()
            .map(|t| format!("'{t}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = if sqlite {
            format!(
                "SELECT type AS kind, name, sql AS ddl FROM sqlite_master \
                 WHERE tbl_name IN ({list}) AND type IN ('index', 'trigger') AND sql IS NOT NULL \
                 ORDER BY type, name"
            )
        } else {
            format!(
                "SELECT 'index' AS kind, indexname AS name, indexdef AS ddl FROM pg_indexes \
                 WHERE schemaname = current_schema() AND tablename IN ({list}) \
                 AND indexname NOT IN (SELECT conname FROM pg_constraint) ORDER BY indexname"
            )
        };
        let rows = db
            .query_all_raw(Statement::from_string(backend, sql))
            .await?;
        let mut ddl = Vec::new();
        for row in rows {
            let kind: String = row.try_get("", "kind")?;
            let name: String = row.try_get("", "name")?;
            ddl.push(row.try_get::<String>("", "ddl")?);
            db.execute_unprepared(&format!("DROP {} \"{name}\"", kind.to_uppercase()))
                .await?;
        }
        Ok(Self { ddl, sqlite })
    }

    async fn restore(&self, db: &sea_orm::DatabaseConnection) -> anyhow::Result<()> {
        for ddl in &self.ddl {
            db.execute_unprepared(ddl).await?;
        }
        if self.sqlite {
            // The full-text index missed the load with its triggers: read it in once.
            db.execute_unprepared("INSERT INTO customers_fts(customers_fts) VALUES ('rebuild')")
                .await?;
        }
        Ok(())
    }
}
