//! Dates and times for a person: one component, in the reader's own locale and time zone, the
//! zone named in the tooltip.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

/// `2026-11-21 14:05 UTC`: the exact instant, closing every tooltip (and the whole tooltip
/// until the browser names the reader's zone).
pub fn utc_minute(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// What the server renders, knowing neither the reader's locale nor zone: `Nov 21, 2026,
/// 2:05 PM UTC`, or `Nov 21, 2026` for a day.
fn in_utc(t: DateTime<Utc>, date_only: bool) -> String {
    let pattern = if date_only {
        "%b %-d, %Y"
    } else {
        "%b %-d, %Y, %-I:%M %p UTC"
    };
    t.format(pattern).to_string()
}

/// An instant as the reader reads it, in their locale and time zone: "Nov 21, 2026, 9:05 AM"
/// in New York, "21.11.2026, 15:05" in Berlin; with `date_only`, the day alone ("Nov 21, 2026")
/// for a value whose time nobody needs (a creation day, a period's end). The tooltip gives the
/// full local time with the zone's name, then the same instant in UTC: "Nov 21, 2026, 9:05:12
/// AM EST (2026-11-21 14:05 UTC)".
///
/// The server cannot know the reader's zone, so the page is rendered in UTC and the browser
/// rewrites text and tooltip once hydrated (or as soon as the element is created, when it is
/// created in the browser).
#[component]
pub fn LocalTime(
    /// The instant.
    at: DateTime<Utc>,
    /// The day only, without the time.
    #[prop(optional)]
    date_only: bool,
    /// Extra classes for the `<time>` element.
    #[prop(optional)]
    class: &'static str,
) -> impl IntoView {
    let text = RwSignal::new(in_utc(at, date_only));
    let title = RwSignal::new(utc_minute(at));
    // Effects run in the browser only, after hydration: the first render matches the server's.
    Effect::new(move |_| {
        if let Some((local, full)) = browser::in_reader_zone(at, date_only) {
            text.set(local);
            title.set(format!("{full} ({})", utc_minute(at)));
        }
    });
    view! {
        <time class=class datetime=at.to_rfc3339() title=move || title.get()>
            {move || text.get()}
        </time>
    }
}

/// The last second of `day` in the reader's time zone: what a day picked in a date field
/// ("expires on") means to the person who picked it. The server, which cannot know the zone,
/// takes the day's last second in UTC.
pub fn end_of_day(day: chrono::NaiveDate) -> Option<DateTime<Utc>> {
    browser::end_of_day(day)
}

#[cfg(feature = "hydrate")]
mod browser {
    use chrono::{DateTime, Datelike, NaiveDate, Utc};
    use js_sys::Intl::DateTimeFormat;
    use js_sys::{Array, Date, Object, Reflect};
    use leptos::wasm_bindgen::JsValue;

    /// A formatter in the browser's own locale and time zone (no locale named).
    fn formatter(options: &[(&str, &str)]) -> DateTimeFormat {
        let object = Object::new();
        for (key, value) in options {
            // Setting a property of a fresh plain object cannot fail.
            let _ = Reflect::set(&object, &JsValue::from_str(key), &JsValue::from_str(value));
        }
        DateTimeFormat::new(&Array::new(), &object)
    }

    thread_local! {
        /// `Nov 21, 2026, 9:05 AM`.
        static MINUTE: DateTimeFormat =
            formatter(&[("dateStyle", "medium"), ("timeStyle", "short")]);
        /// `Nov 21, 2026`.
        static DAY: DateTimeFormat = formatter(&[("dateStyle", "medium")]);
        /// `Nov 21, 2026, 9:05:12 AM EST`: the zone named.
        static FULL: DateTimeFormat =
            formatter(&[("dateStyle", "medium"), ("timeStyle", "long")]);
    }

    fn format(with: &DateTimeFormat, date: &Date) -> Option<String> {
        with.format()
            .call1(&JsValue::UNDEFINED, date)
            .ok()?
            .as_string()
    }

    /// The text (the day alone with `date_only`) and the full time with the zone's name.
    pub(super) fn in_reader_zone(at: DateTime<Utc>, date_only: bool) -> Option<(String, String)> {
        // Milliseconds since the epoch fit an f64 exactly for any date Patron stores.
        #[allow(clippy::cast_precision_loss)]
        let date = Date::new(&JsValue::from_f64(at.timestamp_millis() as f64));
        let text = if date_only {
            DAY.with(|f| format(f, &date))
        } else {
            MINUTE.with(|f| format(f, &date))
        }?;
        let full = FULL.with(|f| format(f, &date))?;
        Some((text, full))
    }

    pub(super) fn end_of_day(day: NaiveDate) -> Option<DateTime<Utc>> {
        let year = u32::try_from(day.year()).ok()?;
        let month = i32::try_from(day.month0()).ok()?;
        let mday = i32::try_from(day.day()).ok()?;
        // The Date constructor with parts reads them in the browser's own time zone.
        let date = Date::new_with_year_month_day_hr_min_sec(year, month, mday, 23, 59, 59);
        let millis = date.get_time();
        if !millis.is_finite() {
            return None;
        }
        // A finite time value is a whole number of milliseconds within ±8.64e15.
        #[allow(clippy::cast_possible_truncation)]
        let millis = millis as i64;
        DateTime::from_timestamp_millis(millis)
    }
}

#[cfg(not(feature = "hydrate"))]
mod browser {
    use chrono::{DateTime, NaiveDate, Utc};

    pub(super) fn in_reader_zone(_: DateTime<Utc>, _: bool) -> Option<(String, String)> {
        None
    }

    pub(super) fn end_of_day(day: NaiveDate) -> Option<DateTime<Utc>> {
        day.and_hms_opt(23, 59, 59).map(|t| t.and_utc())
    }
}
