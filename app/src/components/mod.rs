//! Reusable UI pieces.

pub mod empty_state;
pub mod icons;
pub mod layout;
