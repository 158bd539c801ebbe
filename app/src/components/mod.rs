//! Reusable UI pieces.

pub mod empty_state;
pub mod hydration;
pub mod icons;
pub mod layout;
