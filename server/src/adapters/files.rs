//! File benefits served through Patron: a signed download link's handler fetches the file from
//! where the merchant keeps it and streams it to the customer, so the file's own address (often
//! a permanent one) never reaches a browser, and a link stops working when it expires or the
//! entitlement ends. The fetch goes through the same guard as webhooks, with no proxy:
//! private, loopback and link-local addresses are refused (unless `PATRON_WEBHOOK_ALLOW_HOSTS`
//! allows them), also after a redirect. The link's route is [`crate::web::downloads`].

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use app::domain::entitlements::DownloadTarget;
use app::domain::webhooks::AllowHosts;
use app::types::ErrorCode;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use reqwest::redirect::Policy;

use super::webhooks::guarded;
use crate::api::error::ApiError;

/// Redirects followed from the merchant's file address, each checked by the guard.
const MAX_REDIRECTS: usize = 5;

/// Fetches download files for their links. Cheap to clone.
#[derive(Debug, Clone)]
pub struct FileFetcher {
    client: reqwest::Client,
    allow: Arc<AllowHosts>,
}

/// Whether `url`'s host is an address written out that the guard refuses (the resolver never
/// sees those).
fn refused_literal(allow: &AllowHosts, url: &reqwest::Url) -> bool {
    url.host_str()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']'))
        .and_then(|h| h.parse::<IpAddr>().ok())
        .is_some_and(|ip| !allow.allows_ip(ip))
}

impl FileFetcher {
    /// A fetcher that may reach `allow` beyond public addresses.
    pub fn new(allow: Arc<AllowHosts>) -> anyhow::Result<Self> {
        Self::from_builder(reqwest::Client::builder(), allow)
    }

    /// A fetcher built on `base` that may reach `allow` beyond public addresses. Whatever proxy
    /// `base` carries is dropped, as is one from the environment: a file is always fetched
    /// straight from an address the guard allows.
    pub fn from_builder(
        base: reqwest::ClientBuilder,
        allow: Arc<AllowHosts>,
    ) -> anyhow::Result<Self> {
        let guard = allow.clone();
        let base = base
            .redirect(Policy::custom(move |attempt| {
                if attempt.previous().len() >= MAX_REDIRECTS {
                    attempt.error("too many redirects")
                } else if !matches!(attempt.url().scheme(), "http" | "https")
                    || refused_literal(&guard, attempt.url())
                {
                    attempt.error("refused redirect target")
                } else {
                    attempt.follow()
                }
            }))
            .connect_timeout(Duration::from_secs(5))
            .read_timeout(Duration::from_secs(30))
            .user_agent("Patron-Downloads/1");
        let client = guarded(base, allow.clone()).build()?;
        Ok(Self { client, allow })
    }

    /// The file as a streamed answer, saved under its benefit's name.
    pub async fn stream(&self, target: &DownloadTarget) -> Result<Response, ApiError> {
        let unavailable = || {
            ApiError::new(
                ErrorCode::ServiceUnavailable,
                "the file cannot be fetched right now; try again in a moment",
            )
        };
        let url = reqwest::Url::parse(&target.url).map_err(|_| unavailable())?;
        if refused_literal(&self.allow, &url) {
            tracing::warn!("a download's file address is a refused private address");
            return Err(unavailable());
        }
        let res = self.client.get(url).send().await.map_err(|e| {
            tracing::warn!(error = %e, "fetching a download's file failed");
            unavailable()
        })?;
        if !res.status().is_success() {
            tracing::warn!(
                status = res.status().as_u16(),
                "a download's file host refused"
            );
            return Err(unavailable());
        }
        let content_type = res
            .headers()
            .get(header::CONTENT_TYPE)
            .cloned()
            .unwrap_or(HeaderValue::from_static("application/octet-stream"));
        let length = res.content_length();
        let mut response = (StatusCode::OK, Body::from_stream(res.bytes_stream())).into_response();
        let h = response.headers_mut();
        h.insert(header::CONTENT_TYPE, content_type);
        if let Some(n) = length {
            h.insert(header::CONTENT_LENGTH, HeaderValue::from(n));
        }
        if let Ok(v) = HeaderValue::from_str(&attachment(&target.file_name)) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
        Ok(response)
    }
}

/// `attachment; filename="kit.zip"; filename*=UTF-8''kit.zip` (RFC 6266): an ASCII name for
/// old clients, the exact UTF-8 name for the rest.
fn attachment(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = url::form_urlencoded::byte_serialize(name.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_name_is_saved_as_given_and_cannot_break_the_header() {
        assert_eq!(
            attachment("kit v2.zip"),
            "attachment; filename=\"kit v2.zip\"; filename*=UTF-8''kit%20v2.zip"
        );
        let tricky = attachment("Räksmörgås \"x\".pdf");
        assert!(
            tricky.starts_with("attachment; filename=\"R_ksm_rg_s _x_.pdf\""),
            "{tricky}"
        );
        assert!(
            tricky.ends_with("R%C3%A4ksm%C3%B6rg%C3%A5s%20%22x%22.pdf"),
            "{tricky}"
        );
    }
}
