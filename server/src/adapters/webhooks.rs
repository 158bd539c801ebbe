//! Sends webhook deliveries over HTTP: reqwest with rustls, 15 s per attempt, no redirects
//! followed, no proxy, and a resolver that refuses private, loopback and link-local addresses
//! (unless `PATRON_WEBHOOK_ALLOW_HOSTS` allows them), so the address checked is the address
//! connected to, at delivery time.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use app::domain::webhooks::{AllowHosts, Answer, EXCERPT, WebhookSender};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::redirect::Policy;

/// An attempt's limit, connecting included.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// Resolves with the system resolver and keeps only the addresses the guard allows (also
/// used for fetching download files).
#[derive(Debug)]
pub(crate) struct GuardedResolver {
    pub(crate) allow: Arc<AllowHosts>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.allow.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let kept: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| allow.allows_ip(a.ip()))
                .collect();
            if kept.is_empty() {
                return Err(format!(
                    "refused: {host} resolves only to private, loopback or link-local addresses"
                )
                .into());
            }
            let addrs: Addrs = Box::new(kept.into_iter());
            Ok(addrs)
        })
    }
}

/// Makes `base` a builder for clients that fetch addresses a merchant gives (webhook endpoints,
/// download files): names resolve through the guard, and no proxy is used, neither one set on
/// `base` nor one from `HTTP_PROXY`, `HTTPS_PROXY` or `ALL_PROXY` (which reqwest otherwise
/// honours), because a proxy resolves the merchant's host itself and the guard would never see
/// the address it connects to.
pub(crate) fn guarded(
    base: reqwest::ClientBuilder,
    allow: Arc<AllowHosts>,
) -> reqwest::ClientBuilder {
    base.no_proxy()
        .dns_resolver(Arc::new(GuardedResolver { allow }))
}

/// The HTTP sender the server's delivery job uses.
#[derive(Debug, Clone)]
pub struct HttpSender {
    client: reqwest::Client,
    allow: Arc<AllowHosts>,
    timeout: Duration,
}

impl HttpSender {
    /// A sender allowed to reach `allow` beyond public addresses, with the 15 s limit.
    pub fn new(allow: Arc<AllowHosts>) -> anyhow::Result<Self> {
        Self::with_timeout(allow, TIMEOUT)
    }

    /// A sender whose attempts give up after `timeout`.
    pub fn with_timeout(allow: Arc<AllowHosts>, timeout: Duration) -> anyhow::Result<Self> {
        Self::from_builder(reqwest::Client::builder(), allow, timeout)
    }

    /// A sender built on `base`, whose attempts give up after `timeout`. Whatever proxy `base`
    /// carries is dropped, as is one from the environment: deliveries always connect straight
    /// to an address the guard allows.
    pub fn from_builder(
        base: reqwest::ClientBuilder,
        allow: Arc<AllowHosts>,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        let base = base
            .redirect(Policy::none())
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(5))
            .user_agent("Patron-Webhooks/1");
        let client = guarded(base, allow.clone()).build()?;
        Ok(Self {
            client,
            allow,
            timeout,
        })
    }
}

/// A reqwest error as the delivery log shows it.
fn describe(e: &reqwest::Error, timeout: Duration) -> String {
    let mut text = if e.is_timeout() {
        format!("timed out after {} s", timeout.as_secs())
    } else if e.is_connect() {
        "could not connect".to_owned()
    } else {
        "the request failed".to_owned()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[async_trait::async_trait]
impl WebhookSender for HttpSender {
    async fn post(
        &self,
        url: &str,
        headers: &[(String, String)],
        body: &str,
    ) -> Result<Answer, String> {
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("bad URL: {e}"))?;
        // An address written into the URL never goes through the resolver: check it here.
        if let Some(host) = parsed.host_str() {
            let literal = host.trim_start_matches('[').trim_end_matches(']');
            if let Ok(ip) = literal.parse::<IpAddr>()
                && !self.allow.allows_ip(ip)
            {
                return Err(format!(
                    "refused: {ip} is a private, loopback or link-local address"
                ));
            }
        }
        let mut req = self.client.post(parsed).body(body.to_owned());
        for (name, value) in headers {
            req = req.header(name, value);
        }
        let res = req.send().await.map_err(|e| describe(&e, self.timeout))?;
        let status = res.status().as_u16();
        let retry_after = res
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|s| *s >= 0);
        // Read at most a little more than the log keeps.
        let mut res = res;
        let mut kept: Vec<u8> = Vec::new();
        while kept.len() < EXCERPT {
            match res.chunk().await {
                Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
                Ok(None) | Err(_) => break,
            }
        }
        kept.truncate(EXCERPT + 4);
        Ok(Answer {
            status,
            retry_after,
            body: String::from_utf8_lossy(&kept).into_owned(),
        })
    }
}
