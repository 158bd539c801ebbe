//! Knowing when the page has become interactive.

use leptos::prelude::*;

/// False while server-rendered, true once the browser has hydrated the page. Effects run only
/// in the browser, so this flips exactly when event handlers are attached.
pub fn use_hydrated() -> ReadSignal<bool> {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    hydrated
}
