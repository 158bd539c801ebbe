//! Reusable UI pieces.

pub mod alert;
pub mod dialog;
pub mod empty_state;
pub mod hydration;
pub mod icons;
pub mod pager;
pub mod time;
