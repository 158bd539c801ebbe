//! The segment bar: the saved segments with their counts, saving the filters now applied as
//! one, and deleting one.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

use super::counts::count_text;
use super::links::segment_href;
use crate::components::dialog::{BTN_LINK, Confirm, DialogButton, FormDialog, Submission};
use crate::components::form::TextField;
use crate::pages::dashboard::layout::Shell;
use crate::server_fns::segments::{DeleteSegment, SaveSegment, load_segments};
use crate::types::Scope;
use crate::types::segment::{Segment, SegmentCreate, SegmentFilters};

/// The segment bar above the list: every segment with its count, the open one marked, and
/// "Save as segment" for the filters now applied.
#[component]
pub fn SegmentBar(
    /// The filters now applied.
    #[prop(into)]
    filters: Signal<SegmentFilters>,
    /// The open segment's id, if the URL names one.
    #[prop(into)]
    open_segment: Signal<Option<String>>,
) -> impl IntoView {
    let shell = use_context::<Shell>();
    let may_edit = move || async move {
        match shell {
            Some(s) => s.allows(Scope::CustomersWrite).await,
            None => false,
        }
    };
    let version = RwSignal::new(0u32);
    let segments = Resource::new(move || version.get(), |_| load_segments());
    let saving = RwSignal::new(false);
    let name = RwSignal::new(String::new());
    let navigate = use_navigate();
    let save = Submission::<SaveSegment>::new(move |s: &Segment| {
        saving.set(false);
        version.update(|v| *v += 1);
        navigate(&segment_href(s), NavigateOptions::default());
    });
    let on_save = Callback::new(move |()| {
        save.submit(SaveSegment {
            input: SegmentCreate {
                name: name.get_untracked(),
                filters: filters.get_untracked(),
            },
        });
    });
    let deleting = RwSignal::new(None::<Segment>);
    let confirm_open = RwSignal::new(false);
    let delete = Submission::<DeleteSegment>::new(move |_| {
        confirm_open.set(false);
        version.update(|v| *v += 1);
    });
    let list = move || {
        Suspend::new(async move {
            let can_edit = may_edit().await;
            let items = segments.await.unwrap_or_default();
            items
                .into_iter()
                .map(|s| {
                    let id = s.id.to_string();
                    let current = {
                        let id = id.clone();
                        move || open_segment.get().as_deref() == Some(id.as_str())
                    };
                    let count = count_text(&s);
                    let label = s.name.clone();
                    let doomed = s.clone();
                    view! {
                        <li class="flex items-center" data-segment-id=id>
                            <a
                                href=segment_href(&s)
                                aria-current=move || current().then_some("page")
                                class="flex items-center gap-2 rounded-l-md border border-slate-300 bg-white px-2.5 py-1 text-sm font-medium text-slate-700 hover:bg-slate-50 aria-[current=page]:border-indigo-600 aria-[current=page]:bg-indigo-50 aria-[current=page]:text-indigo-800"
                            >
                                <span data-testid="segment-name">{label.clone()}</span>
                                <span class="rounded-full bg-slate-100 px-1.5 text-xs tabular-nums text-slate-700" data-testid="segment-count">
                                    {count}
                                </span>
                            </a>
                            {can_edit.then(|| {
                                view! {
                                <button
                                    type="button"
                                    class="rounded-r-md border border-l-0 border-slate-300 bg-white px-1.5 py-1 text-sm text-slate-500 hover:bg-red-50 hover:text-red-700"
                                    aria-label=format!("Delete segment {label}")
                                    on:click=move |_| {
                                        delete.reset();
                                        deleting.set(Some(doomed.clone()));
                                        confirm_open.set(true);
                                    }
                                >
                                    "×"
                                </button>
                                }
                            })}
                        </li>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <nav aria-label="Segments" class="flex flex-wrap items-center gap-2">
            <span class="text-xs font-semibold uppercase tracking-wide text-slate-500">"Segments"</span>
            <ul class="flex flex-wrap items-center gap-2">
                <li>
                    <a
                        href="/dashboard/customers"
                        class="block rounded-md border border-slate-300 bg-white px-2.5 py-1 text-sm font-medium text-slate-700 hover:bg-slate-50"
                    >
                        "All customers"
                    </a>
                </li>
                <Transition fallback=|| view! { <li class="text-xs text-slate-500">"Counting…"</li> }>{list}</Transition>
            </ul>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    may_edit().await.then(|| view! {
                        <DialogButton open=saving submission=save class=BTN_LINK clear=move || name.set(String::new())>
                            "Save as segment"
                        </DialogButton>
                    })
                })}
            </Transition>
        </nav>
        <FormDialog
            open=saving
            title="Save as segment".to_owned()
            on_submit=on_save
            busy=save.busy()
            error=save.error()
            submit_label="Save segment"
            busy_label="Saving…"
        >
            <p class="text-sm text-slate-600">
                "The search, filters and sort now applied, under a name your whole team sees."
            </p>
            <TextField id="segment-name" label="Name" value=name maxlength=80 required=true />
        </FormDialog>
        <Confirm
            open=confirm_open
            title=Signal::derive(move || {
                deleting.get().map(|s| format!("Delete segment {}?", s.name)).unwrap_or_default()
            })
            message="The segment goes for your whole team; its customers are not changed.".to_owned()
            confirm_label="Delete segment".to_owned()
            busy=delete.busy()
            error=delete.error()
            on_confirm=Callback::new(move |()| {
                if let Some(s) = deleting.get_untracked() {
                    delete.submit(DeleteSegment { id: s.id.to_string() });
                }
            })
        />
    }
}
