//! The bulk actions panel: the latest actions with their progress, cancelling one, and each
//! one's report.

use std::time::Duration;

use leptos::prelude::*;

use crate::components::badge::{Badge, BadgeTone, StatusBadge};
use crate::components::card::CARD;
use crate::components::dialog::{BTN, BTN_LINK, Submission};
use crate::server_fns::segments::{CancelBulkAction, bulk_action_report, recent_bulk_actions};
use crate::types::segment::{BulkAction, BulkActionKind, BulkActionStatus};

/// The latest bulk actions: progress while they run (polled, so it survives a reload), then
/// what they did, with a report of the customers that failed.
#[component]
pub fn BulkActivity(started: RwSignal<u32>) -> impl IntoView {
    let tick = RwSignal::new(0u32);
    let actions = Resource::new(
        move || (started.get(), tick.get()),
        |_| recent_bulk_actions(),
    );
    // While one runs, ask again shortly.
    Effect::new(move |_| {
        let running = actions
            .get()
            .and_then(Result::ok)
            .is_some_and(|list| list.iter().any(BulkAction::running));
        if running {
            set_timeout(move || tick.update(|t| *t += 1), Duration::from_millis(600));
        }
    });
    let body = move || {
        Suspend::new(async move {
            let list = actions.await.unwrap_or_default();
            (!list.is_empty()).then(|| {
                view! {
                    <section aria-labelledby="bulk-activity" class=format!("{CARD} p-4")>
                        <h2 id="bulk-activity" class="text-sm font-semibold text-slate-900">"Bulk actions"</h2>
                        <ul class="mt-2 divide-y divide-slate-100">
                            {list.into_iter().map(|a| view! { <BulkLine action=a started /> }).collect_view()}
                        </ul>
                    </section>
                }
            })
        })
    };
    view! { <Transition fallback=|| ()>{body}</Transition> }
}

fn describe(a: &BulkAction) -> String {
    match a.action {
        BulkActionKind::SetMetadata => format!(
            "Set {} = {}",
            a.metadata_key.clone().unwrap_or_default(),
            a.metadata_value.clone().unwrap_or_default()
        ),
        BulkActionKind::RemoveMetadata => {
            format!("Remove {}", a.metadata_key.clone().unwrap_or_default())
        }
        BulkActionKind::GrantProduct => "Grant a product".into(),
        BulkActionKind::Archive => "Archive".into(),
    }
}

#[component]
fn BulkLine(action: BulkAction, started: RwSignal<u32>) -> impl IntoView {
    let id = action.id.to_string();
    let report_open = RwSignal::new(false);
    let cancel = Submission::<CancelBulkAction>::new(move |_| started.update(|n| *n += 1));
    let failures = {
        let id = id.clone();
        Resource::new(
            move || report_open.get().then(|| id.clone()),
            |id| async move {
                match id {
                    Some(id) => Some(bulk_action_report(id).await),
                    None => None,
                }
            },
        )
    };
    let done = action.processed();
    let total = action.total.max(1);
    let percent = done * 100 / total;
    let running = action.running();
    let status = match action.status {
        BulkActionStatus::Running if action.cancel_requested => {
            view! { <Badge tone=BadgeTone::Neutral label="canceling" /> }.into_any()
        }
        s => view! { <StatusBadge status=s /> }.into_any(),
    };
    let cancel_id = id.clone();
    let bar = if running {
        "h-full bg-indigo-600 transition-all"
    } else if action.failed > 0 {
        "h-full bg-amber-500"
    } else {
        "h-full bg-emerald-600"
    };
    view! {
        <li class="space-y-2 py-2 text-sm" data-bulk-action-id=id.clone()>
            <div class="flex flex-wrap items-center gap-x-3 gap-y-1">
                <span class="font-medium text-slate-900">{describe(&action)}</span>
                <span data-testid="bulk-status">{status}</span>
                <span class="tabular-nums text-slate-600" data-testid="bulk-counts">
                    {format!(
                        "{done} of {} · {} succeeded · {} failed",
                        action.total, action.succeeded, action.failed
                    )}
                </span>
                {(running && !action.cancel_requested).then(|| view! {
                    <button
                        type="button"
                        class=BTN
                        disabled=move || cancel.busy().get()
                        on:click=move |_| cancel.submit(CancelBulkAction { id: cancel_id.clone() })
                    >
                        "Cancel"
                    </button>
                })}
                {(action.processed() > 0).then(|| view! {
                    <button
                        type="button"
                        class=BTN_LINK
                        aria-expanded=move || if report_open.get() { "true" } else { "false" }
                        on:click=move |_| report_open.update(|o| *o = !*o)
                    >
                        {move || if report_open.get() { "Hide report" } else { "Report" }}
                    </button>
                })}
            </div>
            <div
                class="h-2 w-full overflow-hidden rounded-full bg-slate-100"
                role="progressbar"
                aria-label=format!("{} progress", describe(&action))
                aria-valuemin="0"
                aria-valuemax=action.total.to_string()
                aria-valuenow=done.to_string()
            >
                <div class=bar style=format!("width: {percent}%")></div>
            </div>
            <crate::components::dialog::ErrorNote error=cancel.error() />
            <Show when=move || report_open.get()>
                <Transition fallback=|| view! { <p class="text-slate-500">"Loading the report…"</p> }>
                    {move || Suspend::new(async move {
                        match failures.await {
                            Some(Ok(page)) => view! {
                                <ul class="max-h-64 space-y-1 overflow-y-auto" aria-label="Report" data-testid="bulk-report">
                                    {page.data.into_iter().map(|f| view! {
                                        <li class="flex flex-wrap items-center gap-x-2" data-testid="bulk-report-line">
                                            <StatusBadge status=f.status />
                                            <a
                                                href=format!("/dashboard/customers/{}", f.customer_id)
                                                class="font-medium text-indigo-600 hover:text-indigo-500"
                                            >
                                                {f.customer_label.clone().unwrap_or_else(|| f.customer_id.to_string())}
                                            </a>
                                            <span class="text-slate-700">{f.message.clone().unwrap_or_default()}</span>
                                        </li>
                                    }).collect_view()}
                                </ul>
                                {page.has_more.then(|| view! {
                                    <p class="text-xs text-slate-500">"The first 100 customers, failures first. The full report is on GET /api/v1/bulk_actions/{id}/items."</p>
                                })}
                            }
                            .into_any(),
                            Some(Err(e)) => view! { <p class="text-red-700">{e.sentence()}</p> }.into_any(),
                            None => ().into_any(),
                        }
                    })}
                </Transition>
            </Show>
        </li>
    }
}
