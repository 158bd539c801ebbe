//! Copies of the person's values kept outside their own records: audit diffs, stored webhook
//! payloads and the answers endpoints gave, saved segments' filters, bulk actions' parameters
//! and stored idempotent answers. Each is found by a coarse, case-insensitive `LIKE` (or by
//! belonging to the person) and scrubbed in place; nothing here deletes a row.

use std::collections::HashSet;

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::db::entities::{
    bulk_action, event, idempotency_key, segment, webhook_attempt, webhook_delivery,
};
use crate::domain::DomainError;
use crate::types::activity::ActorKind;
use crate::types::{CustomerId, WorkspaceId};

use super::values::{EventPages, Personal};

/// Audit diffs: the customer's own events, and any other event of the workspace that holds a
/// strong value (a ban naming the person's email). The IP of the person's own actions goes.
pub(super) async fn scrub_events<C: ConnectionTrait>(
    conn: &C,
    ws: &WorkspaceId,
    id: &CustomerId,
    personal: &Personal,
) -> Result<(), DomainError> {
    let mut which = Condition::any().add(event::Column::CustomerId.eq(id.as_str()));
    if !personal.strong.is_empty() {
        which = which.add(personal.like_any(event::Column::Changes));
    }
    let mut pages = EventPages::new(ws, which);
    while let Some(rows) = pages.next(conn).await? {
        for e in &rows {
            let own = e.customer_id.as_ref() == Some(id);
            let changes = if personal.found_in(&e.changes) || own {
                personal.scrub_stored(&e.changes)
            } else {
                e.changes.clone()
            };
            let drop_ip = own && e.actor_type == ActorKind::PortalCustomer;
            if changes == e.changes && !drop_ip {
                continue;
            }
            let mut update = event::Entity::update_many()
                .col_expr(event::Column::Changes, Expr::val(changes))
                .filter(event::Column::Id.eq(e.id.as_str()));
            if drop_ip {
                update = update.col_expr(event::Column::Ip, Expr::val(None::<String>));
            }
            update.exec(conn).await?;
        }
    }
    Ok(())
}

/// Stored webhook payloads (built when first sent, with the customer inside) and the answers
/// endpoints gave, which may echo them.
pub(super) async fn scrub_webhooks<C: ConnectionTrait>(
    conn: &C,
    ws: &WorkspaceId,
    id: &CustomerId,
    personal: &Personal,
) -> Result<(), DomainError> {
    if personal.is_empty() {
        return Ok(());
    }
    // The customer's own events' deliveries, and any delivery holding a strong value.
    let own_events: Vec<String> = event::Entity::find()
        .select_only()
        .column(event::Column::Id)
        .filter(event::Column::CustomerId.eq(id.as_str()))
        .into_tuple()
        .all(conn)
        .await?;
    let mut which = Condition::any();
    for chunk in own_events.chunks(500) {
        which = which.add(webhook_delivery::Column::EventId.is_in(chunk.to_vec()));
    }
    if !personal.strong.is_empty() {
        which = which.add(personal.like_any(webhook_delivery::Column::Payload));
    }
    if own_events.is_empty() && personal.strong.is_empty() {
        return Ok(());
    }
    let deliveries = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::WorkspaceId.eq(ws.as_str()))
        .filter(webhook_delivery::Column::Payload.is_not_null())
        .filter(which)
        .all(conn)
        .await?;
    let own: HashSet<&str> = own_events.iter().map(String::as_str).collect();
    let mut delivery_ids = Vec::new();
    let mut own_deliveries = HashSet::new();
    for d in &deliveries {
        delivery_ids.push(d.id.to_string());
        if own.contains(d.event_id.as_str()) {
            own_deliveries.insert(d.id.to_string());
        }
        let Some(payload) = &d.payload else { continue };
        let scrubbed = personal.scrub_stored(payload);
        if &scrubbed != payload {
            webhook_delivery::Entity::update_many()
                .col_expr(webhook_delivery::Column::Payload, Expr::val(Some(scrubbed)))
                .filter(webhook_delivery::Column::Id.eq(d.id.as_str()))
                .exec(conn)
                .await?;
        }
    }
    let mut answers = Condition::any();
    for chunk in delivery_ids.chunks(500) {
        answers = answers.add(webhook_attempt::Column::DeliveryId.is_in(chunk.to_vec()));
    }
    if !personal.strong.is_empty() {
        answers = answers.add(personal.like_any(webhook_attempt::Column::ResponseExcerpt));
    }
    if delivery_ids.is_empty() && personal.strong.is_empty() {
        return Ok(());
    }
    let attempts = webhook_attempt::Entity::find()
        .filter(webhook_attempt::Column::ResponseExcerpt.is_not_null())
        .filter(answers)
        .all(conn)
        .await?;
    for a in attempts {
        let Some(text) = &a.response_excerpt else {
            continue;
        };
        // An answer may echo the payload, cut at 2 KB: scrubbed as text.
        let scrubbed = if own_deliveries.contains(a.delivery_id.as_str()) {
            personal.scrub_own_text(text)
        } else {
            personal.scrub_text(text)
        };
        if &scrubbed != text {
            webhook_attempt::Entity::update_many()
                .col_expr(
                    webhook_attempt::Column::ResponseExcerpt,
                    Expr::val(Some(scrubbed)),
                )
                .filter(webhook_attempt::Column::Id.eq(a.id.as_str()))
                .exec(conn)
                .await?;
        }
    }
    Ok(())
}

/// What the merchant saved with the person's values in it: a segment's filters (a search for
/// their address or name) and a bulk action's parameters (a metadata value naming them). The
/// saved thing stays; the value in it goes. A segment is recounted at its next read.
pub(super) async fn scrub_saved<C: ConnectionTrait>(
    conn: &C,
    ws: &WorkspaceId,
    personal: &Personal,
) -> Result<(), DomainError> {
    // Shared values (a metadata "gold") stay: they describe many customers' segments.
    let personal = &personal.naming();
    if personal.is_empty() {
        return Ok(());
    }
    let segments = segment::Entity::find()
        .filter(segment::Column::WorkspaceId.eq(ws.as_str()))
        .filter(personal.like_any_value(segment::Column::Filters))
        .all(conn)
        .await?;
    for s in segments {
        let Some(filters) = personal.scrubbed(&s.filters) else {
            continue;
        };
        segment::Entity::update_many()
            .col_expr(segment::Column::Filters, Expr::val(filters))
            .col_expr(
                segment::Column::CountedAt,
                Expr::val(None::<chrono::DateTime<chrono::Utc>>),
            )
            .filter(segment::Column::Id.eq(s.id.as_str()))
            .exec(conn)
            .await?;
    }
    let actions = bulk_action::Entity::find()
        .filter(bulk_action::Column::WorkspaceId.eq(ws.as_str()))
        .filter(personal.like_any_value(bulk_action::Column::Params))
        .all(conn)
        .await?;
    for a in actions {
        let Some(params) = personal.scrubbed(&a.params) else {
            continue;
        };
        bulk_action::Entity::update_many()
            .col_expr(bulk_action::Column::Params, Expr::val(params))
            .filter(bulk_action::Column::Id.eq(a.id.as_str()))
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// Stored idempotent answers (and attempts' outcomes) that show the person: scrubbed, not
/// dropped. The key stays bound to its attempt, so a retry still answers what was done
/// (without the values) and never runs the request, or charges, afresh.
pub(super) async fn scrub_idempotent<C: ConnectionTrait>(
    conn: &C,
    ws: &WorkspaceId,
    personal: &Personal,
) -> Result<(), DomainError> {
    if personal.strong.is_empty() {
        return Ok(());
    }
    let keys = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::WorkspaceId.eq(ws.as_str()))
        .filter(
            Condition::any()
                .add(personal.like_any(idempotency_key::Column::ResponseBody))
                .add(personal.like_any(idempotency_key::Column::Outcome)),
        )
        .all(conn)
        .await?;
    for k in keys {
        let body = k
            .response_body
            .as_deref()
            .and_then(|b| personal.scrubbed(b));
        let outcome = k.outcome.as_deref().and_then(|o| personal.scrubbed(o));
        if body.is_none() && outcome.is_none() {
            continue;
        }
        idempotency_key::Entity::update_many()
            .col_expr(
                idempotency_key::Column::ResponseBody,
                Expr::val(body.or(k.response_body.clone())),
            )
            .col_expr(
                idempotency_key::Column::Outcome,
                Expr::val(outcome.or(k.outcome.clone())),
            )
            .filter(idempotency_key::Column::WorkspaceId.eq(k.workspace_id.as_str()))
            .filter(idempotency_key::Column::Principal.eq(k.principal.as_str()))
            .filter(idempotency_key::Column::Key.eq(k.key.as_str()))
            .exec(conn)
            .await?;
    }
    Ok(())
}
