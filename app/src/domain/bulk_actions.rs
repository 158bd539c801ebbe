//! Bulk actions: one change (set or remove a metadata key, grant a product, archive) over many
//! customers: listed ones, a segment's or a filter's.
//!
//! Starting one fixes its customers (a snapshot of at most [`MOST_CUSTOMERS`], one pending item
//! each) in one transaction. The job ([`run_bulk_actions`]) claims actions with a lease, exactly
//! once across processes, and works through their pending items: each customer's change, its
//! audit entry, its item turning `succeeded` and the action's counter all commit together, so
//! a customer is never done twice, even when a lease runs out and another process takes over.
//! A customer that cannot be changed gets a `failed` item with the reason, and the others go
//! on. A cancel stops the action between two customers; those not reached are `skipped`.
//!
//! The action acts for whoever started it, and only while they still may: before each batch of
//! customers the job reads the starter's current role (a user) or key (an API key). A starter
//! removed from the workspace, demoted below what the action needs, or whose key was revoked
//! stops it there: it ends `canceled`, and the customers not reached are `skipped` with the
//! reason in words.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::db::entities::{
    api_key, bulk_action, bulk_action_item as item, customer, membership, product, segment,
};
use crate::types::customer::Metadata;
use crate::types::segment::{
    BulkAction, BulkActionCreate, BulkActionItem, BulkActionKind, BulkActionStatus, BulkItemStatus,
    BulkPreview,
};
use crate::types::{BulkActionId, CustomerId, ErrorCode, Page, ProductId, Role, Scope, SegmentId};

use super::actor::{Actor, Caller};
use super::customer_list::{self, CustomerQuery};
use super::entitlements::{self, GrantSource};
use super::paging::{self, Limit};
use super::{
    Claim, DomainError, Services, audit, claim, customers, erasure, products, segments,
    stored_json, to_json, validate,
};

/// The most customers one bulk action takes.
pub const MOST_CUSTOMERS: i64 = 10_000;
/// The most customers listed by id.
pub const MOST_IDS: usize = 1_000;
/// How long a process holds an action before another may take it over.
const LEASE: Duration = Duration::seconds(60);
/// Pending items read at a time; the cancel flag is read between two such batches.
const BATCH: u64 = 25;
/// Actions one run of the job takes.
const ACTIONS: u64 = 5;

/// An action's parameters as stored.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Params {
    metadata_key: Option<String>,
    metadata_value: Option<String>,
    product_id: Option<ProductId>,
    expires_at: Option<DateTime<Utc>>,
}

/// Who started an action, kept to audit each change as theirs.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredActor {
    kind: String,
    id: Option<String>,
    role: Option<Role>,
    scopes: Vec<Scope>,
}

impl StoredActor {
    fn of(actor: &Actor) -> Self {
        match actor {
            Actor::User { id, role } => Self {
                kind: "user".into(),
                id: Some(id.to_string()),
                role: Some(*role),
                scopes: vec![],
            },
            Actor::ApiKey { id, scopes } => Self {
                kind: "api_key".into(),
                id: Some(id.to_string()),
                role: None,
                scopes: scopes.clone(),
            },
            Actor::PortalCustomer { .. } | Actor::System => Self {
                kind: "system".into(),
                id: None,
                role: None,
                scopes: vec![],
            },
        }
    }

    fn actor(&self) -> Actor {
        let id = self.id.as_deref().unwrap_or_default();
        match (self.kind.as_str(), self.role) {
            ("user", Some(role)) => match id.parse() {
                Ok(id) => Actor::User { id, role },
                Err(_) => Actor::System,
            },
            ("api_key", _) => match id.parse() {
                Ok(id) => Actor::ApiKey {
                    id,
                    scopes: self.scopes.clone(),
                },
                Err(_) => Actor::System,
            },
            _ => Actor::System,
        }
    }
}

/// What the action needs of its caller.
fn scope_of(kind: BulkActionKind) -> Scope {
    match kind {
        BulkActionKind::GrantProduct => Scope::EntitlementsWrite,
        _ => Scope::CustomersWrite,
    }
}

/// Whether the starter of an action may still do it, read afresh.
#[derive(Debug)]
enum Standing {
    /// They may, as this actor (a user with their role of now).
    May(Actor),
    /// They may not: the code and the sentence the report gives the customers not reached.
    MayNot(ErrorCode, String),
}

/// The starter's standing now: a user's current membership and role in the action's workspace,
/// an API key's existence, revocation and scopes. Patron itself may always go on.
async fn standing(
    svc: &Services,
    row: &bulk_action::Model,
    actor: &Actor,
) -> Result<Standing, DomainError> {
    let scope = scope_of(row.kind);
    let what = match row.kind {
        BulkActionKind::GrantProduct => "grant products",
        _ => "change customers",
    };
    match actor {
        Actor::User { id, .. } => {
            let member = membership::Entity::find_by_id((row.workspace_id.clone(), id.clone()))
                .one(&svc.db)
                .await?;
            Ok(match member {
                None => Standing::MayNot(
                    ErrorCode::AuthenticationRequired,
                    "Stopped: the person who started this action is no longer a member of the \
                     workspace."
                        .to_owned(),
                ),
                Some(m) if !m.role.allows(scope) => Standing::MayNot(
                    ErrorCode::InsufficientScope,
                    format!(
                        "Stopped: the person who started this action is now {}, a role that may \
                         not {what}.",
                        m.role
                    ),
                ),
                Some(m) => Standing::May(Actor::User {
                    id: id.clone(),
                    role: m.role,
                }),
            })
        }
        Actor::ApiKey { id, .. } => {
            let key = api_key::Entity::find_by_id(id.clone())
                .filter(api_key::Column::WorkspaceId.eq(row.workspace_id.as_str()))
                .filter(api_key::Column::RevokedAt.is_null())
                .one(&svc.db)
                .await?;
            let Some(key) = key else {
                return Ok(Standing::MayNot(
                    ErrorCode::AuthenticationRequired,
                    "Stopped: the API key that started this action was revoked.".to_owned(),
                ));
            };
            let scopes: Vec<Scope> = key
                .scopes
                .split_whitespace()
                .filter_map(|s| s.parse().ok())
                .collect();
            Ok(if scopes.contains(&scope) {
                Standing::May(Actor::ApiKey {
                    id: id.clone(),
                    scopes,
                })
            } else {
                Standing::MayNot(
                    ErrorCode::InsufficientScope,
                    format!(
                        "Stopped: the API key that started this action no longer holds \
                         {scope}, which it needs to {what}."
                    ),
                )
            })
        }
        Actor::PortalCustomer { .. } | Actor::System => Ok(Standing::May(actor.clone())),
    }
}

fn to_bulk_action(row: bulk_action::Model) -> Result<BulkAction, DomainError> {
    let p: Params = stored_json(&row.params)?;
    Ok(BulkAction {
        id: row.id,
        object: "bulk_action".into(),
        action: row.kind,
        metadata_key: p.metadata_key,
        metadata_value: p.metadata_value,
        product_id: p.product_id,
        expires_at: p.expires_at,
        segment_id: row.segment_id,
        status: row.status,
        total: row.total,
        succeeded: row.succeeded,
        failed: row.failed,
        cancel_requested: row.cancel_requested,
        created_at: row.created_at,
        finished_at: row.finished_at,
    })
}

/// Refuses a field the action does not take.
fn not_for(field: &str, given: bool, kind: BulkActionKind) -> Result<(), DomainError> {
    if given {
        return Err(DomainError::unprocessable(
            field,
            format!("is not taken by {kind}"),
        ));
    }
    Ok(())
}

/// Checks the action's parameters against its kind, naming the first bad field.
async fn check_params(
    svc: &Services,
    caller: &Caller,
    input: &BulkActionCreate,
) -> Result<Params, DomainError> {
    let kind = input.action;
    let metadata = matches!(
        kind,
        BulkActionKind::SetMetadata | BulkActionKind::RemoveMetadata
    );
    not_for(
        "metadata_key",
        !metadata && input.metadata_key.is_some(),
        kind,
    )?;
    not_for(
        "metadata_value",
        kind != BulkActionKind::SetMetadata && input.metadata_value.is_some(),
        kind,
    )?;
    let grant = kind == BulkActionKind::GrantProduct;
    not_for("product_id", !grant && input.product_id.is_some(), kind)?;
    not_for("expires_at", !grant && input.expires_at.is_some(), kind)?;
    let mut p = Params::default();
    if metadata {
        let key = input.metadata_key.as_deref().ok_or_else(|| {
            DomainError::unprocessable("metadata_key", "is required for this action")
        })?;
        let value = match kind {
            BulkActionKind::SetMetadata => input.metadata_value.clone().ok_or_else(|| {
                DomainError::unprocessable("metadata_value", "is required for set_metadata")
            })?,
            _ => String::new(),
        };
        // The same rules as a customer's metadata, each named by its field here.
        let one: Metadata = [(key.to_owned(), value.clone())].into_iter().collect();
        validate::metadata(&one).map_err(|e| match e {
            DomainError::Invalid { message, .. } if message.starts_with("values") => {
                DomainError::invalid("metadata_value", message)
            }
            DomainError::Invalid { message, .. } => DomainError::invalid("metadata_key", message),
            other => other,
        })?;
        p.metadata_key = Some(key.to_owned());
        p.metadata_value = (kind == BulkActionKind::SetMetadata).then_some(value);
    }
    if grant {
        let id = input.product_id.clone().ok_or_else(|| {
            DomainError::unprocessable("product_id", "is required for grant_product")
        })?;
        let product = products::find_row(&svc.db, caller, &id)
            .await
            .map_err(|e| match e {
                DomainError::NotFound { .. } => {
                    DomainError::unprocessable("product_id", "no such product in this workspace")
                }
                other => other,
            })?;
        if stored_json::<Vec<crate::types::product::Benefit>>(&product.benefits)?.is_empty() {
            return Err(DomainError::Conflict {
                code: ErrorCode::ProductGrantsNothing,
                message: "the product grants no benefits".into(),
            });
        }
        if let Some(at) = input.expires_at
            && at <= svc.clock.now()
        {
            return Err(DomainError::unprocessable(
                "expires_at",
                "must be in the future",
            ));
        }
        p.product_id = Some(id);
        p.expires_at = input.expires_at;
    }
    Ok(p)
}

/// Which customers: listed ids, or a query (a segment's or the given filters).
enum Targets {
    Ids(Vec<CustomerId>),
    Query(Box<CustomerQuery>, Option<SegmentId>),
}

async fn targets(
    svc: &Services,
    caller: &Caller,
    input: &BulkActionCreate,
) -> Result<Targets, DomainError> {
    let given = usize::from(input.customer_ids.is_some())
        + usize::from(input.segment_id.is_some())
        + usize::from(input.filters.is_some());
    if given != 1 {
        return Err(DomainError::unprocessable(
            "customer_ids",
            "give exactly one of customer_ids, segment_id or filters",
        ));
    }
    if let Some(ids) = &input.customer_ids {
        if ids.is_empty() || ids.len() > MOST_IDS {
            return Err(DomainError::invalid(
                "customer_ids",
                format!("must list 1 to {MOST_IDS} customers"),
            ));
        }
        let mut ids = ids.clone();
        ids.sort();
        ids.dedup();
        return Ok(Targets::Ids(ids));
    }
    if let Some(id) = &input.segment_id {
        let row = segment::Entity::find_by_id(id.clone())
            .filter(segment::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
            .one(&svc.db)
            .await?
            .ok_or_else(|| {
                DomainError::unprocessable("segment_id", "no such segment in this workspace")
            })?;
        let query = segments::check_filters(&stored_json(&row.filters)?)?;
        return Ok(Targets::Query(Box::new(query), Some(row.id)));
    }
    let filters = input.filters.clone().unwrap_or_default();
    Ok(Targets::Query(
        Box::new(segments::check_filters(&filters)?),
        None,
    ))
}

/// The customers of `targets` that exist in the workspace, in id order, up to one past the
/// limit.
async fn snapshot(
    svc: &Services,
    caller: &Caller,
    targets: &Targets,
) -> Result<Vec<CustomerId>, DomainError> {
    let select = match targets {
        Targets::Ids(ids) => customer::Entity::find()
            .filter(customer::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
            .filter(customer::Column::Id.is_in(ids.iter().map(CustomerId::as_str))),
        Targets::Query(q, _) => customer_list::matching(svc, caller, q).await?,
    };
    Ok(select
        .select_only()
        .column(customer::Column::Id)
        .order_by_asc(customer::Column::Id)
        .limit(u64::try_from(MOST_CUSTOMERS).unwrap_or(u64::MAX) + 1)
        .into_tuple::<CustomerId>()
        .all(&svc.db)
        .await?)
}

fn too_large(n: i64) -> DomainError {
    DomainError::Conflict {
        code: ErrorCode::BulkActionTooLarge,
        message: format!(
            "{} customers match; one bulk action takes at most {MOST_CUSTOMERS}: narrow the filters",
            if n > MOST_CUSTOMERS {
                format!("more than {MOST_CUSTOMERS}")
            } else {
                n.to_string()
            }
        ),
    }
}

/// How many customers the action would touch, without starting it.
pub async fn preview_bulk_action(
    svc: &Services,
    caller: &Caller,
    input: BulkActionCreate,
) -> Result<BulkPreview, DomainError> {
    caller.require(scope_of(input.action))?;
    check_params(svc, caller, &input).await?;
    let targets = targets(svc, caller, &input).await?;
    let customers = match &targets {
        Targets::Ids(_) => snapshot(svc, caller, &targets).await?.len(),
        Targets::Query(q, _) => {
            let cap = u64::try_from(MOST_CUSTOMERS).unwrap_or(u64::MAX);
            usize::try_from(customer_list::count_customers(svc, caller, q, cap).await?)
                .unwrap_or(usize::MAX)
        }
    };
    Ok(BulkPreview {
        customers: i64::try_from(customers).unwrap_or(i64::MAX),
        limit: MOST_CUSTOMERS,
    })
}

/// Starts a bulk action: fixes its customers and queues it for the job.
pub async fn create_bulk_action(
    svc: &Services,
    caller: &Caller,
    input: BulkActionCreate,
) -> Result<BulkAction, DomainError> {
    caller.require(scope_of(input.action))?;
    let params = check_params(svc, caller, &input).await?;
    let targets = targets(svc, caller, &input).await?;
    let ids = snapshot(svc, caller, &targets).await?;
    let total = i64::try_from(ids.len()).unwrap_or(i64::MAX);
    if total > MOST_CUSTOMERS {
        return Err(too_large(total));
    }
    if ids.is_empty() {
        return Err(DomainError::unprocessable(
            match targets {
                Targets::Ids(_) => "customer_ids",
                Targets::Query(_, Some(_)) => "segment_id",
                Targets::Query(_, None) => "filters",
            },
            "matches no customer",
        ));
    }
    let segment_id = match &targets {
        Targets::Query(_, s) => s.clone(),
        Targets::Ids(_) => None,
    };
    let now = svc.clock.now();
    let id = BulkActionId::generate_at(now);
    let txn = svc.write_txn().await?;
    let row = bulk_action::ActiveModel {
        id: Set(id.clone()),
        workspace_id: Set(caller.workspace_id.clone()),
        kind: Set(input.action),
        params: Set(to_json(&params)?),
        segment_id: Set(segment_id.clone()),
        status: Set(BulkActionStatus::Running),
        total: Set(total),
        succeeded: Set(0),
        failed: Set(0),
        cancel_requested: Set(false),
        created_by: Set(match &caller.actor {
            Actor::User { id, .. } => Some(id.clone()),
            _ => None,
        }),
        actor: Set(to_json(&StoredActor::of(&caller.actor))?),
        created_at: Set(now),
        finished_at: Set(None),
        // Free to claim at once.
        lease_until: Set(now),
    }
    .insert(&txn)
    .await?;
    for chunk in ids.chunks(500) {
        item::Entity::insert_many(chunk.iter().map(|c| item::ActiveModel {
            bulk_action_id: Set(id.clone()),
            customer_id: Set(c.clone()),
            status: Set(BulkItemStatus::Pending),
            error_code: Set(None),
            message: Set(None),
            done_at: Set(None),
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    audit::record_workspace(
        &txn,
        svc,
        caller,
        "bulk_action.started",
        json!({"bulk_action_id": id, "action": input.action, "customers": total, "segment_id": segment_id}),
    )
    .await?;
    txn.commit().await?;
    to_bulk_action(row)
}

async fn find_row(
    svc: &Services,
    caller: &Caller,
    id: &BulkActionId,
) -> Result<bulk_action::Model, DomainError> {
    bulk_action::Entity::find_by_id(id.clone())
        .filter(bulk_action::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .one(&svc.db)
        .await?
        .ok_or(DomainError::NotFound {
            what: "bulk action",
        })
}

/// A bulk action and its progress.
pub async fn get_bulk_action(
    svc: &Services,
    caller: &Caller,
    id: &BulkActionId,
) -> Result<BulkAction, DomainError> {
    caller.require(Scope::CustomersRead)?;
    to_bulk_action(find_row(svc, caller, id).await?)
}

/// The workspace's bulk actions, newest first.
pub async fn list_bulk_actions(
    svc: &Services,
    caller: &Caller,
    limit: Limit,
    starting_after: Option<BulkActionId>,
) -> Result<Page<BulkAction>, DomainError> {
    caller.require(Scope::CustomersRead)?;
    let q = bulk_action::Entity::find()
        .filter(bulk_action::Column::WorkspaceId.eq(caller.workspace_id.as_str()));
    let after = starting_after.as_ref().map(BulkActionId::as_str);
    let (rows, has_more) =
        paging::newest_first(&svc.db, q, bulk_action::Column::Id, after, limit).await?;
    Ok(Page::new(
        rows.into_iter()
            .map(to_bulk_action)
            .collect::<Result<_, _>>()?,
        has_more,
    ))
}

/// Asks a running action to stop; the customers it has not reached are skipped.
pub async fn cancel_bulk_action(
    svc: &Services,
    caller: &Caller,
    id: &BulkActionId,
) -> Result<BulkAction, DomainError> {
    let row = find_row(svc, caller, id).await?;
    caller.require(scope_of(row.kind))?;
    let asked = bulk_action::Entity::update_many()
        .col_expr(bulk_action::Column::CancelRequested, Expr::val(true))
        .filter(bulk_action::Column::Id.eq(row.id.as_str()))
        .filter(bulk_action::Column::Status.eq(BulkActionStatus::Running))
        .exec(&svc.db)
        .await?;
    if asked.rows_affected == 0 {
        return Err(DomainError::Conflict {
            code: ErrorCode::BulkActionFinished,
            message: format!("the bulk action has already {}", row.status),
        });
    }
    audit::record_workspace(
        &svc.db,
        svc,
        caller,
        "bulk_action.cancel_requested",
        json!({"bulk_action_id": row.id}),
    )
    .await?;
    to_bulk_action(find_row(svc, caller, id).await?)
}

/// What the action did to each customer, in customer-id order; only one status when given.
pub async fn bulk_action_items(
    svc: &Services,
    caller: &Caller,
    id: &BulkActionId,
    status: Option<BulkItemStatus>,
    limit: Limit,
    starting_after: Option<CustomerId>,
) -> Result<Page<BulkActionItem>, DomainError> {
    caller.require(Scope::CustomersRead)?;
    let row = find_row(svc, caller, id).await?;
    let mut q = item::Entity::find().filter(item::Column::BulkActionId.eq(row.id.as_str()));
    if let Some(s) = status {
        q = q.filter(item::Column::Status.eq(s));
    }
    if let Some(after) = &starting_after {
        q = q.filter(item::Column::CustomerId.gt(after.as_str()));
    }
    let page = limit.get();
    let mut rows = q
        .order_by_asc(item::Column::CustomerId)
        .limit(page + 1)
        .all(&svc.db)
        .await?;
    let has_more = paging::split(&mut rows, limit);
    let labels: HashMap<CustomerId, Option<String>> = customer::Entity::find()
        .filter(customer::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(customer::Column::Id.is_in(rows.iter().map(|r| r.customer_id.as_str())))
        .all(&svc.db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.email.or(c.name)))
        .collect();
    Ok(Page::new(
        rows.into_iter()
            .map(|r| BulkActionItem {
                customer_label: labels.get(&r.customer_id).cloned().flatten(),
                customer_id: r.customer_id,
                status: r.status,
                error_code: r.error_code,
                message: r.message,
                done_at: r.done_at,
            })
            .collect(),
        has_more,
    ))
}

/// What one run of the job did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BulkReport {
    /// Customers changed.
    pub succeeded: usize,
    /// Customers refused.
    pub failed: usize,
    /// Actions finished (done or canceled).
    pub finished: usize,
}

/// The job: claims running actions whose lease ran out (exactly once across processes) and
/// works each through; one failing customer or action never stops the others.
pub async fn run_bulk_actions(svc: &Services) -> Result<BulkReport, DomainError> {
    let now = svc.clock.now();
    let claimed = claim::<bulk_action::Entity>(
        &svc.db,
        Claim {
            table: "bulk_actions",
            set: "lease_until = $",
            set_values: vec![sea_orm::Value::from(now + LEASE)],
            open: "status = $ AND lease_until <= $",
            open_values: vec![
                sea_orm::Value::from(BulkActionStatus::Running),
                sea_orm::Value::from(now),
            ],
            order_by: "lease_until",
            batch: ACTIONS,
        },
    )
    .await?;
    let mut report = BulkReport::default();
    for row in claimed {
        let row = match row {
            Ok(r) => r,
            Err(u) => {
                tracing::error!(bulk_action = %u.id, error = %u.error, "a bulk action cannot be read; retried after its lease");
                continue;
            }
        };
        let id = row.id.clone();
        if let Err(e) = work(svc, row, &mut report).await {
            tracing::warn!(bulk_action = %id, error = %e, "a bulk action stopped; retried after its lease");
        }
    }
    Ok(report)
}

/// Works one claimed action until it is done or canceled.
async fn work(
    svc: &Services,
    mut row: bulk_action::Model,
    report: &mut BulkReport,
) -> Result<(), DomainError> {
    let params: Params = stored_json(&row.params)?;
    let actor: StoredActor = stored_json(&row.actor)?;
    let mut caller = Caller {
        workspace_id: row.workspace_id.clone(),
        actor: actor.actor(),
        ip: None,
        idempotency_key: None,
    };
    let product = match &params.product_id {
        Some(p) => Some(
            product::Entity::find_by_id(p.clone())
                .filter(product::Column::WorkspaceId.eq(row.workspace_id.as_str()))
                .one(&svc.db)
                .await?
                .ok_or(DomainError::NotFound { what: "product" })?,
        ),
        None => None,
    };
    loop {
        if row.cancel_requested {
            return finish(svc, &row, BulkItemStatus::Skipped, None, report).await;
        }
        let pending = item::Entity::find()
            .filter(item::Column::BulkActionId.eq(row.id.as_str()))
            .filter(item::Column::Status.eq(BulkItemStatus::Pending))
            .order_by_asc(item::Column::CustomerId)
            .limit(BATCH)
            .all(&svc.db)
            .await?;
        if pending.is_empty() {
            return finish(svc, &row, BulkItemStatus::Pending, None, report).await;
        }
        // Read before each batch: whoever started it acts only while they still may.
        match standing(svc, &row, &caller.actor).await? {
            Standing::May(current) => caller.actor = current,
            Standing::MayNot(code, why) => {
                tracing::info!(bulk_action = %row.id, %why, "a bulk action's starter may no longer do it");
                return finish(
                    svc,
                    &row,
                    BulkItemStatus::Skipped,
                    Some((code, why)),
                    report,
                )
                .await;
            }
        }
        for it in pending {
            match one(
                svc,
                &caller,
                &row,
                &params,
                product.as_ref(),
                &it.customer_id,
            )
            .await
            {
                Ok(true) => report.succeeded += 1,
                Ok(false) => {}
                Err(e) => {
                    if record_failure(svc, &row, &it.customer_id, e).await? {
                        report.failed += 1;
                    }
                }
            }
        }
        // Keep the lease, and read whether someone asked to stop.
        let now = svc.clock.now();
        bulk_action::Entity::update_many()
            .col_expr(bulk_action::Column::LeaseUntil, Expr::val(now + LEASE))
            .filter(bulk_action::Column::Id.eq(row.id.as_str()))
            .filter(bulk_action::Column::Status.eq(BulkActionStatus::Running))
            .exec(&svc.db)
            .await?;
        row = bulk_action::Entity::find_by_id(row.id.clone())
            .one(&svc.db)
            .await?
            .ok_or(DomainError::NotFound {
                what: "bulk action",
            })?;
        if row.status != BulkActionStatus::Running {
            return Ok(());
        }
    }
}

/// Changes one customer, with its item and the action's counter, in one transaction: `false`
/// if the item was done already (by a process whose lease ran out).
async fn one(
    svc: &Services,
    caller: &Caller,
    action: &bulk_action::Model,
    params: &Params,
    product: Option<&product::Model>,
    customer_id: &CustomerId,
) -> Result<bool, DomainError> {
    let now = svc.clock.now();
    let txn = svc.write_txn().await?;
    // Take the item: of two processes, one changes it and the other finds it done.
    let took = item::Entity::update_many()
        .col_expr(item::Column::Status, Expr::val(BulkItemStatus::Succeeded))
        .col_expr(item::Column::DoneAt, Expr::val(Some(now)))
        .filter(item::Column::BulkActionId.eq(action.id.as_str()))
        .filter(item::Column::CustomerId.eq(customer_id.as_str()))
        .filter(item::Column::Status.eq(BulkItemStatus::Pending))
        .exec(&txn)
        .await?;
    if took.rows_affected == 0 {
        txn.rollback().await?;
        return Ok(false);
    }
    if let Err(e) = change(&txn, svc, caller, action, params, product, customer_id).await {
        txn.rollback().await?;
        return Err(e);
    }
    count_one(&txn, &action.id, bulk_action::Column::Succeeded).await?;
    txn.commit().await?;
    Ok(true)
}

/// One more customer in the action's `column` (succeeded or failed), on `conn`.
async fn count_one<C: ConnectionTrait>(
    conn: &C,
    id: &BulkActionId,
    column: bulk_action::Column,
) -> Result<(), DomainError> {
    bulk_action::Entity::update_many()
        .col_expr(column, Expr::col(column).add(1))
        .filter(bulk_action::Column::Id.eq(id.as_str()))
        .exec(conn)
        .await?;
    Ok(())
}

/// The action's change to one customer, on `conn`.
async fn change<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    caller: &Caller,
    action: &bulk_action::Model,
    params: &Params,
    product: Option<&product::Model>,
    customer_id: &CustomerId,
) -> Result<(), DomainError> {
    let row = customers::row(conn, caller, customer_id).await?;
    erasure::refuse_if_erased(&row)?;
    if action.kind != BulkActionKind::Archive
        && row.archived_at.is_some_and(|at| at > action.created_at)
    {
        return Err(DomainError::Conflict {
            code: ErrorCode::CustomerArchived,
            message: "the customer was archived after this action started".into(),
        });
    }
    let written = match action.kind {
        BulkActionKind::SetMetadata | BulkActionKind::RemoveMetadata => {
            let key = params.metadata_key.clone().unwrap_or_default();
            let mut map: Metadata = stored_json(&row.metadata)?;
            let before = map.clone();
            match &params.metadata_value {
                Some(v) => {
                    map.insert(key, v.clone());
                }
                None => {
                    map.remove(&key);
                }
            }
            if map == before {
                return Ok(());
            }
            validate::metadata(&map)?;
            let text = to_json(&map)?;
            customers::change_in(conn, svc, caller, row, "customer.updated", |m| {
                m.metadata = Set(text);
            })
            .await?
        }
        BulkActionKind::Archive => {
            if row.archived_at.is_some() {
                return Ok(());
            }
            let now = svc.clock.now();
            customers::change_in(conn, svc, caller, row, "customer.archived", |m| {
                m.archived_at = Set(Some(now));
            })
            .await?
        }
        BulkActionKind::GrantProduct => {
            let product = product.ok_or(DomainError::NotFound { what: "product" })?;
            entitlements::grant(
                conn,
                svc,
                caller,
                product,
                customer_id,
                row.external_id.as_deref(),
                GrantSource {
                    expires_at: params.expires_at,
                    ..Default::default()
                },
            )
            .await?;
            return Ok(());
        }
    };
    written.map(|_| ()).ok_or_else(|| DomainError::Conflict {
        code: ErrorCode::VersionConflict,
        message: "the customer changed while the action ran; run it again for them".into(),
    })
}

/// Marks one customer failed with the reason; `false` if their item was settled meanwhile.
async fn record_failure(
    svc: &Services,
    action: &bulk_action::Model,
    customer_id: &CustomerId,
    e: DomainError,
) -> Result<bool, DomainError> {
    let (code, message) = reason(e);
    let txn = svc.write_txn().await?;
    let marked = item::Entity::update_many()
        .col_expr(item::Column::Status, Expr::val(BulkItemStatus::Failed))
        .col_expr(item::Column::ErrorCode, Expr::val(Some(code)))
        .col_expr(item::Column::Message, Expr::val(Some(message)))
        .col_expr(item::Column::DoneAt, Expr::val(Some(svc.clock.now())))
        .filter(item::Column::BulkActionId.eq(action.id.as_str()))
        .filter(item::Column::CustomerId.eq(customer_id.as_str()))
        .filter(item::Column::Status.eq(BulkItemStatus::Pending))
        .exec(&txn)
        .await?;
    if marked.rows_affected == 1 {
        count_one(&txn, &action.id, bulk_action::Column::Failed).await?;
    }
    txn.commit().await?;
    Ok(marked.rows_affected == 1)
}

/// A failure as the report shows it: its code and its words. A database or internal failure
/// is logged, and reported without its detail (as every door reports it).
fn reason(e: DomainError) -> (String, String) {
    if matches!(e, DomainError::Db(_) | DomainError::Internal(_)) {
        tracing::error!(error = %e, "a bulk action's change failed");
    }
    let app = crate::types::AppError::from(e);
    (app.code().to_string(), app.to_string())
}

/// Ends an action with no pending customer left: those still pending become `status`
/// (`Skipped` on a cancel), and the action succeeded, completed with errors, or was canceled.
/// A stop that nobody asked for (`stopped`: its code and words) gives each skipped customer
/// the reason, and is audited.
async fn finish(
    svc: &Services,
    row: &bulk_action::Model,
    status: BulkItemStatus,
    stopped: Option<(ErrorCode, String)>,
    report: &mut BulkReport,
) -> Result<(), DomainError> {
    let now = svc.clock.now();
    let txn = svc.write_txn().await?;
    let canceled = status == BulkItemStatus::Skipped;
    if canceled {
        let mut skip = item::Entity::update_many()
            .col_expr(item::Column::Status, Expr::val(BulkItemStatus::Skipped))
            .filter(item::Column::BulkActionId.eq(row.id.as_str()))
            .filter(item::Column::Status.eq(BulkItemStatus::Pending));
        if let Some((code, why)) = &stopped {
            skip = skip
                .col_expr(item::Column::ErrorCode, Expr::val(Some(code.to_string())))
                .col_expr(item::Column::Message, Expr::val(Some(why.clone())))
                .col_expr(item::Column::DoneAt, Expr::val(Some(now)));
        }
        skip.exec(&txn).await?;
    }
    let current = bulk_action::Entity::find_by_id(row.id.clone())
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound {
            what: "bulk action",
        })?;
    let end = if canceled {
        BulkActionStatus::Canceled
    } else if current.failed > 0 {
        BulkActionStatus::CompletedWithErrors
    } else {
        BulkActionStatus::Succeeded
    };
    let done = bulk_action::Entity::update_many()
        .col_expr(bulk_action::Column::Status, Expr::val(end))
        .col_expr(bulk_action::Column::FinishedAt, Expr::val(Some(now)))
        .filter(bulk_action::Column::Id.eq(row.id.as_str()))
        .filter(bulk_action::Column::Status.eq(BulkActionStatus::Running))
        .exec(&txn)
        .await?;
    if done.rows_affected == 1
        && let Some((code, why)) = &stopped
    {
        audit::record_workspace(
            &txn,
            svc,
            &Caller::system(row.workspace_id.clone()),
            "bulk_action.stopped",
            json!({"bulk_action_id": row.id, "code": code.to_string(), "reason": why}),
        )
        .await?;
    }
    txn.commit().await?;
    if done.rows_affected == 1 {
        report.finished += 1;
        tracing::info!(bulk_action = %row.id, status = %end, succeeded = current.succeeded, failed = current.failed, "bulk action finished");
    }
    Ok(())
}
