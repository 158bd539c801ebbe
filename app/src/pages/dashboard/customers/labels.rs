//! Labels for the filter bar's choices.

use crate::types::customer::{CustomerSort, SubscriptionFilter};

pub(super) fn sort_label(s: CustomerSort) -> &'static str {
    match s {
        CustomerSort::CreatedDesc => "Newest first",
        CustomerSort::CreatedAsc => "Oldest first",
        CustomerSort::LtvDesc => "Lifetime value: high to low",
        CustomerSort::LtvAsc => "Lifetime value: low to high",
        CustomerSort::LastOrderDesc => "Last order: recent first",
        CustomerSort::LastOrderAsc => "Last order: oldest first",
    }
}

pub(super) fn status_label(s: SubscriptionFilter) -> &'static str {
    match s {
        SubscriptionFilter::Active => "Active",
        SubscriptionFilter::PastDue => "Past due",
        SubscriptionFilter::Canceled => "Canceled",
        SubscriptionFilter::Expired => "Expired",
        SubscriptionFilter::None => "Never subscribed",
    }
}
