//! Dates and times for a person: one component, in the reader's own locale and time zone, the
//! zone named in the tooltip (or in the text itself); and the reader's zone passed on to the
//! server, so that a document it writes (a receipt's PDF) gives the time the page shows.

use chrono::{DateTime, FixedOffset, Utc};
use leptos::prelude::*;

/// `2026-11-21 14:05 UTC`: the exact instant, closing every tooltip (and the whole tooltip
/// until the browser names the reader's zone).
pub fn utc_minute(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// What the server renders, knowing neither the reader's locale nor zone: `Nov 21, 2026,
/// 2:05 PM UTC`, or `Nov 21, 2026` for a day.
fn in_utc(t: DateTime<Utc>, date_only: bool) -> String {
    if date_only {
        t.format("%b %-d, %Y").to_string()
    } else {
        minute_in_zone(t, None)
    }
}

/// The most a zone lies from UTC, in minutes either way (UTC+14:00 is the furthest in use).
const OFFSET_MAX: i32 = 14 * 60;

/// The longest zone name a page may pass on, in characters.
const ZONE_NAME_MAX: usize = 12;

/// A reader's time zone at one instant, as their page passes it on to the server
/// (`?offset=-480&zone=PST`): its distance from UTC and its short name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderZone {
    offset: FixedOffset,
    name: String,
}

impl ReaderZone {
    /// The zone a query gives: `offset` in minutes east of UTC, within ±14 hours, and `name`,
    /// its short name (`PST`, `GMT+5:30`): 1 to 12 letters, digits, `+`, `-`, `−` or `:`.
    /// Without a usable offset there is no zone (a name alone says nothing); with one and no
    /// usable name, the zone is named by its offset (`UTC-08:00`).
    pub fn parse(offset: Option<&str>, name: Option<&str>) -> Option<Self> {
        let minutes: i32 = offset?.trim().parse().ok()?;
        if !(-OFFSET_MAX..=OFFSET_MAX).contains(&minutes) {
            return None;
        }
        let offset = FixedOffset::east_opt(minutes * 60)?;
        let name = name
            .filter(|n| {
                (1..=ZONE_NAME_MAX).contains(&n.chars().count())
                    && n.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+-\u{2212}:".contains(c))
            })
            .map_or_else(|| offset_name(minutes), str::to_owned);
        Some(Self { offset, name })
    }
}

/// A zone named by its offset: `UTC`, `UTC+05:30`, `UTC-08:00`.
fn offset_name(minutes: i32) -> String {
    if minutes == 0 {
        return "UTC".to_owned();
    }
    let sign = if minutes < 0 { '-' } else { '+' };
    let m = minutes.unsigned_abs();
    format!("UTC{sign}{:02}:{:02}", m / 60, m % 60)
}

/// An instant to the minute with its zone named, as an en-US reader's browser writes it:
/// `Nov 21, 2026, 6:05 AM PST` in `zone`, `Nov 21, 2026, 2:05 PM UTC` without one. The server
/// writes documents with it (a receipt's PDF), in the zone the reader's page passed on.
pub fn minute_in_zone(t: DateTime<Utc>, zone: Option<&ReaderZone>) -> String {
    match zone {
        Some(z) => format!(
            "{} {}",
            t.with_timezone(&z.offset).format("%b %-d, %Y, %-I:%M %p"),
            z.name
        ),
        None => t.format("%b %-d, %Y, %-I:%M %p UTC").to_string(),
    }
}

/// The query that passes a reader's zone on (`offset=-480&zone=PST`), for [`ReaderZone::parse`]
/// to read back: `offset` in minutes east of UTC, `name` percent-encoded (`GMT%2B5%3A30`).
pub fn zone_query(offset: i32, name: &str) -> String {
    let mut encoded = String::with_capacity(name.len());
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'-' {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("offset={offset}&zone={encoded}")
}

/// The reader's zone at `at`: minutes east of UTC and the zone's short name as their browser
/// writes it (`(-480, "PST")` in Los Angeles in November). The zone of that instant, so a
/// summer time counts when it was in force. `None` on the server, which cannot know it.
pub fn reader_offset(at: DateTime<Utc>) -> Option<(i32, String)> {
    browser::reader_offset(at)
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
    /// The zone's short name in the text itself, "Nov 21, 2026, 9:05 AM PST" (the server's
    /// render says UTC): for a time a document prints too, such as a receipt's.
    #[prop(optional)]
    with_zone: bool,
) -> impl IntoView {
    let text = RwSignal::new(in_utc(at, date_only));
    let title = RwSignal::new(utc_minute(at));
    // Effects run in the browser only, after hydration: the first render matches the server's.
    Effect::new(move |_| {
        if let Some((local, full)) = browser::in_reader_zone(at, date_only, with_zone) {
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
        /// `Nov 21, 2026, 9:05 AM PST`: the minute with the zone's short name.
        static ZONED: DateTimeFormat = formatter(&[
            ("year", "numeric"),
            ("month", "short"),
            ("day", "numeric"),
            ("hour", "numeric"),
            ("minute", "2-digit"),
            ("timeZoneName", "short"),
        ]);
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

    fn date_of(at: DateTime<Utc>) -> Date {
        // Milliseconds since the epoch fit an f64 exactly for any date Patron stores.
        #[allow(clippy::cast_precision_loss)]
        let millis = at.timestamp_millis() as f64;
        Date::new(&JsValue::from_f64(millis))
    }

    /// The text (the day alone with `date_only`, the zone named with `with_zone`) and the
    /// full time with the zone's name.
    pub(super) fn in_reader_zone(
        at: DateTime<Utc>,
        date_only: bool,
        with_zone: bool,
    ) -> Option<(String, String)> {
        let date = date_of(at);
        let text = if date_only {
            DAY.with(|f| format(f, &date))
        } else if with_zone {
            ZONED.with(|f| format(f, &date))
        } else {
            MINUTE.with(|f| format(f, &date))
        }?;
        let full = FULL.with(|f| format(f, &date))?;
        Some((text, full))
    }

    /// Minutes east of UTC at `at`, and the zone's short name as [`ZONED`] writes it.
    pub(super) fn reader_offset(at: DateTime<Utc>) -> Option<(i32, String)> {
        let date = date_of(at);
        // JavaScript counts minutes west of UTC: Los Angeles is 480, Berlin -60.
        let west = date.get_timezone_offset();
        if !west.is_finite() {
            return None;
        }
        // Whole minutes within a day, so the conversion loses nothing.
        #[allow(clippy::cast_possible_truncation)]
        let east = -(west.round() as i32);
        let parts = ZONED.with(|f| f.format_to_parts(&date));
        let name = parts.iter().find_map(|part| {
            let kind = Reflect::get(&part, &JsValue::from_str("type")).ok()?;
            if kind.as_string().as_deref() != Some("timeZoneName") {
                return None;
            }
            Reflect::get(&part, &JsValue::from_str("value"))
                .ok()?
                .as_string()
        })?;
        Some((east, name))
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

    pub(super) fn in_reader_zone(_: DateTime<Utc>, _: bool, _: bool) -> Option<(String, String)> {
        None
    }

    pub(super) fn reader_offset(_: DateTime<Utc>) -> Option<(i32, String)> {
        None
    }

    pub(super) fn end_of_day(day: NaiveDate) -> Option<DateTime<Utc>> {
        day.and_hms_opt(23, 59, 59).map(|t| t.and_utc())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 21, 14, 5, 0).unwrap()
    }

    #[test]
    fn a_minute_reads_in_the_zone_the_page_passed_on() {
        let la = ReaderZone::parse(Some("-480"), Some("PST"));
        assert_eq!(
            minute_in_zone(at(), la.as_ref()),
            "Nov 21, 2026, 6:05 AM PST"
        );
        let delhi = ReaderZone::parse(Some("330"), Some("GMT+5:30"));
        assert_eq!(
            minute_in_zone(at(), delhi.as_ref()),
            "Nov 21, 2026, 7:35 PM GMT+5:30"
        );
        // Across midnight, and 12 o'clock as a clock face has it.
        let tokyo = ReaderZone::parse(Some("540"), Some("GMT+9"));
        assert_eq!(
            minute_in_zone(at() + chrono::Duration::hours(1), tokyo.as_ref()),
            "Nov 22, 2026, 12:05 AM GMT+9"
        );
        assert_eq!(minute_in_zone(at(), None), "Nov 21, 2026, 2:05 PM UTC");
        assert_eq!(in_utc(at(), false), "Nov 21, 2026, 2:05 PM UTC");
        assert_eq!(in_utc(at(), true), "Nov 21, 2026");
    }

    #[test]
    fn only_a_zone_within_fourteen_hours_with_a_short_plain_name_is_taken() {
        for offset in ["9999", "-841", "841", "abc", "", "1.5"] {
            assert_eq!(
                ReaderZone::parse(Some(offset), Some("PST")),
                None,
                "{offset}"
            );
        }
        assert_eq!(ReaderZone::parse(None, Some("PST")), None);
        assert!(ReaderZone::parse(Some("840"), Some("GMT+14")).is_some());
        assert!(ReaderZone::parse(Some("-840"), Some("GMT-14")).is_some());
        assert!(ReaderZone::parse(Some("-480"), Some("GMT\u{2212}8")).is_some());
        // A bad name: the offset stands, named by itself.
        for name in [
            Some(""),
            Some("Pacific Standard Time"),
            Some("<script>"),
            Some("P ST"),
            Some("PSTÄ"),
            None,
        ] {
            let zone = ReaderZone::parse(Some("-480"), name);
            assert_eq!(
                minute_in_zone(at(), zone.as_ref()),
                "Nov 21, 2026, 6:05 AM UTC-08:00",
                "{name:?}"
            );
        }
        assert_eq!(offset_name(0), "UTC");
        assert_eq!(offset_name(330), "UTC+05:30");
    }

    #[test]
    fn a_zone_travels_in_a_query_it_reads_back_from() {
        assert_eq!(zone_query(-480, "PST"), "offset=-480&zone=PST");
        assert_eq!(zone_query(330, "GMT+5:30"), "offset=330&zone=GMT%2B5%3A30");
        assert_eq!(
            zone_query(-480, "GMT\u{2212}8"),
            "offset=-480&zone=GMT%E2%88%928"
        );
        assert_eq!(reader_offset(at()), None, "the server cannot know it");
    }
}
