//! The line under the filters that says how many customers match: "1–50 of 53,219 customers".
//! The total is asked apart from the rows, once the page is interactive, so the rows never wait
//! for it; past [`CustomerCount::CAP`] it says "more than".

use leptos::prelude::*;

use crate::server_fns::dashboard::CustomerCount;
use crate::types::AppError;

/// `53,219`: a count as people read it.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "53,219 customers", "1 customer", "more than 10,000 customers".
fn customers(total: CustomerCount) -> String {
    match total {
        CustomerCount::Exact(1) => "1 customer".to_owned(),
        CustomerCount::Exact(n) => format!("{} customers", thousands(n)),
        CustomerCount::MoreThan(n) => format!("more than {} customers", thousands(n)),
    }
}

/// What the line says. The first page shows its range ("1–50 of 53,219 customers"); a later
/// page, read after a customer rather than at an offset, does not know where it starts, so it
/// says how many it shows ("Showing 50 of 53,219 customers").
fn summary(first_page: bool, shown: usize, total: CustomerCount) -> String {
    let shown_n = u64::try_from(shown).unwrap_or(u64::MAX);
    // The rows and the count are read apart: a customer added in between must not make the
    // page hold more than the total.
    let total = match total {
        CustomerCount::Exact(n) => CustomerCount::Exact(n.max(shown_n)),
        more => more,
    };
    match (first_page, shown) {
        (true, 1) => format!("1 of {}", customers(total)),
        (true, _) => format!("1–{} of {}", thousands(shown_n), customers(total)),
        (false, _) => format!("Showing {} of {}", thousands(shown_n), customers(total)),
    }
}

/// The count line of a page of `shown` rows. A page that holds every match says so at once;
/// any other waits for `total` (in the browser only), while its rows show.
#[component]
pub(super) fn CountLine(
    /// The rows the page shows.
    shown: usize,
    /// Whether the page starts the list.
    first_page: bool,
    /// Whether the page holds every match (it starts the list, and nothing follows).
    whole: bool,
    /// The total, counted apart from the rows: `None` until it is known.
    #[prop(into)]
    total: Signal<Option<Result<CustomerCount, AppError>>>,
) -> impl IntoView {
    let class = "text-sm text-slate-600 tabular-nums";
    if whole {
        let all = u64::try_from(shown).unwrap_or(u64::MAX);
        let text = summary(true, shown, CustomerCount::Exact(all));
        return view! { <p class=class data-testid="customer-count">{text}</p> }.into_any();
    }
    // A plain signal, filled in the browser once the page is interactive: the server and the
    // hydrating browser both say "Counting…", so the two agree.
    let text = move || match total.get() {
        None => "Counting customers…".to_owned(),
        Some(Ok(t)) => summary(first_page, shown, t),
        Some(Err(_)) => format!(
            "Showing {}; the total could not be counted.",
            thousands(u64::try_from(shown).unwrap_or(u64::MAX))
        ),
    };
    view! {
        <p class=class data-testid="customer-count" aria-live="polite">{text}</p>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_page_reads_as_a_range_and_a_later_one_as_a_tally() {
        assert_eq!(
            summary(true, 50, CustomerCount::Exact(53_219)),
            "1–50 of 53,219 customers"
        );
        assert_eq!(summary(true, 1, CustomerCount::Exact(1)), "1 of 1 customer");
        assert_eq!(
            summary(false, 50, CustomerCount::MoreThan(10_000)),
            "Showing 50 of more than 10,000 customers"
        );
        // Read apart from the rows, the total never says fewer than the page shows.
        assert_eq!(
            summary(true, 20, CustomerCount::Exact(19)),
            "1–20 of 20 customers"
        );
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(999), "999");
    }
}
