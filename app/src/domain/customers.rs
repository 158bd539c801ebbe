//! Customers: create, find, list (keyset pages), change with an optimistic lock, archive.

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::Value;

use crate::db::entities::customer;
use crate::types::ErrorCode;
use crate::types::EventType;
use crate::types::customer::{CustomerCreate, CustomerUpdate, Metadata};
use crate::types::{Customer, CustomerId, Scope};

use super::actor::Caller;
use super::audit::{self, Change};
use super::{DomainError, Services, validate};

/// The customer's fields after validation, as they will be stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Fields {
    pub(crate) external_id: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) tax_id: Option<String>,
    pub(crate) country: Option<String>,
    pub(crate) username: Option<String>,
    pub(crate) profile_url: Option<String>,
    pub(crate) metadata: Metadata,
}

fn opt<T>(
    v: Option<&str>,
    check: impl Fn(&str) -> Result<T, DomainError>,
) -> Result<Option<T>, DomainError> {
    v.map(check).transpose()
}

impl Fields {
    pub(crate) fn validated(c: &CustomerCreate) -> Result<Self, DomainError> {
        let metadata = c.metadata.clone().unwrap_or_default();
        validate::metadata(&metadata)?;
        Ok(Self {
            external_id: opt(c.external_id.as_deref(), |v| {
                validate::text("external_id", v, 255)
            })?,
            email: opt(c.email.as_deref(), validate::normalise_email)?,
            name: opt(c.name.as_deref(), |v| validate::text("name", v, 200))?,
            phone: opt(c.phone.as_deref(), validate::phone)?,
            tax_id: opt(c.tax_id.as_deref(), |v| validate::text("tax_id", v, 64))?,
            country: opt(c.country.as_deref(), validate::country)?,
            username: opt(c.username.as_deref(), |v| {
                validate::text("username", v, 100)
            })?,
            profile_url: opt(c.profile_url.as_deref(), |v| {
                validate::http_url("profile_url", v)
            })?,
            metadata,
        })
    }

    pub(crate) fn of(row: &customer::Model) -> Result<Self, DomainError> {
        Ok(Self {
            external_id: row.external_id.clone(),
            email: row.email.clone(),
            name: row.name.clone(),
            phone: row.phone.clone(),
            tax_id: row.tax_id.clone(),
            country: row.country.clone(),
            username: row.username.clone(),
            profile_url: row.profile_url.clone(),
            metadata: parse_metadata(row)?,
        })
    }

    /// These fields with `patch` applied: absent keeps, `null` clears, a value replaces.
    fn patched(mut self, patch: &CustomerUpdate) -> Result<Self, DomainError> {
        fn apply(
            slot: &mut Option<String>,
            change: &Option<Option<String>>,
            check: impl Fn(&str) -> Result<String, DomainError>,
        ) -> Result<(), DomainError> {
            if let Some(new) = change {
                *slot = new.as_deref().map(check).transpose()?;
            }
            Ok(())
        }
        apply(&mut self.external_id, &patch.external_id, |v| {
            validate::text("external_id", v, 255)
        })?;
        apply(&mut self.email, &patch.email, validate::normalise_email)?;
        apply(&mut self.name, &patch.name, |v| {
            validate::text("name", v, 200)
        })?;
        apply(&mut self.phone, &patch.phone, validate::phone)?;
        apply(&mut self.tax_id, &patch.tax_id, |v| {
            validate::text("tax_id", v, 64)
        })?;
        apply(&mut self.country, &patch.country, validate::country)?;
        apply(&mut self.username, &patch.username, |v| {
            validate::text("username", v, 100)
        })?;
        apply(&mut self.profile_url, &patch.profile_url, |v| {
            validate::http_url("profile_url", v)
        })?;
        if let Some(m) = &patch.metadata {
            let m = m.clone().unwrap_or_default();
            validate::metadata(&m)?;
            self.metadata = m;
        }
        Ok(self)
    }
}

/// What partial search matches: email, name and external id, lower-cased, space-separated.
/// A customer id is found exactly instead (see `customer_list`).
pub fn search_text(email: Option<&str>, name: Option<&str>, external_id: Option<&str>) -> String {
    [email, name, external_id]
        .iter()
        .map(|v| v.unwrap_or_default().to_lowercase())
        .collect::<Vec<_>>()
        .join(" ")
}

fn parse_metadata(row: &customer::Model) -> Result<Metadata, DomainError> {
    serde_json::from_str(&row.metadata)
        .map_err(|e| DomainError::internal(format!("customers.metadata of {}: {e}", row.id)))
}

fn to_customer(row: customer::Model) -> Result<Customer, DomainError> {
    let metadata = parse_metadata(&row)?;
    let id = row.id.clone();
    Ok(Customer {
        id,
        object: "customer".to_owned(),
        external_id: row.external_id,
        email: row.email,
        name: row.name,
        phone: row.phone,
        tax_id: row.tax_id,
        country: row.country,
        username: row.username,
        profile_url: row.profile_url,
        metadata,
        first_seen_at: row.first_seen_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
        archived_at: row.archived_at,
        version: row.version,
        erased_at: row.erased_at,
        merged_into: row.merged_into,
    })
}

fn snapshot(c: &Customer) -> Value {
    serde_json::to_value(c).unwrap_or(Value::Null)
}

/// A new customer's row: `f` and zero stats (the columns' defaults).
pub(crate) fn new_model(
    id: CustomerId,
    caller: &Caller,
    now: chrono::DateTime<chrono::Utc>,
    f: Fields,
) -> customer::Model {
    let mut row = customer::Model {
        search_text: String::new(),
        id,
        workspace_id: caller.workspace_id.clone(),
        external_id: None,
        email: None,
        name: None,
        phone: None,
        tax_id: None,
        country: None,
        username: None,
        profile_url: None,
        metadata: "{}".into(),
        first_seen_at: now,
        created_at: now,
        updated_at: now,
        archived_at: None,
        version: 1,
        ltv_amount: 0,
        order_count: 0,
        total_payments: 0,
        mrr_amount: 0,
        active_subscriptions: 0,
        refunds_count: 0,
        refunded_amount: 0,
        disputes_count: 0,
        last_order_at: None,
        last_order_key: 0,
        subscription_status: None,
        banned_until: None,
        portal_link_version: 0,
        erased_at: None,
        merged_into: None,
        merged_at: None,
    };
    apply_fields(&mut row, f);
    row
}

/// Writes `f` into `row`'s editable columns and its search text.
pub(crate) fn apply_fields(row: &mut customer::Model, f: Fields) {
    row.search_text = search_text(
        f.email.as_deref(),
        f.name.as_deref(),
        f.external_id.as_deref(),
    );
    row.external_id = f.external_id;
    row.email = f.email;
    row.name = f.name;
    row.phone = f.phone;
    row.tax_id = f.tax_id;
    row.country = f.country;
    row.username = f.username;
    row.profile_url = f.profile_url;
    row.metadata = serde_json::to_string(&f.metadata).unwrap_or_else(|_| "{}".into());
}

/// Sets the editable columns (and the search text) of an update to `from`'s.
pub(crate) fn set_editable(m: &mut customer::ActiveModel, from: customer::Model) {
    m.search_text = Set(from.search_text);
    m.external_id = Set(from.external_id);
    m.email = Set(from.email);
    m.name = Set(from.name);
    m.phone = Set(from.phone);
    m.tax_id = Set(from.tax_id);
    m.country = Set(from.country);
    m.username = Set(from.username);
    m.profile_url = Set(from.profile_url);
    m.metadata = Set(from.metadata);
}

/// The audit trail's picture of a customer row.
pub(crate) fn snapshot_of(row: &customer::Model) -> Result<Value, DomainError> {
    Ok(snapshot(&to_customer(row.clone())?))
}

/// Fails with a 409 naming the customer that already holds `external_id`.
async fn ensure_external_id_free<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    external_id: &str,
    except: Option<&str>,
) -> Result<(), DomainError> {
    let mut q = customer::Entity::find()
        .filter(customer::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(customer::Column::ExternalId.eq(external_id));
    if let Some(id) = except {
        q = q.filter(customer::Column::Id.ne(id));
    }
    match q.one(conn).await? {
        Some(other) => Err(external_id_taken(external_id, &other.id)),
        None => Ok(()),
    }
}

fn external_id_taken(external_id: &str, holder: &CustomerId) -> DomainError {
    DomainError::Conflict {
        code: ErrorCode::ExternalIdTaken,
        message: format!("external_id {external_id:?} already belongs to customer {holder}"),
    }
}

/// A unique-index race lost between the check and the write is the same conflict.
fn map_unique(e: sea_orm::DbErr, external_id: Option<&str>) -> DomainError {
    match (e.sql_err(), external_id) {
        (Some(sea_orm::SqlErr::UniqueConstraintViolation(_)), Some(x)) => DomainError::Conflict {
            code: ErrorCode::ExternalIdTaken,
            message: format!("external_id {x:?} already belongs to another customer"),
        },
        _ => DomainError::Db(e),
    }
}

/// Creates a customer and records `customer.created`.
pub async fn create_customer(
    svc: &Services,
    caller: &Caller,
    input: CustomerCreate,
) -> Result<Customer, DomainError> {
    caller.require(Scope::CustomersWrite)?;
    let txn = svc.write_txn().await?;
    let row = create_in(&txn, svc, caller, input).await?;
    txn.commit().await?;
    to_customer(row)
}

/// Validates and inserts a customer on `conn` (the caller's transaction) and records
/// `customer.created`; checkouts create their buyers through it.
pub(crate) async fn create_in<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    caller: &Caller,
    input: CustomerCreate,
) -> Result<customer::Model, DomainError> {
    let f = Fields::validated(&input)?;
    if let Some(x) = &f.external_id {
        ensure_external_id_free(conn, caller, x, None).await?;
    }
    let now = svc.clock.now();
    // The id's time is the creation time: sorting by id is sorting by creation.
    let id = CustomerId::generate_at(now);
    let external_id = f.external_id.clone();
    let row = customer::ActiveModel::from(new_model(id.clone(), caller, now, f))
        .insert(conn)
        .await
        .map_err(|e| map_unique(e, external_id.as_deref()))?;
    let created = to_customer(row.clone())?;
    audit::record(
        conn,
        svc,
        caller,
        Change::customer(
            EventType::CustomerCreated,
            &id,
            audit::diff(None, Some(&snapshot(&created))),
        ),
    )
    .await?;
    Ok(row)
}

async fn find_row<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    id: &CustomerId,
) -> Result<customer::Model, DomainError> {
    super::find::own::<customer::Entity, _, _>(conn, caller, id).await
}

/// One customer of the caller's workspace.
pub async fn get_customer(
    svc: &Services,
    caller: &Caller,
    id: &CustomerId,
) -> Result<Customer, DomainError> {
    caller.require(Scope::CustomersRead)?;
    to_customer(find_row(&svc.db, caller, id).await?)
}

/// Applies `patch`. With `patch.version`, refuses (409) if the customer changed since.
pub async fn update_customer(
    svc: &Services,
    caller: &Caller,
    id: &CustomerId,
    patch: CustomerUpdate,
) -> Result<Customer, DomainError> {
    caller.require(Scope::CustomersWrite)?;
    let row = find_row(&svc.db, caller, id).await?;
    refuse_if_erased(&row)?;
    if let Some(v) = patch.version
        && v != row.version
    {
        return Err(version_conflict(row.version));
    }
    let before = Fields::of(&row)?;
    let after = before.clone().patched(&patch)?;
    if let Some(x) = &after.external_id
        && before.external_id.as_ref() != Some(x)
    {
        ensure_external_id_free(&svc.db, caller, x, Some(id.as_str())).await?;
    }
    if after == before {
        return to_customer(row);
    }
    let external_id = after.external_id.clone();
    let mut changed = row.clone();
    apply_fields(&mut changed, after);
    write(svc, caller, row, EventType::CustomerUpdated, move |m| {
        set_editable(m, changed)
    })
    .await
    .map_err(|e| match e {
        DomainError::Db(db) => map_unique(db, external_id.as_deref()),
        other => other,
    })
}

/// Archives a customer: hidden from lists by default, kept forever. Archiving twice is a no-op.
pub async fn archive_customer(
    svc: &Services,
    caller: &Caller,
    id: &CustomerId,
) -> Result<Customer, DomainError> {
    set_archived(svc, caller, id, true).await
}

/// Brings an archived customer back into lists. Unarchiving an active customer is a no-op.
pub async fn unarchive_customer(
    svc: &Services,
    caller: &Caller,
    id: &CustomerId,
) -> Result<Customer, DomainError> {
    set_archived(svc, caller, id, false).await
}

/// Archives the customer (`archived`) or brings them back; a no-op when they already are so.
async fn set_archived(
    svc: &Services,
    caller: &Caller,
    id: &CustomerId,
    archived: bool,
) -> Result<Customer, DomainError> {
    caller.require(Scope::CustomersWrite)?;
    let row = find_row(&svc.db, caller, id).await?;
    refuse_if_erased(&row)?;
    if row.archived_at.is_some() == archived {
        return to_customer(row);
    }
    let (action, at) = if archived {
        (EventType::CustomerArchived, Some(svc.clock.now()))
    } else {
        (EventType::CustomerUnarchived, None)
    };
    write(svc, caller, row, action, move |m| m.archived_at = Set(at)).await
}

fn version_conflict(current: i64) -> DomainError {
    DomainError::Conflict {
        code: ErrorCode::VersionConflict,
        message: format!(
            "the customer was changed by someone else (now at version {current}); reload it and apply your change again"
        ),
    }
}

/// Writes a change to `row` only if its version is still the one read (compare-and-swap), and
/// records `action` with the diff, in one transaction.
async fn write(
    svc: &Services,
    caller: &Caller,
    row: customer::Model,
    action: EventType,
    change: impl FnOnce(&mut customer::ActiveModel),
) -> Result<Customer, DomainError> {
    let id = row.id.clone();
    let txn = svc.write_txn().await?;
    match change_in(&txn, svc, caller, row, action, change).await? {
        Some(after) => {
            txn.commit().await?;
            Ok(after)
        }
        None => {
            txn.rollback().await?;
            let current = find_row(&svc.db, caller, &id).await?;
            Err(version_conflict(current.version))
        }
    }
}

/// Applies `change` to `row` (as read) on `conn`, with its audit entry; `None` if the
/// customer changed since it was read (nothing is written).
pub(crate) async fn change_in<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    caller: &Caller,
    row: customer::Model,
    action: EventType,
    change: impl FnOnce(&mut customer::ActiveModel),
) -> Result<Option<Customer>, DomainError> {
    let before = to_customer(row.clone())?;
    let mut active = customer::ActiveModel {
        updated_at: Set(svc.clock.now()),
        version: Set(row.version + 1),
        ..Default::default()
    };
    change(&mut active);
    write_in(conn, svc, caller, &before, row.version, action, active).await
}

async fn write_in<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    caller: &Caller,
    before: &Customer,
    read_version: i64,
    action: EventType,
    active: customer::ActiveModel,
) -> Result<Option<Customer>, DomainError> {
    let result = customer::Entity::update_many()
        .set(active)
        .filter(customer::Column::Id.eq(before.id.as_str()))
        .filter(customer::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(customer::Column::Version.eq(read_version))
        .exec(conn)
        .await?;
    if result.rows_affected == 0 {
        return Ok(None);
    }
    let after = to_customer(find_row(conn, caller, &before.id).await?)?;
    audit::record(
        conn,
        svc,
        caller,
        Change::customer(
            action,
            &before.id,
            audit::diff(Some(&snapshot(before)), Some(&snapshot(&after))),
        ),
    )
    .await?;
    Ok(Some(after))
}

/// The customer row, for other domain modules working inside a transaction.
pub(crate) async fn row<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    id: &CustomerId,
) -> Result<customer::Model, DomainError> {
    find_row(conn, caller, id).await
}

pub(crate) fn present(row: customer::Model) -> Result<Customer, DomainError> {
    to_customer(row)
}

fn erased_conflict() -> DomainError {
    DomainError::Conflict {
        code: ErrorCode::CustomerErased,
        message: "the customer's personal data was erased; an erased customer cannot change".into(),
    }
}

/// Refuses a change to an erased customer, or to one merged into another (a tombstone).
pub(crate) fn refuse_if_erased(row: &customer::Model) -> Result<(), DomainError> {
    if row.erased_at.is_some() {
        return Err(erased_conflict());
    }
    match &row.merged_into {
        Some(survivor) => Err(DomainError::Conflict {
            code: ErrorCode::CustomerMerged,
            message: format!(
                "the customer was merged into {survivor}: change that customer instead"
            ),
        }),
        None => Ok(()),
    }
}
