//! Payment details: remembered at each checkout, blocked and unblocked one by one or all at
//! once, with the log of who did what (read from the audit trail).

use crate::types::EventType;
use crate::types::WorkspaceId;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;

use crate::db::entities::{event, payment_detail as pd};
use crate::types::ErrorCode;
use crate::types::activity::TargetKind;
use crate::types::payment_detail::{PaymentDetailKind, PaymentDetailLogEntry, PaymentDetailStatus};
use crate::types::{CustomerId, PaymentDetail, PaymentDetailId, PaymentMethod, Scope};

use super::actor::Caller;
use super::audit::{self, Change};
use super::{DomainError, Services, customers};

/// One identity a payment used: what kind, its value, and how to show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Detail {
    pub kind: PaymentDetailKind,
    pub value: String,
    pub label: String,
}

/// The details a payment uses: the card or account, the payer's email, the IP.
pub(crate) fn of_payment(
    method: Option<&PaymentMethod>,
    email: Option<&str>,
    ip: Option<&str>,
) -> Vec<Detail> {
    let mut out = Vec::new();
    if let Some(m) = method
        && let Some(fp) = &m.fingerprint
    {
        let kind = match m.kind {
            crate::types::order::PaymentMethodType::Card => PaymentDetailKind::Card,
            _ => PaymentDetailKind::Account,
        };
        out.push(Detail {
            kind,
            value: fp.clone(),
            label: m.label(),
        });
    }
    if let Some(e) = email {
        // The mailbox, as bans compare: `Ann.Lee+shop@gmail.com` is `annlee@gmail.com`.
        out.push(Detail {
            kind: PaymentDetailKind::Email,
            value: crate::types::contact::canonical_email(e),
            label: e.to_owned(),
        });
    }
    if let Some(ip) = ip {
        out.push(Detail {
            kind: PaymentDetailKind::Ip,
            value: ip.to_owned(),
            label: ip.to_owned(),
        });
    }
    out
}

/// The first of `details` that is blocked anywhere in the workspace, as a refusal.
pub(crate) async fn refuse_blocked<C: ConnectionTrait>(
    conn: &C,
    workspace_id: &WorkspaceId,
    details: &[Detail],
) -> Result<(), DomainError> {
    if details.is_empty() {
        return Ok(());
    }
    // An erased person's email and IP details are on file as keyed hashes (see erasure).
    let key = super::workspaces::signing_key(conn, workspace_id).await?;
    let mut any = Condition::any();
    for d in details {
        any = any.add(
            Condition::all()
                .add(pd::Column::Kind.eq(d.kind))
                .add(pd::Column::Value.eq(d.value.as_str())),
        );
        if matches!(d.kind, PaymentDetailKind::Email | PaymentDetailKind::Ip) {
            // An email erased before details were kept as mailboxes was hashed as typed.
            let mut forms = vec![d.value.trim().to_owned()];
            if d.kind == PaymentDetailKind::Email {
                forms.push(d.label.trim().to_lowercase());
                forms.dedup();
            }
            for form in forms {
                any = any.add(Condition::all().add(pd::Column::Kind.eq(d.kind)).add(
                    pd::Column::Value.eq(super::secrets::keyed_hash(&key, d.kind.as_str(), &form)),
                ));
            }
        }
    }
    let blocked = pd::Entity::find()
        .filter(pd::Column::WorkspaceId.eq(workspace_id))
        .filter(pd::Column::Status.eq(PaymentDetailStatus::Blocked))
        .filter(any)
        .one(conn)
        .await?;
    match blocked {
        Some(row) => Err(DomainError::PaymentRefused {
            code: ErrorCode::PaymentDetailBlocked,
            message: format!(
                "the {} {} is blocked in this store",
                row.kind.as_str().replace('_', " "),
                row.label
            ),
        }),
        None => Ok(()),
    }
}

/// Records that `customer_id` used `details` at `now` (insert, or move `last_seen_at`).
pub(crate) async fn remember<C: ConnectionTrait>(
    conn: &C,
    workspace_id: &WorkspaceId,
    customer_id: &CustomerId,
    details: &[Detail],
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    for d in details {
        pd::Entity::insert(pd::ActiveModel {
            id: Set(PaymentDetailId::generate_at(now)),
            workspace_id: Set(workspace_id.into()),
            customer_id: Set(customer_id.into()),
            kind: Set(d.kind),
            value: Set(d.value.clone()),
            label: Set(d.label.clone()),
            status: Set(PaymentDetailStatus::Active),
            first_seen_at: Set(now),
            last_seen_at: Set(now),
            blocked_at: Set(None),
        })
        .on_conflict(
            OnConflict::columns([
                pd::Column::WorkspaceId,
                pd::Column::CustomerId,
                pd::Column::Kind,
                pd::Column::Value,
            ])
            .update_column(pd::Column::LastSeenAt)
            .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    }
    Ok(())
}

fn to_detail(row: pd::Model) -> Result<PaymentDetail, DomainError> {
    Ok(PaymentDetail {
        id: row.id.clone(),
        object: "payment_detail".into(),
        customer_id: row.customer_id.clone(),
        kind: row.kind,
        value: row.value,
        label: row.label,
        status: row.status,
        first_seen_at: row.first_seen_at,
        last_seen_at: row.last_seen_at,
        blocked_at: row.blocked_at,
    })
}

async fn rows_of<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    customer_id: &CustomerId,
) -> Result<Vec<pd::Model>, DomainError> {
    Ok(pd::Entity::find()
        .filter(pd::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(pd::Column::CustomerId.eq(customer_id))
        .order_by_asc(pd::Column::Kind)
        .order_by_asc(pd::Column::FirstSeenAt)
        .all(conn)
        .await?)
}

/// A customer's payment details: cards and accounts, then emails, then IPs.
pub async fn list_payment_details(
    svc: &Services,
    caller: &Caller,
    customer_id: &CustomerId,
) -> Result<Vec<PaymentDetail>, DomainError> {
    caller.require(Scope::CustomersRead)?;
    customers::get_customer(svc, caller, customer_id).await?;
    rows_of(&svc.db, caller, customer_id)
        .await?
        .into_iter()
        .map(to_detail)
        .collect()
}

/// Sets `rows` to `status` that are not already, recording one event each; returns how many
/// changed.
pub(crate) async fn set_status<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    caller: &Caller,
    rows: &[pd::Model],
    status: PaymentDetailStatus,
) -> Result<usize, DomainError> {
    let now = svc.clock.now();
    let mut changed = 0;
    for row in rows.iter().filter(|r| r.status != status) {
        let blocked_at = (status == PaymentDetailStatus::Blocked).then_some(now);
        let moved = pd::Entity::update_many()
            .col_expr(pd::Column::Status, Expr::val(status))
            .col_expr(pd::Column::BlockedAt, Expr::val(blocked_at))
            .filter(pd::Column::Id.eq(row.id.as_str()))
            .filter(pd::Column::Status.eq(row.status))
            .exec(conn)
            .await?;
        if moved.rows_affected == 0 {
            // Changed by a concurrent request, which recorded its own event.
            continue;
        }
        let action = match status {
            PaymentDetailStatus::Blocked => EventType::PaymentDetailBlocked,
            PaymentDetailStatus::Active => EventType::PaymentDetailUnblocked,
        };
        audit::record(
            conn,
            svc,
            caller,
            Change::new(
                action,
                row.id.as_str(),
                Some(&row.customer_id),
                json!({
                    "customer_id": row.customer_id,
                    "kind": row.kind,
                    "label": row.label,
                    "status": {"before": row.status, "after": status.as_str()},
                }),
            ),
        )
        .await?;
        changed += 1;
    }
    Ok(changed)
}

/// Blocks or unblocks every detail of a customer, inside `conn` (a refund's transaction, say).
pub(crate) async fn set_all<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    caller: &Caller,
    customer_id: &CustomerId,
    status: PaymentDetailStatus,
) -> Result<(), DomainError> {
    let rows = rows_of(conn, caller, customer_id).await?;
    set_status(conn, svc, caller, &rows, status).await?;
    Ok(())
}

async fn change_one(
    svc: &Services,
    caller: &Caller,
    id: &PaymentDetailId,
    status: PaymentDetailStatus,
) -> Result<PaymentDetail, DomainError> {
    caller.require(Scope::PaymentDetailsWrite)?;
    let txn = svc.write_txn().await?;
    let row = crate::domain::find::in_workspace::<pd::Entity, _, _, _>(
        &txn,
        caller.workspace_id.as_str(),
        id.clone(),
    )
    .await?;
    set_status(&txn, svc, caller, std::slice::from_ref(&row), status).await?;
    let row = pd::Entity::find_by_id(id.clone())
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound {
            what: "payment detail",
        })?;
    txn.commit().await?;
    to_detail(row)
}

/// Blocks one detail: no customer of the workspace can pay with it. Blocking twice is a no-op.
pub async fn block_payment_detail(
    svc: &Services,
    caller: &Caller,
    id: &PaymentDetailId,
) -> Result<PaymentDetail, DomainError> {
    change_one(svc, caller, id, PaymentDetailStatus::Blocked).await
}

/// Unblocks one detail.
pub async fn unblock_payment_detail(
    svc: &Services,
    caller: &Caller,
    id: &PaymentDetailId,
) -> Result<PaymentDetail, DomainError> {
    change_one(svc, caller, id, PaymentDetailStatus::Active).await
}

async fn change_all(
    svc: &Services,
    caller: &Caller,
    customer_id: &CustomerId,
    status: PaymentDetailStatus,
) -> Result<Vec<PaymentDetail>, DomainError> {
    caller.require(Scope::PaymentDetailsWrite)?;
    customers::get_customer(svc, caller, customer_id).await?;
    let txn = svc.write_txn().await?;
    set_all(&txn, svc, caller, customer_id, status).await?;
    let rows = rows_of(&txn, caller, customer_id).await?;
    txn.commit().await?;
    rows.into_iter().map(to_detail).collect()
}

/// Blocks every detail of a customer.
pub async fn block_all_payment_details(
    svc: &Services,
    caller: &Caller,
    customer_id: &CustomerId,
) -> Result<Vec<PaymentDetail>, DomainError> {
    change_all(svc, caller, customer_id, PaymentDetailStatus::Blocked).await
}

/// Unblocks every detail of a customer.
pub async fn unblock_all_payment_details(
    svc: &Services,
    caller: &Caller,
    customer_id: &CustomerId,
) -> Result<Vec<PaymentDetail>, DomainError> {
    change_all(svc, caller, customer_id, PaymentDetailStatus::Active).await
}

/// Who blocked or unblocked a detail, and when, newest first.
pub async fn payment_detail_log(
    svc: &Services,
    caller: &Caller,
    id: &PaymentDetailId,
) -> Result<Vec<PaymentDetailLogEntry>, DomainError> {
    caller.require(Scope::CustomersRead)?;
    let ws = &caller.workspace_id;
    crate::domain::find::in_workspace::<pd::Entity, _, _, _>(&svc.db, ws, id.clone()).await?;
    Ok(event::Entity::find()
        .filter(event::Column::WorkspaceId.eq(ws))
        .filter(event::Column::TargetType.eq(TargetKind::PaymentDetail))
        .filter(event::Column::TargetId.eq(id.as_str()))
        .order_by_desc(event::Column::Id)
        .all(&svc.db)
        .await?
        .into_iter()
        .map(|e| PaymentDetailLogEntry {
            id: e.id,
            action: e.action,
            actor_type: e.actor_type,
            actor_id: e.actor_id,
            ip: e.ip,
            created_at: e.created_at,
        })
        .collect())
}
