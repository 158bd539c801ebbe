//! The Inventory tab: the customer's items, active first then ended; Assign product, Revoke
//! (only while active), Info with the delivery and command log, licence key reveal, download
//! links, and Discord user linking.

use chrono::{DateTime, NaiveDate, Utc};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use super::{load_error, loading, nothing, use_customer};
use crate::components::badge::StatusBadge;
use crate::components::card::CARD_LIST;
use crate::components::dialog::{
    BTN, BTN_LINK, BTN_PRIMARY, Confirm, Dialog, DialogButton, ErrorNote, FormDialog, Submission,
};
use crate::components::form::{ProductOptions, SelectField, TextField};
use crate::components::time::{LocalTime, end_of_day};
use crate::server_fns::customer::{
    CreateDownloadLink, GrantEntitlement, LinkDiscord, RevealLicenseKey, RevokeEntitlement,
    list_entitlements,
};
use crate::server_fns::dashboard::list_products;
use crate::types::entitlement::{
    DiscordLink, EntitlementGrant, EntitlementRevoke, EntitlementSource, EntitlementStatus,
};
use crate::types::product::Benefit;
use crate::types::{Entitlement, Role, Scope};

fn describe(b: &Benefit) -> String {
    match b {
        Benefit::LicenseKey { .. } => "Licence key".into(),
        Benefit::FileDownload { file_name, .. } => format!("Download: {file_name}"),
        Benefit::DiscordRole { role_id, .. } => format!("Discord role {role_id}"),
        Benefit::Custom { description } => description.clone(),
        Benefit::GameServerCommands { server, .. } => format!("Commands on {server}"),
    }
}

/// The customer's items.
#[component]
pub fn InventoryTab() -> impl IntoView {
    let ctx = use_customer();
    let items = Resource::new(
        move || (ctx.id.get(), ctx.refresh.get()),
        |(id, _)| list_entitlements(id),
    );
    let assign_open = RwSignal::new(false);
    let body = move || {
        Suspend::new(async move {
            let role = ctx.role().await;
            let can = role.allows(Scope::EntitlementsWrite);
            let list = match items.await {
                Ok(list) => list,
                Err(e) => return load_error(&e),
            };
            let (active, ended): (Vec<_>, Vec<_>) = list
                .into_iter()
                .partition(|e| e.status == EntitlementStatus::Active);
            let group = move |title: &'static str, rows: Vec<Entitlement>, empty: &'static str| {
                view! {
                    <section class="space-y-2">
                        <h3 class="text-sm font-semibold text-slate-900">{title}</h3>
                        {if rows.is_empty() {
                            nothing(empty)
                        } else {
                            view! {
                                <ul class=CARD_LIST>
                                    {rows.into_iter().map(|e| view! { <Item item=e role /> }).collect_view()}
                                </ul>
                            }
                            .into_any()
                        }}
                    </section>
                }
            };
            view! {
                {can.then(|| view! {
                    <div class="flex justify-end">
                        <button type="button" class=BTN_PRIMARY on:click=move |_| assign_open.set(true)>
                            "Assign product"
                        </button>
                    </div>
                })}
                {group("Active", active, "No active items.")}
                {group("Expired and revoked", ended, "Nothing has ended yet.")}
            }
            .into_any()
        })
    };
    view! {
        <section class="space-y-5" aria-label="Inventory">
            <Transition fallback=|| loading("the inventory")>{body}</Transition>
            <AssignDialog open=assign_open />
        </section>
    }
}

#[component]
fn Item(item: Entitlement, role: Role) -> impl IntoView {
    let ctx = use_customer();
    let can = role.allows(Scope::EntitlementsWrite);
    let active = item.status == EntitlementStatus::Active;
    let id = item.id.to_string();
    let revoke_open = RwSignal::new(false);
    let info_open = RwSignal::new(false);
    let revoking = Submission::<RevokeEntitlement>::new(move |_| {
        revoke_open.set(false);
        ctx.changed();
    });
    let revoke = {
        let id = id.clone();
        Callback::new(move |()| {
            revoking.submit(RevokeEntitlement {
                entitlement_id: id.clone(),
                revoke: EntitlementRevoke { reason: None },
            })
        })
    };
    let source = match item.source {
        EntitlementSource::Order => "from an order",
        EntitlementSource::Subscription => "from a subscription",
        EntitlementSource::Manual => "assigned by hand",
    };
    let product = item.product_name.clone();
    view! {
        <li class="flex flex-wrap items-center gap-x-4 gap-y-1 px-4 py-3" data-entitlement-id=id.clone()>
            <div class="min-w-0 flex-1">
                <p class="font-medium text-slate-900">{item.product_name.clone()}</p>
                <p class="text-xs text-slate-500">
                    {format!("{} · {source} · granted ", describe(&item.benefit))}
                    <LocalTime at=item.granted_at date_only=true />
                    {item.expires_at.map(|t| view! { " · expires " <LocalTime at=t date_only=true /> })}
                    {item.ended_at.map(|t| view! { " · ended " <LocalTime at=t date_only=true /> })}
                </p>
            </div>
            <span data-testid="item-status"><StatusBadge status=item.status /></span>
            <button type="button" class=BTN_LINK on:click=move |_| info_open.set(true)>"Info"</button>
            {(can && active).then(|| view! {
                <DialogButton open=revoke_open submission=revoking class=BTN_LINK>
                    "Revoke"
                </DialogButton>
            })}
            <Confirm
                open=revoke_open
                title="Revoke this item?".to_owned()
                message=format!("{product} is revoked now and its revoke action runs (the key stops working, the role or commands are removed).")
                confirm_label="Revoke".to_owned()
                busy=revoking.busy()
                error=revoking.error()
                on_confirm=revoke
            />
            <Dialog open=info_open title=item.product_name.clone()>
                <ItemInfo item=item.clone() can_write=can />
                <div class="mt-5 flex justify-end">
                    <button type="button" class=BTN on:click=move |_| info_open.set(false)>"Close"</button>
                </div>
            </Dialog>
        </li>
    }
}

#[component]
fn ItemInfo(item: Entitlement, can_write: bool) -> impl IntoView {
    let ctx = use_customer();
    let id = item.id.to_string();
    let error = RwSignal::new(None::<String>);
    let revealed = RwSignal::new(None::<String>);
    let link = RwSignal::new(None::<(String, DateTime<Utc>)>);
    let reveal = Submission::<RevealLicenseKey>::reporting_to(error, move |r| {
        revealed.set(Some(r.license_key.clone()))
    });
    let download = Submission::<CreateDownloadLink>::reporting_to(error, move |l| {
        link.set(Some((l.url.clone(), l.expires_at)))
    });
    let linking = Submission::<LinkDiscord>::reporting_to(error, move |_| ctx.changed());
    let busy = move || reveal.busy().get() || download.busy().get() || linking.busy().get();
    let discord = RwSignal::new(item.discord_user_id.clone().unwrap_or_default());
    let active = item.status == EntitlementStatus::Active;
    let fact = |label: &'static str, value: AnyView| {
        view! {
            <div class="grid grid-cols-3 gap-3 py-1.5 text-sm">
                <dt class="text-slate-500">{label}</dt>
                <dd class="col-span-2 break-all text-slate-900">{value}</dd>
            </div>
        }
    };
    let extra = match &item.benefit {
        Benefit::LicenseKey { .. } => {
            let id = id.clone();
            let masked = item.license_key.clone().unwrap_or_default();
            view! {
                <div class="grid grid-cols-3 gap-3 py-1.5 text-sm">
                    <dt class="text-slate-500">"Licence key"</dt>
                    <dd class="col-span-2 flex items-center gap-2">
                        <code class="break-all font-mono text-xs" data-testid="license-key">
                            {move || revealed.get().unwrap_or_else(|| masked.clone())}
                        </code>
                        {move || (can_write && revealed.get().is_none()).then(|| {
                            let id = id.clone();
                            view! {
                                <button
                                    type="button"
                                    class=BTN_LINK
                                    disabled=busy
                                    on:click=move |_| reveal.submit(RevealLicenseKey { entitlement_id: id.clone() })
                                >
                                    "Reveal"
                                </button>
                            }
                        })}
                    </dd>
                </div>
            }
            .into_any()
        }
        Benefit::FileDownload { file_name, .. } => {
            let id = id.clone();
            let file_name = file_name.clone();
            view! {
                <div class="grid grid-cols-3 gap-3 py-1.5 text-sm">
                    <dt class="text-slate-500">"File"</dt>
                    <dd class="col-span-2 space-y-1">
                        <p>{file_name}</p>
                        {move || match link.get() {
                            Some((url, until)) => view! {
                                <p>
                                    <a href=url class="font-medium text-indigo-600 hover:text-indigo-500">"Download"</a>
                                    <span class="text-xs text-slate-500">
                                        " (link valid until "
                                        <LocalTime at=until />
                                        ")"
                                    </span>
                                </p>
                            }
                            .into_any(),
                            None => {
                                let id = id.clone();
                                view! {
                                    <button
                                        type="button"
                                        class=BTN_LINK
                                        disabled=move || busy() || !active
                                        on:click=move |_| download.submit(CreateDownloadLink { entitlement_id: id.clone() })
                                    >
                                        "Get a download link"
                                    </button>
                                }
                                .into_any()
                            }
                        }}
                    </dd>
                </div>
            }
            .into_any()
        }
        Benefit::DiscordRole { guild_id, role_id } => {
            let id = id.clone();
            let on_submit = move |ev: SubmitEvent| {
                ev.prevent_default();
                let v = discord.get_untracked().trim().to_owned();
                let link = DiscordLink {
                    discord_user_id: (!v.is_empty()).then_some(v),
                };
                linking.submit(LinkDiscord {
                    entitlement_id: id.clone(),
                    link,
                });
            };
            view! {
                {fact("Discord server", guild_id.clone().into_any())}
                {fact("Role", role_id.clone().into_any())}
                <form on:submit=on_submit class="mt-2 flex items-end gap-2">
                    <TextField
                        id="discord-user"
                        label="Discord user id"
                        value=discord
                        inputmode="numeric"
                        placeholder="e.g. 80351110224678912"
                        disabled=!can_write
                        class="flex-1"
                    />
                    {can_write.then(|| view! {
                        <button type="submit" class=BTN disabled=busy>"Link"</button>
                    })}
                </form>
            }
            .into_any()
        }
        Benefit::Custom { description } => {
            fact("Delivers", description.clone().into_any()).into_any()
        }
        Benefit::GameServerCommands { server, .. } => {
            fact("Server", server.clone().into_any()).into_any()
        }
    };
    let commands = item.commands.clone();
    view! {
        <dl class="divide-y divide-slate-100">
            {fact("Status", item.status.as_str().into_any())}
            {fact("Item", item.id.to_string().into_any())}
            {fact("Granted", view! { <LocalTime at=item.granted_at /> }.into_any())}
            {item.order_id.as_ref().map(|o| fact("Order", o.to_string().into_any()))}
            {item.subscription_id.as_ref().map(|s| fact("Subscription", s.to_string().into_any()))}
            {item.expires_at.map(|t| fact("Expires", view! { <LocalTime at=t /> }.into_any()))}
            {item.ended_at.map(|t| fact("Ended", view! { <LocalTime at=t /> }.into_any()))}
            {item.end_reason.clone().map(|r| fact("Reason", r.into_any()))}
            {extra}
        </dl>
        {(!commands.is_empty()).then(|| view! {
            <h3 class="mt-4 text-xs font-semibold uppercase tracking-wide text-slate-500">"Command log"</h3>
            <ul class="mt-1 space-y-1 text-xs">
                {commands.into_iter().map(|c| view! {
                    <li class="flex flex-wrap gap-x-2">
                        <StatusBadge status=c.status />
                        <span class="text-slate-500">{format!("on {} · {}", c.phase.as_str(), c.server)}</span>
                        <code class="font-mono">{c.command}</code>
                        <span class="text-slate-500">
                            {match c.executed_at {
                                Some(t) => view! { "executed " <LocalTime at=t /> }.into_any(),
                                None => view! { "queued " <LocalTime at=c.created_at /> }.into_any(),
                            }}
                        </span>
                    </li>
                }).collect_view()}
            </ul>
        })}
        <ErrorNote error=error.into() />
    }
}

#[component]
fn AssignDialog(open: RwSignal<bool>) -> impl IntoView {
    let ctx = use_customer();
    let products = Resource::new(move || open.get(), |_| list_products());
    let product = RwSignal::new(String::new());
    let expires = RwSignal::new(String::new());
    let assigning = Submission::<GrantEntitlement>::new(move |_| {
        open.set(false);
        ctx.changed();
    });
    let on_submit = Callback::new(move |()| {
        let product_id = product.get_untracked();
        let Ok(product_id) = product_id.parse() else {
            assigning.refuse("Product: choose a product to assign.");
            return;
        };
        let expires_text = expires.get_untracked();
        let expires_at = if expires_text.is_empty() {
            None
        } else {
            // The end of the picked day in the reader's own time zone.
            match NaiveDate::parse_from_str(&expires_text, "%Y-%m-%d") {
                Ok(d) => end_of_day(d),
                Err(_) => {
                    assigning.refuse("Expires: pick a date.");
                    return;
                }
            }
        };
        let grant = EntitlementGrant {
            product_id,
            expires_at,
        };
        assigning.submit(GrantEntitlement {
            id: ctx.id.get_untracked(),
            grant,
        });
    });
    view! {
        <FormDialog
            open
            title="Assign product".to_owned()
            on_submit
            busy=assigning.busy()
            error=assigning.error()
            submit_label="Assign"
            busy_label="Assigning…"
        >
            <p class="text-sm text-slate-600">
                "Gives the customer the product's items without a sale: no charge, no order."
            </p>
            <SelectField id="assign-product" label="Product" value=product>
                <option value="">"Choose a product…"</option>
                <ProductOptions products active_only=true />
            </SelectField>
            <TextField
                id="assign-expires"
                label="Expires (optional)"
                value=expires
                kind="date"
                hint="Leave empty to keep it until revoked."
            />
        </FormDialog>
    }
}
