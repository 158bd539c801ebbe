//! The Settings page's System section, an owner's: this server's release and database, how
//! each background job has been doing across every server process, and how long each queue
//! has waited; a warning when a job has been failing for a quarter of an hour.

use leptos::prelude::*;

use crate::components::alert::Alert;
use crate::components::badge::{Badge, BadgeTone};
use crate::components::card::SettingsSection;
use crate::components::table::{Column, DataTable, TD, TD_NUM};
use crate::components::time::LocalTime;
use crate::types::system::{JobStatus, SystemStatus, span};

/// The section, for the owner whose status was read.
#[component]
pub fn SystemSection(status: SystemStatus) -> impl IntoView {
    let failing: Vec<String> = status
        .failing_long()
        .into_iter()
        .map(|j| j.label.clone())
        .collect();
    let warning = (!failing.is_empty()).then(|| {
        let (names, verb) = match failing.as_slice() {
            [one] => (one.clone(), "has"),
            [rest @ .., last] => (format!("{} and {last}", rest.join(", ")), "have"),
            [] => (String::new(), "has"),
        };
        view! {
            <Alert large=true>
                {format!(
                    "{names} {verb} been failing for more than 15 minutes. The server's log says why; until it is fixed, that work waits."
                )}
            </Alert>
        }
    });
    let schema = match (&status.schema_version, status.schema_up_to_date) {
        (Some(v), true) => format!("{v} (up to date)"),
        (Some(v), false) => format!("{v} (behind this release: run server migrate)"),
        (None, _) => "none applied".to_owned(),
    };
    let jobs = status.jobs.into_iter().map(job_row).collect_view();
    let queues = status
        .queues
        .into_iter()
        .map(|q| {
            let waited = q.lag_seconds.map_or_else(|| "Nothing due".to_owned(), span);
            view! {
                <tr>
                    <th scope="row" class=format!("{TD} text-left font-medium text-slate-900")>{q.label}</th>
                    <td class=TD_NUM>{q.waiting.to_string()}</td>
                    <td class=TD>{waited}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <SettingsSection
            id="system"
            title="System"
            description=|| "This server's release and database, and how its background work is going across every server process. Only owners see this section."
        >
            {warning}
            <dl class="grid grid-cols-1 gap-x-6 gap-y-3 text-sm sm:grid-cols-3">
                <div>
                    <dt class="text-slate-600">"Release"</dt>
                    <dd class="font-medium text-slate-900">{format!("Patron {}", status.version)}</dd>
                </div>
                <div>
                    <dt class="text-slate-600">"Database"</dt>
                    <dd class="font-medium text-slate-900">{status.engine}</dd>
                </div>
                <div class="min-w-0">
                    <dt class="text-slate-600">"Schema"</dt>
                    <dd class="break-all font-medium text-slate-900">{schema}</dd>
                </div>
            </dl>
            <DataTable
                columns=vec![Column::new("Job"), Column::new("Last run"), Column::new("Last success"), Column::new("State")]
                caption="Background jobs"
                testid="system-jobs"
            >
                {jobs}
            </DataTable>
            <DataTable
                columns=vec![Column::new("Queue"), Column::numeric("Waiting"), Column::new("Oldest due item has waited")]
                caption="Queues"
                testid="system-queues"
            >
                {queues}
            </DataTable>
        </SettingsSection>
    }
}

/// A job's row: when it last ran and succeeded, and whether it works or since when it fails.
fn job_row(job: JobStatus) -> impl IntoView {
    let when = |at: Option<chrono::DateTime<chrono::Utc>>, never: &'static str| match at {
        Some(at) => view! { <LocalTime at=at /> }.into_any(),
        None => never.into_any(),
    };
    let state = match (job.failing_since, job.last_run_at) {
        (Some(since), _) => view! {
            <span class="inline-flex flex-wrap items-center gap-1">
                <Badge tone=BadgeTone::Bad label="Failing" />
                <span class="text-slate-700">"since " <LocalTime at=since /></span>
            </span>
        }
        .into_any(),
        (None, Some(_)) => view! { <Badge tone=BadgeTone::Good label="Working" /> }.into_any(),
        (None, None) => view! { <Badge tone=BadgeTone::Neutral label="Not run yet" /> }.into_any(),
    };
    view! {
        <tr>
            <th scope="row" class=format!("{TD} text-left font-medium text-slate-900")>{job.label}</th>
            <td class=format!("{TD} whitespace-nowrap")>{when(job.last_run_at, "Never")}</td>
            <td class=format!("{TD} whitespace-nowrap")>{when(job.last_success_at, "Never")}</td>
            <td class=TD>{state}</td>
        </tr>
    }
}
