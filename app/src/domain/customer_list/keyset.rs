//! The keyset walk: the sort's key, the row-value bounds after a cursor or a row, and the
//! order every page, search and export reads in.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{ConnectionTrait, QueryOrder, QuerySelect, Select};

use crate::db::entities::customer;
use crate::domain::DomainError;
use crate::types::customer::CustomerSort;
use crate::types::{CustomerId, WorkspaceId};

/// The sort's key column (`None`: the id alone, which is creation order) and direction.
pub(super) fn key_of(sort: CustomerSort) -> (Option<customer::Column>, bool) {
    match sort {
        CustomerSort::CreatedDesc => (None, true),
        CustomerSort::CreatedAsc => (None, false),
        CustomerSort::LtvDesc => (Some(customer::Column::LtvAmount), true),
        CustomerSort::LtvAsc => (Some(customer::Column::LtvAmount), false),
        CustomerSort::LastOrderDesc => (Some(customer::Column::LastOrderKey), true),
        CustomerSort::LastOrderAsc => (Some(customer::Column::LastOrderKey), false),
    }
}

/// Rows strictly after the cursor customer `at` of `ws` in the walk's order. Sorted by id, the
/// bound itself is folded into the id range by the caller, and this only asks that `at` is a
/// customer of `ws`; sorted by a key, `at`'s key is a subquery evaluated once, so the keyset
/// seek needs no lookup of its own. Either way a cursor from elsewhere matches no row.
pub(super) fn after_cursor(
    ws: &WorkspaceId,
    key: Option<customer::Column>,
    down: bool,
    at: &CustomerId,
) -> SimpleExpr {
    let of_cursor = |col: SimpleExpr| {
        sea_orm::sea_query::Query::select()
            .expr(col)
            .from(customer::Entity)
            .and_where(Expr::col(customer::Column::WorkspaceId).eq(ws.as_str()))
            .and_where(Expr::col(customer::Column::Id).eq(at.as_str()))
            .to_owned()
    };
    match key {
        None => Expr::exists(of_cursor(Expr::val(1))),
        Some(k) => {
            let v = SimpleExpr::SubQuery(None, Box::new(of_cursor(Expr::col(k)).into()));
            let lhs = Expr::tuple([Expr::col(k), Expr::col(customer::Column::Id)]);
            let rhs = Expr::tuple([v, Expr::val(at.as_str())]);
            if down { lhs.lt(rhs) } else { lhs.gt(rhs) }
        }
    }
}

/// Rows strictly after the one with sort key `v` and id `id` in the walk's order.
pub(super) fn after_key(key: Option<customer::Column>, down: bool, v: i64, id: &str) -> SimpleExpr {
    let col = Expr::col(customer::Column::Id);
    match key {
        None if down => col.lt(id),
        None => col.gt(id),
        Some(k) => {
            let lhs = Expr::tuple([Expr::col(k), col]);
            let rhs = Expr::tuple([Expr::val(v), Expr::val(id)]);
            if down { lhs.lt(rhs) } else { lhs.gt(rhs) }
        }
    }
}

/// An id's lowest possible value at a time: ids are ULIDs whose time part is creation.
pub(super) fn id_at(t: DateTime<Utc>) -> String {
    let ms = u64::try_from(t.timestamp_millis()).unwrap_or(0);
    format!("{}{}", CustomerId::PREFIX, ulid::Ulid::from_parts(ms, 0))
}

/// How a page is read: by the sort `key` (`None`: the id alone), `down` or up, `limit` rows.
#[derive(Debug, Clone, Copy)]
pub(super) struct Walk {
    pub key: Option<customer::Column>,
    pub down: bool,
    pub limit: u64,
}

impl Walk {
    /// The first rows `select` keeps in the walk's order: a page, and one more that tells
    /// whether there is a next page.
    pub async fn rows<C: ConnectionTrait>(
        self,
        db: &C,
        select: Select<customer::Entity>,
    ) -> Result<Vec<customer::Model>, DomainError> {
        Ok(ordered(select, self.key, self.down)
            .limit(self.limit + 1)
            .all(db)
            .await?)
    }
}

/// `select` in the walk's order: the sort key (if any), then the id.
pub(super) fn ordered(
    select: Select<customer::Entity>,
    key: Option<customer::Column>,
    down: bool,
) -> Select<customer::Entity> {
    let order = if down {
        sea_orm::Order::Desc
    } else {
        sea_orm::Order::Asc
    };
    let select = match key {
        Some(k) => select.order_by(k, order.clone()),
        None => select,
    };
    select.order_by(customer::Column::Id, order)
}
