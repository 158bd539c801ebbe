//! Reusable UI pieces.

pub mod alert;
pub mod badge;
pub mod card;
pub mod dialog;
pub mod empty_state;
pub mod form;
pub mod hydration;
pub mod icons;
pub mod pager;
pub mod table;
pub mod time;
