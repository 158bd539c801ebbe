//! Settings → Team, API keys and Sessions: who works in the workspace and with which role
//! (owners invite, re-role and remove; anyone may leave), the keys merchants' back ends use
//! (admins and owners; a secret is shown once), and the signed-in user's own sessions.

mod scopes;

use leptos::prelude::*;

use crate::components::alert::Alert;
use crate::components::card::{SettingsSection, section_failure};
use crate::components::dialog::{
    BTN_DANGER, BTN_PRIMARY, Confirm, DialogButton, ErrorNote, FormDialog, INPUT, SendButton,
    Submission,
};
use crate::components::empty_state::Loading;
use crate::components::form::{Field, TextField};
use crate::components::table::{Column, DataTable, TD, TableExtra, plus};
use crate::components::time::LocalTime;
use crate::server_fns::team::{
    ChangeMemberRole, CreateApiKey, EndAllSessions, EndSession, InviteMember, RemoveMember,
    RevokeApiKey, RevokeInvitation, load_api_keys, load_sessions, load_team,
};
use crate::types::team::{ApiKeyCreated, ApiKeySummary, Member, SessionSummary, Team};
use crate::types::{AppError, Role, Scope};

use self::scopes::{ScopeGrid, scope_summary};

const SMALL_BTN: &str = "rounded-md px-2 py-1 text-xs font-medium text-slate-700 ring-1 ring-slate-300 hover:bg-slate-50 disabled:opacity-50";
const SMALL_DANGER: &str = "rounded-md px-2 py-1 text-xs font-medium text-red-700 ring-1 ring-red-300 hover:bg-red-50 disabled:opacity-50";
/// The API keys' table: the shared look, set apart from the line above it.
const KEYS_TABLE: TableExtra = TableExtra {
    frame: "mt-3",
    ..TableExtra::NONE
};

/// "Admin" for `admin`.
fn role_label(role: Role) -> &'static str {
    match role {
        Role::Viewer => "Viewer",
        Role::Support => "Support",
        Role::Admin => "Admin",
        Role::Owner => "Owner",
    }
}

fn role_hint(role: Role) -> &'static str {
    match role {
        Role::Viewer => "reads everything, changes nothing",
        Role::Support => "also refunds and manages subscriptions and entitlements",
        Role::Admin => "everything but the team",
        Role::Owner => "everything, the team included",
    }
}

/// A section's main action, shown once the section's load says the user may take it.
fn once_allowed<V>(
    allowed: impl Fn() -> bool + Send + Sync + 'static,
    action: impl Fn() -> V + Send + Sync + 'static,
) -> impl IntoView
where
    V: IntoView + 'static,
{
    view! { <Transition fallback=|| ()>{move || allowed().then(&action)}</Transition> }
}

/// The Team section.
#[component]
pub fn TeamSection() -> impl IntoView {
    let refresh = RwSignal::new(0_u32);
    let team = Resource::new(move || refresh.get(), |_| load_team());
    let bump = move || refresh.update(|n| *n += 1);
    let open = RwSignal::new(false);
    let email = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Support);
    let sent = RwSignal::new(None::<String>);
    let inviting = Submission::<InviteMember>::new(move |_| {
        open.set(false);
        sent.set(Some(email.get_untracked()));
        email.set(String::new());
        bump();
    });
    let submit = Callback::new(move |()| {
        inviting.submit(InviteMember {
            email: email.get_untracked(),
            role: role.get_untracked(),
        });
    });
    let body = move || {
        Suspend::new(async move {
            match team.await {
                Ok(t) => view! { <TeamLists team=t refresh /> }.into_any(),
                Err(e) => section_failure(e, None),
            }
        })
    };
    let can_manage = move || {
        team.get()
            .and_then(Result::ok)
            .is_some_and(|t| t.can_manage)
    };
    view! {
        <SettingsSection
            id="team"
            title="Team"
            description=|| "Who works in this workspace, and what their role lets them do. Owners invite, change roles and remove."
            action=move || once_allowed(can_manage, move || view! {
                <DialogButton open submission=inviting class=BTN_PRIMARY clear=move || sent.set(None)>
                    "Invite member"
                </DialogButton>
            })
        >
            {move || sent.get().map(|to| view! {
                <p class="mt-3 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800" role="status">
                    {format!("Invitation sent to {to}. The link works once, for 7 days.")}
                </p>
            })}
            <Transition fallback=|| view! { <Loading class="mt-3" /> }>
                {body}
            </Transition>
            <FormDialog
                open
                title="Invite a member"
                on_submit=submit
                busy=inviting.busy()
                error=inviting.error()
                submit_label="Send invitation"
                busy_label="Sending…"
            >
                <TextField
                    id="invite-email"
                    label="Email"
                    value=email
                    kind="email"
                    autocomplete="off"
                    placeholder="colleague@example.com"
                />
                <Field id="invite-role" label="Role" hint=Signal::derive(move || role_hint(role.get()).to_owned())>
                    <RoleSelect id="invite-role" value=role />
                </Field>
            </FormDialog>
        </SettingsSection>
    }
}

#[component]
fn RoleSelect(id: &'static str, value: RwSignal<Role>) -> impl IntoView {
    view! {
        <select
            id=id
            class=INPUT
            on:change=move |ev| {
                if let Ok(r) = event_target_value(&ev).parse::<Role>() {
                    value.set(r);
                }
            }
        >
            {Role::ALL.iter().map(|r| {
                let r = *r;
                view! {
                    <option value=r.as_str() selected=move || value.get() == r>{role_label(r)}</option>
                }
            }).collect_view()}
        </select>
    }
}

#[component]
fn TeamLists(team: Team, refresh: RwSignal<u32>) -> impl IntoView {
    let can_manage = team.can_manage;
    let invitations = team.invitations.clone();
    // The domain refuses to let the last owner go: they are not offered Leave.
    let owners = team
        .members
        .iter()
        .filter(|m| m.role == Role::Owner)
        .count();
    let revoking = Submission::<RevokeInvitation>::new(move |_| refresh.update(|n| *n += 1));
    view! {
        <ul class="mt-3 divide-y divide-slate-100 rounded-lg border border-slate-200" aria-label="Members">
            {team.members.into_iter().map(|m| {
                let sole_owner = m.role == Role::Owner && owners == 1;
                view! { <MemberRow member=m can_manage sole_owner refresh /> }
            }).collect_view()}
        </ul>
        {(!invitations.is_empty()).then(|| view! {
            <h3 class="mt-5 text-sm font-semibold text-slate-900">"Invitations waiting"</h3>
            <ul class="mt-2 divide-y divide-slate-100 rounded-lg border border-slate-200" aria-label="Invitations">
                {invitations.into_iter().map(|i| {
                    let id = i.id.to_string();
                    view! {
                        <li class="flex flex-wrap items-center gap-3 px-3 py-2 text-sm" data-invitation=i.email.clone()>
                            <span class="min-w-0 flex-1 truncate font-medium text-slate-900">{i.email.clone()}</span>
                            <span class="text-slate-600">{role_label(i.role)}</span>
                            <span class="text-xs text-slate-500">"Expires " <LocalTime at=i.expires_at /></span>
                            <SendButton submission=revoking send=move || RevokeInvitation { id: id.clone() } class=SMALL_DANGER>
                                "Revoke"
                            </SendButton>
                        </li>
                    }
                }).collect_view()}
            </ul>
        })}
        <ErrorNote error=revoking.error() />
    }
}

#[component]
fn MemberRow(
    member: Member,
    can_manage: bool,
    /// The workspace's only owner: they cannot leave or be removed.
    sole_owner: bool,
    refresh: RwSignal<u32>,
) -> impl IntoView {
    let Member {
        user_id,
        email,
        role,
        is_you,
        ..
    } = member;
    let id = StoredValue::new(user_id.to_string());
    let error = RwSignal::new(None::<String>);
    let changing =
        Submission::<ChangeMemberRole>::reporting_to(error, move |_| refresh.update(|n| *n += 1));
    let confirm = RwSignal::new(false);
    let removing = Submission::<RemoveMember>::new(move |_| {
        confirm.set(false);
        refresh.update(|n| *n += 1);
    });
    let select_id = format!("role-{}", user_id);
    let label = email.clone();
    let question = if is_you {
        "Leave this workspace?".to_owned()
    } else {
        format!("Remove {email}?")
    };
    let message = if is_you {
        "You lose access to this workspace at once; an owner can invite you again.".to_owned()
    } else {
        format!("{email} loses access at once and is signed out of this workspace.")
    };
    view! {
        <li class="flex flex-wrap items-center gap-3 px-3 py-2 text-sm" data-member=email.clone()>
            <span class="min-w-0 flex-1 truncate font-medium text-slate-900">
                {email.clone()}
                {is_you.then(|| view! {
                    <span class="ml-2 rounded bg-slate-100 px-1.5 py-0.5 text-xs font-normal text-slate-600">"You"</span>
                })}
            </span>
            {if can_manage {
                view! {
                    <label for=select_id.clone() class="sr-only">{format!("Role of {label}")}</label>
                    <select
                        id=select_id
                        class="rounded-md border border-slate-300 px-2 py-1 text-sm"
                        disabled=changing.busy()
                        on:change=move |ev| {
                            if let Ok(r) = event_target_value(&ev).parse::<Role>() {
                                changing.submit(ChangeMemberRole { user_id: id.get_value(), role: r });
                            }
                        }
                    >
                        {Role::ALL.iter().map(|r| view! {
                            <option value=r.as_str() selected=*r == role>{role_label(*r)}</option>
                        }).collect_view()}
                    </select>
                }
                .into_any()
            } else {
                view! { <span class="text-slate-600" data-testid="member-role">{role_label(role)}</span> }.into_any()
            }}
            {match (sole_owner, is_you) {
                (true, true) => Some(view! {
                    <span class="text-xs text-slate-500" data-testid="sole-owner">
                        "You are the only owner: make another member an owner before you leave."
                    </span>
                }
                .into_any()),
                (true, false) => None,
                (false, _) => (can_manage || is_you).then(|| view! {
                    <DialogButton open=confirm submission=removing class=SMALL_DANGER>
                        {if is_you { "Leave" } else { "Remove" }}
                    </DialogButton>
                }
                .into_any()),
            }}
            {move || error.get().map(|e| view! { <div class="basis-full"><Alert>{e}</Alert></div> })}
            <Confirm
                open=confirm
                title=question
                message=message
                confirm_label=if is_you { "Leave workspace" } else { "Remove member" }
                busy=removing.busy()
                error=removing.error()
                on_confirm=Callback::new(move |()| removing.submit(RemoveMember { user_id: id.get_value() }))
            />
        </li>
    }
}

/// The API keys section (admins and owners).
#[component]
pub fn ApiKeysSection() -> impl IntoView {
    let refresh = RwSignal::new(0_u32);
    let keys = Resource::new(move || refresh.get(), |_| load_api_keys());
    let open = RwSignal::new(false);
    let name = RwSignal::new(String::new());
    let scopes = RwSignal::new(vec![Scope::CustomersRead]);
    let secret = RwSignal::new(None::<String>);
    let creating = Submission::<CreateApiKey>::new(move |k: &ApiKeyCreated| {
        open.set(false);
        secret.set(Some(k.secret.clone()));
        name.set(String::new());
        scopes.set(vec![Scope::CustomersRead]);
        refresh.update(|n| *n += 1);
    });
    let submit = Callback::new(move |()| {
        let chosen = scopes.get_untracked();
        if chosen.is_empty() {
            creating
                .refuse("Choose something the key may do: set at least one row to Read or Write.");
            return;
        }
        creating.submit(CreateApiKey {
            name: name.get_untracked(),
            scopes: chosen,
        });
    });
    let allowed = move || !matches!(keys.get(), Some(Err(AppError::Forbidden { .. })));
    let list = move || {
        Suspend::new(async move {
            match keys.await {
                Ok(list) if list.is_empty() => view! {
                    <p class="mt-3 text-sm text-slate-500">"No API keys yet: create one for your back end or game-server plugin."</p>
                }
                .into_any(),
                Ok(list) => view! { <KeyList keys=list refresh /> }.into_any(),
                Err(e) => section_failure(e, Some("Only admins and owners manage API keys.")),
            }
        })
    };
    view! {
        <SettingsSection
            id="api-keys"
            title="API keys"
            description=|| view! {
                "A key lets a back end call the REST API with the scopes you give it. Send it as "
                <code class="text-xs">"Authorization: Bearer pat_sk_…"</code> ". Every call, with curl and TypeScript samples, is in the "
                <a href="/api/docs" target="_blank" rel="noopener" class="font-medium text-indigo-600 underline hover:text-indigo-500">"API reference"</a> "."
            }
            action=move || once_allowed(allowed, move || view! {
                <DialogButton open submission=creating class=BTN_PRIMARY clear=move || secret.set(None)>
                    "Create key"
                </DialogButton>
            })
        >
            {move || secret.get().map(|s| view! {
                <div class="mt-3">
                    <super::webhooks::SecretOnce secret=s what="API key" testid="api-key-secret" />
                </div>
            })}
            <Transition fallback=|| view! { <Loading class="mt-3" /> }>
                {list}
            </Transition>
            <FormDialog
                open
                title="Create an API key"
                on_submit=submit
                busy=creating.busy()
                error=creating.error()
                submit_label="Create key"
                busy_label="Creating…"
            >
                <TextField id="key-name" label="Name" value=name kind="text" placeholder="Shop back end" />
                <ScopeGrid scopes />
            </FormDialog>
        </SettingsSection>
    }
}

#[component]
fn KeyList(keys: Vec<ApiKeySummary>, refresh: RwSignal<u32>) -> impl IntoView {
    let doomed = RwSignal::new(None::<(String, String)>);
    let confirm = RwSignal::new(false);
    let revoking = Submission::<RevokeApiKey>::new(move |_| {
        confirm.set(false);
        refresh.update(|n| *n += 1);
    });
    view! {
        <DataTable
            extra=KEYS_TABLE
            columns=vec![
                Column::new("Name"),
                Column::new("Key"),
                Column::new("Access"),
                Column::new("Created"),
                Column::new("Last used"),
                Column::hidden("Actions"),
            ]
        >
            {keys.into_iter().map(|k| {
                let pair = (k.id.to_string(), k.name.clone());
                view! {
                    <tr data-key=k.name.clone()>
                        <td class=plus(TD, "font-medium text-slate-900")>{k.name.clone()}</td>
                        <td class=TD><code class="text-xs">{format!("{}…", k.prefix)}</code></td>
                        <td class=plus(TD, "text-xs text-slate-600") data-testid="key-scopes">
                            {scope_summary(&k.scopes).into_iter().map(|line| view! {
                                <span class="block whitespace-nowrap">{line}</span>
                            }).collect_view()}
                        </td>
                        <td class=plus(TD, "text-xs text-slate-600")>
                            <LocalTime at=k.created_at />
                            <span class="block">{k.created_by.clone().unwrap_or_else(|| "command line".to_owned())}</span>
                        </td>
                        <td class=plus(TD, "text-xs text-slate-600")>
                            {match k.last_used_at {
                                Some(t) => view! { <LocalTime at=t /> }.into_any(),
                                None => view! { <span>"Never"</span> }.into_any(),
                            }}
                        </td>
                        <td class=plus(TD, "text-right")>
                            <DialogButton
                                open=confirm
                                submission=revoking
                                class=SMALL_DANGER
                                clear=move || doomed.set(Some(pair.clone()))
                            >
                                "Revoke"
                            </DialogButton>
                        </td>
                    </tr>
                }
            }).collect_view()}
        </DataTable>
        <Confirm
            open=confirm
            title=Signal::derive(move || format!("Revoke {}?", doomed.get().map(|d| d.1).unwrap_or_default()))
            message="Every request with this key is refused from now on. This cannot be undone."
            confirm_label="Revoke key"
            busy=revoking.busy()
            error=revoking.error()
            on_confirm=Callback::new(move |()| {
                if let Some((id, _)) = doomed.get_untracked() {
                    revoking.submit(RevokeApiKey { id });
                }
            })
        />
    }
}

/// The signed-in user's sessions, with "Sign out everywhere".
#[component]
pub fn SessionsSection() -> impl IntoView {
    let refresh = RwSignal::new(0_u32);
    let sessions = Resource::new(move || refresh.get(), |_| load_sessions());
    let ending = Submission::<EndSession>::new(move |_| refresh.update(|n| *n += 1));
    let confirm = RwSignal::new(false);
    let ending_all = Submission::<EndAllSessions>::new(|_| ());
    let list = move || {
        Suspend::new(async move {
            match sessions.await {
                Ok(list) => view! {
                    <ul class="mt-3 divide-y divide-slate-100 rounded-lg border border-slate-200" aria-label="Sessions">
                        {list.into_iter().map(|s| view! { <SessionRow session=s ending /> }).collect_view()}
                    </ul>
                }
                .into_any(),
                Err(e) => section_failure(e, None),
            }
        })
    };
    view! {
        <SettingsSection
            id="sessions"
            title="Your sessions"
            description=|| "Where you are signed in. A session ends after 12 hours unused, and after 14 days in any case."
            action=move || view! {
                <DialogButton open=confirm submission=ending_all class=BTN_DANGER>
                    "Sign out everywhere"
                </DialogButton>
            }
        >
            <Transition fallback=|| view! { <Loading class="mt-3" /> }>
                {list}
            </Transition>
            <ErrorNote error=ending.error() />
            <Confirm
                open=confirm
                title="Sign out everywhere?"
                message="Every session of yours ends, this one too: you sign in again here, and on every other device."
                confirm_label="Sign out everywhere"
                busy=ending_all.busy()
                error=ending_all.error()
                on_confirm=Callback::new(move |()| ending_all.submit(EndAllSessions {}))
            />
        </SettingsSection>
    }
}

#[component]
fn SessionRow(session: SessionSummary, ending: Submission<EndSession>) -> impl IntoView {
    let id = session.id.to_string();
    view! {
        <li class="flex flex-wrap items-center gap-3 px-3 py-2 text-sm" data-session=session.id.to_string()>
            <div class="min-w-0 flex-1">
                <p class="font-medium text-slate-900">
                    {session.device.clone()}
                    {session.current.then(|| view! {
                        <span class="ml-2 rounded bg-emerald-50 px-1.5 py-0.5 text-xs font-normal text-emerald-700">"This device"</span>
                    })}
                </p>
                <p class="text-xs text-slate-500">
                    {session.ip.clone().unwrap_or_else(|| "address unknown".to_owned())}
                    " · signed in " <LocalTime at=session.created_at />
                    " · last active " <LocalTime at=session.last_seen_at />
                </p>
            </div>
            {(!session.current).then(|| view! {
                <SendButton submission=ending send=move || EndSession { id: id.clone() } class=SMALL_BTN>
                    "Sign out"
                </SendButton>
            })}
        </li>
    }
}
