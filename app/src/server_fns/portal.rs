//! Server functions behind the customer portal. Each needs a live portal session (the
//! `patron_portal` cookie), which names one customer of one shop: nothing here takes a
//! customer id, so no request can reach anyone else's data.

use leptos::prelude::*;

use crate::types::AppError;
use crate::types::portal::PortalOverview;

/// The signed-in customer's overview; `None` without a live portal session (a state the page
/// explains, not an error).
#[server(prefix = "/rpc", endpoint = "portal/overview")]
pub async fn load_portal() -> Result<Option<PortalOverview>, AppError> {
    let run = async {
        let (svc, who) = match super::ctx::portal_customer().await {
            Ok(found) => found,
            Err(AppError::Unauthenticated) => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(Some(crate::domain::portal::overview(&svc, &who).await?))
    };
    super::ctx::with_status(run.await)
}

/// Signs the customer out of the portal: the session ends and the cookie goes.
#[server(prefix = "/rpc", endpoint = "portal/sign_out")]
pub async fn portal_sign_out() -> Result<(), AppError> {
    let run = async {
        use super::ctx;
        ctx::require_same_origin().await?;
        let svc = ctx::services()?;
        if let Some(token) = ctx::portal_token().await? {
            crate::domain::portal::end_session(&svc, &token).await?;
        }
        ctx::clear_portal_cookie();
        Ok(())
    };
    super::ctx::with_status(run.await)
}
