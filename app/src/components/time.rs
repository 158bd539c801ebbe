//! Times as the reader's own browser writes them.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

/// `2026-11-21 14:05 UTC`: what the server renders, and the tooltip after.
pub fn utc_minute(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// An instant in the reader's locale and time zone ("21 Nov 2026, 15:05" in Berlin,
/// "Nov 21, 2026, 9:05 AM" in New York). The server cannot know either, so the page is
/// rendered in UTC and the browser rewrites it once hydrated; the exact UTC time stays in the
/// tooltip and the `datetime` attribute.
#[component]
pub fn LocalTime(
    /// The instant.
    at: DateTime<Utc>,
    /// Extra classes for the `<time>` element.
    #[prop(optional)]
    class: &'static str,
) -> impl IntoView {
    let utc = utc_minute(at);
    let text = RwSignal::new(utc.clone());
    // Effects run in the browser only, after hydration: the first render matches the server's.
    Effect::new(move |_| {
        if let Some(local) = in_locale(at) {
            text.set(local);
        }
    });
    view! {
        <time class=class datetime=at.to_rfc3339() title=utc>
            {move || text.get()}
        </time>
    }
}

#[cfg(feature = "hydrate")]
fn in_locale(at: DateTime<Utc>) -> Option<String> {
    use leptos::wasm_bindgen::JsValue;
    let options = js_sys::Object::new();
    for (key, value) in [("dateStyle", "medium"), ("timeStyle", "short")] {
        js_sys::Reflect::set(&options, &key.into(), &value.into()).ok()?;
    }
    // No locale named: the browser's own, with its time zone.
    let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &options);
    // Milliseconds since the epoch fit an f64 exactly for any date Patron stores.
    #[allow(clippy::cast_precision_loss)]
    let date = js_sys::Date::new(&JsValue::from_f64(at.timestamp_millis() as f64));
    format
        .format()
        .call1(&JsValue::UNDEFINED, &date)
        .ok()?
        .as_string()
}

#[cfg(not(feature = "hydrate"))]
fn in_locale(_: DateTime<Utc>) -> Option<String> {
    None
}
