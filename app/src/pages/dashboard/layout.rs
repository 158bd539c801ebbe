//! The dashboard frame: top bar with the workspace, collapsible navigation, and the page. A
//! page of its own (it loads the shell), not a component.

use leptos::prelude::*;
use leptos_router::components::{A, Outlet};

use crate::components::TOUCH;
use crate::components::dialog::Submission;
use crate::components::hydration::use_hydrated;
use crate::components::icons::{ErasureIcon, ImportsIcon, SettingsIcon, SidebarIcon, UsersIcon};
use crate::server_fns::auth::LogOut;
use crate::server_fns::dashboard::load_shell;
use crate::server_fns::team::SwitchWorkspace;
use crate::types::team::WorkspaceChoice;

/// The signed-in user's shell (workspace, role), as the layout loaded it.
#[derive(Clone, Copy, Debug)]
pub struct Shell(pub Resource<Result<crate::types::ShellContext, crate::types::AppError>>);

impl Shell {
    /// Whether the viewer's role allows `scope`, once the shell has loaded: awaited inside a
    /// page's suspense, so the server renders what the browser hydrates.
    pub async fn allows(self, scope: crate::types::Scope) -> bool {
        self.0
            .await
            .ok()
            .and_then(|s| s.role)
            .is_some_and(|r| r.allows(scope))
    }
}

/// Frame around every `/dashboard/...` page.
#[component]
pub fn DashboardLayout() -> impl IntoView {
    let context = Resource::new(|| (), |()| load_shell());
    // Pages read the viewer's role from it to hide what their role does not allow.
    provide_context(Shell(context));
    let nav_open = RwSignal::new(true);
    // On a phone the page needs the width: the navigation starts collapsed there.
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if leptos::web_sys::window()
            .and_then(|w| w.inner_width().ok())
            .and_then(|w| w.as_f64())
            .is_some_and(|w| w < 768.0)
        {
            nav_open.set(false);
        }
    });
    let hydrated = use_hydrated();

    let log_out = ServerAction::<LogOut>::new();
    let user_email = move || {
        Suspend::new(async move {
            context.await.ok().and_then(|ctx| ctx.user_email).map(|email| {
                view! {
                    <span class="hidden text-sm text-slate-600 sm:inline" data-testid="user-email">
                        {email}
                    </span>
                }
            })
        })
    };
    let workspace_name = move || {
        Suspend::new(async move {
            match context.await {
                Ok(ctx) => match ctx.workspace {
                    Some(ws) if ctx.workspaces.len() > 1 => view! {
                        <WorkspaceSwitcher current=ws.id.to_string() name=ws.name choices=ctx.workspaces />
                    }
                    .into_any(),
                    Some(ws) => view! {
                        <span class="truncate font-medium text-slate-900" data-testid="workspace-name">
                            {ws.name}
                        </span>
                    }
                    .into_any(),
                    None => view! {
                        <span class="text-slate-500" data-testid="workspace-name">
                            "No workspace yet"
                        </span>
                    }
                    .into_any(),
                },
                Err(e) => view! {
                    <span class="text-red-700" role="alert">{e.sentence()}</span>
                }
                .into_any(),
            }
        })
    };

    view! {
        <div
            class=format!("flex h-full min-h-screen flex-col {TOUCH}")
            data-hydrated=move || hydrated.get().then_some("true")
        >
            <header class="flex h-14 shrink-0 items-center gap-3 border-b border-slate-200 bg-white px-4">
                <button
                    type="button"
                    class="rounded-md p-1.5 text-slate-500 hover:bg-slate-100 hover:text-slate-900 focus-visible:outline-2 focus-visible:outline-indigo-600"
                    aria-controls="dashboard-nav"
                    aria-expanded=move || if nav_open.get() { "true" } else { "false" }
                    aria-label=move || {
                        if nav_open.get() { "Collapse navigation" } else { "Expand navigation" }
                    }
                    title=move || {
                        if nav_open.get() { "Collapse navigation" } else { "Expand navigation" }
                    }
                    on:click=move |_| nav_open.update(|open| *open = !*open)
                >
                    <SidebarIcon class="size-5" />
                </button>
                <a href="/dashboard" class="flex items-center gap-2 font-semibold tracking-tight">
                    <span class="grid size-7 place-items-center rounded-md bg-indigo-600 text-sm text-white">
                        "P"
                    </span>
                    <span>"Patron"</span>
                </a>
                <span class="text-slate-300" aria-hidden="true">"/"</span>
                <div class="flex min-w-0 items-center text-sm">
                    <Suspense fallback=|| {
                        view! { <span class="h-4 w-28 animate-pulse rounded bg-slate-200"></span> }
                    }>{workspace_name}</Suspense>
                </div>
                <div class="ml-auto flex items-center gap-3">
                    <Suspense fallback=|| ()>{user_email}</Suspense>
                    <ActionForm action=log_out>
                        <button
                            type="submit"
                            class="whitespace-nowrap rounded-md px-2.5 py-1.5 text-sm font-medium text-slate-600 hover:bg-slate-100 hover:text-slate-900"
                        >
                            "Log out"
                        </button>
                    </ActionForm>
                </div>
            </header>
            <div class="flex min-h-0 flex-1">
                <nav
                    id="dashboard-nav"
                    aria-label="Dashboard"
                    class=move || {
                        if nav_open.get() {
                            "w-56 shrink-0 border-r border-slate-200 bg-white p-3 transition-[width]"
                        } else {
                            "w-14 shrink-0 border-r border-slate-200 bg-white p-2 transition-[width]"
                        }
                    }
                >
                    <ul class="space-y-1">
                        <NavLink href="/dashboard/customers" label="Customers" nav_open>
                            <UsersIcon class="size-5 shrink-0" />
                        </NavLink>
                        <NavLink href="/dashboard/imports" label="Imports" nav_open>
                            <ImportsIcon class="size-5 shrink-0" />
                        </NavLink>
                        <NavLink href="/dashboard/erasure-requests" label="Erasure requests" nav_open>
                            <ErasureIcon class="size-5 shrink-0" />
                        </NavLink>
                        <NavLink href="/dashboard/settings" label="Settings" nav_open>
                            <SettingsIcon class="size-5 shrink-0" />
                        </NavLink>
                    </ul>
                </nav>
                <main class="min-w-0 flex-1 overflow-y-auto px-4 py-6 sm:px-6 lg:px-10">
                    <Outlet />
                </main>
            </div>
        </div>
    }
}

/// One entry of the navigation: its icon, and its label while the navigation is open (the
/// link keeps its name when collapsed). The router marks the current one `aria-current`.
#[component]
fn NavLink(
    href: &'static str,
    label: &'static str,
    nav_open: RwSignal<bool>,
    /// The icon.
    children: Children,
) -> impl IntoView {
    view! {
        <li>
            <A
                href=href
                attr:class="flex items-center gap-3 rounded-md px-2.5 py-2 text-sm font-medium text-slate-700 hover:bg-slate-100 aria-[current=page]:bg-indigo-50 aria-[current=page]:text-indigo-700"
                attr:title=label
            >
                {children()}
                <span class=move || if nav_open.get() { "" } else { "hidden" }>{label}</span>
            </A>
        </li>
    }
}

/// The top bar's workspace menu, for a user in several: choosing one moves the session there
/// and reloads the dashboard in it.
#[component]
fn WorkspaceSwitcher(
    current: String,
    name: String,
    choices: Vec<WorkspaceChoice>,
) -> impl IntoView {
    let switching = Submission::<SwitchWorkspace>::new(|_| {
        #[cfg(feature = "hydrate")]
        if let Some(w) = leptos::web_sys::window() {
            let _ = w.location().assign("/dashboard/customers");
        }
    });
    view! {
        <label for="workspace-switcher" class="sr-only">"Workspace"</label>
        <span class="sr-only" data-testid="workspace-name">{name}</span>
        <select
            id="workspace-switcher"
            class="max-w-[14rem] truncate rounded-md border-0 bg-transparent py-1 pl-1 pr-7 text-sm font-medium text-slate-900 hover:bg-slate-100 focus:ring-2 focus:ring-indigo-500"
            disabled=switching.busy()
            on:change=move |ev| switching.submit(SwitchWorkspace { workspace_id: event_target_value(&ev) })
        >
            {choices.into_iter().map(|w| {
                let selected = w.id.as_str() == current;
                view! {
                    <option value=w.id.to_string() selected=selected>
                        {format!("{} ({})", w.name, w.role.as_str())}
                    </option>
                }
            }).collect_view()}
        </select>
        {move || switching.error().get().map(|e| view! { <span class="ml-2 text-xs text-red-700" role="alert">{e}</span> })}
    }
}
