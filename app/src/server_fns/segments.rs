//! Server functions behind the customer list's segments and bulk actions.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::types::segment::{
    BulkAction, BulkActionCreate, BulkActionItem, BulkPreview, Segment, SegmentCreate,
    SegmentFilters,
};
use crate::types::{AppError, Page};

#[cfg(feature = "ssr")]
fn parse<T: std::str::FromStr>(raw: &str, what: &str) -> Result<T, AppError> {
    raw.parse()
        .map_err(|_| AppError::NotFound { what: what.into() })
}

/// The workspace's segments, each with its live count.
#[server(prefix = "/rpc", endpoint = "dashboard/segments")]
pub async fn load_segments() -> Result<Vec<Segment>, AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        Ok(crate::domain::segments::list_segments(&svc, &caller).await?)
    })
    .await
}

/// Saves the list's current filters as a segment.
#[server(prefix = "/rpc", endpoint = "dashboard/segments/create", input = Json)]
pub async fn save_segment(input: SegmentCreate) -> Result<Segment, AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        Ok(crate::domain::segments::create_segment(&svc, &caller, input).await?)
    })
    .await
}

/// Deletes a segment.
#[server(prefix = "/rpc", endpoint = "dashboard/segments/delete")]
pub async fn delete_segment(id: String) -> Result<(), AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        let id = parse(&id, "segment")?;
        Ok(crate::domain::segments::delete_segment(&svc, &caller, &id).await?)
    })
    .await
}

/// How many customers the filters match, counted up to one bulk action's limit.
#[server(prefix = "/rpc", endpoint = "dashboard/customers/count", input = Json)]
pub async fn count_matching(filters: SegmentFilters) -> Result<i64, AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        let query = crate::domain::segments::check_filters(&filters)?;
        let cap = u64::try_from(crate::domain::bulk_actions::MOST_CUSTOMERS).unwrap_or(0);
        let n = crate::domain::customer_list::count_customers(&svc, &caller, &query, cap).await?;
        Ok(i64::try_from(n).unwrap_or(i64::MAX))
    })
    .await
}

/// How many customers a bulk action would touch.
#[server(prefix = "/rpc", endpoint = "dashboard/bulk_actions/preview", input = Json)]
pub async fn preview_bulk_action(input: BulkActionCreate) -> Result<BulkPreview, AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        Ok(crate::domain::bulk_actions::preview_bulk_action(&svc, &caller, input).await?)
    })
    .await
}

/// Starts a bulk action.
#[server(prefix = "/rpc", endpoint = "dashboard/bulk_actions/create", input = Json)]
pub async fn start_bulk_action(input: BulkActionCreate) -> Result<BulkAction, AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        Ok(crate::domain::bulk_actions::create_bulk_action(&svc, &caller, input).await?)
    })
    .await
}

/// The latest bulk actions, newest first.
#[server(prefix = "/rpc", endpoint = "dashboard/bulk_actions")]
pub async fn recent_bulk_actions() -> Result<Vec<BulkAction>, AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        let limit = crate::domain::Limit::new(Some(5))?;
        Ok(
            crate::domain::bulk_actions::list_bulk_actions(&svc, &caller, limit, None)
                .await?
                .data,
        )
    })
    .await
}

/// One bulk action's progress.
#[server(prefix = "/rpc", endpoint = "dashboard/bulk_actions/get")]
pub async fn load_bulk_action(id: String) -> Result<BulkAction, AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        let id = parse(&id, "bulk action")?;
        Ok(crate::domain::bulk_actions::get_bulk_action(&svc, &caller, &id).await?)
    })
    .await
}

/// Stops a running bulk action.
#[server(prefix = "/rpc", endpoint = "dashboard/bulk_actions/cancel")]
pub async fn cancel_bulk_action(id: String) -> Result<BulkAction, AppError> {
    super::ctx::as_caller(|svc, caller| async move {
        let id = parse(&id, "bulk action")?;
        Ok(crate::domain::bulk_actions::cancel_bulk_action(&svc, &caller, &id).await?)
    })
    .await
}

/// What a bulk action did to its customers: the first 100, those that failed first.
#[server(prefix = "/rpc", endpoint = "dashboard/bulk_actions/report")]
pub async fn bulk_action_report(id: String) -> Result<Page<BulkActionItem>, AppError> {
    use crate::domain::bulk_actions::bulk_action_items;
    use crate::types::segment::BulkItemStatus;
    super::ctx::as_caller(|svc, caller| async move {
        let id = parse(&id, "bulk action")?;
        let limit = crate::domain::Limit::new(Some(100))?;
        let mut page = bulk_action_items(
            &svc,
            &caller,
            &id,
            Some(BulkItemStatus::Failed),
            limit,
            None,
        )
        .await?;
        let room = 100 - page.data.len();
        if room > 0 {
            let rest = crate::domain::Limit::new(Some(u64::try_from(room).unwrap_or(1)))?;
            for status in [
                BulkItemStatus::Succeeded,
                BulkItemStatus::Skipped,
                BulkItemStatus::Pending,
            ] {
                let more = bulk_action_items(&svc, &caller, &id, Some(status), rest, None).await?;
                page.has_more |= more.has_more;
                let left = 100 - page.data.len();
                page.data.extend(more.data.into_iter().take(left));
                if page.data.len() >= 100 {
                    page.has_more = true;
                    break;
                }
            }
        }
        Ok(page)
    })
    .await
}
