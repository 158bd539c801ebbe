//! The Activity tab: everything that happened to this customer, newest first, with who did it
//! and what changed.

use leptos::prelude::*;

use super::{load_error, loading, nothing, use_customer};
use crate::components::card::CARD_LIST;
use crate::components::pager::KeysetPager;
use crate::components::time::LocalTime;
use crate::server_fns::customer::customer_activity;
use crate::types::activity::{ActivityEntry, FieldChange};

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
    let me = use_customer().id.get_untracked();
    let subject = entry.subject(&me);
    let actor = format!("by {}", entry.actor_text());
    let lines: Vec<String> = entry.shown_changes().map(FieldChange::line).collect();
    view! {
        <li class="px-4 py-3">
            <div class="flex flex-wrap items-baseline gap-x-3">
                <span class="font-medium text-slate-900">{entry.action.label()}</span>
                {subject.map(|s| view! { <span class="text-sm text-slate-700">{s}</span> })}
                <span class="text-sm text-slate-600">{actor}</span>
                {entry.ip.clone().map(|ip| view! { <span class="text-xs text-slate-500">{format!("from {ip}")}</span> })}
                <LocalTime at=entry.created_at class="ml-auto text-xs text-slate-500" />
            </div>
            {(!lines.is_empty()).then(|| view! {
                <ul class="mt-1.5 space-y-0.5 text-xs text-slate-700">
                    {lines.into_iter().map(|l| view! { <li class="break-words">{l}</li> }).collect_view()}
                </ul>
            })}
        </li>
    }
}
