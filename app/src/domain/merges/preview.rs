//! What a merge involves (the plan, read on any connection), and its preview.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::db::entities::{
    ban_identity, charge_attempt, customer, dispute, entitlement, invoice, order, payment_detail,
    product, refund, subscription,
};
use crate::domain::actor::Caller;
use crate::domain::{DomainError, Services, customers, workspaces};
use crate::types::ban::BanIdentityKind;
use crate::types::customer::Metadata;
use crate::types::merge::{MergeBlocker, MergeField, MergeMoves, MergePreview, MergeRequest};
use crate::types::{CustomerId, Scope};

/// The tables whose rows belong to a customer through `customer_id`, and move.
const MOVING: [&str; 7] = [
    "orders",
    "refunds",
    "disputes",
    "subscriptions",
    "invoices",
    "entitlements",
    "charge_attempts",
];

/// Ids of `table`'s rows of customer `id`.
async fn ids_of<C: ConnectionTrait>(
    conn: &C,
    table: &str,
    id: &CustomerId,
) -> Result<Vec<String>, DomainError> {
    macro_rules! ids {
        ($e:ident) => {
            $e::Entity::find()
                .select_only()
                .column($e::Column::Id)
                .filter($e::Column::CustomerId.eq(id.as_str()))
                .order_by_asc($e::Column::Id)
                .into_tuple::<String>()
                .all(conn)
                .await?
        };
    }
    Ok(match table {
        "orders" => ids!(order),
        "refunds" => ids!(refund),
        "disputes" => ids!(dispute),
        "subscriptions" => ids!(subscription),
        "invoices" => ids!(invoice),
        "entitlements" => ids!(entitlement),
        "charge_attempts" => ids!(charge_attempt),
        _ => return Err(DomainError::internal(format!("no moving table {table}"))),
    })
}

/// Everything a merge of `source` into `target` involves, read on `conn`.
pub(super) struct Plan {
    pub(super) source: customer::Model,
    pub(super) target: customer::Model,
    pub(super) moved: BTreeMap<String, Vec<String>>,
    pub(super) source_details: Vec<payment_detail::Model>,
    target_details: Vec<payment_detail::Model>,
    pub(super) bans: Vec<String>,
    fields: Vec<MergeField>,
    pub(super) metadata: Metadata,
    pub(super) blockers: Vec<MergeBlocker>,
}

impl Plan {
    /// The source's details the target also has (same kind and value): `(source's, target's)`.
    pub(super) fn shared_details(&self) -> Vec<(&payment_detail::Model, &payment_detail::Model)> {
        self.source_details
            .iter()
            .filter_map(|s| {
                self.target_details
                    .iter()
                    .find(|t| t.kind == s.kind && t.value == s.value)
                    .map(|t| (s, t))
            })
            .collect()
    }

    fn moves(&self) -> MergeMoves {
        let n = |t: &str| self.moved.get(t).map_or(0, |v| v.len() as i64);
        MergeMoves {
            orders: n("orders"),
            refunds: n("refunds"),
            disputes: n("disputes"),
            subscriptions: n("subscriptions"),
            invoices: n("invoices"),
            entitlements: n("entitlements"),
            payment_details: self.source_details.len() as i64,
            payment_details_shared: self.shared_details().len() as i64,
            ban_identities: self.bans.len() as i64,
        }
    }
}

fn blocker(code: &str, message: String) -> MergeBlocker {
    MergeBlocker {
        code: code.to_owned(),
        message,
    }
}

pub(super) async fn plan<C: ConnectionTrait>(
    conn: &C,
    caller: &Caller,
    id: &CustomerId,
    into: &CustomerId,
) -> Result<Plan, DomainError> {
    if id == into {
        return Err(DomainError::unprocessable(
            "into",
            "is the customer itself: choose the customer to merge it into",
        ));
    }
    let source = customers::row(conn, caller, id).await?;
    let target = customers::row(conn, caller, into).await?;
    let mut blockers = Vec::new();
    for c in [&source, &target] {
        if let Some(survivor) = &c.merged_into {
            blockers.push(blocker(
                "already_merged",
                format!("{} was already merged into {survivor}", c.id),
            ));
        }
        if c.erased_at.is_some() {
            blockers.push(blocker(
                "erased",
                format!("{} was erased: an erased customer cannot be merged", c.id),
            ));
        }
    }
    if let (Some(a), Some(b)) = (&source.external_id, &target.external_id)
        && a != b
    {
        blockers.push(blocker(
            "external_ids_differ",
            format!(
                "they have different external ids ({a} and {b}): clear the one that is wrong first"
            ),
        ));
    }
    let live = |subs: &[subscription::Model]| -> BTreeSet<crate::types::ProductId> {
        subs.iter()
            .filter(|s| s.status.is_live())
            .map(|s| s.product_id.clone())
            .collect()
    };
    let subs_of = |c: &CustomerId| {
        subscription::Entity::find()
            .filter(subscription::Column::CustomerId.eq(c.as_str()))
            .all(conn)
    };
    let (source_subs, target_subs) = (subs_of(id).await?, subs_of(into).await?);
    let both: Vec<_> = live(&source_subs)
        .intersection(&live(&target_subs))
        .cloned()
        .collect();
    if !both.is_empty() {
        let names: Vec<String> = product::Entity::find()
            .filter(product::Column::Id.is_in(both.iter().map(|p| p.as_str().to_owned())))
            .all(conn)
            .await?
            .into_iter()
            .map(|p| p.name)
            .collect();
        blockers.push(blocker(
            "same_live_subscription",
            format!(
                "both have a live subscription to {}: cancel one of them first",
                names.join(", ")
            ),
        ));
    }

    let mut moved = BTreeMap::new();
    for table in MOVING {
        moved.insert(table.to_owned(), ids_of(conn, table, id).await?);
    }
    let details_of = |c: &CustomerId| {
        payment_detail::Entity::find()
            .filter(payment_detail::Column::CustomerId.eq(c.as_str()))
            .order_by_asc(payment_detail::Column::Id)
            .all(conn)
    };
    let (source_details, target_details) = (details_of(id).await?, details_of(into).await?);
    let bans: Vec<String> = ban_identity::Entity::find()
        .select_only()
        .column(ban_identity::Column::BanId)
        .filter(ban_identity::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(ban_identity::Column::Kind.eq(BanIdentityKind::Customer))
        .filter(ban_identity::Column::Value.eq(id.as_str()))
        .into_tuple()
        .all(conn)
        .await?;

    let mut fields = Vec::new();
    let pairs: [(&str, &Option<String>, &Option<String>); 8] = [
        ("external_id", &target.external_id, &source.external_id),
        ("email", &target.email, &source.email),
        ("name", &target.name, &source.name),
        ("phone", &target.phone, &source.phone),
        ("tax_id", &target.tax_id, &source.tax_id),
        ("country", &target.country, &source.country),
        ("username", &target.username, &source.username),
        ("profile_url", &target.profile_url, &source.profile_url),
    ];
    for (field, survivor, merged) in pairs {
        if merged.is_some() {
            fields.push(MergeField {
                field: field.to_owned(),
                survivor: survivor.clone(),
                merged: merged.clone(),
                result: survivor.clone().or_else(|| merged.clone()),
                conflict: survivor.is_some() && survivor != merged,
            });
        }
    }
    let parse =
        |c: &customer::Model| -> Metadata { serde_json::from_str(&c.metadata).unwrap_or_default() };
    let (source_meta, mut metadata) = (parse(&source), parse(&target));
    for (k, v) in &source_meta {
        let survivor = metadata.get(k).cloned();
        fields.push(MergeField {
            field: format!("metadata.{k}"),
            conflict: survivor.as_ref().is_some_and(|s| s != v),
            result: Some(survivor.clone().unwrap_or_else(|| v.clone())),
            survivor,
            merged: Some(v.clone()),
        });
        metadata.entry(k.clone()).or_insert_with(|| v.clone());
    }
    if metadata.len() > crate::types::customer::METADATA_MAX_PAIRS {
        blockers.push(blocker(
            "too_much_metadata",
            format!(
                "together they have {} metadata keys, more than the {} a customer may hold: remove some first",
                metadata.len(),
                crate::types::customer::METADATA_MAX_PAIRS
            ),
        ));
    }
    Ok(Plan {
        source,
        target,
        moved,
        source_details,
        target_details,
        bans,
        fields,
        metadata,
        blockers,
    })
}

/// What merging customer `id` into `input.into` would do; changes nothing.
pub async fn preview_merge(
    svc: &Services,
    caller: &Caller,
    id: &CustomerId,
    input: &MergeRequest,
) -> Result<MergePreview, DomainError> {
    caller.require(Scope::CustomersMerge)?;
    let p = plan(&svc.db, caller, id, &input.into).await?;
    let currency = workspaces::get_workspace(&svc.db, &caller.workspace_id)
        .await?
        .default_currency;
    Ok(MergePreview {
        object: "merge_preview".into(),
        customer_id: id.clone(),
        into: input.into.clone(),
        moves: p.moves(),
        lifetime_value_after: p.source.ltv_amount + p.target.ltv_amount,
        currency,
        fields: p.fields,
        blockers: p.blockers,
    })
}
