//! `/login`: the merchant login form. Works before hydration too (a plain form POST).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::alert::Alert;
use crate::components::card::CARD;
use crate::components::hydration::use_hydrated;
use crate::server_fns::auth::LogIn;
use crate::types::AppError;

/// Email and password, with the error shown in place.
#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<LogIn>::new();
    let error = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .map(|e: AppError| e.sentence())
    };
    let input = "mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30";
    view! {
        <Title text="Log in" />
        <AuthCard heading="Log in to Patron">
            <ActionForm action=action attr:class="space-y-4">
                <div>
                    <label for="email" class="block text-sm font-medium text-slate-700">
                        "Email"
                    </label>
                    <input
                        id="email"
                        name="email"
                        type="email"
                        autocomplete="username"
                        required
                        class=input
                    />
                </div>
                <div>
                    <label for="password" class="block text-sm font-medium text-slate-700">
                        "Password"
                    </label>
                    <input
                        id="password"
                        name="password"
                        type="password"
                        autocomplete="current-password"
                        required
                        class=input
                    />
                </div>
                {move || {
                    error()
                        .map(|m| {
                            view! {
                                <Alert>{m}</Alert>
                            }
                        })
                }}
                <button
                    type="submit"
                    class="w-full rounded-md bg-indigo-600 px-3 py-2 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-60"
                    disabled=move || action.pending().get()
                >
                    {move || if action.pending().get() { "Logging in…" } else { "Log in" }}
                </button>
            </ActionForm>
        </AuthCard>
    }
}

/// The centred card of the pages a merchant sees before signing in (login, invitation), with
/// Patron's mark and `heading`.
#[component]
pub fn AuthCard(heading: &'static str, children: Children) -> impl IntoView {
    let hydrated = use_hydrated();
    view! {
        <main
            class="grid min-h-screen place-items-center bg-slate-50 px-6"
            data-hydrated=move || hydrated.get().then_some("true")
        >
            <div class=format!("w-full max-w-sm {CARD} p-8 shadow-sm")>
                <div class="mb-6 flex items-center gap-2">
                    <span class="grid size-8 place-items-center rounded-md bg-indigo-600 font-semibold text-white">
                        "P"
                    </span>
                    <h1 class="text-lg font-semibold tracking-tight">{heading}</h1>
                </div>
                {children()}
            </div>
        </main>
    }
}
