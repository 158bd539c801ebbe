//! Workspaces: creating them and finding the one a request works in, and their settings
//! (the portal's address and look, the sites that may embed it, the seller's details every
//! receipt prints).

mod receipt_details;

use crate::types::money::CurrencyCode;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::db::entities::workspace;
use crate::types::EventType;
use crate::types::colour::{Colour, MIN_CONTRAST_WITH_WHITE, ratio_words};
use crate::types::workspace::{WorkspaceSettings, WorkspaceSettingsUpdate, WorkspaceSummary};
use crate::types::{Scope, WorkspaceId};

use super::audit::{self, Change};
use super::{Caller, DomainError, Services};

/// What it takes to open a workspace.
#[derive(Debug, Clone)]
pub struct NewWorkspace {
    /// Display name, 1..=100 characters once trimmed.
    pub name: String,
    /// The currency its totals are shown in.
    pub default_currency: CurrencyCode,
}

const NAME_MAX: usize = 100;
/// The longest portal address a name gives.
const SLUG_MAX: usize = 48;

/// The portal address a workspace name gives: "Northwind Games" → `northwind-games`
/// (transliterated to ASCII, at most 48 characters; `shop` when nothing is left).
pub fn slug_of(name: &str) -> String {
    let full = slug::slugify(name);
    let cut = match full.char_indices().nth(SLUG_MAX) {
        Some((i, _)) => full[..i].trim_end_matches('-').to_owned(),
        None => full,
    };
    if cut.is_empty() { "shop".into() } else { cut }
}

/// `slug` made unique by the tail of the workspace's id (`northwind-games-0000000001`).
pub fn slug_with_id(slug: &str, id: &str) -> String {
    let tail: String = id
        .chars()
        .rev()
        .take(10)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{slug}-{}", tail.to_ascii_lowercase())
}

/// The origins a workspace row lists as allowed to embed its portal.
pub fn origins_of(ws: &workspace::Model) -> Vec<String> {
    serde_json::from_str(&ws.embed_origins).unwrap_or_default()
}

/// The most origins one workspace may list.
pub const EMBED_ORIGINS_MAX: usize = 20;

/// Whether a URL's host is this machine: `localhost` or a loopback address.
pub(crate) fn loopback(host: Option<url::Host<&str>>) -> bool {
    match host {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Checks one origin a merchant lists and writes it the way browsers name origins
/// (`https://shop.example`, `https://shop.example:8443`): an `https://` origin, a wildcard
/// over the subdomains of a domain (`https://*.shop.example`), or, for development, an
/// `http://` origin on localhost or a loopback address. No path, query or fragment.
pub fn checked_origin(raw: &str, field: &str) -> Result<String, DomainError> {
    let raw = raw.trim();
    let bad = |why: &str| DomainError::invalid(field, format!("{why}: {raw:?}"));
    let (wildcard, rest) = match raw.split_once("://*.") {
        Some((scheme, rest)) => (true, format!("{scheme}://{rest}")),
        None => (false, raw.to_owned()),
    };
    let url = url::Url::parse(&rest).map_err(|_| {
        bad("must be an origin such as https://shop.example or https://*.shop.example")
    })?;
    // A pasted "https://shop.example/" is the origin; anything longer is a page.
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(bad(
            "an origin has no path or query (such as https://shop.example)",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("an origin has no user name or password"));
    }
    match url.scheme() {
        "https" => {}
        "http" if !wildcard && loopback(url.host()) => {}
        "http" => {
            return Err(bad(
                "must be https:// (http:// only for localhost or a loopback address)",
            ));
        }
        _ => return Err(bad("must be an https:// origin")),
    }
    let Some(url::Host::Domain(_) | url::Host::Ipv4(_) | url::Host::Ipv6(_)) = url.host() else {
        return Err(bad("must name a host"));
    };
    let origin = url.origin().ascii_serialization();
    if wildcard {
        // `*.com` would let every site in; a wildcard covers the subdomains of one domain.
        let domain_ok = matches!(url.host(), Some(url::Host::Domain(d)) if d.contains('.'));
        if !domain_ok {
            return Err(bad(
                "a wildcard covers the subdomains of one domain, such as https://*.shop.example",
            ));
        }
        return Ok(origin.replacen("https://", "https://*.", 1));
    }
    Ok(origin)
}

/// Checks and normalises a workspace's whole list (at most [`EMBED_ORIGINS_MAX`], no
/// repeats); a bad entry is named by its place (`embed_origins[2]`).
pub fn checked_origins(raw: &[String]) -> Result<Vec<String>, DomainError> {
    if raw.len() > EMBED_ORIGINS_MAX {
        return Err(DomainError::invalid(
            "embed_origins",
            format!("list at most {EMBED_ORIGINS_MAX} origins"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for (i, origin) in raw.iter().enumerate() {
        let origin = checked_origin(origin, &format!("embed_origins[{i}]"))?;
        if !out.contains(&origin) {
            out.push(origin);
        }
    }
    Ok(out)
}

/// Validates and stores a new workspace under a fresh id.
pub async fn create_workspace(
    svc: &Services,
    new: NewWorkspace,
) -> Result<WorkspaceSummary, DomainError> {
    create_workspace_with_id(svc, WorkspaceId::generate_at(svc.clock.now()), new).await
}

/// Like [`create_workspace`] with a chosen id: for deterministic seeds.
pub async fn create_workspace_with_id(
    svc: &Services,
    id: WorkspaceId,
    new: NewWorkspace,
) -> Result<WorkspaceSummary, DomainError> {
    let name = new.name.trim().to_owned();
    if name.is_empty() {
        return Err(DomainError::invalid("name", "must not be empty"));
    }
    if name.chars().count() > NAME_MAX {
        return Err(DomainError::invalid(
            "name",
            format!("must be at most {NAME_MAX} characters"),
        ));
    }
    let currency = new.default_currency;
    let now = svc.clock.now();
    let mut slug = slug_of(&name);
    // By its id alone, so that this works on an older schema too (see below).
    let taken = workspace::Entity::find()
        .select_only()
        .column(workspace::Column::Id)
        .filter(workspace::Column::Slug.eq(&slug))
        .count(&svc.db)
        .await?
        > 0;
    if taken {
        // The unique index settles a race between two workspaces of one name.
        slug = slug_with_id(&slug, id.as_str());
    }
    let row = workspace::ActiveModel {
        id: Set(id.clone()),
        slug: Set(Some(slug.clone())),
        portal_logo_url: Set(None),
        portal_accent_color: Set(None),
        name: Set(name.clone()),
        default_currency: Set(currency),
        created_at: Set(now),
        updated_at: Set(now),
        signing_secret: Set(Some(super::secrets::random_token(32))),
        embed_origins: Set("[]".to_owned()),
        // The receipt details start empty and the receipt counter at 0: the columns' own
        // defaults. Written and read back by name, the new row would need every column of
        // today's schema; as it is, a workspace also opens on an older one (the upgrade
        // tests build their data there).
        ..Default::default()
    };
    workspace::Entity::insert(row)
        .exec_without_returning(&svc.db)
        .await?;
    Ok(WorkspaceSummary {
        id,
        name,
        slug,
        default_currency: currency,
    })
}

/// Finds a workspace by id.
pub async fn get_workspace<C: ConnectionTrait>(
    db: &C,
    id: &WorkspaceId,
) -> Result<WorkspaceSummary, DomainError> {
    workspace::Entity::find_by_id(id.clone())
        .select_only()
        .columns(SUMMARY)
        .into_tuple::<SummaryRow>()
        .one(db)
        .await?
        .ok_or(DomainError::NotFound { what: "workspace" })
        .and_then(summary)
}

/// The oldest workspace, if any: what a single-store installation works in.
pub async fn first_workspace<C: ConnectionTrait>(
    db: &C,
) -> Result<Option<WorkspaceSummary>, DomainError> {
    workspace::Entity::find()
        .select_only()
        .columns(SUMMARY)
        .order_by_asc(workspace::Column::CreatedAt)
        .order_by_asc(workspace::Column::Id)
        .into_tuple::<SummaryRow>()
        .one(db)
        .await?
        .map(summary)
        .transpose()
}

fn settings_of(svc: &Services, row: workspace::Model, caller: &Caller) -> WorkspaceSettings {
    let slug = row.slug.clone().unwrap_or_else(|| row.id.to_string());
    WorkspaceSettings {
        object: "workspace".into(),
        embed_origins: origins_of(&row),
        portal_url: format!("{}/portal/{slug}", svc.public_url),
        slug,
        id: row.id,
        name: row.name,
        default_currency: row.default_currency,
        portal_logo_url: row.portal_logo_url,
        portal_accent_color: row.portal_accent_color,
        legal_name: row.legal_name,
        legal_address: row.legal_address,
        tax_id: row.tax_id,
        support_email: row.support_email,
        can_edit: caller.can(Scope::WorkspaceWrite),
    }
}

/// The workspace's settings, for its settings page.
pub async fn settings(svc: &Services, caller: &Caller) -> Result<WorkspaceSettings, DomainError> {
    caller.require(Scope::CustomersRead)?;
    let row = workspace::Entity::find_by_id(caller.workspace_id.clone())
        .one(&svc.db)
        .await?
        .ok_or(DomainError::NotFound { what: "workspace" })?;
    Ok(settings_of(svc, row, caller))
}

fn checked_slug(raw: &str) -> Result<String, DomainError> {
    let slug = raw.trim().to_lowercase();
    let ok = (2..=SLUG_MAX).contains(&slug.len())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if ok {
        Ok(slug)
    } else {
        Err(DomainError::invalid(
            "slug",
            format!(
                "use 2 to {SLUG_MAX} lower-case letters, digits and dashes, such as {}",
                slug_of(raw)
            ),
        ))
    }
}

fn checked_logo(raw: &str) -> Result<Option<String>, DomainError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let bad = || DomainError::invalid("portal_logo_url", "must be an https:// image address");
    if raw.len() > 500 {
        return Err(DomainError::invalid(
            "portal_logo_url",
            "must be at most 500 characters",
        ));
    }
    let url = url::Url::parse(raw).map_err(|_| bad())?;
    if url.scheme() != "https" || url.host().is_none() {
        return Err(bad());
    }
    Ok(Some(url.to_string()))
}

/// The accent colour as `#rrggbb`, or `None` for the default. It is the background of white
/// button text and the colour of links on white in the portal, so a colour too light for
/// white (WCAG 2.1 AA) is refused as unprocessable: the form is right, the colour is not.
fn checked_colour(raw: &str) -> Result<Option<String>, DomainError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let colour = Colour::parse(raw).ok_or_else(|| {
        DomainError::invalid("portal_accent_color", "must be a colour such as #4f46e5")
    })?;
    let ratio = colour.contrast_with_white();
    if ratio < MIN_CONTRAST_WITH_WHITE {
        return Err(DomainError::unprocessable(
            "portal_accent_color",
            format!(
                "is too light to read on white: its contrast with white is {} to 1, and text needs at least {MIN_CONTRAST_WITH_WHITE} to 1",
                ratio_words(ratio)
            ),
        ));
    }
    Ok(Some(colour.hex()))
}

/// Changes the workspace's name, its portal's address and look, and the seller's details its
/// receipts print; every field is checked before anything is written. Audited.
pub async fn update_settings(
    svc: &Services,
    caller: &Caller,
    input: WorkspaceSettingsUpdate,
) -> Result<WorkspaceSettings, DomainError> {
    caller.require(Scope::WorkspaceWrite)?;
    let name = input
        .name
        .map(|raw| {
            let name = raw.trim().to_owned();
            if name.is_empty() || name.chars().count() > NAME_MAX {
                Err(DomainError::invalid(
                    "name",
                    format!("must be 1 to {NAME_MAX} characters"),
                ))
            } else {
                Ok(name)
            }
        })
        .transpose()?;
    let slug = input.slug.as_deref().map(checked_slug).transpose()?;
    let logo = input
        .portal_logo_url
        .as_deref()
        .map(checked_logo)
        .transpose()?;
    let colour = input
        .portal_accent_color
        .as_deref()
        .map(checked_colour)
        .transpose()?;
    let origins = input
        .embed_origins
        .as_deref()
        .map(checked_origins)
        .transpose()?;
    let legal_name = input
        .legal_name
        .as_deref()
        .map(receipt_details::checked_legal_name)
        .transpose()?;
    let legal_address = input
        .legal_address
        .as_deref()
        .map(receipt_details::checked_legal_address)
        .transpose()?;
    let tax_id = input
        .tax_id
        .as_deref()
        .map(receipt_details::checked_tax_id)
        .transpose()?;
    let support_email = input
        .support_email
        .as_deref()
        .map(receipt_details::checked_support_email)
        .transpose()?;
    let txn = svc.write_txn().await?;
    let before = workspace::Entity::find_by_id(caller.workspace_id.clone())
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound { what: "workspace" })?;
    let taken_error =
        || DomainError::invalid("slug", "another shop has this address: choose another");
    if let Some(slug) = &slug {
        let taken = workspace::Entity::find()
            .filter(workspace::Column::Slug.eq(slug))
            .filter(workspace::Column::Id.ne(caller.workspace_id.clone()))
            .count(&txn)
            .await?
            > 0;
        if taken {
            return Err(taken_error());
        }
    }
    let mut active: workspace::ActiveModel = before.clone().into();
    if let Some(name) = name {
        active.name = Set(name);
    }
    if let Some(slug) = slug {
        active.slug = Set(Some(slug));
    }
    if let Some(logo) = logo {
        active.portal_logo_url = Set(logo);
    }
    if let Some(colour) = colour {
        active.portal_accent_color = Set(colour);
    }
    if let Some(origins) = origins {
        active.embed_origins = Set(serde_json::to_string(&origins)
            .map_err(|e| DomainError::Internal(format!("cannot encode the embed origins: {e}")))?);
    }
    if let Some(legal_name) = legal_name {
        active.legal_name = Set(legal_name);
    }
    if let Some(legal_address) = legal_address {
        active.legal_address = Set(legal_address);
    }
    if let Some(tax_id) = tax_id {
        active.tax_id = Set(tax_id);
    }
    if let Some(support_email) = support_email {
        active.support_email = Set(support_email);
    }
    active.updated_at = Set(svc.clock.now());
    // The unique index settles two shops taking one address at once.
    let after = active.update(&txn).await.map_err(|e| {
        if matches!(
            e.sql_err(),
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
        ) {
            taken_error()
        } else {
            e.into()
        }
    })?;
    let field = |w: &workspace::Model| {
        serde_json::json!({
            "name": w.name,
            "slug": w.slug,
            "portal_logo_url": w.portal_logo_url,
            "portal_accent_color": w.portal_accent_color,
            "embed_origins": origins_of(w),
            "legal_name": w.legal_name,
            "legal_address": w.legal_address,
            "tax_id": w.tax_id,
            "support_email": w.support_email,
        })
    };
    audit::record(
        &txn,
        svc,
        caller,
        Change::new(
            EventType::WorkspaceSettingsUpdated,
            caller.workspace_id.as_str(),
            None,
            audit::diff(Some(&field(&before)), Some(&field(&after))),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(settings_of(svc, after, caller))
}

/// The names of these workspaces, in one query.
pub(crate) async fn names<C: ConnectionTrait>(
    conn: &C,
    ids: impl IntoIterator<Item = WorkspaceId>,
) -> Result<std::collections::HashMap<WorkspaceId, String>, DomainError> {
    let mut ids: Vec<WorkspaceId> = ids.into_iter().collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(workspace::Entity::find()
        .filter(workspace::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|w| (w.id, w.name))
        .collect())
}

/// The workspace's key for signed links (downloads, portal links). Workspaces made before
/// signed links existed get theirs on first use; a concurrent first use keeps whichever key
/// was written first.
pub(crate) async fn signing_key<C: ConnectionTrait>(
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
    workspace::Entity::update_many()
        .col_expr(
            workspace::Column::SigningSecret,
            sea_orm::sea_query::Expr::val(Some(super::secrets::random_token(32))),
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

/// The columns a [`WorkspaceSummary`] is made of, read by name alone: the shell's every request
/// needs no more, and a workspace still opens on an older schema (the upgrade tests).
const SUMMARY: [workspace::Column; 4] = [
    workspace::Column::Id,
    workspace::Column::Name,
    workspace::Column::Slug,
    workspace::Column::DefaultCurrency,
];

/// A row of [`SUMMARY`]'s columns.
type SummaryRow = (WorkspaceId, String, Option<String>, CurrencyCode);

fn summary(
    (id, name, slug, default_currency): SummaryRow,
) -> Result<WorkspaceSummary, DomainError> {
    Ok(WorkspaceSummary {
        slug: slug.unwrap_or_else(|| id.to_string()),
        id,
        name,
        default_currency,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_https_wildcards_or_loopback_http() {
        let ok = |raw: &str| checked_origin(raw, "o").unwrap();
        assert_eq!(ok("https://Shop.Example"), "https://shop.example");
        assert_eq!(ok("https://shop.example:8443"), "https://shop.example:8443");
        assert_eq!(ok("https://shop.example:443"), "https://shop.example");
        assert_eq!(ok("https://*.shop.example"), "https://*.shop.example");
        assert_eq!(ok("http://localhost:5173"), "http://localhost:5173");
        assert_eq!(ok("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(ok(" https://shop.example/ "), "https://shop.example");
        for bad in [
            "http://shop.example",
            "http://*.localhost",
            "https://shop.example/account",
            "https://shop.example/?a=1",
            "https://*.com",
            "shop.example",
            "ftp://shop.example",
            "https://user@shop.example",
            "javascript:alert(1)",
        ] {
            let err = checked_origin(bad, "embed_origins[0]").unwrap_err();
            assert!(
                matches!(&err, DomainError::Invalid { field, .. } if field == "embed_origins[0]"),
                "{bad} gave {err:?}"
            );
        }
    }

    #[test]
    fn settings_are_checked_field_by_field() {
        assert_eq!(
            checked_slug(" Northwind-Games ").unwrap(),
            "northwind-games"
        );
        for bad in ["a", "-shop", "shop-", "my shop", "shöp", &"a".repeat(49)] {
            assert!(checked_slug(bad).is_err(), "{bad}");
        }
        assert_eq!(
            checked_colour("#4F46E5").unwrap().as_deref(),
            Some("#4f46e5")
        );
        assert_eq!(
            checked_colour("4f46e5").unwrap().as_deref(),
            Some("#4f46e5")
        );
        assert_eq!(checked_colour("").unwrap(), None);
        assert!(checked_colour("red").is_err());
        assert!(checked_colour("#4f46e").is_err());
        // Too light for white text and for links on white: refused, naming the contrast.
        for light in ["#ffff00", "#777777"] {
            match checked_colour(light) {
                Err(DomainError::Unprocessable { field, message }) => {
                    assert_eq!(field, "portal_accent_color");
                    assert!(message.starts_with("is too light"), "{message}");
                }
                other => panic!("{light} gave {other:?}"),
            }
        }
        assert_eq!(
            checked_colour("#767676").unwrap().as_deref(),
            Some("#767676")
        );
        assert!(
            checked_logo("https://cdn.example.com/logo.png")
                .unwrap()
                .is_some()
        );
        assert_eq!(checked_logo(" ").unwrap(), None);
        for bad in [
            "http://cdn.example.com/logo.png",
            "javascript:alert(1)",
            "logo.png",
        ] {
            assert!(checked_logo(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_name_gives_a_readable_ascii_address() {
        assert_eq!(slug_of("Northwind Games"), "northwind-games");
        assert_eq!(slug_of("  Café Noir & Co. "), "cafe-noir-co");
        assert_eq!(slug_of("!!!"), "shop");
        assert!(slug_of(&"a b ".repeat(40)).len() <= SLUG_MAX);
        assert!(!slug_of(&"a b ".repeat(40)).ends_with('-'));
        assert_eq!(
            slug_with_id("shop", "ws_01KAKX6D00DEM0WS0000000000"),
            "shop-0000000000"
        );
    }
}
