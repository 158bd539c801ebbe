//! Webhook endpoints subscribe to event types that exist. Until now a type of the right form
//! was stored as given (`order.paied`), and the endpoint silently never heard of it; now such a
//! subscription is refused. This drops the types no event has ever had from stored lists; an
//! endpoint left with none is disabled with a reason its owner reads, since it heard nothing.
//!
//! The vocabulary below is frozen as it was on 2026-12-07: later event types do not change
//! what this migration did.

use sea_orm_migration::prelude::*;

use super::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The families an endpoint could name with `family.*`.
const FAMILIES: [&str; 7] = [
    "customer",
    "order",
    "refund",
    "dispute",
    "subscription",
    "entitlement",
    "ban",
];

/// Every event type delivered as a webhook on 2026-12-07.
const TYPES: [&str; 37] = [
    "customer.created",
    "customer.updated",
    "customer.archived",
    "customer.unarchived",
    "customer.erased",
    "customer.erasure_requested",
    "customer.merged",
    "customer.merged_in",
    "customer.merge_undone",
    "order.created",
    "order.paid",
    "order.failed",
    "refund.created",
    "refund.failed",
    "dispute.opened",
    "dispute.won",
    "dispute.lost",
    "dispute.closed",
    "subscription.created",
    "subscription.renewed",
    "subscription.past_due",
    "subscription.recovered",
    "subscription.canceled",
    "subscription.cancel_scheduled",
    "subscription.expired",
    "subscription.revoked",
    "subscription.payment_method_updated",
    "entitlement.granted",
    "entitlement.revoked",
    "entitlement.expired",
    "entitlement.command_reported",
    "entitlement.discord_linked",
    "entitlement.download_link_created",
    "entitlement.license_key_revealed",
    "ban.created",
    "ban.updated",
    "ban.lifted",
];

fn known(pattern: &str) -> bool {
    pattern == "*"
        || pattern
            .strip_suffix(".*")
            .is_some_and(|family| FAMILIES.contains(&family))
        || TYPES.contains(&pattern)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let rows = query_all(m, "SELECT id, event_types FROM webhook_endpoints", vec![]).await?;
        for row in rows {
            let id: String = row.try_get("", "id")?;
            let stored: String = row.try_get("", "event_types")?;
            let Ok(types) = serde_json::from_str::<Vec<String>>(&stored) else {
                continue;
            };
            let (kept, dropped): (Vec<String>, Vec<String>) =
                types.into_iter().partition(|t| known(t.trim()));
            if dropped.is_empty() {
                continue;
            }
            let text = serde_json::to_string(&kept)
                .map_err(|e| DbErr::Custom(format!("endpoint {id}: {e}")))?;
            if kept.is_empty() {
                let reason = format!(
                    "None of the event types it asked for exists ({}): choose its events again.",
                    dropped.join(", ")
                );
                execute(
                    m,
                    "UPDATE webhook_endpoints SET event_types = $1, enabled = $2, \
                     disabled_reason = $3 WHERE id = $4",
                    vec![text.into(), false.into(), reason.into(), id.into()],
                )
                .await?;
            } else {
                execute(
                    m,
                    "UPDATE webhook_endpoints SET event_types = $1 WHERE id = $2",
                    vec![text.into(), id.into()],
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, _: &SchemaManager) -> Result<(), DbErr> {
        // The dropped types named no event: there is nothing to put back.
        Ok(())
    }
}
