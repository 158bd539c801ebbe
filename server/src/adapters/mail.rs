//! Sending the outbox's emails: over SMTP with `lettre` when `PATRON_SMTP_URL` is set, else as
//! `.eml` files in the data directory's `mail/` folder (the embedded default), named by the
//! email's id, so the demo and tests can open them.

use std::path::PathBuf;

use anyhow::Context;
use app::domain::outbox::{Mailer, OutgoingEmail};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

/// Where emails go.
#[derive(Debug, Clone)]
pub enum Delivery {
    /// An SMTP server (`smtp://`, `smtps://`; `?tls=required` for STARTTLS).
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// `.eml` files in this folder.
    Files(PathBuf),
}

/// Sends emails from one address, showing each shop's name as the sender.
#[derive(Debug, Clone)]
pub struct LettreMailer {
    from: Mailbox,
    delivery: Delivery,
}

impl LettreMailer {
    /// A mailer sending from `from` (`receipts@shop.example`) over `smtp_url`, or writing
    /// files under `data_dir/mail` without one.
    pub fn new(
        from: &str,
        smtp_url: Option<&str>,
        data_dir: &std::path::Path,
    ) -> anyhow::Result<Self> {
        let from: Mailbox = from
            .parse()
            .with_context(|| format!("--mail-from: {from:?} is not an email address"))?;
        let delivery = match smtp_url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => Delivery::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .context("PATRON_SMTP_URL is not a valid smtp:// or smtps:// address")?
                    .build(),
            ),
            None => Delivery::Files(data_dir.join("mail")),
        };
        Ok(Self { from, delivery })
    }

    fn message(&self, email: &OutgoingEmail) -> Result<Message, String> {
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|e| format!("the recipient's address is not valid: {e}"))?;
        let from = Mailbox::new(
            Some(email.from_name.clone()).filter(|n| !n.trim().is_empty()),
            self.from.email.clone(),
        );
        let domain = self.from.email.domain().to_owned();
        Message::builder()
            .message_id(Some(format!("<{}@{domain}>", email.id)))
            .from(from)
            .to(to)
            .subject(email.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(email.text.clone())
            .map_err(|e| format!("the email cannot be built: {e}"))
    }
}

#[async_trait::async_trait]
impl Mailer for LettreMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, String> {
        let message = self.message(email)?;
        match &self.delivery {
            Delivery::Smtp(transport) => transport
                .send(message)
                .await
                .map(|r| format!("smtp {}", r.code()))
                .map_err(|e| format!("the mail server refused or could not be reached: {e}")),
            Delivery::Files(dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                let path = dir.join(format!("{}.eml", email.id));
                tokio::fs::write(&path, message.formatted())
                    .await
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                Ok(path.display().to_string())
            }
        }
    }
}
