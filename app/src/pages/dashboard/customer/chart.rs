//! What the customer is worth: the stats under the header (on every tab), and the Overview's
//! chart of net revenue per month for a year.

use chrono::NaiveDate;
use leptos::prelude::*;

use crate::components::card::CARD;
use crate::components::table::{Column, DataTable, TD, TD_NUM, plus};
use crate::types::CustomerStats;
use crate::types::activity::RevenuePoint;
use crate::types::money;

/// The row of stats: lifetime value (with its breakdown per currency in a panel that opens
/// over the page), MRR, payments, active subscriptions, refunds.
#[component]
pub fn Stats(stats: CustomerStats) -> impl IntoView {
    let cur = stats.currency;
    let card = |label: &'static str, value: String, testid: &'static str| {
        view! {
            <div class=format!("{CARD} px-4 py-3")>
                <dt class="text-xs font-medium text-slate-500">{label}</dt>
                <dd class="mt-0.5 text-lg font-semibold tabular-nums text-slate-900" data-testid=testid>
                    {value}
                </dd>
            </div>
        }
    };
    let several = stats.lifetime_value_by_currency.len();
    let rows = stats
        .lifetime_value_by_currency
        .iter()
        .map(|t| {
            let amount = |a: i64| money::format_major(a, t.currency);
            view! {
                <tr>
                    <td class=plus(TD, "font-medium text-slate-900")>{t.currency.as_str()}</td>
                    <td class=plus(TD_NUM, "whitespace-nowrap")>{amount(t.paid)}</td>
                    <td class=plus(TD_NUM, "whitespace-nowrap")>{amount(t.refunded)}</td>
                    <td class=plus(TD_NUM, "whitespace-nowrap")>{amount(t.charged_back)}</td>
                    <td class=plus(TD_NUM, "whitespace-nowrap font-semibold text-slate-900")>{amount(t.net)}</td>
                </tr>
            }
        })
        .collect_view();
    let breakdown = (several > 0).then(|| {
        view! {
            <details class="relative mt-1 text-xs text-slate-600">
                <summary class="cursor-pointer select-none text-indigo-600 hover:text-indigo-500">
                    {format!("Per currency ({several})")}
                </summary>
                <div class="absolute left-0 z-20 mt-1 w-max overflow-hidden rounded-lg border border-slate-200 bg-white shadow-lg max-sm:static max-sm:w-auto max-sm:max-w-full max-sm:overflow-x-auto">
                    <DataTable
                        bare=true
                        caption="Lifetime value per currency"
                        testid="ltv-per-currency"
                        columns=vec![
                            Column::new("Currency"),
                            Column::numeric("Paid"),
                            Column::numeric("Refunded"),
                            Column::numeric("Charged back"),
                            Column::numeric("Net"),
                        ]
                    >
                        {rows}
                    </DataTable>
                </div>
            </details>
        }
    });
    view! {
        <section aria-labelledby="stats-title">
            <h2 id="stats-title" class="sr-only">"Stats"</h2>
            <dl class="grid gap-3 sm:grid-cols-3 lg:grid-cols-5">
                <div class=format!("{CARD} px-4 py-3")>
                    <dt class="text-xs font-medium text-slate-500">"Lifetime value (net)"</dt>
                    // The breakdown belongs to the value: a `<dl>` group holds only `<dt>` and `<dd>`.
                    <dd class="mt-0.5">
                        <span class="text-lg font-semibold tabular-nums text-slate-900" data-testid="stat-ltv">
                            {money::format(stats.lifetime_value, cur)}
                        </span>
                        {breakdown}
                    </dd>
                </div>
                {card("MRR", money::format(stats.mrr, cur), "stat-mrr")}
                {card("Total payments", stats.total_payments.to_string(), "stat-payments")}
                {card("Active subscriptions", stats.active_subscriptions.to_string(), "stat-active-subscriptions")}
                {card(
                    "Refunds",
                    format!("{} · {}", stats.refunds_count, money::format(stats.refunded_amount, cur)),
                    "stat-refunds",
                )}
            </dl>
        </section>
    }
}

const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 120.0;
const LABELS: f64 = 16.0;

fn month_label(month: &str) -> String {
    NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .map(|d| d.format("%b").to_string())
        .unwrap_or_else(|_| month.to_owned())
}

/// Twelve bars, one a month; losses (refunds beyond payments) hang below the line in red.
/// Each bar names its month and amount on hover and to screen readers.
#[component]
pub fn RevenueChart(
    points: Vec<RevenuePoint>,
    currency: crate::types::money::CurrencyCode,
) -> impl IntoView {
    let total: i64 = points.iter().map(|p| p.amount).sum();
    let max_up = points.iter().map(|p| p.amount).max().unwrap_or(0).max(0);
    let max_down = points.iter().map(|p| -p.amount).max().unwrap_or(0).max(0);
    let span = (max_up + max_down).max(1) as f64;
    let plot = HEIGHT - LABELS;
    let baseline = plot * max_up as f64 / span;
    let slot = WIDTH / points.len().max(1) as f64;
    let bars = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let h = plot * (p.amount.unsigned_abs() as f64) / span;
            let (y, fill) = if p.amount >= 0 {
                (baseline - h, "fill-indigo-500")
            } else {
                (baseline, "fill-red-400")
            };
            let x = i as f64 * slot + slot * 0.15;
            let label = format!("{}: {}", p.month, money::format(p.amount, currency));
            view! {
                <g>
                    <title>{label}</title>
                    <rect
                        x=format!("{x:.1}")
                        y=format!("{y:.1}")
                        width=format!("{:.1}", slot * 0.7)
                        height=format!("{:.1}", h.max(if p.amount == 0 { 0.0 } else { 1.0 }))
                        rx="2"
                        class=fill
                    />
                    <text
                        x=format!("{:.1}", i as f64 * slot + slot / 2.0)
                        y=format!("{:.1}", HEIGHT - 3.0)
                        text-anchor="middle"
                        class="fill-slate-500 text-[10px]"
                    >
                        {month_label(&p.month)}
                    </text>
                </g>
            }
        })
        .collect_view();
    let summary = format!(
        "Net revenue per month over the last 12 months, {} in total",
        money::format(total, currency)
    );
    view! {
        <section class=format!("{CARD} p-4") aria-labelledby="revenue-title">
            <div class="flex items-baseline justify-between">
                <h2 id="revenue-title" class="text-sm font-semibold text-slate-900">
                    "Revenue, last 12 months"
                </h2>
                <p class="text-xs text-slate-500">
                    {format!("{} net · payments less refunds and chargebacks", money::format(total, currency))}
                </p>
            </div>
            <svg
                viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                class="mt-3 h-auto w-full"
                role="img"
                aria-label=summary
            >
                <line
                    x1="0"
                    x2=WIDTH.to_string()
                    y1=format!("{baseline:.1}")
                    y2=format!("{baseline:.1}")
                    class="stroke-slate-200"
                />
                {bars}
            </svg>
        </section>
    }
}
