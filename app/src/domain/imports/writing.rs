//! Writing an import: its run, and its rows in chunks, each in one transaction with its audit
//! events, webhook deliveries and report rows.

use std::borrow::Cow;
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::io::Read;

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use tokio::sync::mpsc;

use crate::db::bulk::{Batch, Cell, Kind, Table};
use crate::db::entities::{customer, customer_import};
use crate::domain::actor::Caller;
use crate::domain::audit::{self, Change};
use crate::domain::customers::{self, Fields};
use crate::domain::{DomainError, Services, validate};
use crate::types::EventType;
use crate::types::import::{CustomerImport, ImportMode, ImportStatus, RowOutcome};
use crate::types::{CustomerId, CustomerImportId, Scope};

use super::limits::LIMITS;
use super::mapping::{Maker, Prepared, Rejection};
use super::reading::{Parsed, Stop, read_file};
use super::report::{Outcome, get_import, write_report};
use super::{ImportOptions, ImportProgress};

/// External ids a dry run has pretended to create, as 64-bit hashes (8 bytes a row), so that a
/// later row for the same customer is counted as the real import would count it.
type Pretended = HashSet<u64>;

fn hash_of(x: &str) -> u64 {
    let mut h = DefaultHasher::new();
    x.hash(&mut h);
    h.finish()
}

/// Imports a CSV file of customers read from `reader` (blocking reads, done off the async
/// workers). A header the import cannot use fails before anything is written; after that,
/// every row gets an outcome in the report, and `on_progress` hears after every chunk. A
/// file that reaches one of the module's limits is refused (`Unprocessable` on `file`, naming
/// the limit, the line and the import) once the rows before it are written and reported.
pub async fn import_customers<R: Read + Send + 'static>(
    svc: &Services,
    caller: &Caller,
    options: ImportOptions,
    reader: R,
    on_progress: &(dyn Fn(ImportProgress) + Send + Sync),
) -> Result<CustomerImport, DomainError> {
    caller.require(Scope::CustomersWrite)?;
    let (tx, mut rx) = mpsc::channel(2);
    let maker = Maker {
        caller: caller.clone(),
        clock: svc.clock.clone(),
    };
    let reading = tokio::task::spawn_blocking(move || read_file(reader, LIMITS, maker, tx));
    match rx.recv().await {
        Some(Ok(Parsed::Header)) => {}
        Some(Err(e)) => return Err(e),
        Some(Ok(_)) | None => {
            return Err(DomainError::internal(format!(
                "the import's reader stopped before the header: {:?}",
                reading.await.err()
            )));
        }
    }
    let id = CustomerImportId::generate_at(svc.clock.now());
    customer_import::ActiveModel {
        id: Set(id.clone()),
        workspace_id: Set(caller.workspace_id.clone()),
        mode: Set(options.mode),
        dry_run: Set(options.dry_run),
        status: Set(ImportStatus::Running),
        rows: Set(0),
        created: Set(0),
        updated: Set(0),
        unchanged: Set(0),
        rejected: Set(0),
        error: Set(None),
        actor_type: Set(caller.actor.kind()),
        actor_id: Set(caller.actor.id().map(str::to_owned)),
        created_at: Set(svc.clock.now()),
        finished_at: Set(None),
    }
    .insert(&svc.db)
    .await?;
    let mut pretended = Pretended::new();
    let mut rows_done = 0u64;
    let mut stopped: Option<Stop> = None;
    while let Some(message) = rx.recv().await {
        match message {
            Ok(Parsed::Rows { rows, bytes }) => {
                let n = rows.len() as u64;
                if let Err(e) = write_chunk(svc, caller, &id, options, rows, &mut pretended).await {
                    let line_note = format!("a database error stopped the import: {e}");
                    finish(svc, &id, Some(line_note)).await?;
                    return Err(e);
                }
                rows_done += n;
                on_progress(ImportProgress {
                    bytes,
                    rows: rows_done,
                });
            }
            Ok(Parsed::Stopped(stop)) => stopped = Some(stop),
            Ok(Parsed::Header) | Err(_) => {}
        }
    }
    let Some(stop) = stopped else {
        finish(svc, &id, None).await?;
        return get_import(svc, caller, &id).await;
    };
    // The report shows where the file stopped: a rejected row at that line, saying why.
    let at = match &stop.column {
        Some(column) => format!("line {} (column {column:?})", stop.line),
        None => format!("line {}", stop.line),
    };
    let last = Outcome::rejected(
        stop.line,
        None,
        Rejection::new(
            stop.column.as_deref(),
            format!("{}; the import stopped here", stop.reason),
        ),
    );
    let txn = svc.write_txn().await?;
    write_report(&txn, &id, std::slice::from_ref(&last)).await?;
    txn.commit().await?;
    let error = format!("stopped at {at}: {}", stop.reason);
    finish(svc, &id, Some(error.clone())).await?;
    if stop.cap.is_none() {
        // Not a limit: the sender stopped sending; what arrived is imported and reported.
        return get_import(svc, caller, &id).await;
    }
    Err(DomainError::unprocessable(
        "file",
        format!("{error}. The rows before it are in the report of import {id}."),
    ))
}

async fn finish(
    svc: &Services,
    id: &CustomerImportId,
    error: Option<String>,
) -> Result<(), DomainError> {
    let status = if error.is_some() {
        ImportStatus::Failed
    } else {
        ImportStatus::Done
    };
    customer_import::Entity::update_many()
        .col_expr(customer_import::Column::Status, Expr::val(status.as_str()))
        .col_expr(customer_import::Column::Error, Expr::val(error))
        .col_expr(
            customer_import::Column::FinishedAt,
            Expr::val(svc.clock.now()),
        )
        .filter(customer_import::Column::Id.eq(id.as_str()))
        .exec(&svc.db)
        .await?;
    Ok(())
}

/// Writes one chunk; a unique-index race lost to a concurrent writer (on PostgreSQL) retries
/// the chunk, which then sees the winner's row.
async fn write_chunk(
    svc: &Services,
    caller: &Caller,
    import: &CustomerImportId,
    options: ImportOptions,
    rows: Vec<Prepared>,
    pretended: &mut Pretended,
) -> Result<(), DomainError> {
    let mut tries = 0;
    loop {
        tries += 1;
        match try_chunk(svc, caller, import, options, &rows, pretended).await {
            Err(DomainError::Db(e))
                if tries < 3
                    && matches!(
                        e.sql_err(),
                        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                    ) => {}
            other => return other,
        }
    }
}

async fn try_chunk(
    svc: &Services,
    caller: &Caller,
    import: &CustomerImportId,
    options: ImportOptions,
    rows: &[Prepared],
    pretended: &mut Pretended,
) -> Result<(), DomainError> {
    let txn = svc.write_txn().await?;
    if txn.get_database_backend() == sea_orm::DbBackend::Sqlite {
        // Inserting into a dozen indexes of a large table misses SQLite's default 8 MB page
        // cache on every row; this connection keeps 32 MB while it imports.
        txn.execute_unprepared("PRAGMA cache_size = -32768").await?;
    }
    let candidates = || rows.iter().filter_map(|p| p.row.as_ref().ok());
    let ids: Vec<&str> = candidates()
        .filter_map(|c| c.id.as_ref().map(CustomerId::as_str))
        .collect();
    let external_ids: Vec<&str> = candidates()
        .filter_map(|c| c.fields.external_id.as_deref())
        .collect();
    let scope = customer::Column::WorkspaceId.eq(caller.workspace_id.as_str());
    let mut by_id: HashMap<CustomerId, customer::Model> = HashMap::new();
    if !ids.is_empty() {
        for row in customer::Entity::find()
            .filter(scope.clone())
            .filter(customer::Column::Id.is_in(ids))
            .all(&txn)
            .await?
        {
            by_id.insert(row.id.clone(), row);
        }
    }
    let mut by_external_id: HashMap<String, customer::Model> = HashMap::new();
    if !external_ids.is_empty() {
        for row in customer::Entity::find()
            .filter(scope)
            .filter(customer::Column::ExternalId.is_in(external_ids))
            .all(&txn)
            .await?
        {
            if let Some(x) = row.external_id.clone() {
                by_external_id.insert(x, row);
            }
        }
    }

    let now = svc.clock.now();
    let mut outcomes: Vec<Outcome> = Vec::with_capacity(rows.len());
    let mut inserts = Batch::new(&CUSTOMERS, txn.get_database_backend());
    // (customer, action, before, after)
    let mut events: Vec<(CustomerId, EventType, Cow<'_, str>)> = Vec::new();
    let mut newly_pretended: Vec<u64> = Vec::new();
    for p in rows {
        let c = match &p.row {
            Ok(c) => c,
            Err(r) => {
                outcomes.push(Outcome::rejected(p.line, None, r.clone()));
                continue;
            }
        };
        let matched = match (&c.id, &c.fields.external_id) {
            (Some(id), _) => match by_id.get(id) {
                Some(row) => Some(row),
                None => {
                    let r = Rejection::new(Some("id"), "no customer has this id in the workspace");
                    outcomes.push(Outcome::rejected(p.line, None, r));
                    continue;
                }
            },
            (None, Some(x)) => by_external_id.get(x),
            (None, None) => None,
        };
        let Some(row) = matched else {
            let key = c.fields.external_id.as_deref().map(hash_of);
            if options.dry_run && key.is_some_and(|k| pretended.contains(&k)) {
                // An earlier row of this dry run would have created this customer.
                outcomes.push(match options.mode {
                    ImportMode::CreateOnly => Outcome::rejected(
                        p.line,
                        None,
                        Rejection::new(
                            Some("external_id"),
                            "matches a customer an earlier row creates; create_only imports never change a customer",
                        ),
                    ),
                    ImportMode::CreateOrUpdate => Outcome {
                        line: p.line,
                        outcome: RowOutcome::Updated,
                        customer_id: None,
                        rejection: None,
                    },
                });
                continue;
            }
            newly_pretended.extend(key);
            let (model, diff) = match &c.fresh {
                Some(f) => (Cow::Borrowed(&f.model), Cow::Borrowed(f.diff.as_str())),
                None => {
                    let id = CustomerId::generate_at(now);
                    let model = customers::new_model(id, caller, now, c.fields.clone());
                    let diff = audit::created(customers::snapshot_of(&model)?).to_string();
                    (Cow::Owned(model), Cow::Owned(diff))
                }
            };
            push_customer(&mut inserts, &model)?;
            let id = model.id.clone();
            events.push((id.clone(), EventType::CustomerCreated, diff));
            outcomes.push(Outcome {
                line: p.line,
                outcome: RowOutcome::Created,
                customer_id: Some(id),
                rejection: None,
            });
            continue;
        };
        if let Err(e) = crate::domain::erasure::refuse_if_erased(row) {
            let r = Rejection::new(None, e.to_string());
            outcomes.push(Outcome::rejected(p.line, Some(row.id.clone()), r));
            continue;
        }
        if options.mode == ImportMode::CreateOnly {
            let field = if c.id.is_some() { "id" } else { "external_id" };
            let r = Rejection::new(
                Some(field),
                format!(
                    "matches customer {}; create_only imports never change a customer",
                    row.id
                ),
            );
            outcomes.push(Outcome::rejected(p.line, Some(row.id.clone()), r));
            continue;
        }
        let before = Fields::of(row)?;
        let after = merged(before.clone(), &c.fields);
        if let Err(e) = validate::metadata(&after.metadata) {
            outcomes.push(Outcome::rejected(
                p.line,
                Some(row.id.clone()),
                Rejection::of(e),
            ));
            continue;
        }
        if let Some(x) = &after.external_id
            && before.external_id.as_ref() != Some(x)
            && let Some(holder) = by_external_id.get(x).filter(|h| h.id != row.id)
        {
            let r = Rejection::new(
                Some("external_id"),
                format!("already belongs to customer {}", holder.id),
            );
            outcomes.push(Outcome::rejected(p.line, Some(row.id.clone()), r));
            continue;
        }
        if after == before {
            outcomes.push(Outcome {
                line: p.line,
                outcome: RowOutcome::Unchanged,
                customer_id: Some(row.id.clone()),
                rejection: None,
            });
            continue;
        }
        let mut changed = row.clone();
        customers::apply_fields(&mut changed, after);
        changed.updated_at = now;
        changed.version = row.version + 1;
        let mut update = customer::ActiveModel {
            updated_at: Set(now),
            version: Set(changed.version),
            ..Default::default()
        };
        let diff = audit::diff(
            Some(&customers::snapshot_of(row)?),
            Some(&customers::snapshot_of(&changed)?),
        );
        customers::set_editable(&mut update, changed);
        // Compare-and-swap on the version read: an edit made meanwhile is not overwritten.
        let done = customer::Entity::update_many()
            .set(update)
            .filter(customer::Column::Id.eq(row.id.as_str()))
            .filter(customer::Column::Version.eq(row.version))
            .exec(&txn)
            .await?;
        if done.rows_affected == 0 {
            let r = Rejection::new(
                None,
                "the customer was changed by someone else during the import; import the row again",
            );
            outcomes.push(Outcome::rejected(p.line, Some(row.id.clone()), r));
            continue;
        }
        events.push((
            row.id.clone(),
            EventType::CustomerUpdated,
            Cow::Owned(diff.to_string()),
        ));
        outcomes.push(Outcome {
            line: p.line,
            outcome: RowOutcome::Updated,
            customer_id: Some(row.id.clone()),
            rejection: None,
        });
    }
    inserts.insert(&txn).await?;
    let changes: Vec<Change<'_, &str>> = events
        .iter()
        .map(|(id, action, diff)| Change::new(*action, id.as_str(), Some(id), diff.as_ref()))
        .collect();
    audit::record_written(&txn, svc, caller, changes).await?;
    if options.dry_run {
        txn.rollback().await?;
        let report = svc.write_txn().await?;
        write_report(&report, import, &outcomes).await?;
        report.commit().await?;
        pretended.extend(newly_pretended);
    } else {
        write_report(&txn, import, &outcomes).await?;
        txn.commit().await?;
    }
    Ok(())
}

/// `before` with every field the row gives replaced, and its metadata keys added or replaced.
fn merged(mut before: Fields, given: &Fields) -> Fields {
    fn put(slot: &mut Option<String>, v: &Option<String>) {
        if v.is_some() {
            slot.clone_from(v);
        }
    }
    put(&mut before.external_id, &given.external_id);
    put(&mut before.email, &given.email);
    put(&mut before.name, &given.name);
    put(&mut before.phone, &given.phone);
    put(&mut before.tax_id, &given.tax_id);
    put(&mut before.country, &given.country);
    put(&mut before.username, &given.username);
    put(&mut before.profile_url, &given.profile_url);
    before
        .metadata
        .extend(given.metadata.iter().map(|(k, v)| (k.clone(), v.clone())));
    before
}

/// The customers table, every column, as an import creates customers.
static CUSTOMERS: Table = Table {
    name: "customers",
    columns: &[
        ("id", Kind::Text),
        ("workspace_id", Kind::Text),
        ("external_id", Kind::Text),
        ("email", Kind::Text),
        ("name", Kind::Text),
        ("phone", Kind::Text),
        ("tax_id", Kind::Text),
        ("country", Kind::Text),
        ("username", Kind::Text),
        ("profile_url", Kind::Text),
        ("metadata", Kind::Text),
        ("first_seen_at", Kind::Time),
        ("created_at", Kind::Time),
        ("updated_at", Kind::Time),
        ("archived_at", Kind::Time),
        ("version", Kind::BigInt),
        ("ltv_amount", Kind::BigInt),
        ("order_count", Kind::BigInt),
        ("total_payments", Kind::BigInt),
        ("mrr_amount", Kind::BigInt),
        ("active_subscriptions", Kind::BigInt),
        ("refunds_count", Kind::BigInt),
        ("refunded_amount", Kind::BigInt),
        ("disputes_count", Kind::BigInt),
        ("last_order_at", Kind::Time),
        ("last_order_key", Kind::BigInt),
        ("subscription_status", Kind::Text),
        ("search_text", Kind::Text),
        ("banned_until", Kind::Time),
        ("portal_link_version", Kind::Int),
        ("erased_at", Kind::Time),
        ("merged_into", Kind::Text),
        ("merged_at", Kind::Time),
    ],
};

fn push_customer(batch: &mut Batch, c: &customer::Model) -> Result<(), DomainError> {
    batch.push(&[
        Cell::Text(Some(c.id.as_str())),
        Cell::Text(Some(c.workspace_id.as_str())),
        Cell::Text(c.external_id.as_deref()),
        Cell::Text(c.email.as_deref()),
        Cell::Text(c.name.as_deref()),
        Cell::Text(c.phone.as_deref()),
        Cell::Text(c.tax_id.as_deref()),
        Cell::Text(c.country.as_deref()),
        Cell::Text(c.username.as_deref()),
        Cell::Text(c.profile_url.as_deref()),
        Cell::Text(Some(&c.metadata)),
        Cell::Time(Some(c.first_seen_at)),
        Cell::Time(Some(c.created_at)),
        Cell::Time(Some(c.updated_at)),
        Cell::Time(c.archived_at),
        Cell::Int(c.version),
        Cell::Int(c.ltv_amount),
        Cell::Int(c.order_count),
        Cell::Int(c.total_payments),
        Cell::Int(c.mrr_amount),
        Cell::Int(c.active_subscriptions),
        Cell::Int(c.refunds_count),
        Cell::Int(c.refunded_amount),
        Cell::Int(c.disputes_count),
        Cell::Time(c.last_order_at),
        Cell::Int(c.last_order_key),
        Cell::Text(c.subscription_status.map(|s| s.as_str())),
        Cell::Text(Some(&c.search_text)),
        Cell::Time(c.banned_until),
        Cell::Int(i64::from(c.portal_link_version)),
        Cell::Time(c.erased_at),
        Cell::Text(c.merged_into.as_ref().map(CustomerId::as_str)),
        Cell::Time(c.merged_at),
    ])?;
    Ok(())
}
