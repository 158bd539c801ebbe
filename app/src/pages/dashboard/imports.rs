//! `/dashboard/imports`: import customers from a CSV file. Choosing a file shows what the
//! import will read (the delimiter, each column's field, the first rows) before anything is
//! sent; the file then streams to the server, which reports every row. A dry run checks and
//! counts without changing anyone. The workspace's recent imports stay listed with their reports.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::alert::Alert;
use crate::components::card::CARD;
use crate::components::dialog::{BTN, BTN_PRIMARY};
use crate::components::empty_state::Loading;
use crate::components::form::{Checkbox, Field, RadioGroup};
use crate::components::table::{
    Column, DataTable, SCROLL, TABLE, TBODY, TD, TD_NUM, TH, THEAD, plus,
};
use crate::components::time::LocalTime;
#[cfg(feature = "hydrate")]
use crate::server_fns::imports::preview_customer_import;
use crate::server_fns::imports::{PROBLEMS_SHOWN, load_customer_imports, load_import_problems};
use crate::types::AppError;
use crate::types::import::{CustomerImport, ImportMode, ImportPreview, ImportStatus};

/// How much of the file the preview reads.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const PREVIEW_BYTES: f64 = 64.0 * 1024.0;

/// The chosen file: a browser object, kept out of signals (which must be `Send`).
#[cfg(feature = "hydrate")]
mod chosen {
    use std::cell::RefCell;

    thread_local! {
        static FILE: RefCell<Option<leptos::web_sys::File>> = const { RefCell::new(None) };
    }

    pub fn set(file: Option<leptos::web_sys::File>) {
        FILE.with(|f| *f.borrow_mut() = file);
    }

    pub fn get() -> Option<leptos::web_sys::File> {
        FILE.with(|f| f.borrow().clone())
    }
}

/// "1.2 MB" for a byte count.
fn size_label(bytes: f64) -> String {
    if bytes >= 1e6 {
        format!("{:.1} MB", bytes / 1e6)
    } else if bytes >= 1e3 {
        format!("{:.0} KB", bytes / 1e3)
    } else {
        format!("{bytes:.0} bytes")
    }
}

/// The preview of the file's first 64 KB, asked of the server (which parses as the import will).
#[cfg(feature = "hydrate")]
async fn read_preview(file: leptos::web_sys::File) -> Result<ImportPreview, AppError> {
    use leptos::wasm_bindgen::JsCast;
    let unreadable = || AppError::Invalid {
        field: "file".into(),
        message: "cannot be read by the browser".into(),
    };
    let head = file
        .slice_with_f64_and_f64(0.0, PREVIEW_BYTES)
        .map_err(|_| unreadable())?;
    let text = wasm_bindgen_futures::JsFuture::from(head.text())
        .await
        .map_err(|_| unreadable())?;
    let text = text
        .dyn_into::<js_sys::JsString>()
        .map_err(|_| unreadable())?;
    preview_customer_import(String::from(text)).await
}

/// Sends the file to the server as it is read: the finished import, or the error's message.
#[cfg(feature = "hydrate")]
async fn upload(
    file: leptos::web_sys::File,
    mode: ImportMode,
    dry_run: bool,
) -> Result<CustomerImport, String> {
    let url = format!("/dashboard/customer_imports?mode={mode}&dry_run={dry_run}");
    let req = gloo_net::http::Request::post(&url)
        .header("content-type", "text/csv")
        .body(file)
        .map_err(|e| e.to_string())?;
    let res = req.send().await.map_err(|_| {
        "The connection was lost: the rows sent so far are in the list below.".to_owned()
    })?;
    if res.ok() {
        return res
            .json::<CustomerImport>()
            .await
            .map_err(|e| e.to_string());
    }
    let body: serde_json::Value = res.json().await.unwrap_or_default();
    let message = body["error"]["message"]
        .as_str()
        .unwrap_or("The import failed.")
        .to_owned();
    Err(message)
}

/// What a file's header maps to, and its first rows.
#[component]
fn PreviewTable(preview: ImportPreview) -> impl IntoView {
    let delimiter = if preview.delimiter == ";" {
        "semicolons"
    } else {
        "commas"
    };
    let ignored = preview.columns.iter().filter(|c| c.field.is_none()).count();
    view! {
        <div class="space-y-2" data-testid="import-preview">
            <p class="text-sm text-slate-600">
                {format!(
                    "Columns separated by {delimiter}; {} of {} columns will be imported.",
                    preview.columns.len() - ignored,
                    preview.columns.len(),
                )}
            </p>
            // The file's own column names over where each goes: two lines a head, the first as
            // the file spells it.
            <div class=SCROLL>
                <table class=TABLE>
                    <thead class=THEAD>
                        <tr>
                            {preview.columns.iter().map(|c| view! {
                                <th scope="col" class=plus(TH, "whitespace-nowrap")>
                                    <span class="block normal-case tracking-normal text-slate-900">{c.header.clone()}</span>
                                    <span class="block font-normal normal-case tracking-normal">
                                        {match (&c.field, &c.note) {
                                            (Some(f), _) => format!("→ {f}"),
                                            (None, Some(n)) => n.clone(),
                                            (None, None) => "not imported".to_owned(),
                                        }}
                                    </span>
                                </th>
                            }).collect_view()}
                        </tr>
                    </thead>
                    <tbody class=TBODY>
                        {preview.rows.into_iter().map(|row| view! {
                            <tr>
                                {row.into_iter().map(|cell| view! {
                                    <td class=plus(TD, "max-w-[16rem] truncate whitespace-nowrap text-slate-700")>{cell}</td>
                                }).collect_view()}
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </div>
    }
}

/// A link that downloads an import's report, every row with its outcome, as CSV.
#[component]
fn ReportLink(
    /// The import's id.
    id: String,
    /// The link's classes (a button's, or a table link's).
    class: &'static str,
    /// The link's text.
    children: Children,
) -> impl IntoView {
    view! {
        <a
            class=class
            href=format!("/dashboard/customer_imports/{id}/report.csv")
            download=format!("{id}-report.csv")
            rel="external"
        >
            {children()}
        </a>
    }
}

/// A finished import: its counts, its first rejected rows and the full report's download.
#[component]
fn ImportResult(import: CustomerImport) -> impl IntoView {
    let id = import.id.to_string();
    let problems = Resource::new(|| (), {
        let id = id.clone();
        move |_| load_import_problems(id.clone())
    });
    let rejected = import.rejected;
    let tile = |label: &'static str, value: i64| {
        view! {
            <div class="rounded-lg border border-slate-200 bg-white px-4 py-3">
                <dt class="text-xs font-medium text-slate-500">{label}</dt>
                <dd class="mt-1 text-xl font-semibold tabular-nums text-slate-900">{value}</dd>
            </div>
        }
    };
    let heading = match (import.status, import.dry_run) {
        (ImportStatus::Failed, _) => "The import stopped".to_owned(),
        (_, true) => format!("Dry run of {} rows: nothing was changed", import.rows),
        (_, false) => format!("Imported {} rows", import.rows),
    };
    view! {
        <section class=format!("space-y-3 {CARD} p-4") data-testid="import-result" aria-live="polite">
            <h2 class="text-base font-semibold">{heading}</h2>
            {import.error.clone().map(|e| view! { <Alert>{e}</Alert> })}
            <dl class="grid grid-cols-2 gap-3 sm:grid-cols-4">
                {tile(if import.dry_run { "Would create" } else { "Created" }, import.created)}
                {tile(if import.dry_run { "Would update" } else { "Updated" }, import.updated)}
                {tile("Unchanged", import.unchanged)}
                {tile("Rejected", import.rejected)}
            </dl>
            <Show when=move || { rejected > 0 }>
                <Suspense fallback=|| view! { <Loading what="the rejected rows" /> }>
                    {move || Suspend::new(async move {
                        match problems.await {
                            Ok(rows) => view! {
                                <DataTable
                                    columns=vec![Column::new("Line"), Column::new("Column"), Column::new("Reason")]
                                    caption_shown=true
                                    caption={
                                        if u64::try_from(rejected).unwrap_or(0) > PROBLEMS_SHOWN {
                                            format!("The first {PROBLEMS_SHOWN} of {rejected} rejected rows")
                                        } else {
                                            "Rejected rows".to_owned()
                                        }
                                    }
                                    testid="import-problems"
                                >
                                    {rows.into_iter().map(|r| view! {
                                        <tr>
                                            <td class=plus(TD, "tabular-nums")>{r.line}</td>
                                            <td class=plus(TD, "font-mono text-xs")>{r.field.unwrap_or_else(|| "(whole row)".into())}</td>
                                            <td class=plus(TD, "text-slate-700")>{r.reason.unwrap_or_default()}</td>
                                        </tr>
                                    }).collect_view()}
                                </DataTable>
                            }
                            .into_any(),
                            Err(e) => view! { <Alert>{e.sentence()}</Alert> }.into_any(),
                        }
                    })}
                </Suspense>
            </Show>
            <ReportLink id class=BTN>"Download the report (CSV, every row)"</ReportLink>
        </section>
    }
}

/// The Import page.
#[component]
pub fn ImportPage() -> impl IntoView {
    let file_name = RwSignal::new(None::<(String, f64)>);
    let preview = RwSignal::new(None::<Result<ImportPreview, AppError>>);
    let mode = RwSignal::new(ImportMode::CreateOrUpdate);
    let dry_run = RwSignal::new(true);
    let running = RwSignal::new(false);
    let outcome = RwSignal::new(None::<Result<CustomerImport, String>>);
    let refresh = RwSignal::new(0_u32);
    let recent = Resource::new(move || refresh.get(), |_| load_customer_imports());

    let on_file = move |ev: leptos::ev::Event| {
        outcome.set(None);
        preview.set(None);
        #[cfg(feature = "hydrate")]
        {
            let input = event_target::<leptos::web_sys::HtmlInputElement>(&ev);
            let file = input.files().and_then(|list| list.get(0));
            file_name.set(file.as_ref().map(|f| (f.name(), f.size())));
            chosen::set(file.clone());
            if let Some(file) = file {
                leptos::task::spawn_local(async move {
                    preview.set(Some(read_preview(file).await));
                });
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, file_name);
    };

    let can_start =
        move || !running.get() && matches!(preview.get(), Some(Ok(_))) && file_name.get().is_some();
    let start = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        if can_start()
            && let Some(file) = chosen::get()
        {
            running.set(true);
            outcome.set(None);
            let (m, dry) = (mode.get_untracked(), dry_run.get_untracked());
            // While the file streams, the list below shows the running import's rows so far.
            let poll = set_interval_with_handle(
                move || refresh.update(|n| *n += 1),
                std::time::Duration::from_secs(2),
            )
            .ok();
            leptos::task::spawn_local(async move {
                let result = upload(file, m, dry).await;
                if let Some(p) = poll {
                    p.clear();
                }
                running.set(false);
                outcome.set(Some(result));
                refresh.update(|n| *n += 1);
            });
        }
    };

    view! {
        <Title text="Import customers" />
        <div class="mx-auto max-w-5xl space-y-6">
            <header>
                <a href="/dashboard/customers" class="text-sm font-medium text-indigo-600 hover:text-indigo-500">"← Customers"</a>
                <h1 class="mt-2 text-2xl font-semibold tracking-tight">"Import customers"</h1>
                <p class="mt-1 max-w-3xl text-sm text-slate-600">
                    "A CSV file with a header line: id, external_id, email, name, phone, tax_id, country, username, profile_url and metadata.<key> columns (an export can be imported as it is). "
                    "A row updates the customer with its id or external id, and creates one otherwise; email never matches. An empty cell leaves a field as it is."
                </p>
            </header>
            <form class=format!("space-y-4 {CARD} p-4") on:submit=start>
                <Field
                    id="import-file"
                    label="CSV file (UTF-8, commas or semicolons)"
                    hint=Signal::derive(move || {
                        file_name.get().map(|(name, size)| format!("{name} · {}", size_label(size)))
                    })
                >
                    <input
                        id="import-file"
                        type="file"
                        accept=".csv,text/csv"
                        class="block w-full text-sm text-slate-700 file:mr-3 file:rounded-md file:border file:border-slate-300 file:bg-white file:px-3 file:py-1.5 file:text-sm file:font-medium hover:file:bg-slate-50"
                        on:change=on_file
                    />
                </Field>
                {move || match preview.get() {
                    None if file_name.get().is_some() => view! {
                        <p class="text-sm text-slate-500" role="status">"Reading the first rows…"</p>
                    }
                    .into_any(),
                    None => ().into_any(),
                    Some(Ok(p)) => view! { <PreviewTable preview=p /> }.into_any(),
                    Some(Err(e)) => view! {
                        <Alert>{format!("This file cannot be imported: {e}")}</Alert>
                    }
                    .into_any(),
                }}
                <RadioGroup
                    name="mode"
                    legend="A row that matches a customer"
                    value=mode
                    options=vec![
                        (ImportMode::CreateOrUpdate, "updates it"),
                        (ImportMode::CreateOnly, "is rejected (create only)"),
                    ]
                    inline=true
                />
                <Checkbox checked=dry_run label="Dry run: check and count every row, change nothing" plain=true />
                <div class="flex items-center gap-3">
                    <button type="submit" class=BTN_PRIMARY disabled=move || !can_start()>
                        {move || match (running.get(), dry_run.get()) {
                            (true, _) => "Importing…",
                            (false, true) => "Check the file",
                            (false, false) => "Import",
                        }}
                    </button>
                    <Show when=move || running.get()>
                        <p class="text-sm text-slate-600" role="status">
                            "Keep this page open until the import finishes."
                        </p>
                    </Show>
                </div>
            </form>
            {move || match outcome.get() {
                Some(Ok(import)) => view! { <ImportResult import /> }.into_any(),
                Some(Err(message)) => view! { <Alert>{message}</Alert> }.into_any(),
                None => ().into_any(),
            }}
            <section class="space-y-2">
                <h2 class="text-base font-semibold">"Recent imports"</h2>
                <Transition fallback=|| view! { <Loading /> }>
                    {move || Suspend::new(async move {
                        match recent.await {
                            Ok(list) if list.is_empty() => view! {
                                <p class="text-sm text-slate-500">"No imports yet."</p>
                            }
                            .into_any(),
                            Ok(list) => view! { <RecentImports list /> }.into_any(),
                            Err(e) => view! { <Alert>{e.sentence()}</Alert> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        </div>
    }
}

#[component]
fn RecentImports(list: Vec<CustomerImport>) -> impl IntoView {
    view! {
        <DataTable
            columns=vec![
                Column::new("Started"),
                Column::new("Kind"),
                Column::new("Status"),
                Column::numeric("Rows"),
                Column::numeric("Created"),
                Column::numeric("Updated"),
                Column::numeric("Rejected"),
                Column::hidden("Report"),
            ]
            testid="recent-imports"
        >
            {list.into_iter().map(|i| {
                let kind = match (i.mode, i.dry_run) {
                    (ImportMode::CreateOrUpdate, false) => "Create or update",
                    (ImportMode::CreateOnly, false) => "Create only",
                    (ImportMode::CreateOrUpdate, true) => "Dry run",
                    (ImportMode::CreateOnly, true) => "Dry run, create only",
                };
                view! {
                    <tr>
                        <td class=plus(TD, "whitespace-nowrap")><LocalTime at=i.created_at /></td>
                        <td class=TD>{kind}</td>
                        <td class=TD>{i.status.to_string()}</td>
                        <td class=TD_NUM>{i.rows}</td>
                        <td class=TD_NUM>{i.created}</td>
                        <td class=TD_NUM>{i.updated}</td>
                        <td class=TD_NUM>{i.rejected}</td>
                        <td class=TD>
                            <ReportLink id=i.id.to_string() class="font-medium text-indigo-600 hover:text-indigo-500">
                                "Report"
                            </ReportLink>
                        </td>
                    </tr>
                }
            }).collect_view()}
        </DataTable>
    }
}
