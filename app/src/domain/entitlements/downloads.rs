//! Signed, expiring download links for file benefits: the file's address never leaves Patron
//! unsigned.

use super::*;

/// How long a download link works.
pub const DOWNLOAD_LINK_TTL: Duration = Duration::minutes(15);

pub(super) async fn signing_key<C: ConnectionTrait>(
    conn: &C,
    workspace_id: &WorkspaceId,
) -> Result<String, DomainError> {
    let ws = workspace::Entity::find_by_id(workspace_id)
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound { what: "workspace" })?;
    if let Some(k) = ws.signing_secret {
        return Ok(k);
    }
    // Workspaces made before signed links existed get their key on first use; a concurrent
    // first use keeps whichever key was written first.
    workspace::Entity::update_many()
        .col_expr(
            workspace::Column::SigningSecret,
            Expr::val(Some(secrets::random_token(32))),
        )
        .filter(workspace::Column::Id.eq(workspace_id))
        .filter(workspace::Column::SigningSecret.is_null())
        .exec(conn)
        .await?;
    workspace::Entity::find_by_id(workspace_id)
        .one(conn)
        .await?
        .and_then(|w| w.signing_secret)
        .ok_or_else(|| DomainError::internal("workspace signing key missing"))
}

pub(super) fn mac(key: &str, message: &str) -> Result<Hmac<Sha256>, DomainError> {
    let mut m = Hmac::<Sha256>::new_from_slice(key.as_bytes())
        .map_err(|e| DomainError::internal(format!("hmac key: {e}")))?;
    m.update(message.as_bytes());
    Ok(m)
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A signed link to a file-download entitlement's file, valid for [`DOWNLOAD_LINK_TTL`].
pub async fn create_download_link(
    svc: &Services,
    caller: &Caller,
    id: &EntitlementId,
) -> Result<DownloadLink, DomainError> {
    caller.require(Scope::CustomersRead)?;
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
    let key = signing_key(&svc.db, &row.workspace_id).await?;
    let sig = hex(&mac(&key, &message)?.finalize().into_bytes());
    Ok(DownloadLink {
        url: format!("/downloads/{message}.{sig}"),
        expires_at,
    })
}

/// Checks a download token and returns the file's address: only while the link has not
/// expired, its signature holds, and the entitlement is still active.
pub async fn resolve_download(svc: &Services, token: &str) -> Result<String, DomainError> {
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
    let key = signing_key(&svc.db, &row.workspace_id).await?;
    let tag = unhex(sig).ok_or(DomainError::NotFound {
        what: "download link",
    })?;
    mac(&key, &format!("{id}.{expires}"))?
        .verify_slice(&tag)
        .map_err(|_| DomainError::NotFound {
            what: "download link",
        })?;
    if row.status != EntitlementStatus::Active {
        return Err(DomainError::Conflict {
            code: ErrorCode::EntitlementNotActive,
            message: format!("this download is no longer available ({})", row.status),
        });
    }
    match stored_json::<Benefit>(&row.benefit)? {
        Benefit::FileDownload { url, .. } => Ok(url),
        _ => Err(gone),
    }
}
