//! The portal's sign-in by one-time code, at `/portal/<workspace-slug>`: the customer types an
//! email and always hears the same answer (no one learns which addresses buy there); when the
//! address belongs to a customer, a 6-character code goes out, valid [`CODE_TTL`], bound to that
//! address, stored hashed, good until [`CODE_TRIES`] wrong tries. When several customers of the
//! shop share the address, the person picks one after signing in.
//!
//! Neither door is a membership oracle. Asking for a code writes a code row either way: for a
//! stranger it is keyed by a hash of the address (no address kept in clear, no email sent), so
//! a later wrong code finds, checks and spends a try of a row on both paths, with the same
//! statements, and every refusal of a well-formed code is one sentence. Only wrong codes count
//! against the limits (per address and shop, and per client, in the database, so every server
//! process shares the count): a right code is accepted while it is live, however many wrong
//! guesses came before, so no one locks a customer out by guessing. Guessing stays bounded:
//! each code dies after [`CODE_TRIES`] wrong tries, codes are issued at most
//! [`CODE_REQUEST_EMAIL`] per address and [`CODE_REQUEST_IP`] per client in a period, and a
//! guesser past the failure limits is answered "too many attempts" until they refill.

use chrono::Duration;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::{Opened, start_session};
use crate::db::entities::customer_session::{self as cs, CustomerSessionKind};
use crate::db::entities::email::EmailKind;
use crate::db::entities::{customer, portal_code, workspace};
use crate::domain::outbox::{self, NewEmail};
use crate::domain::rate_limit::{self, Rule};
use crate::domain::{DomainError, Services, secrets, validate};
use crate::types::portal::{PortalChoice, PortalChoices};
use crate::types::{CustomerId, PortalCodeId};

/// How long a code works.
pub const CODE_TTL: Duration = Duration::minutes(15);
/// Wrong tries a code takes before it is void.
pub const CODE_TRIES: i32 = 5;
/// The code's length.
pub const CODE_LEN: usize = 6;
/// Letters and digits no one misreads (no 0/O, 1/I/L).
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// How long a person with several customer records has to pick one.
const PICK_TTL: Duration = Duration::minutes(15);
/// The customers a shared address lists at most.
const CHOICES_SHOWN: u64 = 20;

/// Codes asked for, per address and shop.
pub const CODE_REQUEST_EMAIL: Rule = Rule::new("portal_code_email", 5, 15 * 60);
/// Codes asked for, per client address.
pub const CODE_REQUEST_IP: Rule = Rule::new("portal_code_ip", 20, 15 * 60);
/// Wrong codes, per address and shop: past it, a wrong code is answered "too many attempts".
pub const CODE_TRY_EMAIL: Rule = Rule::new("portal_try_email", 10, 15 * 60);
/// Wrong codes, per client address: past it, a wrong code is answered "too many attempts".
pub const CODE_TRY_IP: Rule = Rule::new("portal_try_ip", 30, 15 * 60);

/// Every refusal of a well-formed code, whatever the reason (wrong, expired, used, out of
/// tries, or no code at all, for a customer or a stranger): one sentence, so it tells nothing.
const NOT_ACCEPTED: &str =
    "that code is not right, or has expired or was used: check it, or ask for a new one";

fn code_hash(id: &PortalCodeId, code: &str) -> String {
    secrets::sha256_hex(&format!("{id}:{code}"))
}

/// What a code row of a stranger (an address no customer of the shop has) holds instead of
/// the address: a hash, as the rate limits keep it, never the address in clear. An address
/// holds `@` and a hash does not, so the two never meet.
fn stranger_mark(ws: &workspace::Model, email: &str) -> String {
    format!(
        "sha256:{}",
        secrets::sha256_hex(&format!("{}:{email}", ws.id))
    )
}

/// The values of `portal_codes.email` that name one address in one shop: the address (a
/// customer's code) and its mark (a stranger's). Both doors look for both, so they run the
/// same statements whoever asks.
fn held_as(ws: &workspace::Model, email: &str) -> [String; 2] {
    [email.to_owned(), stranger_mark(ws, email)]
}

fn not_accepted() -> DomainError {
    DomainError::invalid("code", NOT_ACCEPTED)
}

/// What a typed code becomes before it is checked: spaces and dashes dropped, upper case.
fn normalise_code(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

async fn shop(svc: &Services, slug: &str) -> Result<workspace::Model, DomainError> {
    workspace::Entity::find()
        .filter(workspace::Column::Slug.eq(slug.trim().to_lowercase()))
        .one(&svc.db)
        .await?
        .ok_or(DomainError::NotFound { what: "shop" })
}

/// The shop's name and branding for its sign-in page.
pub async fn sign_in_page(
    svc: &Services,
    slug: &str,
) -> Result<crate::types::portal::PortalBranding, DomainError> {
    Ok(super::branding_of(&shop(svc, slug).await?))
}

/// "Email me a code": writes a code (in one transaction with its email when the address
/// belongs to a customer of the shop; keyed by the address's hash, and with no email, when it
/// does not) and answers the same either way.
pub async fn request_code(
    svc: &Services,
    slug: &str,
    email: &str,
    ip: Option<&str>,
) -> Result<(), DomainError> {
    let email = validate::normalise_email(email)?;
    let ws = shop(svc, slug).await?;
    let subject = format!("{}:{email}", ws.id);
    rate_limit::take(&svc.db, svc, &CODE_REQUEST_EMAIL, &subject).await?;
    if let Some(ip) = ip {
        rate_limit::take(&svc.db, svc, &CODE_REQUEST_IP, ip).await?;
    }
    let known = customer::Entity::find()
        .filter(customer::Column::WorkspaceId.eq(&ws.id))
        .filter(customer::Column::Email.eq(&email))
        .filter(customer::Column::ArchivedAt.is_null())
        .count(&svc.db)
        .await?
        > 0;
    let now = svc.clock.now();
    let id = PortalCodeId::generate_at(now);
    let code = secrets::random_chars(CODE_ALPHABET, CODE_LEN);
    // A stranger's code is written too, though no one will ever read it: a wrong code typed
    // for the address then finds and spends a row, as a customer's does, and the request
    // itself is a write either way.
    let txn = svc.write_txn().await?;
    portal_code::ActiveModel {
        id: Set(id.clone()),
        workspace_id: Set(ws.id.clone()),
        email: Set(if known {
            email.clone()
        } else {
            stranger_mark(&ws, &email)
        }),
        code_hash: Set(code_hash(&id, &code)),
        tries_left: Set(CODE_TRIES),
        created_at: Set(now),
        expires_at: Set(now + CODE_TTL),
        used_at: Set(None),
    }
    .insert(&txn)
    .await?;
    if known {
        outbox::enqueue(
            &txn,
            svc,
            NewEmail {
                workspace_id: ws.id.clone(),
                customer_id: None,
                kind: EmailKind::LoginCode,
                to: email,
                // The subject is stored and shown in mail lists and logs long after the code
                // is spent: only the body, blanked once sent, carries the code.
                subject: format!("Your sign-in code for {}", ws.name),
                text: format!(
                    "Your code to sign in to {shop}'s customer portal is:\n\n    {code}\n\n\
                     It works once, for 15 minutes. If you did not ask for it, ignore this email: \
                     no one can sign in without the code.\n",
                    shop = ws.name,
                ),
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// "Sign in": checks the newest code sent to `email` for this shop. A right code, while it is
/// live, opens a session (or, when several customers share the address, a choice between
/// them) and costs no allowance; any other answers one sentence, spends a try of the
/// address's live codes and counts one failure for the address and for `ip`.
pub async fn sign_in_with_code(
    svc: &Services,
    slug: &str,
    email: &str,
    code: &str,
    ip: Option<&str>,
) -> Result<Opened, DomainError> {
    let email = validate::normalise_email(email)?;
    let code = normalise_code(code);
    if code.len() != CODE_LEN {
        return Err(DomainError::invalid(
            "code",
            format!("the code has {CODE_LEN} letters and digits"),
        ));
    }
    let ws = shop(svc, slug).await?;
    let now = svc.clock.now();
    let held = held_as(&ws, &email);
    let newest = portal_code::Entity::find()
        .filter(portal_code::Column::WorkspaceId.eq(&ws.id))
        .filter(portal_code::Column::Email.is_in(held.clone()))
        .order_by_desc(portal_code::Column::CreatedAt)
        .order_by_desc(portal_code::Column::Id)
        .one(&svc.db)
        .await?;
    let right = newest.filter(|c| {
        c.used_at.is_none()
            && c.expires_at > now
            && c.tries_left > 0
            && code_hash(&c.id, &code) == c.code_hash
    });
    if let Some(right) = right {
        return open_with(svc, &ws, &email, &right).await;
    }
    // A wrong try: one statement keyed by the address spends a try of each of its live codes,
    // whether they are a customer's or a stranger's, so parallel guesses cannot exceed the
    // allowance and both paths do the same work.
    portal_code::Entity::update_many()
        .col_expr(
            portal_code::Column::TriesLeft,
            Expr::col(portal_code::Column::TriesLeft).sub(1),
        )
        .filter(portal_code::Column::WorkspaceId.eq(&ws.id))
        .filter(portal_code::Column::Email.is_in(held))
        .filter(portal_code::Column::TriesLeft.gt(0))
        .filter(portal_code::Column::UsedAt.is_null())
        .filter(portal_code::Column::ExpiresAt.gt(now))
        .exec(&svc.db)
        .await?;
    // Only failures count: a right code never waits behind someone else's wrong guesses.
    let subject = format!("{}:{email}", ws.id);
    rate_limit::take(&svc.db, svc, &CODE_TRY_EMAIL, &subject).await?;
    if let Some(ip) = ip {
        rate_limit::take(&svc.db, svc, &CODE_TRY_IP, ip).await?;
    }
    Err(not_accepted())
}

/// Spends the right code `row` and opens a session for its address, in one transaction. A
/// code spent meanwhile (a second tab), or an address that is no customer's any more, is
/// refused like any other code.
async fn open_with(
    svc: &Services,
    ws: &workspace::Model,
    email: &str,
    row: &portal_code::Model,
) -> Result<Opened, DomainError> {
    let now = svc.clock.now();
    let txn = svc.write_txn().await?;
    let spent = portal_code::Entity::update_many()
        .col_expr(portal_code::Column::UsedAt, Expr::val(Some(now)))
        .filter(portal_code::Column::Id.eq(&row.id))
        .filter(portal_code::Column::UsedAt.is_null())
        .filter(portal_code::Column::TriesLeft.gt(0))
        .filter(portal_code::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    if spent.rows_affected != 1 {
        return Err(not_accepted());
    }
    let mine = customer::Entity::find()
        .filter(customer::Column::WorkspaceId.eq(&ws.id))
        .filter(customer::Column::Email.eq(email))
        .filter(customer::Column::ArchivedAt.is_null())
        .order_by_asc(customer::Column::Id)
        .limit(2)
        .all(&txn)
        .await?;
    let Some(first) = mine.first() else {
        return Err(not_accepted());
    };
    let kind = if mine.len() > 1 {
        CustomerSessionKind::Pick
    } else {
        CustomerSessionKind::Session
    };
    let (token, expires_at) = start_session(&txn, svc, &ws.id, &first.id, None, kind, None).await?;
    txn.commit().await?;
    Ok(Opened::Session { token, expires_at })
}

async fn pick_row(svc: &Services, token: &str) -> Result<cs::Model, DomainError> {
    cs::Entity::find_by_id(secrets::sha256_hex(token))
        .filter(cs::Column::Kind.eq(CustomerSessionKind::Pick))
        .filter(cs::Column::ExpiresAt.gt(svc.clock.now()))
        .one(&svc.db)
        .await?
        .ok_or(DomainError::Unauthenticated)
}

async fn shared_by(
    svc: &Services,
    row: &cs::Model,
) -> Result<(workspace::Model, Vec<customer::Model>), DomainError> {
    let anchor = customer::Entity::find_by_id(row.customer_id.clone())
        .filter(customer::Column::WorkspaceId.eq(&row.workspace_id))
        .one(&svc.db)
        .await?
        .ok_or(DomainError::Unauthenticated)?;
    let ws = workspace::Entity::find_by_id(row.workspace_id.clone())
        .one(&svc.db)
        .await?
        .ok_or(DomainError::Unauthenticated)?;
    let Some(email) = anchor.email else {
        return Ok((ws, vec![anchor]));
    };
    let all = customer::Entity::find()
        .filter(customer::Column::WorkspaceId.eq(&row.workspace_id))
        .filter(customer::Column::Email.eq(&email))
        .filter(customer::Column::ArchivedAt.is_null())
        .order_by_asc(customer::Column::Id)
        .limit(CHOICES_SHOWN)
        .all(&svc.db)
        .await?;
    Ok((ws, all))
}

/// The customer records a signed-in address may be, when it is several; `Unauthenticated`
/// unless the token is a live choice.
pub async fn choices(svc: &Services, token: &str) -> Result<PortalChoices, DomainError> {
    let row = pick_row(svc, token).await?;
    let (ws, all) = shared_by(svc, &row).await?;
    Ok(PortalChoices {
        branding: super::branding_of(&ws),
        email: all
            .first()
            .and_then(|c| c.email.clone())
            .unwrap_or_default(),
        customers: all
            .into_iter()
            .map(|c| PortalChoice {
                id: c.id,
                name: c.name,
                since: c.created_at,
                order_count: c.order_count,
            })
            .collect(),
    })
}

/// Picks which customer record to be: the choice becomes a session of that customer, once.
pub async fn choose(svc: &Services, token: &str, id: &CustomerId) -> Result<(), DomainError> {
    let row = pick_row(svc, token).await?;
    let (_, all) = shared_by(svc, &row).await?;
    if !all.iter().any(|c| &c.id == id) {
        return Err(DomainError::NotFound { what: "customer" });
    }
    let now = svc.clock.now();
    let chosen = cs::Entity::update_many()
        .col_expr(cs::Column::Kind, Expr::val(CustomerSessionKind::Session))
        .col_expr(cs::Column::CustomerId, Expr::val(id.clone()))
        .col_expr(cs::Column::ExpiresAt, Expr::val(now + super::SESSION_TTL))
        .filter(cs::Column::TokenHash.eq(&row.token_hash))
        .filter(cs::Column::Kind.eq(CustomerSessionKind::Pick))
        .exec(&svc.db)
        .await?;
    if chosen.rows_affected != 1 {
        return Err(DomainError::Unauthenticated);
    }
    Ok(())
}

/// The expiry of a fresh choice: shorter than a session.
pub(super) fn pick_ttl() -> Duration {
    PICK_TTL
}

/// Deletes codes that have expired.
pub async fn sweep_expired(svc: &Services) -> Result<u64, DomainError> {
    Ok(portal_code::Entity::delete_many()
        .filter(portal_code::Column::ExpiresAt.lte(svc.clock.now()))
        .exec(&svc.db)
        .await?
        .rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_code_forgives_case_spaces_and_dashes() {
        assert_eq!(normalise_code(" ab3-d7k "), "AB3D7K");
        assert_eq!(normalise_code("AB3 D7K"), "AB3D7K");
    }
}
