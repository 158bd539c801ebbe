//! The portal's links: `/portal/session/{token}` (a one-time link minted by the merchant's
//! back end), `/portal/link/{token}` (the signed link in every receipt) and
//! `POST /dashboard/customers/{id}/portal` (a merchant's read-only view as the customer). Each
//! is exchanged for a portal session cookie and the browser goes on to `/portal`, so the token
//! leaves the address bar, the history and any Referer at once. A signed link opened in a
//! browser that holds another customer's portal session first asks before replacing it: a
//! receipt link is reusable, so someone could send theirs to sign a victim into their portal.
//! The request log names the route, never the token. Here too: `GET /portal/data_export.json`,
//! the signed-in customer's "Download my data".

use app::components::dialog::{BTN, BTN_PRIMARY};
use app::cookies::{portal_cookie, portal_token_in, served_over_https};
use app::domain::portal::{self, Opened};
use app::domain::{DomainError, Services};
use app::types::{AppError, CustomerId};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};

use super::{DashboardUser, FromThisSite, PortalVisitor};
use crate::api::error::ApiError;
use crate::state::AppState;

/// A redirect to `/portal` that sets the session cookie (Secure and `__Host-` named when
/// Patron's public address is `https://`).
fn signed_in(svc: &Services, token: &str, expires_at: DateTime<Utc>) -> Response {
    let seconds = (expires_at - svc.clock.now()).num_seconds();
    let cookie = portal_cookie(token, seconds, served_over_https(&svc.public_url));
    let mut res = Redirect::to("/portal").into_response();
    match cookie.to_string().parse() {
        Ok(v) => {
            res.headers_mut().insert(header::SET_COOKIE, v);
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot encode the portal cookie");
            ApiError::from(AppError::Internal).into_response()
        }
    }
}

fn opened(svc: &Services, result: Result<Opened, DomainError>) -> Response {
    match result {
        Ok(Opened::Session { token, expires_at }) => signed_in(svc, &token, expires_at),
        // A refused link leads to the page that says so and offers the code sign-in.
        Ok(Opened::Refused { slug: Some(slug) }) => {
            Redirect::to(&format!("/portal/{slug}?link=expired")).into_response()
        }
        Ok(Opened::Refused { slug: None }) => Redirect::to("/portal?link=expired").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "opening a portal link failed");
            ApiError::from(e).into_response()
        }
    }
}

/// `GET /portal/session/{token}`: opens a one-time link.
pub async fn open_link(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let svc = &state.services;
    opened(svc, portal::open_link(svc, &token).await)
}

/// The customer a receipt's signed link names (`{customer}.{expires}.{signature}`), not yet
/// checked: enough to tell whether it is someone else than the browser's session. `None` for
/// a token that cannot be a signed link (opening it is refused anyway) or that holds anything
/// but the characters a link is made of, so it can be put back into a page as it is.
fn link_customer(token: &str) -> Option<CustomerId> {
    let plausible = token
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-');
    if !plausible {
        return None;
    }
    CustomerId::parse(token.split('.').next()?).ok()
}

/// Whether this browser holds a live portal session (a customer's, or a merchant's view) of
/// a customer other than the one the signed link `token` names.
async fn signed_in_as_another(
    state: &AppState,
    headers: &HeaderMap,
    token: &str,
) -> Result<bool, DomainError> {
    let Some(named) = link_customer(token) else {
        return Ok(false);
    };
    match PortalVisitor::find(state, headers).await {
        Ok(PortalVisitor(who)) => Ok(who.customer_id != named),
        Err(DomainError::Unauthenticated) => Ok(false),
        Err(e) => Err(e),
    }
}

/// `GET /portal/link/{token}`: opens a receipt's signed link, or, when the browser is signed
/// in to the portal as another customer, asks first (the session stays until the visitor
/// says so).
pub async fn open_signed_link(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let svc = &state.services;
    match signed_in_as_another(&state, &headers, &token).await {
        Ok(true) => switch_page(&state, &token),
        Ok(false) => opened(svc, portal::open_signed_link(svc, &token).await),
        Err(e) => {
            tracing::error!(error = %e, "checking the portal session before a link failed");
            ApiError::from(e).into_response()
        }
    }
}

/// `POST /portal/link/{token}`: "Continue with this link" on the page that asks. Only from
/// Patron's own page (another site's page could otherwise post it and sign its visitor in as
/// someone else); the session it replaces ends when the link opens.
pub async fn confirm_signed_link(
    State(state): State<AppState>,
    Path(token): Path<String>,
    _: FromThisSite,
    headers: HeaderMap,
) -> Response {
    let svc = &state.services;
    let result = portal::open_signed_link(svc, &token).await;
    if let (Ok(Opened::Session { .. }), Some(held)) =
        (&result, portal_token_in(&headers, &svc.public_url))
    {
        // The browser forgets the old session with the new cookie: end it here too, so it
        // cannot be picked up again.
        if let Err(e) = portal::end_session(svc, &held).await {
            tracing::error!(error = %e, "ending the replaced portal session failed");
        }
    }
    opened(svc, result)
}

/// The page that asks before a signed link replaces another customer's portal session. It
/// names nobody: the visitor may be the other customer or the link's holder, and neither may
/// learn who the other is.
fn switch_page(state: &AppState, token: &str) -> Response {
    let options = &state.leptos_options;
    let stylesheet = format!("/{}/{}.css", options.site_pkg_dir, options.output_name);
    // `token` holds only letters, digits, `.`, `_` and `-` (see `link_customer`).
    let page = format!(
        r#"<!DOCTYPE html>
<html lang="en" class="h-full bg-slate-50">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>Switch accounts? · Patron</title>
<link rel="icon" type="image/svg+xml" href="/favicon.svg" />
<link rel="stylesheet" href="{stylesheet}" />
</head>
<body class="h-full text-slate-900 antialiased">
<main class="min-h-screen bg-slate-50 px-4 py-8 sm:px-6">
<div class="mx-auto max-w-md space-y-6">
<section class="rounded-xl border border-slate-200 bg-white p-6 shadow-sm" data-testid="portal-switch">
<h1 class="text-xl font-semibold text-slate-900">You are already signed in</h1>
<p class="mt-2 text-sm text-slate-600">This browser is signed in to a customer portal as someone else. The link you opened is for another account.</p>
<p class="mt-2 text-sm text-slate-600">Continue only if the link came to you, in a receipt for your own purchase. Continuing signs this browser out of the other account.</p>
<form method="post" action="/portal/link/{token}" class="mt-4 flex flex-wrap gap-2">
<button type="submit" class="{BTN_PRIMARY}">Continue with this link</button>
<a href="/portal" class="{BTN}">Stay signed in as before</a>
</form>
</section>
</div>
</main>
</body>
</html>
"#
    );
    let mut res = Html(page).into_response();
    // No script on this page; its form posts only back to Patron.
    res.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'",
        ),
    );
    res
}

/// `POST /dashboard/customers/{id}/portal`: a signed-in merchant's read-only view of the
/// portal as this customer (audited), posted by the customer page's "Open portal as customer".
/// It mints a session and writes the audit log, so it is never a GET and never answers
/// another site's page. Behind the dashboard's session guard.
pub async fn impersonate(
    State(state): State<AppState>,
    Path(id): Path<String>,
    _: FromThisSite,
    headers: HeaderMap,
) -> Response {
    let svc = &state.services;
    let run = async {
        let DashboardUser(user) = DashboardUser::find(&state, &headers).await?;
        let id = CustomerId::parse(&id).map_err(|_| DomainError::NotFound { what: "customer" })?;
        portal::impersonate(svc, &user.caller, &id).await
    };
    match run.await {
        Ok((session, expires_at)) => signed_in(svc, &session, expires_at),
        Err(DomainError::Unauthenticated) => Redirect::to("/login").into_response(),
        Err(DomainError::NotFound { .. }) => StatusCode::NOT_FOUND.into_response(),
        Err(DomainError::Forbidden { .. }) => StatusCode::FORBIDDEN.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "opening the portal as a customer failed");
            ApiError::from(e).into_response()
        }
    }
}

/// `GET /portal/data_export.json`: "Download my data", everything Patron holds about the
/// signed-in customer (GDPR Art. 15), the same document the merchant's API and dashboard give.
pub async fn data_export(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let run = async {
        let PortalVisitor(who) = PortalVisitor::find(&state, &headers).await?;
        portal::export_my_data(&state.services, &who).await
    };
    match run.await {
        Ok(export) => super::export::data_export_download(&export),
        Err(DomainError::Unauthenticated) => Redirect::to("/portal").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a portal data export failed");
            ApiError::from(e).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::link_customer;

    #[test]
    fn only_a_plausible_signed_link_names_a_customer() {
        let id = "cus_01JD5Q0000000000000000000A";
        assert_eq!(
            link_customer(&format!("{id}.1796000000.ab12")).map(|c| c.as_str().to_owned()),
            Some(id.to_owned())
        );
        assert_eq!(link_customer("nonsense"), None);
        assert_eq!(link_customer(&format!("{id}.1\"><script>.ab")), None);
    }
}
