//! A row of `payment_attempts`.

use sea_orm::entity::prelude::*;

use crate::types::{InvoiceId, PaymentAttemptId, WorkspaceId};

use crate::types::subscription::AttemptStatus;

/// One try at collecting an invoice.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_attempts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: PaymentAttemptId,
    pub workspace_id: WorkspaceId,
    pub invoice_id: InvoiceId,
    pub status: AttemptStatus,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub provider_payment_id: Option<String>,
    pub attempted_at: DateTimeUtc,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
