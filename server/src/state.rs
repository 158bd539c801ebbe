//! The state every handler shares: the domain services and Leptos' options.

use app::domain::Services;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;

/// Cheap to clone: a connection pool and a few `Arc`s.
#[derive(Clone, Debug, FromRef)]
pub struct AppState {
    /// How the site is served (root folder, output name...).
    pub leptos_options: LeptosOptions,
    /// Database and clock, as the domain needs them.
    pub services: Services,
    /// Fetches download files, to stream them behind their signed links.
    pub files: crate::adapters::files::FileFetcher,
    /// Posts webhooks: the delivery job's sender, and the dashboard's test event.
    pub webhook_sender: std::sync::Arc<dyn app::domain::webhooks::WebhookSender>,
    /// Whether this process should be sent traffic (`/readyz`).
    pub readiness: crate::web::health::Readiness,
    /// What `/metrics` renders, and the token a scrape needs; `None` when metrics are off.
    pub metrics: Option<crate::metrics::Exporter>,
}
