//! A row of `emails`: the outbox. An email is written here in the same transaction as what
//! caused it, and a job sends it (SMTP, or an `.eml` file in the embedded default).

use sea_orm::entity::prelude::*;

use crate::types::{CustomerId, EmailId, WorkspaceId};

crate::string_enum!(
    /// What an email is for.
    EmailKind {
        /// An order confirmation, with the customer's portal link.
        Receipt = "receipt",
        /// A one-time code for the portal's sign-in.
        LoginCode = "login_code",
        /// An invitation to join a workspace's team, with its one-time link.
        Invitation = "invitation",
    }
);

crate::string_enum!(
    /// Where an email stands.
    EmailStatus {
        /// Waiting to be sent (or to be tried again).
        Pending = "pending",
        /// Handed to the mail server (or written as a file).
        Sent = "sent",
        /// Given up on after its last try.
        Failed = "failed",
    }
);

/// One email.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "emails")]
pub struct Model {
    /// `em_` + ULID; also the message's `Message-ID`, so a resend after a crash is recognisable.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: EmailId,
    /// The shop it is sent for.
    pub workspace_id: WorkspaceId,
    /// The customer it is about, if any.
    pub customer_id: Option<CustomerId>,
    /// Receipt or sign-in code.
    pub kind: EmailKind,
    /// The recipient's address.
    pub to_address: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body (a sign-in code's body is blanked once sent).
    pub text_body: String,
    /// HTML body, when there is one.
    pub html_body: Option<String>,
    /// Pending, sent or failed.
    pub status: EmailStatus,
    /// Tries so far.
    pub attempts: i32,
    /// Not tried before this; a sender that claims it moves it on by its lease.
    pub next_attempt_at: DateTimeUtc,
    /// When the mail server took it.
    pub sent_at: Option<DateTimeUtc>,
    /// The file written, or the server's answer.
    pub delivered_as: Option<String>,
    /// Why the last try failed.
    pub last_error: Option<String>,
    /// When it was written.
    pub created_at: DateTimeUtc,
}

/// Declared from the owned side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
