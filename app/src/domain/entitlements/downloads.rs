//! Signed, expiring download links for file benefits: the file's address never leaves Patron
//! unsigned.

use super::*;

/// How long a download link works.
pub const DOWNLOAD_LINK_TTL: Duration = Duration::minutes(15);

/// A signed link to a file-download entitlement's file, valid for [`DOWNLOAD_LINK_TTL`].
pub async fn create_download_link(
    svc: &Services,
    caller: &Caller,
    id: &EntitlementId,
) -> Result<DownloadLink, DomainError> {
    caller.require(Scope::CustomersRead)?;
    download_link(svc, caller, id).await
}

/// [`create_download_link`] once the caller's right to it is settled (the portal's own check).
pub(crate) async fn download_link(
    svc: &Services,
    caller: &Caller,
    id: &EntitlementId,
) -> Result<DownloadLink, DomainError> {
    let row = find_row(&svc.db, caller, id).await?;
    if row.kind != BenefitKind::FileDownload {
        return Err(DomainError::Conflict {
            code: ErrorCode::NotADownload,
            message: "only file-download entitlements have download links".into(),
        });
    }
    if row.status != EntitlementStatus::Active {
        return Err(DomainError::Conflict {
            code: ErrorCode::EntitlementNotActive,
            message: format!("the entitlement is {}", row.status),
        });
    }
    let expires_at = svc.clock.now() + DOWNLOAD_LINK_TTL;
    let message = format!("{}.{}", row.id, expires_at.timestamp());
    let key = workspaces::signing_key(&svc.db, &row.workspace_id).await?;
    let sig = secrets::sign(&key, &message);
    Ok(DownloadLink {
        url: format!("/downloads/{message}.{sig}"),
        expires_at,
    })
}

/// The file a valid download link leads to. Its address stays inside Patron: the server
/// fetches it and streams it to the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadTarget {
    /// Where the merchant keeps the file.
    pub url: String,
    /// The name the customer's browser saves it as.
    pub file_name: String,
}

/// Checks a download token and returns the file: only while the link has not expired, its
/// signature holds, and the entitlement is still active.
pub async fn resolve_download(svc: &Services, token: &str) -> Result<DownloadTarget, DomainError> {
    let gone = DomainError::NotFound {
        what: "download link",
    };
    let mut parts = token.splitn(3, '.');
    let (Some(id), Some(expires), Some(sig)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(gone);
    };
    let expires: i64 = expires.parse().map_err(|_| DomainError::NotFound {
        what: "download link",
    })?;
    if svc.clock.now().timestamp() > expires {
        return Err(DomainError::Conflict {
            code: ErrorCode::LinkExpired,
            message: "this download link has expired; ask for a new one".into(),
        });
    }
    let Ok(entitlement_id) = EntitlementId::parse(id) else {
        return Err(gone);
    };
    let row = ent::Entity::find_by_id(entitlement_id)
        .one(&svc.db)
        .await?
        .ok_or(DomainError::NotFound {
            what: "download link",
        })?;
    let key = workspaces::signing_key(&svc.db, &row.workspace_id).await?;
    if !secrets::signature_holds(&key, &format!("{id}.{expires}"), sig) {
        return Err(gone);
    }
    if row.status != EntitlementStatus::Active {
        return Err(DomainError::Conflict {
            code: ErrorCode::EntitlementNotActive,
            message: format!("this download is no longer available ({})", row.status),
        });
    }
    match stored_json::<Benefit>(&row.benefit)? {
        Benefit::FileDownload { url, file_name } => Ok(DownloadTarget { url, file_name }),
        _ => Err(gone),
    }
}
