//! The customer page's reads beyond the customer itself: the audit trail of everything that
//! concerns one customer, and their net revenue per month.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Months, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::Value;

use crate::db::entities::{api_key, dispute, event, order, refund, user};
use crate::types::activity::{
    ActivityEntry, ActorKind, CustomerPageData, FieldChange, RevenuePoint, TargetKind,
};
use crate::types::money::{self, CurrencyCode};
use crate::types::order::DisputeStatus;
use crate::types::{CustomerId, EventId, Page, Role, Scope};

use super::actor::{Actor, Caller};
use super::paging::{self, Limit};
use super::{DomainError, Services, customers};

/// A customer's audit trail, newest first, by keyset on the event id; only the changes to
/// objects of `target_type` (such as `payment_detail`) when given.
pub async fn customer_activity(
    svc: &Services,
    caller: &Caller,
    customer_id: &CustomerId,
    target_type: Option<TargetKind>,
    limit: Limit,
    starting_after: Option<EventId>,
) -> Result<Page<ActivityEntry>, DomainError> {
    caller.require(Scope::CustomersRead)?;
    customers::get_customer(svc, caller, customer_id).await?;
    let mut q = event::Entity::find()
        .filter(event::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(event::Column::CustomerId.eq(customer_id.as_str()));
    if let Some(kind) = target_type {
        q = q.filter(event::Column::TargetType.eq(kind));
    }
    let after = starting_after.as_ref().map(EventId::as_str);
    let (rows, has_more) =
        paging::newest_first(&svc.db, q, event::Column::Id, after, limit).await?;

    // Who acted, named once per page: users by email, keys by name.
    let ids_of = |kind: ActorKind| -> Vec<String> {
        let mut ids: Vec<String> = rows
            .iter()
            .filter(|r| r.actor_type == kind)
            .filter_map(|r| r.actor_id.clone())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let mut names: HashMap<String, String> = HashMap::new();
    let user_ids = ids_of(ActorKind::User);
    if !user_ids.is_empty() {
        for u in user::Entity::find()
            .filter(user::Column::Id.is_in(user_ids))
            .all(&svc.db)
            .await?
        {
            names.insert(u.id.to_string(), u.email);
        }
    }
    let key_ids = ids_of(ActorKind::ApiKey);
    if !key_ids.is_empty() {
        for k in api_key::Entity::find()
            .filter(api_key::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
            .filter(api_key::Column::Id.is_in(key_ids))
            .all(&svc.db)
            .await?
        {
            names.insert(k.id.to_string(), format!("API key “{}”", k.name));
        }
    }

    let entries = rows
        .into_iter()
        .map(|r| {
            let actor = match (r.actor_type, &r.actor_id) {
                (ActorKind::System, _) => "System".to_owned(),
                (ActorKind::PortalCustomer, _) => "The customer (portal)".to_owned(),
                (_, Some(id)) => names.get(id).cloned().unwrap_or_else(|| id.clone()),
                (kind, None) => kind.to_string(),
            };
            Ok(ActivityEntry {
                id: r.id.clone(),
                changes: field_changes(&r.changes),
                action: r.action,
                target_type: r.target_type,
                target_id: r.target_id,
                actor_type: r.actor_type,
                actor,
                ip: r.ip,
                created_at: r.created_at,
            })
        })
        .collect::<Result<Vec<_>, DomainError>>()?;
    Ok(Page::new(entries, has_more))
}

/// An event's stored changes as readable pairs: `{field: {before, after}}` becomes a change,
/// any other value a recorded fact.
pub fn field_changes(stored: &str) -> Vec<FieldChange> {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(stored) else {
        return Vec::new();
    };
    // Amounts are minor units of the change's `currency`: shown as money, and the currency
    // itself then needs no line of its own.
    let currency = map
        .get("currency")
        .and_then(Value::as_str)
        .and_then(|c| CurrencyCode::parse(c).ok());
    let shown = |field: &str, v: Value| -> Option<String> {
        match (v, currency) {
            (Value::Null, _) => None,
            (Value::Number(n), Some(c)) if field.ends_with("amount") => {
                n.as_i64().map(|a| money::format(a, c))
            }
            (Value::String(s), _) => Some(match DateTime::parse_from_rfc3339(&s) {
                Ok(t) => t
                    .with_timezone(&Utc)
                    .format("%Y-%m-%d %H:%M UTC")
                    .to_string(),
                Err(_) => s,
            }),
            (other, _) => Some(other.to_string()),
        }
    };
    map.into_iter()
        .filter(|(field, _)| !(field == "currency" && currency.is_some()))
        .filter_map(|(field, value)| match value {
            Value::Object(mut pair)
                if pair.contains_key("before") && pair.contains_key("after") =>
            {
                let before = shown(&field, pair.remove("before").unwrap_or(Value::Null));
                let after = shown(&field, pair.remove("after").unwrap_or(Value::Null));
                // A field that did not change is not a change.
                (before != after).then_some(FieldChange {
                    field,
                    before,
                    after,
                })
            }
            other => {
                let after = shown(&field, other);
                after.is_some().then_some(FieldChange {
                    field,
                    before: None,
                    after,
                })
            }
        })
        .collect()
}

/// Everything the customer page's header and overview show: the customer, their stats, revenue
/// per month, the last order, the active ban, and the caller's role (keys and the system read
/// as viewers: the page is for people).
pub async fn customer_page(
    svc: &Services,
    caller: &Caller,
    id: &CustomerId,
) -> Result<CustomerPageData, DomainError> {
    let customer = customers::get_customer(svc, caller, id).await?;
    let stats = super::stats::get_customer_stats(svc, caller, id).await?;
    let revenue = revenue_by_month(svc, caller, id).await?;
    let ban = super::bans::active_ban_for(svc, caller, id).await?;
    let erasure_request = super::erasure::open_request(svc, caller, id).await?;
    let merge = super::merges::undoable_merge_of(svc, caller, id).await?;
    let last_order = super::orders::list_orders(
        svc,
        caller,
        id,
        Default::default(),
        Limit::new(Some(1))?,
        None,
    )
    .await?
    .data
    .pop();
    let role = match &caller.actor {
        Actor::User { role, .. } => *role,
        _ => Role::Viewer,
    };
    Ok(CustomerPageData {
        customer,
        stats,
        revenue,
        last_order,
        role,
        ban,
        erasure_request,
        merge,
    })
}

/// `YYYY-MM` of a time.
fn month_of(t: DateTime<Utc>) -> String {
    format!("{:04}-{:02}", t.year(), t.month())
}

/// Net revenue from a customer per month over the twelve months up to now, oldest first, in
/// the workspace currency: payments at their paid time, less refunds and lost disputes at
/// theirs. Summed over all time these are the customer's lifetime value.
pub async fn revenue_by_month(
    svc: &Services,
    caller: &Caller,
    customer_id: &CustomerId,
) -> Result<Vec<RevenuePoint>, DomainError> {
    caller.require(Scope::CustomersRead)?;
    let now = svc.clock.now();
    let first = now
        .with_day(1)
        .and_then(|t| t.checked_sub_months(Months::new(11)))
        .unwrap_or(now);
    let start = first
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(first);
    let mut months: BTreeMap<String, i64> = (0..12)
        .filter_map(|i| start.checked_add_months(Months::new(i)))
        .map(|t| (month_of(t), 0))
        .collect();
    let ws = &caller.workspace_id;
    let cus = customer_id.as_str();

    let paid: Vec<(Option<DateTime<Utc>>, i64)> = order::Entity::find()
        .select_only()
        .column(order::Column::PaidAt)
        .column(order::Column::WorkspaceAmount)
        .filter(order::Column::WorkspaceId.eq(ws))
        .filter(order::Column::CustomerId.eq(cus))
        .filter(order::Column::PaidAt.gte(start))
        .into_tuple()
        .all(&svc.db)
        .await?;
    let refunded: Vec<(DateTime<Utc>, i64)> = refund::Entity::find()
        .select_only()
        .column(refund::Column::CreatedAt)
        .column(refund::Column::WorkspaceAmount)
        .filter(refund::Column::WorkspaceId.eq(ws))
        .filter(refund::Column::CustomerId.eq(cus))
        .filter(refund::Column::CreatedAt.gte(start))
        .into_tuple()
        .all(&svc.db)
        .await?;
    let lost: Vec<(Option<DateTime<Utc>>, i64)> = dispute::Entity::find()
        .select_only()
        .column(dispute::Column::ClosedAt)
        .column(dispute::Column::WorkspaceAmount)
        .filter(dispute::Column::WorkspaceId.eq(ws))
        .filter(dispute::Column::CustomerId.eq(cus))
        .filter(dispute::Column::Status.eq(DisputeStatus::Lost))
        .filter(dispute::Column::ClosedAt.gte(start))
        .into_tuple()
        .all(&svc.db)
        .await?;

    let mut add = |t: DateTime<Utc>, amount: i64| {
        if let Some(m) = months.get_mut(&month_of(t)) {
            *m += amount;
        }
    };
    for (t, a) in paid {
        if let Some(t) = t {
            add(t, a);
        }
    }
    for (t, a) in refunded {
        add(t, -a);
    }
    for (t, a) in lost {
        if let Some(t) = t {
            add(t, -a);
        }
    }
    Ok(months
        .into_iter()
        .map(|(month, amount)| RevenuePoint { month, amount })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_changes_read_as_changes_and_facts() {
        let changes = field_changes(
            r#"{"email":{"before":"a@x.io","after":null},"amount":500,"refund_id":"re_1"}"#,
        );
        assert_eq!(
            changes,
            vec![
                FieldChange {
                    field: "amount".into(),
                    before: None,
                    after: Some("500".into())
                },
                FieldChange {
                    field: "email".into(),
                    before: Some("a@x.io".into()),
                    after: None
                },
                FieldChange {
                    field: "refund_id".into(),
                    before: None,
                    after: Some("re_1".into())
                },
            ]
        );
        assert!(field_changes("not json").is_empty());
    }

    #[test]
    fn amounts_read_as_money_times_as_minutes_and_unchanged_fields_are_hidden() {
        let changes = field_changes(
            r#"{"amount":999,"currency":"EUR","refunded_amount":{"before":0,"after":999},
                "order_id":{"before":null,"after":null},"note":null,
                "current_period_end":"2026-12-01T10:30:45.123456789Z"}"#,
        );
        let shown: Vec<(String, Option<String>, Option<String>)> = changes
            .into_iter()
            .map(|c| (c.field, c.before, c.after))
            .collect();
        assert_eq!(
            shown,
            vec![
                ("amount".into(), None, Some("9.99 EUR".into())),
                (
                    "current_period_end".into(),
                    None,
                    Some("2026-12-01 10:30 UTC".into())
                ),
                (
                    "refunded_amount".into(),
                    Some("0.00 EUR".into()),
                    Some("9.99 EUR".into())
                ),
            ]
        );
    }
}
