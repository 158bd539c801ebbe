//! The customer list's segments (saved filters, with live counts) and bulk actions (a change
//! over the selected customers, or all those matching, run as a job whose progress survives a
//! reload).

mod bulk_activity;
mod bulk_bar;
mod bulk_dialog;
mod counts;
mod links;
mod segment_bar;

pub use bulk_activity::BulkActivity;
pub use bulk_bar::BulkBar;
pub use bulk_dialog::Selection;
pub use links::segment_href;
pub use segment_bar::SegmentBar;
