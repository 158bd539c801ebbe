//! GDPR erasure (Art. 17): a customer's personal data cleared everywhere Patron keeps a copy,
//! in one transaction, leaving an anonymised tombstone whose orders, refunds and amounts still
//! add up. Identities that bans and blocks match on are kept as keyed hashes, so a banned
//! person stays banned without Patron knowing who they were. End customers ask for it from the
//! portal; the merchant sees the open requests with the date the law's month runs out.
//!
//! What is cleared: the customer's email, name, phone, tax id, username, profile URL, external
//! id and metadata; its orders' IP addresses, notes and wallet accounts (cards keep brand and
//! last four digits); its email and IP payment details; its Discord links; and every copy of
//! those values in audit diffs, stored webhook payloads and answers, provider notifications,
//! game-server commands, stored idempotent answers, its emails and its portal sessions and
//! codes. Import reports never hold values (only line, field and reason).

use chrono::{DateTime, Months, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::Value;

use crate::db::entities::{
    ban_identity, customer, customer_merge, customer_session, email, entitlement,
    entitlement_command, erasure_request, event, idempotency_key, order, payment_detail,
    portal_code, provider_event, subscription, webhook_attempt, webhook_delivery,
};
use crate::types::activity::{ActorKind, TargetKind};
use crate::types::ban::BanIdentityKind;
use crate::types::order::PaymentMethod;
use crate::types::payment_detail::PaymentDetailKind;
use crate::types::portal::ErasureRequest;
use crate::types::{Customer, CustomerId, ErasureRequestId, ErrorCode, Scope};

use super::actor::Caller;
use super::audit::{self, Change};
use super::bans::{canonical_email, canonical_name};
use super::{DomainError, Services, customers, secrets, subscriptions, workspaces};

/// What an erased value is replaced with where a copy of it is kept.
pub const ERASED: &str = "[erased]";

/// A merge snapshot once one of its customers is erased.
pub(crate) const ERASED_SNAPSHOT: &str = r#"{"erased":true}"#;

/// The form an identity takes once its person is erased: a keyed hash of its kind and
/// canonical value, matched by computing the same hash of what a purchase presents.
pub(crate) fn keyed_hash(key: &str, kind: &str, canonical: &str) -> String {
    format!(
        "erased:{}",
        secrets::sign(key, &format!("{kind}:{canonical}"))
    )
}

/// The values to erase: `strong` ones identify the person wherever they appear (an email, a
/// phone number, an IP address, an external id), so a copy inside any text is erased; `exact`
/// ones (a name, a username, metadata values) are erased where a whole value equals them.
#[derive(Debug, Default)]
struct Personal {
    strong: Vec<String>,
    exact: Vec<String>,
}

impl Personal {
    fn strong(&mut self, v: Option<&str>) {
        if let Some(v) = v.map(str::trim).filter(|v| v.len() >= 4)
            && !self.strong.iter().any(|s| s.eq_ignore_ascii_case(v))
        {
            self.strong.push(v.to_owned());
        }
    }

    fn exact(&mut self, v: Option<&str>) {
        if let Some(v) = v.map(str::trim).filter(|v| !v.is_empty())
            && !self.exact.iter().any(|s| s.eq_ignore_ascii_case(v))
        {
            self.exact.push(v.to_owned());
        }
    }

    /// Whether `text` holds any of the values (ASCII case ignored).
    fn found_in(&self, text: &str) -> bool {
        let lower = text.to_ascii_lowercase();
        self.strong
            .iter()
            .any(|v| lower.contains(&v.to_ascii_lowercase()))
            || self
                .exact
                .iter()
                .any(|v| text.trim().eq_ignore_ascii_case(v))
    }

    /// `text` with every strong value inside it replaced, and as a whole replaced when it
    /// equals an exact one.
    fn scrub_text(&self, text: &str) -> String {
        if self
            .exact
            .iter()
            .any(|v| text.trim().eq_ignore_ascii_case(v))
        {
            return ERASED.to_owned();
        }
        let mut out = text.to_owned();
        for v in &self.strong {
            out = replace_ascii_case_insensitive(&out, v, ERASED);
        }
        out
    }

    /// Text that is about the person (their own delivery's answer, their own command): every
    /// value inside it replaced, exact ones too.
    fn scrub_own_text(&self, text: &str) -> String {
        let mut out = self.scrub_text(text);
        for v in &self.exact {
            out = replace_ascii_case_insensitive(&out, v, ERASED);
        }
        out
    }

    /// Whether text about the person holds any value, exact ones anywhere inside it.
    fn found_in_own(&self, text: &str) -> bool {
        let lower = text.to_ascii_lowercase();
        self.found_in(text)
            || self
                .exact
                .iter()
                .any(|v| lower.contains(&v.to_ascii_lowercase()))
    }

    /// Every string inside a JSON document scrubbed.
    fn scrub_json(&self, v: &mut Value) {
        match v {
            Value::String(s) if self.found_in(s) => *s = self.scrub_text(s),
            Value::Array(items) => items.iter_mut().for_each(|i| self.scrub_json(i)),
            Value::Object(map) => map.values_mut().for_each(|i| self.scrub_json(i)),
            _ => {}
        }
    }

    /// A stored JSON text scrubbed; text that is not JSON is scrubbed as text.
    fn scrub_stored(&self, text: &str) -> String {
        match serde_json::from_str::<Value>(text) {
            Ok(mut v) => {
                self.scrub_json(&mut v);
                v.to_string()
            }
            Err(_) => self.scrub_text(text),
        }
    }

    /// Rows of the workspace whose `col` may hold a strong value (a coarse `LIKE` that the
    /// scrub then makes exact).
    fn like_any(&self, col: impl ColumnTrait) -> Condition {
        self.strong.iter().fold(Condition::any(), |c, v| {
            c.add(Expr::col(col).like(format!("%{v}%")))
        })
    }
}

/// `haystack` with each ASCII-case-insensitive occurrence of `needle` replaced by `with`.
fn replace_ascii_case_insensitive(haystack: &str, needle: &str, with: &str) -> String {
    let (h, n) = (haystack.to_ascii_lowercase(), needle.to_ascii_lowercase());
    if n.is_empty() {
        return haystack.to_owned();
    }
    let mut out = String::with_capacity(haystack.len());
    let mut last = 0;
    // Lower-casing ASCII keeps byte offsets, so positions in `h` are positions in `haystack`.
    for (at, _) in h.match_indices(&n) {
        out.push_str(&haystack[last..at]);
        out.push_str(with);
        last = at + n.len();
    }
    out.push_str(&haystack[last..]);
    out
}

fn erased_conflict() -> DomainError {
    DomainError::Conflict {
        code: ErrorCode::CustomerErased,
        message: "the customer's personal data was erased; an erased customer cannot change".into(),
    }
}

/// Refuses a change to an erased customer, or to one merged into another (a tombstone).
pub(crate) fn refuse_if_erased(row: &customer::Model) -> Result<(), DomainError> {
    if row.erased_at.is_some() {
        return Err(erased_conflict());
    }
    match &row.merged_into {
        Some(survivor) => Err(DomainError::Conflict {
            code: ErrorCode::CustomerMerged,
            message: format!(
                "the customer was merged into {survivor}: change that customer instead"
            ),
        }),
        None => Ok(()),
    }
}

/// Erases a customer (see the module's documentation). `confirm` must be true. Live
/// subscriptions are canceled first, in the same transaction. Erasing an erased customer
/// answers it unchanged.
pub async fn erase_customer(
    svc: &Services,
    caller: &Caller,
    id: &CustomerId,
    confirm: bool,
) -> Result<Customer, DomainError> {
    caller.require(Scope::CustomersErase)?;
    if !confirm {
        return Err(DomainError::invalid(
            "confirm",
            "must be true: erasure cannot be undone",
        ));
    }
    let txn = svc.write_txn().await?;
    super::lock_row(&txn, "customers", id.as_str()).await?;
    let row = customers::row(&txn, caller, id).await?;
    if row.erased_at.is_some() {
        txn.rollback().await?;
        return customers::present(row);
    }
    // The duplicates merged into this customer are the same person: their tombstones go too.
    let tombstones = customer::Entity::find()
        .filter(customer::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(customer::Column::MergedInto.eq(id.as_str()))
        .filter(customer::Column::ErasedAt.is_null())
        .all(&txn)
        .await?;
    for t in tombstones {
        erase_in(&txn, svc, caller, t).await?;
    }
    erase_in(&txn, svc, caller, row).await?;
    let erased = customers::row(&txn, caller, id).await?;
    txn.commit().await?;
    customers::present(erased)
}

/// Erases one customer inside `txn` (see [`erase_customer`]).
async fn erase_in(
    txn: &sea_orm::DatabaseTransaction,
    svc: &Services,
    caller: &Caller,
    row: customer::Model,
) -> Result<(), DomainError> {
    let id = &row.id.clone();
    let now = svc.clock.now();
    let ws = caller.workspace_id.clone();

    // Billing stops first: a live subscription is canceled now.
    let live = subscription::Entity::find()
        .filter(subscription::Column::CustomerId.eq(id.as_str()))
        .all(txn)
        .await?;
    for sub in live.iter().filter(|s| subscriptions::is_live(s.status)) {
        subscriptions::cancel_now_in(txn, svc, caller, sub, Some("customer erased".into())).await?;
    }

    let orders = order::Entity::find()
        .filter(order::Column::CustomerId.eq(id.as_str()))
        .all(txn)
        .await?;
    let details = payment_detail::Entity::find()
        .filter(payment_detail::Column::CustomerId.eq(id.as_str()))
        .all(txn)
        .await?;
    let entitlements = entitlement::Entity::find()
        .filter(entitlement::Column::CustomerId.eq(id.as_str()))
        .all(txn)
        .await?;

    // Everything that names the person, before it is cleared.
    let mut personal = Personal::default();
    personal.strong(row.email.as_deref());
    personal.strong(row.phone.as_deref());
    personal.strong(row.tax_id.as_deref());
    personal.strong(row.profile_url.as_deref());
    personal.strong(row.external_id.as_deref());
    personal.exact(row.external_id.as_deref());
    personal.exact(row.name.as_deref());
    personal.exact(row.username.as_deref());
    let metadata: std::collections::BTreeMap<String, String> =
        serde_json::from_str(&row.metadata).unwrap_or_default();
    for v in metadata.values() {
        personal.exact(Some(v));
    }
    let mut ips: Vec<String> = Vec::new();
    for o in &orders {
        personal.strong(o.ip.as_deref());
        ips.extend(o.ip.clone());
        if let Ok(pm) = serde_json::from_str::<PaymentMethod>(&o.payment_method) {
            personal.strong(pm.account.as_deref());
        }
        if let Some(note) = &o.customer_note {
            personal.exact(Some(note));
        }
    }
    for d in &details {
        if matches!(d.kind, PaymentDetailKind::Email | PaymentDetailKind::Ip) {
            // An email's value is its mailbox; its label is the address as typed.
            personal.strong(Some(&d.value));
            personal.strong(Some(&d.label));
        }
    }
    for e in &entitlements {
        personal.strong(e.discord_user_id.as_deref());
    }
    let key = workspaces::signing_key(txn, &ws).await?;

    // The customer: the tombstone.
    customer::Entity::update_many()
        .col_expr(customer::Column::Email, Expr::val(None::<String>))
        .col_expr(customer::Column::Name, Expr::val(None::<String>))
        .col_expr(customer::Column::Phone, Expr::val(None::<String>))
        .col_expr(customer::Column::TaxId, Expr::val(None::<String>))
        .col_expr(customer::Column::Username, Expr::val(None::<String>))
        .col_expr(customer::Column::ProfileUrl, Expr::val(None::<String>))
        .col_expr(customer::Column::ExternalId, Expr::val(None::<String>))
        .col_expr(customer::Column::Metadata, Expr::val("{}"))
        .col_expr(
            customer::Column::SearchText,
            Expr::val(id.as_str().to_lowercase()),
        )
        .col_expr(customer::Column::ErasedAt, Expr::val(Some(now)))
        .col_expr(
            customer::Column::ArchivedAt,
            Expr::val(Some(row.archived_at.unwrap_or(now))),
        )
        .col_expr(customer::Column::UpdatedAt, Expr::val(now))
        .col_expr(
            customer::Column::Version,
            Expr::col(customer::Column::Version).add(1),
        )
        .col_expr(
            customer::Column::PortalLinkVersion,
            Expr::col(customer::Column::PortalLinkVersion).add(1),
        )
        .filter(customer::Column::Id.eq(id.as_str()))
        .exec(txn)
        .await?;

    // Orders keep their amounts; the IP, the note and a wallet's account go.
    for o in &orders {
        let mut pm = serde_json::from_str::<PaymentMethod>(&o.payment_method).ok();
        if let Some(pm) = pm.as_mut() {
            pm.account = None;
        }
        let pm_text = pm
            .map(|pm| serde_json::to_string(&pm).unwrap_or_default())
            .unwrap_or_else(|| personal.scrub_stored(&o.payment_method));
        order::Entity::update_many()
            .col_expr(order::Column::Ip, Expr::val(None::<String>))
            .col_expr(order::Column::CustomerNote, Expr::val(None::<String>))
            .col_expr(order::Column::PaymentMethod, Expr::val(pm_text))
            .filter(order::Column::Id.eq(o.id.as_str()))
            .exec(txn)
            .await?;
    }

    // Payment details that are a person (an email, an IP) become keyed hashes: a blocked one
    // stays blocked. A card or wallet keeps its fingerprint; its label loses a wallet's email.
    for d in details.iter().filter(|d| {
        !matches!(d.kind, PaymentDetailKind::Email | PaymentDetailKind::Ip)
            && personal.found_in(&d.label)
    }) {
        payment_detail::Entity::update_many()
            .col_expr(
                payment_detail::Column::Label,
                Expr::val(personal.scrub_text(&d.label)),
            )
            .filter(payment_detail::Column::Id.eq(d.id.as_str()))
            .exec(txn)
            .await?;
    }
    for d in details
        .iter()
        .filter(|d| matches!(d.kind, PaymentDetailKind::Email | PaymentDetailKind::Ip))
    {
        // The form checkouts compare (see `payment_details::refuse_blocked`).
        payment_detail::Entity::update_many()
            .col_expr(
                payment_detail::Column::Value,
                Expr::val(keyed_hash(&key, d.kind.as_str(), d.value.trim())),
            )
            .col_expr(payment_detail::Column::Label, Expr::val(ERASED))
            .filter(payment_detail::Column::Id.eq(d.id.as_str()))
            .exec(txn)
            .await?;
    }

    // Ban identities of the person: keyed hashes, still matched.
    let mut identities: Vec<(BanIdentityKind, String)> = Vec::new();
    if let Some(e) = &row.email {
        identities.push((BanIdentityKind::Email, canonical_email(e)));
    }
    if let Some(n) = &row.name {
        identities.push((BanIdentityKind::Name, canonical_name(n)));
    }
    if let Some(x) = &row.external_id {
        identities.push((BanIdentityKind::ExternalId, x.trim().to_owned()));
    }
    for ip in &ips {
        // As bans store a single address (see `bans::net_text`).
        let ip = ip.trim();
        let canonical = ip
            .parse::<std::net::IpAddr>()
            .map(|a| a.to_string())
            .unwrap_or_else(|_| ip.to_owned());
        identities.push((BanIdentityKind::Ip, canonical));
    }
    for (kind, value) in &identities {
        ban_identity::Entity::update_many()
            .col_expr(
                ban_identity::Column::Value,
                Expr::val(keyed_hash(&key, kind.as_str(), value)),
            )
            .filter(ban_identity::Column::WorkspaceId.eq(ws.as_str()))
            .filter(ban_identity::Column::Kind.eq(*kind))
            .filter(ban_identity::Column::Value.eq(value.as_str()))
            .exec(txn)
            .await?;
    }

    // Discord links go; game-server commands lose the values substituted into them.
    let entitlement_ids: Vec<String> = entitlements.iter().map(|e| e.id.to_string()).collect();
    if !entitlement_ids.is_empty() {
        entitlement::Entity::update_many()
            .col_expr(
                entitlement::Column::DiscordUserId,
                Expr::val(None::<String>),
            )
            .filter(entitlement::Column::Id.is_in(entitlement_ids.clone()))
            .exec(txn)
            .await?;
        let commands = entitlement_command::Entity::find()
            .filter(entitlement_command::Column::EntitlementId.is_in(entitlement_ids))
            .all(txn)
            .await?;
        for c in commands
            .iter()
            .filter(|c| personal.found_in_own(&c.command))
        {
            entitlement_command::Entity::update_many()
                .col_expr(
                    entitlement_command::Column::Command,
                    Expr::val(personal.scrub_own_text(&c.command)),
                )
                .filter(entitlement_command::Column::Id.eq(c.id.as_str()))
                .exec(txn)
                .await?;
        }
    }

    scrub_events(txn, &ws, id, &personal).await?;
    scrub_webhooks(txn, &ws, id, &personal).await?;

    // Provider notifications about the customer's orders.
    let order_ids: Vec<String> = orders.iter().map(|o| o.id.to_string()).collect();
    for chunk in order_ids.chunks(500) {
        let notes = provider_event::Entity::find()
            .filter(provider_event::Column::OrderId.is_in(chunk.to_vec()))
            .all(txn)
            .await?;
        for n in notes.iter().filter(|n| personal.found_in(&n.payload)) {
            provider_event::Entity::update_many()
                .col_expr(
                    provider_event::Column::Payload,
                    Expr::val(personal.scrub_stored(&n.payload)),
                )
                .filter(provider_event::Column::Id.eq(n.id.as_str()))
                .exec(txn)
                .await?;
        }
    }

    // Mail to the person, its portal codes and sessions: gone, so links stop working.
    let mut mail = Condition::any().add(email::Column::CustomerId.eq(id.as_str()));
    if let Some(e) = &row.email {
        mail = mail.add(email::Column::ToAddress.eq(e.as_str()));
    }
    email::Entity::delete_many()
        .filter(email::Column::WorkspaceId.eq(ws.as_str()))
        .filter(mail)
        .exec(txn)
        .await?;
    if let Some(e) = &row.email {
        portal_code::Entity::delete_many()
            .filter(portal_code::Column::WorkspaceId.eq(ws.as_str()))
            .filter(portal_code::Column::Email.eq(e.as_str()))
            .exec(txn)
            .await?;
    }
    customer_session::Entity::delete_many()
        .filter(customer_session::Column::CustomerId.eq(id.as_str()))
        .exec(txn)
        .await?;
    // A stored idempotent answer that shows the person is dropped (a retry runs afresh).
    if !personal.strong.is_empty() {
        idempotency_key::Entity::delete_many()
            .filter(idempotency_key::Column::WorkspaceId.eq(ws.as_str()))
            .filter(personal.like_any(idempotency_key::Column::ResponseBody))
            .exec(txn)
            .await?;
    }

    // A merge's snapshot holds both customers as they were: it goes (the erasure's own event
    // already refuses the merge's undo).
    customer_merge::Entity::update_many()
        .col_expr(customer_merge::Column::Snapshot, Expr::val(ERASED_SNAPSHOT))
        .filter(
            Condition::any()
                .add(customer_merge::Column::SourceId.eq(id.as_str()))
                .add(customer_merge::Column::TargetId.eq(id.as_str())),
        )
        .exec(txn)
        .await?;
    erasure_request::Entity::update_many()
        .col_expr(erasure_request::Column::CompletedAt, Expr::val(Some(now)))
        .filter(erasure_request::Column::CustomerId.eq(id.as_str()))
        .filter(erasure_request::Column::CompletedAt.is_null())
        .exec(txn)
        .await?;
    // Audited without the values: the trail says that, when and by whom.
    audit::record(
        txn,
        svc,
        caller,
        Change {
            action: "customer.erased",
            target_type: TargetKind::Customer,
            target_id: id.as_str(),
            customer_id: Some(id),
            changes: Value::Object(Default::default()),
        },
    )
    .await?;
    Ok(())
}

/// Audit diffs: the customer's own events, and any other event of the workspace that holds a
/// strong value (a ban naming the person's email). The IP of the person's own actions goes.
async fn scrub_events<C: ConnectionTrait>(
    conn: &C,
    ws: &crate::types::WorkspaceId,
    id: &CustomerId,
    personal: &Personal,
) -> Result<(), DomainError> {
    let mut which = Condition::any().add(event::Column::CustomerId.eq(id.as_str()));
    if !personal.strong.is_empty() {
        which = which.add(personal.like_any(event::Column::Changes));
    }
    let mut after = String::new();
    loop {
        let rows = event::Entity::find()
            .filter(event::Column::WorkspaceId.eq(ws.as_str()))
            .filter(event::Column::Id.gt(after.as_str()))
            .filter(which.clone())
            .order_by_asc(event::Column::Id)
            .limit(500)
            .all(conn)
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.id.to_string();
        for e in &rows {
            let own = e.customer_id.as_ref() == Some(id);
            let changes = if personal.found_in(&e.changes) || own {
                personal.scrub_stored(&e.changes)
            } else {
                e.changes.clone()
            };
            let drop_ip = own && e.actor_type == ActorKind::PortalCustomer;
            if changes == e.changes && !drop_ip {
                continue;
            }
            let mut update = event::Entity::update_many()
                .col_expr(event::Column::Changes, Expr::val(changes))
                .filter(event::Column::Id.eq(e.id.as_str()));
            if drop_ip {
                update = update.col_expr(event::Column::Ip, Expr::val(None::<String>));
            }
            update.exec(conn).await?;
        }
    }
    Ok(())
}

/// Stored webhook payloads (built when first sent, with the customer inside) and the answers
/// endpoints gave, which may echo them.
async fn scrub_webhooks<C: ConnectionTrait>(
    conn: &C,
    ws: &crate::types::WorkspaceId,
    id: &CustomerId,
    personal: &Personal,
) -> Result<(), DomainError> {
    if personal.strong.is_empty() && personal.exact.is_empty() {
        return Ok(());
    }
    // The customer's own events' deliveries, and any delivery holding a strong value.
    let own_events: Vec<String> = event::Entity::find()
        .select_only()
        .column(event::Column::Id)
        .filter(event::Column::CustomerId.eq(id.as_str()))
        .into_tuple()
        .all(conn)
        .await?;
    let mut which = Condition::any();
    for chunk in own_events.chunks(500) {
        which = which.add(webhook_delivery::Column::EventId.is_in(chunk.to_vec()));
    }
    if !personal.strong.is_empty() {
        which = which.add(personal.like_any(webhook_delivery::Column::Payload));
    }
    let deliveries = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::WorkspaceId.eq(ws.as_str()))
        .filter(webhook_delivery::Column::Payload.is_not_null())
        .filter(which)
        .all(conn)
        .await?;
    let own: std::collections::HashSet<&str> = own_events.iter().map(String::as_str).collect();
    let mut delivery_ids = Vec::new();
    let mut own_deliveries = std::collections::HashSet::new();
    for d in &deliveries {
        delivery_ids.push(d.id.to_string());
        if own.contains(d.event_id.as_str()) {
            own_deliveries.insert(d.id.to_string());
        }
        let Some(payload) = &d.payload else { continue };
        let scrubbed = personal.scrub_stored(payload);
        if &scrubbed != payload {
            webhook_delivery::Entity::update_many()
                .col_expr(webhook_delivery::Column::Payload, Expr::val(Some(scrubbed)))
                .filter(webhook_delivery::Column::Id.eq(d.id.as_str()))
                .exec(conn)
                .await?;
        }
    }
    let mut answers = Condition::any();
    for chunk in delivery_ids.chunks(500) {
        answers = answers.add(webhook_attempt::Column::DeliveryId.is_in(chunk.to_vec()));
    }
    if !personal.strong.is_empty() {
        answers = answers.add(personal.like_any(webhook_attempt::Column::ResponseExcerpt));
    }
    let attempts = webhook_attempt::Entity::find()
        .filter(webhook_attempt::Column::ResponseExcerpt.is_not_null())
        .filter(answers)
        .all(conn)
        .await?;
    for a in attempts {
        let Some(text) = &a.response_excerpt else {
            continue;
        };
        // An answer may echo the payload, cut at 2 KB: scrubbed as text.
        let scrubbed = if own_deliveries.contains(a.delivery_id.as_str()) {
            personal.scrub_own_text(text)
        } else {
            personal.scrub_text(text)
        };
        if &scrubbed != text {
            webhook_attempt::Entity::update_many()
                .col_expr(
                    webhook_attempt::Column::ResponseExcerpt,
                    Expr::val(Some(scrubbed)),
                )
                .filter(webhook_attempt::Column::Id.eq(a.id.as_str()))
                .exec(conn)
                .await?;
        }
    }
    Ok(())
}

/// When a request made at `at` is due: one month later (GDPR Art. 12(3)).
pub fn due_after(at: DateTime<Utc>) -> DateTime<Utc> {
    at.checked_add_months(Months::new(1)).unwrap_or(at)
}

fn present_request(
    row: erasure_request::Model,
    customer: Option<&customer::Model>,
    now: DateTime<Utc>,
) -> ErasureRequest {
    ErasureRequest {
        days_left: (row.due_at - now).num_days(),
        object: "erasure_request".into(),
        id: row.id,
        customer_id: row.customer_id,
        customer_label: customer
            .map(|c| {
                c.name
                    .clone()
                    .or_else(|| c.email.clone())
                    .unwrap_or_else(|| c.id.to_string())
            })
            .unwrap_or_default(),
        requested_at: row.requested_at,
        due_at: row.due_at,
        completed_at: row.completed_at,
    }
}

/// The portal's "Erase my data": records the request (once: asking again answers the open
/// one) and audits it; the merchant erases.
pub(crate) async fn request_erasure(
    svc: &Services,
    caller: &Caller,
    id: &CustomerId,
) -> Result<ErasureRequest, DomainError> {
    let txn = svc.write_txn().await?;
    super::lock_row(&txn, "customers", id.as_str()).await?;
    let row = customers::row(&txn, caller, id).await?;
    refuse_if_erased(&row)?;
    if let Some(open) = erasure_request::Entity::find()
        .filter(erasure_request::Column::CustomerId.eq(id.as_str()))
        .filter(erasure_request::Column::CompletedAt.is_null())
        .one(&txn)
        .await?
    {
        txn.rollback().await?;
        return Ok(present_request(open, Some(&row), svc.clock.now()));
    }
    let now = svc.clock.now();
    let request = erasure_request::Model {
        id: ErasureRequestId::generate_at(now),
        workspace_id: caller.workspace_id.clone(),
        customer_id: id.clone(),
        requested_at: now,
        due_at: due_after(now),
        completed_at: None,
    };
    erasure_request::Entity::insert(erasure_request::ActiveModel::from(request.clone()))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        svc,
        caller,
        Change {
            action: "customer.erasure_requested",
            target_type: TargetKind::Customer,
            target_id: id.as_str(),
            customer_id: Some(id),
            changes: serde_json::json!({"due_at": {"before": null, "after": request.due_at}}),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(present_request(request, Some(&row), now))
}

/// The customer's open request, if any.
pub async fn open_request(
    svc: &Services,
    caller: &Caller,
    id: &CustomerId,
) -> Result<Option<ErasureRequest>, DomainError> {
    caller.require(Scope::CustomersRead)?;
    let row = customers::row(&svc.db, caller, id).await?;
    Ok(erasure_request::Entity::find()
        .filter(erasure_request::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(erasure_request::Column::CustomerId.eq(id.as_str()))
        .filter(erasure_request::Column::CompletedAt.is_null())
        .one(&svc.db)
        .await?
        .map(|r| present_request(r, Some(&row), svc.clock.now())))
}

/// The workspace's open requests, soonest due first.
pub async fn open_requests(
    svc: &Services,
    caller: &Caller,
) -> Result<Vec<ErasureRequest>, DomainError> {
    caller.require(Scope::CustomersRead)?;
    let now = svc.clock.now();
    let rows = erasure_request::Entity::find()
        .filter(erasure_request::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(erasure_request::Column::CompletedAt.is_null())
        .order_by_asc(erasure_request::Column::DueAt)
        .limit(500)
        .all(&svc.db)
        .await?;
    let ids: Vec<String> = rows.iter().map(|r| r.customer_id.to_string()).collect();
    let customers: std::collections::HashMap<CustomerId, customer::Model> = if ids.is_empty() {
        Default::default()
    } else {
        customer::Entity::find()
            .filter(customer::Column::Id.is_in(ids))
            .all(&svc.db)
            .await?
            .into_iter()
            .map(|c| (c.id.clone(), c))
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|r| {
            let c = customers.get(&r.customer_id);
            present_request(r, c, now)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strong_values_go_wherever_they_appear_and_exact_ones_only_whole() {
        let mut p = Personal::default();
        p.strong(Some("Ada@Example.com"));
        p.strong(Some("10.1.2.3"));
        p.exact(Some("Ann"));
        let mut doc = json!({
            "email": {"before": "ada@example.com", "after": null},
            "note": "mail ADA@example.com from 10.1.2.3",
            "name": "Ann",
            "other": "Anne",
            "n": 3
        });
        p.scrub_json(&mut doc);
        assert_eq!(
            doc,
            json!({
                "email": {"before": ERASED, "after": null},
                "note": "mail [erased] from [erased]",
                "name": ERASED,
                "other": "Anne",
                "n": 3
            })
        );
        assert_eq!(
            p.scrub_stored("not json ada@example.com"),
            "not json [erased]"
        );
    }

    #[test]
    fn a_keyed_hash_depends_on_the_key_kind_and_value() {
        let a = keyed_hash("k1", "email", "a@x.io");
        assert!(a.starts_with("erased:"));
        assert_eq!(a, keyed_hash("k1", "email", "a@x.io"));
        assert_ne!(a, keyed_hash("k2", "email", "a@x.io"));
        assert_ne!(a, keyed_hash("k1", "name", "a@x.io"));
    }
}
