//! `/invite/<token>`: an invitation to a workspace's team. Someone new chooses a password;
//! someone with an account confirms with theirs. Works before hydration too (a plain form POST).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::alert::Alert;
use crate::components::dialog::error_text;
use crate::components::empty_state::Loading;
use crate::pages::login::AuthCard;
use crate::server_fns::team::{AcceptInvitation, preview_invitation};
use crate::types::AppError;
use crate::types::team::InvitationPreview;

/// The invitation page.
#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let preview = Resource::new(token, preview_invitation);
    let body = move || {
        Suspend::new(async move {
            match preview.await {
                Ok(p) => view! { <AcceptForm preview=p token=token() /> }.into_any(),
                Err(AppError::NotFound { .. }) => view! {
                    <Alert>"This invitation link is not valid. Check that the whole link was copied, or ask for a new invitation."</Alert>
                }
                .into_any(),
                Err(e) => view! { <Alert>{error_text(&e)}</Alert> }.into_any(),
            }
        })
    };
    view! {
        <Title text="Join a team" />
        <AuthCard heading="Join a team on Patron">
            <Suspense fallback=|| view! { <Loading /> }>
                {body}
            </Suspense>
        </AuthCard>
    }
}

#[component]
fn AcceptForm(preview: InvitationPreview, token: String) -> impl IntoView {
    let action = ServerAction::<AcceptInvitation>::new();
    let error = move || {
        action.value().get().and_then(Result::err).map(|e| match e {
            AppError::Invalid { field, message } if field == "password" => {
                format!("Password: {message}.")
            }
            other => error_text(&other),
        })
    };
    let input = "mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30";
    let InvitationPreview {
        workspace_name,
        email,
        role,
        has_account,
    } = preview;
    view! {
        <p class="text-sm text-slate-700" data-testid="invitation">
            "You are invited to "<strong>{workspace_name}</strong>" as "
            <strong>{role.as_str()}</strong>"."
        </p>
        <ActionForm action=action attr:class="mt-4 space-y-4">
            <input type="hidden" name="token" value=token />
            <div>
                <label for="invite-email" class="block text-sm font-medium text-slate-700">"Email"</label>
                <input id="invite-email" type="email" autocomplete="username" readonly value=email class=input />
            </div>
            <div>
                <label for="invite-password" class="block text-sm font-medium text-slate-700">
                    {if has_account { "Your password" } else { "Choose a password" }}
                </label>
                <input
                    id="invite-password"
                    name="password"
                    type="password"
                    autocomplete=if has_account { "current-password" } else { "new-password" }
                    required
                    class=input
                />
                <p class="mt-1 text-xs text-slate-500">
                    {if has_account {
                        "You have a Patron account: confirm it is you."
                    } else {
                        "At least 10 characters."
                    }}
                </p>
            </div>
            {move || error().map(|m| view! { <Alert>{m}</Alert> })}
            <button
                type="submit"
                class="w-full rounded-md bg-indigo-600 px-3 py-2 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-60"
                disabled=move || action.pending().get()
            >
                {move || if action.pending().get() { "Joining…" } else { "Accept and sign in" }}
            </button>
        </ActionForm>
    }
}
