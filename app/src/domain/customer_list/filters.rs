//! The list's filters as a select: what the list, a segment's count and a bulk action's
//! snapshot start from.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, Select};

use crate::db::entities::{customer, order};
use crate::domain::Services;
use crate::types::customer::SubscriptionFilter;
use crate::types::{CustomerId, WorkspaceId};

use super::CustomerQuery;

/// The customers of `ws` that `query`'s filters keep (not its search, creation range, sort or
/// cursors): where the list, a segment's count and a bulk action's snapshot start.
pub(super) fn filtered(
    svc: &Services,
    ws: &WorkspaceId,
    query: &CustomerQuery,
) -> Select<customer::Entity> {
    let mut select = customer::Entity::find().filter(customer::Column::WorkspaceId.eq(ws));
    select = if query.archived == Some(true) {
        select.filter(customer::Column::ArchivedAt.is_not_null())
    } else {
        select.filter(customer::Column::ArchivedAt.is_null())
    };
    // The same rule as a checkout's: `banned_until` is the latest expiry of the active bans
    // matching the customer, so an expired ban stops counting without any job.
    match query.banned {
        Some(true) => {
            select = select.filter(customer::Column::BannedUntil.gt(svc.clock.now()));
        }
        Some(false) => {
            select = select.filter(
                Condition::any()
                    .add(customer::Column::BannedUntil.is_null())
                    .add(customer::Column::BannedUntil.lte(svc.clock.now())),
            );
        }
        None => {}
    }
    if let Some(email) = &query.email {
        select = select.filter(customer::Column::Email.eq(email.to_lowercase()));
    }
    if let Some(x) = &query.external_id {
        select = select.filter(customer::Column::ExternalId.eq(x.as_str()));
    }
    if let Some(ids) = &query.ids {
        select = select.filter(customer::Column::Id.is_in(ids.iter().map(CustomerId::as_str)));
    }
    if let Some(c) = &query.country {
        select = select.filter(customer::Column::Country.eq(c.as_str()));
    }
    select = match query.subscription_status {
        Some(SubscriptionFilter::None) => {
            select.filter(customer::Column::SubscriptionStatus.is_null())
        }
        Some(s) => select.filter(customer::Column::SubscriptionStatus.eq(s.as_str())),
        None => select,
    };
    if let Some(p) = &query.product_id {
        select = select.filter(Expr::exists(
            sea_orm::sea_query::Query::select()
                .expr(Expr::val(1))
                .from(order::Entity)
                .and_where(Expr::col((order::Entity, order::Column::WorkspaceId)).eq(ws))
                .and_where(Expr::col((order::Entity, order::Column::ProductId)).eq(p.as_str()))
                .and_where(
                    Expr::col((order::Entity, order::Column::CustomerId))
                        .equals((customer::Entity, customer::Column::Id)),
                )
                .and_where(Expr::col((order::Entity, order::Column::PaidAt)).is_not_null())
                .to_owned(),
        ));
    }
    select
}
