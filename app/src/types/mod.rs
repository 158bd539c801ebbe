//! Types shared by the server and the browser: serde only, database derives behind `ssr`.

pub mod access;
pub mod activity;
pub mod ban;
pub mod colour;
pub mod contact;
pub mod customer;
pub mod entitlement;
pub mod enums;
pub mod error;
pub mod event;
pub mod ids;
pub mod import;
pub mod merge;
pub mod money;
pub mod order;
pub mod page;
pub mod payment;
pub mod payment_detail;
pub mod portal;
pub mod product;
#[cfg(feature = "ssr")]
pub mod schema;
pub mod segment;
pub mod subscription;
pub mod system;
pub mod team;
pub mod webhook;
pub mod words;
pub mod workspace;

pub use access::{Role, Scope};
pub use customer::{Customer, CustomerStats, Metadata};
pub use entitlement::Entitlement;
pub use error::{AppError, ErrorCode, ErrorType};
pub use event::{EventFamily, EventPattern, EventType, ProviderEventKind};
pub use ids::{
    ApiKeyId, BanId, BulkActionId, ChargeAttemptId, CommandId, CustomerId, CustomerImportId,
    DisputeId, EmailId, EntitlementId, ErasureRequestId, EventId, InvitationId, InvoiceId, MergeId,
    OrderId, PaymentAttemptId, PaymentDetailId, PortalCodeId, ProductId, ProviderEventId, RefundId,
    SegmentId, SessionId, SubscriptionId, UserId, WebhookAttemptId, WebhookDeliveryId,
    WebhookEndpointId, WorkspaceId,
};
pub use order::{Dispute, Order, PaymentMethod, Refund};
pub use page::Page;
pub use payment_detail::PaymentDetail;
pub use product::Product;
pub use subscription::{Invoice, Subscription};
pub use workspace::ShellContext;
