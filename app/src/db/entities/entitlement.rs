//! A row of `entitlements`.

use sea_orm::entity::prelude::*;

use crate::types::{CustomerId, EntitlementId, OrderId, ProductId, SubscriptionId, WorkspaceId};

use crate::types::entitlement::{EntitlementSource, EntitlementStatus};
use crate::types::product::BenefitKind;

/// One inventory item; `benefit` is the product benefit it came from, as JSON.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "entitlements")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: EntitlementId,
    pub workspace_id: WorkspaceId,
    pub customer_id: CustomerId,
    pub product_id: ProductId,
    pub order_id: Option<OrderId>,
    pub subscription_id: Option<SubscriptionId>,
    pub source: EntitlementSource,
    pub kind: BenefitKind,
    pub benefit: String,
    pub status: EntitlementStatus,
    pub license_key: Option<String>,
    pub discord_user_id: Option<String>,
    /// Game-server commands: the player id the grant's commands were written with (the
    /// customer's external id then, or Patron's id without one), which its revoke commands
    /// use too; `None` for other benefits, or where it is not known.
    pub player_id: Option<String>,
    pub granted_at: DateTimeUtc,
    pub expires_at: Option<DateTimeUtc>,
    pub ended_at: Option<DateTimeUtc>,
    pub end_reason: Option<String>,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
