//! The Activity tab: everything that happened to this customer, newest first, with who did it
//! and what changed.

use leptos::prelude::*;

use super::{load_error, loading, nothing, use_customer};
use crate::components::card::CARD_LIST;
use crate::components::pager::KeysetPager;
use crate::components::time::LocalTime;
use crate::server_fns::customer::customer_activity;
use crate::types::activity::ActivityEntry;

/// `customer.updated` → `Customer updated`.
fn headline(action: &str) -> String {
    let text = action.replace(['.', '_'], " ");
    let mut c = text.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// The customer's audit trail, a page at a time.
#[component]
pub fn ActivityTab() -> impl IntoView {
    let ctx = use_customer();
    let cursors = RwSignal::new(Vec::<String>::new());
    let page = Resource::new(
        move || {
            (
                ctx.id.get(),
                ctx.refresh.get(),
                cursors.get().last().cloned(),
            )
        },
        |(id, _, after)| customer_activity(id, false, after),
    );
    let body = move || {
        Suspend::new(async move {
            match page.await {
                Ok(p) if p.data.is_empty() => nothing("Nothing has happened yet."),
                Ok(p) => {
                    let last = p.data.last().map(|e| e.id.to_string());
                    let has_more = p.has_more;
                    view! {
                        <ol class=CARD_LIST data-testid="activity">
                            {p.data.into_iter().map(|e| view! { <Entry entry=e /> }).collect_view()}
                        </ol>
                        <KeysetPager cursors last has_more />
                    }
                    .into_any()
                }
                Err(e) => load_error(&e),
            }
        })
    };
    view! {
        <section class="space-y-3" aria-label="Activity">
            <Transition fallback=|| loading("activity")>{body}</Transition>
        </section>
    }
}

#[component]
fn Entry(entry: ActivityEntry) -> impl IntoView {
    view! {
        <li class="px-4 py-3">
            <div class="flex flex-wrap items-baseline gap-x-3">
                <span class="font-medium text-slate-900">{headline(entry.action.as_str())}</span>
                <span class="font-mono text-xs text-slate-500">{entry.target_id.clone()}</span>
                <span class="text-sm text-slate-600">{format!("by {}", entry.actor)}</span>
                {entry.ip.clone().map(|ip| view! { <span class="text-xs text-slate-500">{format!("from {ip}")}</span> })}
                <LocalTime at=entry.created_at class="ml-auto text-xs text-slate-500" />
            </div>
            {(!entry.changes.is_empty()).then(|| view! {
                <dl class="mt-1.5 grid gap-x-4 gap-y-0.5 text-xs sm:grid-cols-[max-content_1fr]">
                    {entry.changes.into_iter().map(|c| view! {
                        <dt class="text-slate-500">{c.field.replace('_', " ")}</dt>
                        <dd class="break-all text-slate-800">
                            {match (c.before, c.after) {
                                (None, Some(a)) => view! { <span>{a}</span> }.into_any(),
                                (b, a) => view! {
                                    <del class="text-red-700 decoration-red-300">{b.unwrap_or_else(|| "empty".into())}</del>
                                    " → "
                                    <ins class="text-emerald-700 no-underline">{a.unwrap_or_else(|| "empty".into())}</ins>
                                }
                                .into_any(),
                            }}
                        </dd>
                    }).collect_view()}
                </dl>
            })}
        </li>
    }
}
