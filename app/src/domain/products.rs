//! Products: create, find, list, archive.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use crate::db::entities::product;
use crate::types::EventType;
use crate::types::product::{Benefit, BillingInterval, PlayerIdKind, ProductCreate, ProductKind};
use crate::types::{Product, ProductId, Scope};

use super::actor::Caller;
use super::audit::{self, Change};
use super::{DomainError, Services, stored_json, to_json, validate};

/// Most benefits one product may grant.
pub const BENEFITS_MAX: usize = 20;

pub(crate) fn to_product(row: product::Model) -> Result<Product, DomainError> {
    Ok(Product {
        id: row.id.clone(),
        object: "product".into(),
        name: row.name,
        kind: row.kind,
        amount: row.amount,
        currency: row.currency,
        interval: row.interval,
        interval_count: row.interval_count,
        benefits: stored_json(&row.benefits)?,
        created_at: row.created_at,
        archived_at: row.archived_at,
    })
}

fn check_benefit(i: usize, b: &Benefit) -> Result<Benefit, DomainError> {
    let field = |f: &str| format!("benefits[{i}].{f}");
    let t = |f: &str, v: &str, max| validate::text(&field(f), v, max);
    Ok(match b {
        Benefit::LicenseKey { prefix } => Benefit::LicenseKey {
            prefix: match prefix.as_deref() {
                Some(p) => {
                    let p = t("prefix", p, 12)?;
                    if !p.chars().all(|c| c.is_ascii_alphanumeric()) {
                        return Err(DomainError::invalid(
                            field("prefix"),
                            "must be letters and digits only",
                        ));
                    }
                    Some(p.to_ascii_uppercase())
                }
                None => None,
            },
        },
        Benefit::FileDownload { file_name, url } => Benefit::FileDownload {
            file_name: t("file_name", file_name, 200)?,
            url: validate::http_url(&field("url"), url)?,
        },
        Benefit::DiscordRole { guild_id, role_id } => Benefit::DiscordRole {
            guild_id: snowflake(&field("guild_id"), guild_id)?,
            role_id: snowflake(&field("role_id"), role_id)?,
        },
        Benefit::Custom { description } => Benefit::Custom {
            description: t("description", description, 500)?,
        },
        Benefit::GameServerCommands {
            server,
            on_grant,
            on_revoke,
            player_id,
            player_id_pattern,
        } => {
            if on_grant.is_empty() && on_revoke.is_empty() {
                return Err(DomainError::unprocessable(
                    field("on_grant"),
                    "give at least one command to run",
                ));
            }
            let cmds = |name: &str, list: &[String]| {
                if list.len() > 20 {
                    return Err(DomainError::invalid(field(name), "at most 20 commands"));
                }
                list.iter()
                    .enumerate()
                    .map(|(j, c)| validate::text(&format!("{}[{j}]", field(name)), c, 500))
                    .collect::<Result<Vec<_>, _>>()
            };
            let player_id_pattern = match (player_id, player_id_pattern) {
                (PlayerIdKind::Pattern, Some(p)) => {
                    let p = t("player_id_pattern", p, 200)?;
                    player_id_regex(&p)
                        .map_err(|e| DomainError::unprocessable(field("player_id_pattern"), e))?;
                    Some(p)
                }
                (PlayerIdKind::Pattern, None) => {
                    return Err(DomainError::unprocessable(
                        field("player_id_pattern"),
                        "give the pattern external ids must match, or another player_id kind",
                    ));
                }
                (_, Some(_)) => {
                    return Err(DomainError::unprocessable(
                        field("player_id_pattern"),
                        "only goes with player_id: pattern",
                    ));
                }
                (_, None) => None,
            };
            Benefit::GameServerCommands {
                server: t("server", server, 100)?,
                on_grant: cmds("on_grant", on_grant)?,
                on_revoke: cmds("on_revoke", on_revoke)?,
                player_id: *player_id,
                player_id_pattern,
            }
        }
    })
}

/// A Discord id: 17 to 20 digits.
pub(crate) fn snowflake(field: &str, v: &str) -> Result<String, DomainError> {
    let v = v.trim();
    if (17..=20).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit()) {
        Ok(v.to_owned())
    } else {
        Err(DomainError::invalid(
            field,
            "must be a Discord id (17 to 20 digits)",
        ))
    }
}

/// Creates a product and records `product.created`.
pub async fn create_product(
    svc: &Services,
    caller: &Caller,
    input: ProductCreate,
) -> Result<Product, DomainError> {
    caller.require(Scope::ProductsWrite)?;
    let name = validate::text("name", &input.name, 200)?;
    if input.amount <= 0 {
        return Err(DomainError::invalid(
            "amount",
            "must be above zero, in the currency's minor unit (cents)",
        ));
    }
    let currency = input.currency;
    if !svc.provider.supports(currency) {
        return Err(DomainError::invalid(
            "currency",
            format!(
                "the {} payment provider does not take {}",
                svc.provider.name(),
                currency.as_str()
            ),
        ));
    }
    let (interval, count) = match input.kind {
        ProductKind::OneTime => {
            if input.interval.is_some() || input.interval_count.is_some() {
                return Err(DomainError::unprocessable(
                    "interval",
                    "only subscription products have a billing interval",
                ));
            }
            (None, None)
        }
        ProductKind::Subscription => {
            let interval: BillingInterval = input.interval.ok_or_else(|| {
                DomainError::unprocessable(
                    "interval",
                    "subscriptions need day, week, month or year",
                )
            })?;
            let count = input.interval_count.unwrap_or(1);
            if !(1..=12).contains(&count) {
                return Err(DomainError::invalid(
                    "interval_count",
                    "must be between 1 and 12",
                ));
            }
            (Some(interval), Some(count))
        }
    };
    if input.benefits.len() > BENEFITS_MAX {
        return Err(DomainError::invalid(
            "benefits",
            format!("at most {BENEFITS_MAX} benefits"),
        ));
    }
    let benefits = input
        .benefits
        .iter()
        .enumerate()
        .map(|(i, b)| check_benefit(i, b))
        .collect::<Result<Vec<_>, _>>()?;

    let id = ProductId::generate_at(svc.clock.now());
    let txn = svc.write_txn().await?;
    let row = product::ActiveModel {
        id: Set(id.clone()),
        workspace_id: Set(caller.workspace_id.clone()),
        name: Set(name),
        kind: Set(input.kind),
        amount: Set(input.amount),
        currency: Set(currency),
        interval: Set(interval),
        interval_count: Set(count),
        benefits: Set(to_json(&benefits)?),
        created_at: Set(svc.clock.now()),
        archived_at: Set(None),
    }
    .insert(&txn)
    .await?;
    let created = to_product(row)?;
    audit::record(
        &txn,
        svc,
        caller,
        Change::new(
            EventType::ProductCreated,
            id.as_str(),
            None,
            audit::diff(None, Some(&json!(created))),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

pub(crate) async fn find_row<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    id: &ProductId,
) -> Result<product::Model, DomainError> {
    crate::domain::find::in_workspace::<product::Entity, _, _, _>(
        conn,
        caller.workspace_id.as_str(),
        id.clone(),
    )
    .await
}

/// One product.
pub async fn get_product(
    svc: &Services,
    caller: &Caller,
    id: &ProductId,
) -> Result<Product, DomainError> {
    caller.require(Scope::ProductsRead)?;
    to_product(find_row(&svc.db, caller, id).await?)
}

/// Every product of the workspace, newest first (a workspace sells tens, not millions).
pub async fn list_products(svc: &Services, caller: &Caller) -> Result<Vec<Product>, DomainError> {
    caller.require(Scope::ProductsRead)?;
    product::Entity::find()
        .filter(product::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .order_by_desc(product::Column::Id)
        .all(&svc.db)
        .await?
        .into_iter()
        .map(to_product)
        .collect()
}

/// A page of the workspace's products, newest first, after `after`.
pub async fn page_products(
    svc: &Services,
    caller: &Caller,
    limit: super::Limit,
    after: Option<&ProductId>,
) -> Result<crate::types::Page<Product>, DomainError> {
    caller.require(Scope::ProductsRead)?;
    let select = product::Entity::find()
        .filter(product::Column::WorkspaceId.eq(caller.workspace_id.as_str()));
    let (rows, more) = super::paging::newest_first(
        &svc.db,
        select,
        product::Column::Id,
        after.map(ProductId::as_str),
        limit,
    )
    .await?;
    let data = rows.into_iter().map(to_product).collect::<Result<_, _>>()?;
    Ok(crate::types::Page::new(data, more))
}

/// Archives a product: it can no longer be bought; what was sold stays.
pub async fn archive_product(
    svc: &Services,
    caller: &Caller,
    id: &ProductId,
) -> Result<Product, DomainError> {
    caller.require(Scope::ProductsWrite)?;
    let row = find_row(&svc.db, caller, id).await?;
    if row.archived_at.is_some() {
        return to_product(row);
    }
    let now = svc.clock.now();
    let txn = svc.write_txn().await?;
    let archived = product::Entity::update_many()
        .col_expr(product::Column::ArchivedAt, Expr::val(Some(now)))
        .filter(product::Column::Id.eq(row.id.as_str()))
        .filter(product::Column::ArchivedAt.is_null())
        .exec(&txn)
        .await?;
    if archived.rows_affected == 0 {
        // Archived by a concurrent request, which recorded the event.
        txn.rollback().await?;
        return to_product(find_row(&svc.db, caller, id).await?);
    }
    let row = find_row(&txn, caller, id).await?;
    audit::record(
        &txn,
        svc,
        caller,
        Change::new(
            EventType::ProductArchived,
            id.as_str(),
            None,
            json!({"archived_at": {"before": null, "after": now}}),
        ),
    )
    .await?;
    txn.commit().await?;
    to_product(row)
}

/// Names of the given products, for rows that show them (one query, whatever the count).
pub(crate) async fn names<C: ConnectionTrait>(
    conn: &C,
    ids: impl IntoIterator<Item = ProductId>,
) -> Result<std::collections::HashMap<ProductId, String>, DomainError> {
    let mut ids: Vec<ProductId> = ids.into_iter().collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(product::Entity::find()
        .filter(product::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect())
}

/// The regular expression of a `pattern` player id, anchored to the whole id and bounded in
/// size (a merchant's pattern must not cost the server much to build or run).
pub(crate) fn player_id_regex(pattern: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(1 << 16)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(_) => "is too complex a pattern".to_owned(),
            _ => "is not a valid regular expression".to_owned(),
        })
}
