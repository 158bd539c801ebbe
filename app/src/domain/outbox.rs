//! The outbox: every email Patron sends is first a row of `emails`, written in the same
//! transaction as what caused it (a paid order, a sign-in code), so an email is never sent for
//! something that did not happen, nor lost for something that did. [`deliver_due`] sends them:
//! each row is claimed by exactly one process (its `next_attempt_at` is the lease), handed to a
//! [`Mailer`], and marked; one failing row never stops the others, and a failed try waits
//! longer each time. A crash between sending and marking sends that email again after its
//! lease; its `Message-ID` (the row's id) lets mail clients recognise the repeat.

use std::fmt::Debug;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    Value,
};

use super::{Claim, DomainError, Services, Unreadable, claim, readable};
use crate::db::entities::email::{self, EmailKind, EmailStatus};
use crate::types::{CustomerId, EmailId, WorkspaceId};

/// How long a sender owns a claimed email before another may try it.
pub const LEASE: Duration = Duration::minutes(5);
/// Tries before an email is given up on (about a day and a half of waiting in all).
pub const MAX_ATTEMPTS: i32 = 8;
/// Emails one run claims.
const BATCH: u64 = 50;
/// What a sent sign-in code's body becomes: the code is not kept once it has left.
const SENT_CODE_BODY: &str = "(a one-time sign-in code, removed once sent)";
/// What a sent invitation's body becomes: its link is not kept once it has left.
const SENT_INVITATION_BODY: &str = "(an invitation link, removed once sent)";

/// An email to write to the outbox.
#[derive(Debug, Clone)]
pub struct NewEmail {
    /// The shop it is sent for (its name is the sender's display name).
    pub workspace_id: WorkspaceId,
    /// The customer it is about.
    pub customer_id: Option<CustomerId>,
    /// Receipt or sign-in code.
    pub kind: EmailKind,
    /// The recipient.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
}

/// Writes an email to the outbox inside `conn` (the transaction of what caused it).
pub(crate) async fn enqueue<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    new: NewEmail,
) -> Result<EmailId, DomainError> {
    let now = svc.clock.now();
    let id = EmailId::generate_at(now);
    email::ActiveModel {
        id: Set(id.clone()),
        workspace_id: Set(new.workspace_id),
        customer_id: Set(new.customer_id),
        kind: Set(new.kind),
        to_address: Set(new.to),
        subject: Set(new.subject),
        text_body: Set(new.text),
        html_body: Set(None),
        status: Set(EmailStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        sent_at: Set(None),
        delivered_as: Set(None),
        last_error: Set(None),
        created_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(id)
}

/// An email as a [`Mailer`] receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    /// Also the `Message-ID`'s local part.
    pub id: EmailId,
    /// The shop's name: the sender's display name.
    pub from_name: String,
    /// The recipient.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
}

/// Hands emails to the world: SMTP, or files in the embedded default. Answers where the
/// email went (a file name, the server's answer) or why it could not.
#[async_trait::async_trait]
pub trait Mailer: Send + Sync + Debug {
    /// Sends one email.
    async fn send(&self, email: &OutgoingEmail) -> Result<String, String>;
}

/// What one run of [`deliver_due`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Emails handed over.
    pub sent: usize,
    /// Emails that failed and will be tried again.
    pub retrying: usize,
    /// Emails given up on.
    pub failed: usize,
}

/// How long after its `attempts`-th failed try an email is tried again: 1, 2, 4... minutes,
/// at most 12 hours.
pub fn retry_delay(attempts: i32) -> Duration {
    let exponent = u32::try_from(attempts.clamp(1, 11) - 1).unwrap_or(0);
    Duration::minutes(2_i64.pow(exponent)).min(Duration::hours(12))
}

/// Sends every email that is due, each claimed by exactly one process.
pub async fn deliver_due(
    svc: &Services,
    mailer: &dyn Mailer,
) -> Result<DeliveryReport, DomainError> {
    let now = svc.clock.now();
    let mut report = DeliveryReport::default();
    let claimed = claim::<email::Entity>(
        &svc.db,
        Claim {
            set: "next_attempt_at = $, attempts = attempts + 1",
            set_values: vec![Value::from(now + LEASE)],
            open: "status = $ AND next_attempt_at <= $",
            open_values: vec![Value::from(EmailStatus::Pending), Value::from(now)],
            order_by: "next_attempt_at",
            batch: BATCH,
        },
    )
    .await?;
    let (rows, unreadable) = readable(claimed);
    for Unreadable { id, error } in unreadable {
        report.retrying += 1;
        tracing::error!(email = %id, %error, "an email cannot be read; tried again after its lease");
    }
    let shops =
        super::workspaces::names(&svc.db, rows.iter().map(|r| r.workspace_id.clone())).await?;
    for row in rows {
        let out = OutgoingEmail {
            id: row.id.clone(),
            from_name: shops.get(&row.workspace_id).cloned().unwrap_or_default(),
            to: row.to_address.clone(),
            subject: row.subject.clone(),
            text: row.text_body.clone(),
        };
        let outcome = mailer.send(&out).await;
        let marked = match &outcome {
            Ok(delivered_as) => mark_sent(svc, &row, delivered_as).await,
            Err(error) => mark_failed(svc, &row, error, now).await,
        };
        match (outcome, marked) {
            (Ok(delivered_as), Ok(())) => {
                report.sent += 1;
                tracing::info!(email = %row.id, kind = %row.kind, %delivered_as, "email sent");
            }
            (Err(error), Ok(())) if row.attempts >= MAX_ATTEMPTS => {
                report.failed += 1;
                tracing::error!(email = %row.id, kind = %row.kind, %error, "email given up on");
            }
            (Err(error), Ok(())) => {
                report.retrying += 1;
                tracing::warn!(email = %row.id, kind = %row.kind, %error, "sending an email failed; tried again later");
            }
            (_, Err(e)) => {
                report.retrying += 1;
                tracing::warn!(email = %row.id, error = %e, "recording an email's outcome failed; its lease decides");
            }
        }
    }
    Ok(report)
}

async fn mark_sent(
    svc: &Services,
    row: &email::Model,
    delivered_as: &str,
) -> Result<(), DomainError> {
    let mut update = email::Entity::update_many()
        .col_expr(email::Column::Status, Expr::val(EmailStatus::Sent))
        .col_expr(email::Column::SentAt, Expr::val(Some(svc.clock.now())))
        .col_expr(
            email::Column::DeliveredAs,
            Expr::val(Some(delivered_as.to_owned())),
        )
        .col_expr(email::Column::LastError, Expr::val(None::<String>));
    match row.kind {
        EmailKind::LoginCode => {
            update = update.col_expr(email::Column::TextBody, Expr::val(SENT_CODE_BODY));
        }
        EmailKind::Invitation => {
            update = update.col_expr(email::Column::TextBody, Expr::val(SENT_INVITATION_BODY));
        }
        EmailKind::Receipt => {}
    }
    update
        .filter(email::Column::Id.eq(&row.id))
        .filter(email::Column::Status.eq(EmailStatus::Pending))
        .exec(&svc.db)
        .await?;
    Ok(())
}

async fn mark_failed(
    svc: &Services,
    row: &email::Model,
    error: &str,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    let last_error: String = error.chars().take(500).collect();
    let (status, next) = if row.attempts >= MAX_ATTEMPTS {
        (EmailStatus::Failed, row.next_attempt_at)
    } else {
        (EmailStatus::Pending, now + retry_delay(row.attempts))
    };
    email::Entity::update_many()
        .col_expr(email::Column::Status, Expr::val(status))
        .col_expr(email::Column::NextAttemptAt, Expr::val(next))
        .col_expr(email::Column::LastError, Expr::val(Some(last_error)))
        .filter(email::Column::Id.eq(&row.id))
        .filter(email::Column::Status.eq(EmailStatus::Pending))
        .exec(&svc.db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_email_waits_longer_each_time_up_to_half_a_day() {
        assert_eq!(retry_delay(1), Duration::minutes(1));
        assert_eq!(retry_delay(2), Duration::minutes(2));
        assert_eq!(retry_delay(4), Duration::minutes(8));
        assert_eq!(retry_delay(11), Duration::hours(12));
        assert_eq!(retry_delay(40), Duration::hours(12));
    }
}
