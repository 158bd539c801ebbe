//! Status badges: a coloured pill per status, its colour decided once per status type instead
//! of by matching words. Replaces `dialog::StatusBadge(status: String)`.
//!
//! The tones below reproduce today's word match in `dialog.rs` exactly.

use leptos::prelude::*;

use crate::types::entitlement::{CommandStatus, EntitlementStatus};
use crate::types::order::{DisputeStatus, OrderStatus};
use crate::types::payment_detail::PaymentDetailStatus;
use crate::types::segment::{BulkActionStatus, BulkItemStatus};
use crate::types::subscription::{InvoiceStatus, SubscriptionStatus};
use crate::types::webhook::DeliveryStatus;

/// What a status means for the reader, which decides the badge's colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BadgeTone {
    /// As it should be (green): paid, active, won.
    Good,
    /// Waiting or needing a look (amber): pending, past due, open.
    Attention,
    /// Gone wrong (red): failed, lost, blocked.
    Bad,
    /// Over, or merely informative (grey).
    #[default]
    Neutral,
}

impl BadgeTone {
    /// The pill's colour classes.
    const fn classes(self) -> &'static str {
        match self {
            Self::Good => "bg-emerald-50 text-emerald-700 ring-emerald-600/20",
            Self::Attention => "bg-amber-50 text-amber-800 ring-amber-600/20",
            Self::Bad => "bg-red-50 text-red-700 ring-red-600/20",
            Self::Neutral => "bg-slate-100 text-slate-700 ring-slate-500/20",
        }
    }
}

/// A status shown as a badge: its word and its tone.
pub trait BadgeStatus: Copy + Send + Sync + 'static {
    /// The status's word (`past_due`); the badge shows it with spaces.
    fn word(self) -> &'static str;
    /// Its colour.
    fn tone(self) -> BadgeTone;
}

/// Implements [`BadgeStatus`] for a `string_enum!` type, variant by variant.
macro_rules! badge_tones {
    ($($ty:ident { $($variant:ident => $tone:ident),+ $(,)? })+) => {
        $(
            impl BadgeStatus for $ty {
                fn word(self) -> &'static str {
                    self.as_str()
                }

                fn tone(self) -> BadgeTone {
                    match self {
                        $($ty::$variant => BadgeTone::$tone),+
                    }
                }
            }
        )+
    };
}

badge_tones! {
    OrderStatus {
        Created => Attention, Paid => Good, PartiallyRefunded => Attention, Refunded => Neutral,
        Disputed => Bad, Chargeback => Bad, Failed => Bad,
    }
    DisputeStatus { Open => Attention, Won => Good, Lost => Bad }
    SubscriptionStatus {
        Created => Attention, Active => Good, PastDue => Attention, Canceled => Neutral,
        Expired => Neutral,
    }
    InvoiceStatus { Open => Attention, Paid => Good, Uncollectible => Neutral, Void => Neutral }
    EntitlementStatus { Active => Good, Expired => Neutral, Revoked => Bad }
    CommandStatus { Pending => Attention, Executed => Good, Failed => Bad }
    PaymentDetailStatus { Active => Good, Blocked => Bad }
    DeliveryStatus { Pending => Attention, Succeeded => Neutral, Failed => Bad }
    BulkActionStatus {
        Running => Neutral, Succeeded => Neutral, CompletedWithErrors => Neutral, Canceled => Neutral,
    }
    BulkItemStatus { Pending => Attention, Succeeded => Neutral, Failed => Bad, Skipped => Neutral }
}

/// A coloured pill with a label: for a state that is no status type (an endpoint's
/// "active"/"disabled", a bulk action's "canceling", "cancels on …").
#[component]
pub fn Badge(
    /// The colour.
    tone: BadgeTone,
    /// The text.
    #[prop(into)]
    label: String,
) -> impl IntoView {
    view! {
        <span class=format!(
            "inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset {}",
            tone.classes(),
        )>{label}</span>
    }
}

/// A status as a coloured pill: `<StatusBadge status=order.status />`.
#[component]
pub fn StatusBadge<S>(
    /// The status.
    status: S,
) -> impl IntoView
where
    S: BadgeStatus,
{
    view! { <Badge tone=status.tone() label=status.word().replace('_', " ") /> }
}
