//! The browser's sessions, read and written the same way by every door: the cookie names, the
//! one rule for whether Patron is served over HTTPS ([`served_over_https`]), the session and
//! portal tokens a request carries, the cookies that hold them, and the same-origin check.
//! Pure functions of headers and the public address: the server functions reach them through
//! the Leptos context (`server_fns::ctx`), the server's plain routes straight from a request.

use axum::http::HeaderMap;
use axum::http::header::{COOKIE, HOST, ORIGIN};
use cookie::{Cookie, SameSite};

use crate::domain::accounts::SESSION_TTL;
use crate::types::AppError;

/// Name of the session cookie over plain HTTP (a local installation).
pub const SESSION_COOKIE: &str = "patron_session";

/// Name of the session cookie over HTTPS: the `__Host-` prefix makes the browser refuse it
/// unless it is Secure, for the whole site and this host only (no `Domain`), so a sibling
/// subdomain can neither read nor plant it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-patron_session";

/// Name of the customer portal's session cookie over plain HTTP (a local installation).
pub const PORTAL_COOKIE: &str = "patron_portal";

/// Name of the customer portal's session cookie over HTTPS, `__Host-` prefixed for the same
/// reason as [`SECURE_SESSION_COOKIE`]: no sibling subdomain can plant a session in it.
pub const SECURE_PORTAL_COOKIE: &str = "__Host-patron_portal";

/// Whether browsers reach Patron over HTTPS: its public address (`PATRON_PUBLIC_URL`) is
/// `https://`. The one rule for every cookie (Secure and `__Host-` named) and for HSTS. A
/// request's own `X-Forwarded-Proto` or `Origin` is not asked: a client or a misconfigured proxy
/// can say anything there, the operator's address says how browsers really arrive.
pub fn served_over_https(public_url: &str) -> bool {
    public_url
        .trim()
        .get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
}

/// The session token in `headers`' cookies, if any. Over HTTPS (see [`served_over_https`])
/// only the `__Host-` cookie counts: a plain-named one could have been planted by a sibling
/// domain or over plain HTTP.
pub fn session_token_in(headers: &HeaderMap, public_url: &str) -> Option<String> {
    if served_over_https(public_url) {
        cookie_in(headers, SECURE_SESSION_COOKIE)
    } else {
        cookie_in(headers, SESSION_COOKIE)
    }
}

/// The value of the cookie `name` in `headers`, if any.
fn cookie_in(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// The portal session token in `headers`, if any: an embedded portal's session header (the
/// frame keeps its session in memory, since its page's site may not set cookies for it), else
/// the hosted portal's cookie: over HTTPS only the `__Host-` one, as for
/// [`session_token_in`].
pub fn portal_token_in(headers: &HeaderMap, public_url: &str) -> Option<String> {
    let cookie = if served_over_https(public_url) {
        SECURE_PORTAL_COOKIE
    } else {
        PORTAL_COOKIE
    };
    headers
        .get(crate::embed::SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .or_else(|| cookie_in(headers, cookie))
}

/// The portal session cookie: HttpOnly, SameSite=Lax, whole site, for `seconds`; over HTTPS
/// (`secure`, from [`served_over_https`]) it is Secure and `__Host-` named.
pub fn portal_cookie(token: &str, seconds: i64, secure: bool) -> Cookie<'static> {
    let name = if secure {
        SECURE_PORTAL_COOKIE
    } else {
        PORTAL_COOKIE
    };
    Cookie::build((name, token.to_owned()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .path("/")
        .max_age(cookie::time::Duration::seconds(seconds.max(0)))
        .build()
}

/// The same-origin check on a request's headers. A browser says where a request comes from:
/// `Sec-Fetch-Site` (every current browser) must be `same-origin` (or `none`: typed by the
/// user); else its `Origin` must be Patron's public address (`--public-url`, as reached through
/// a proxy) or the host the request was sent to.
pub fn same_origin(headers: &HeaderMap, public_url: &str) -> Result<(), AppError> {
    let refuse = |why: &str| {
        tracing::warn!(why, "cross-origin request refused");
        Err(AppError::CrossOrigin)
    };
    if let Some(site) = headers.get("sec-fetch-site") {
        return match site.to_str() {
            Ok("same-origin" | "none") => Ok(()),
            _ => refuse("sec-fetch-site"),
        };
    }
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(()); // not a browser's cross-site request
    };
    if origin.eq_ignore_ascii_case(public_url.trim_end_matches('/')) {
        return Ok(());
    }
    let host = headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let origin_host = origin.split("://").nth(1).unwrap_or("");
    if origin_host.is_empty() || !origin_host.eq_ignore_ascii_case(host) {
        return refuse("origin");
    }
    Ok(())
}

/// The session cookie: HttpOnly, SameSite=Lax, whole site, for at most the session's 14 days
/// (it ends sooner when unused for 12 hours); over HTTPS it is Secure and `__Host-` named.
pub fn session_cookie(token: &str, secure: bool) -> Cookie<'static> {
    let name = if secure {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    };
    Cookie::build((name, token.to_owned()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .path("/")
        .max_age(cookie::time::Duration::seconds(SESSION_TTL.num_seconds()))
        .build()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn a_request_from_another_site_is_refused_behind_a_proxy_too() {
        let public = "https://billing.example";
        let ok = |h: &[(&'static str, &'static str)]| same_origin(&headers(h), public).is_ok();
        // The browser says where the request comes from.
        assert!(ok(&[("sec-fetch-site", "same-origin")]));
        assert!(ok(&[("sec-fetch-site", "none")]));
        assert!(!ok(&[("sec-fetch-site", "cross-site")]));
        assert!(!ok(&[("sec-fetch-site", "same-site")]));
        // Behind a proxy that rewrites Host, the public address is this server.
        assert!(ok(&[
            ("origin", "https://billing.example"),
            ("host", "127.0.0.1:3000")
        ]));
        assert!(ok(&[
            ("origin", "http://127.0.0.1:3000"),
            ("host", "127.0.0.1:3000")
        ]));
        assert!(!ok(&[
            ("origin", "https://evil.example"),
            ("host", "127.0.0.1:3000")
        ]));
        assert!(!ok(&[("origin", "null"), ("host", "127.0.0.1:3000")]));
        // No Origin and no Sec-Fetch-Site: not a browser's cross-site request.
        assert!(ok(&[("host", "127.0.0.1:3000")]));
    }

    #[test]
    fn over_https_the_session_cookie_is_host_prefixed_and_secure() {
        let secure = session_cookie("t0ken", true).to_string();
        assert!(
            secure.starts_with("__Host-patron_session=t0ken"),
            "{secure}"
        );
        for part in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(secure.contains(part), "{part} in {secure}");
        }
        assert!(!secure.contains("Domain"), "{secure}");
        let plain = session_cookie("t0ken", false).to_string();
        assert!(
            plain.starts_with("patron_session=t0ken") && !plain.contains("Secure"),
            "{plain}"
        );
        // Over HTTPS only the `__Host-` name is read; over HTTP only the plain one.
        let h = headers(&[(
            "cookie",
            "patron_session=planted; __Host-patron_session=new",
        )]);
        assert_eq!(
            session_token_in(&h, "https://billing.example.com").as_deref(),
            Some("new")
        );
        assert_eq!(
            session_token_in(&h, "http://127.0.0.1:3000").as_deref(),
            Some("planted")
        );
        let planted = headers(&[("cookie", "patron_session=planted")]);
        assert_eq!(
            session_token_in(&planted, "https://billing.example.com"),
            None
        );
    }

    #[test]
    fn over_https_the_portal_cookie_is_host_prefixed_and_secure() {
        let secure = portal_cookie("t0ken", 60, true).to_string();
        assert!(secure.starts_with("__Host-patron_portal=t0ken"), "{secure}");
        for part in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(secure.contains(part), "{part} in {secure}");
        }
        assert!(!secure.contains("Domain"), "{secure}");
        let plain = portal_cookie("t0ken", 60, false).to_string();
        assert!(
            plain.starts_with("patron_portal=t0ken") && !plain.contains("Secure"),
            "{plain}"
        );
        let h = headers(&[("cookie", "patron_portal=planted; __Host-patron_portal=new")]);
        assert_eq!(
            portal_token_in(&h, "https://billing.example.com").as_deref(),
            Some("new")
        );
        let planted = headers(&[("cookie", "patron_portal=planted")]);
        assert_eq!(
            portal_token_in(&planted, "https://billing.example.com"),
            None
        );
        assert_eq!(
            portal_token_in(&planted, "http://127.0.0.1:3000").as_deref(),
            Some("planted")
        );
    }

    #[test]
    fn only_an_https_public_address_means_https() {
        assert!(served_over_https("https://billing.example"));
        assert!(served_over_https("HTTPS://billing.example"));
        assert!(!served_over_https("http://127.0.0.1:3000"));
        assert!(!served_over_https("http://billing.example/https://"));
        assert!(!served_over_https(""));
    }
}
