//! The wasm entry point: hydrates the server-rendered page and nothing else (after loading the
//! lazy routes the page shows: see `app::routes`).

// Leptos views are deeply nested types; the customer page nests deeper than rustc's default
// query depth when it lays them out.
#![recursion_limit = "256"]

/// Called by the generated JS loader once the wasm module is instantiated.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_lazy(app::App);
}
