//! The closed vocabularies of what happens: every change the audit trail records
//! ([`EventType`]), which of them an endpoint hears ([`EventPattern`]), and what the payment
//! provider reports ([`ProviderEventKind`]). No other file spells an event's name.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::activity::TargetKind;
use crate::string_enum;

string_enum!(
    /// The part of an event's name before the dot.
    EventFamily {
        /// A customer's own fields, archive, merge and erasure.
        Customer = "customer",
        /// An order's payment.
        Order = "order",
        /// Money given back.
        Refund = "refund",
        /// A payer's bank disputing a payment.
        Dispute = "dispute",
        /// A subscription's life.
        Subscription = "subscription",
        /// An item of a customer's inventory.
        Entitlement = "entitlement",
        /// A ban.
        Ban = "ban",
        /// A merchant seeing a customer's license key.
        LicenseKey = "license_key",
        /// The catalogue.
        Product = "product",
        /// The workspace's API keys.
        ApiKey = "api_key",
        /// The workspace's team.
        Member = "member",
        /// The workspace's settings.
        Workspace = "workspace",
        /// A change to many customers at once.
        BulkAction = "bulk_action",
        /// A card, account, email or IP address being blocked.
        PaymentDetail = "payment_detail",
        /// The workspace's webhook endpoints.
        WebhookEndpoint = "webhook_endpoint",
    }
);

impl EventFamily {
    /// The families whose events go out as webhooks.
    pub const WEBHOOK: [EventFamily; 7] = [
        EventFamily::Customer,
        EventFamily::Order,
        EventFamily::Refund,
        EventFamily::Dispute,
        EventFamily::Subscription,
        EventFamily::Entitlement,
        EventFamily::Ban,
    ];

    /// The family's name for people, in the plural: "Orders".
    pub fn label(self) -> &'static str {
        match self {
            EventFamily::Customer => "Customers",
            EventFamily::Order => "Orders",
            EventFamily::Refund => "Refunds",
            EventFamily::Dispute => "Disputes",
            EventFamily::Subscription => "Subscriptions",
            EventFamily::Entitlement => "Entitlements",
            EventFamily::Ban => "Bans",
            EventFamily::LicenseKey => "License keys",
            EventFamily::Product => "Products",
            EventFamily::ApiKey => "API keys",
            EventFamily::Member => "Team members",
            EventFamily::Workspace => "Workspace settings",
            EventFamily::BulkAction => "Bulk actions",
            EventFamily::PaymentDetail => "Blocked payment details",
            EventFamily::WebhookEndpoint => "Webhook endpoints",
        }
    }

    /// Whether merchants' endpoints hear about this family at all.
    pub fn is_webhook(self) -> bool {
        Self::WEBHOOK.contains(&self)
    }
}

string_enum!(
    /// Every kind of change the audit trail records, named `family.action`.
    EventType {
        /// A customer was created.
        CustomerCreated = "customer.created",
        /// A customer's fields changed.
        CustomerUpdated = "customer.updated",
        /// A customer was archived.
        CustomerArchived = "customer.archived",
        /// An archived customer was restored.
        CustomerUnarchived = "customer.unarchived",
        /// A customer's personal data was erased.
        CustomerErased = "customer.erased",
        /// A customer asked to be erased.
        CustomerErasureRequested = "customer.erasure_requested",
        /// A customer was merged into another (recorded on the merged one).
        CustomerMerged = "customer.merged",
        /// Another customer was merged into this one (recorded on the survivor).
        CustomerMergedIn = "customer.merged_in",
        /// A merge was undone.
        CustomerMergeUndone = "customer.merge_undone",
        /// A portal link was minted for a customer (bookkeeping: no webhook).
        CustomerPortalLinkCreated = "customer.portal_link_created",
        /// A customer's portal links were replaced (bookkeeping: no webhook).
        CustomerPortalLinkRotated = "customer.portal_link_rotated",
        /// A merchant opened a customer's portal (bookkeeping: no webhook).
        CustomerPortalViewed = "customer.portal_viewed",
        /// An order was created unpaid.
        OrderCreated = "order.created",
        /// An order was paid.
        OrderPaid = "order.paid",
        /// An order's payment failed.
        OrderFailed = "order.failed",
        /// Money went back to the payer.
        RefundCreated = "refund.created",
        /// The provider refused a refund.
        RefundFailed = "refund.failed",
        /// The payer's bank opened a dispute.
        DisputeOpened = "dispute.opened",
        /// A dispute was decided for the merchant.
        DisputeWon = "dispute.won",
        /// A dispute was decided for the payer.
        DisputeLost = "dispute.lost",
        /// A dispute was closed.
        DisputeClosed = "dispute.closed",
        /// A subscription started.
        SubscriptionCreated = "subscription.created",
        /// A subscription renewed.
        SubscriptionRenewed = "subscription.renewed",
        /// A renewal was declined.
        SubscriptionPastDue = "subscription.past_due",
        /// A past-due subscription was paid.
        SubscriptionRecovered = "subscription.recovered",
        /// A subscription ended at once.
        SubscriptionCanceled = "subscription.canceled",
        /// A subscription will end with its period.
        SubscriptionCancelScheduled = "subscription.cancel_scheduled",
        /// A subscription ran out.
        SubscriptionExpired = "subscription.expired",
        /// A subscription was taken away.
        SubscriptionRevoked = "subscription.revoked",
        /// A subscription's card or account changed.
        SubscriptionPaymentMethodUpdated = "subscription.payment_method_updated",
        /// An item was granted.
        EntitlementGranted = "entitlement.granted",
        /// An item was taken away.
        EntitlementRevoked = "entitlement.revoked",
        /// An item ran out.
        EntitlementExpired = "entitlement.expired",
        /// A game server reported a command's outcome.
        EntitlementCommandReported = "entitlement.command_reported",
        /// A Discord account was linked.
        EntitlementDiscordLinked = "entitlement.discord_linked",
        /// A download link was minted.
        EntitlementDownloadLinkCreated = "entitlement.download_link_created",
        /// The customer revealed their own license key.
        EntitlementLicenseKeyRevealed = "entitlement.license_key_revealed",
        /// A ban was made.
        BanCreated = "ban.created",
        /// A ban changed.
        BanUpdated = "ban.updated",
        /// A ban was lifted.
        BanLifted = "ban.lifted",
        /// A merchant revealed a customer's license key (nothing about the item changed).
        LicenseKeyRevealed = "license_key.revealed",
        /// A product was created.
        ProductCreated = "product.created",
        /// A product was archived.
        ProductArchived = "product.archived",
        /// An API key was created.
        ApiKeyCreated = "api_key.created",
        /// An API key was revoked.
        ApiKeyRevoked = "api_key.revoked",
        /// Someone was invited to the team.
        MemberInvited = "member.invited",
        /// An invitation was taken up.
        MemberJoined = "member.joined",
        /// Someone left or was removed.
        MemberRemoved = "member.removed",
        /// A member's role changed.
        MemberRoleChanged = "member.role_changed",
        /// The workspace's settings changed.
        WorkspaceSettingsUpdated = "workspace.settings_updated",
        /// A bulk action started.
        BulkActionStarted = "bulk_action.started",
        /// A bulk action was asked to stop.
        BulkActionCancelRequested = "bulk_action.cancel_requested",
        /// A bulk action stopped before its end.
        BulkActionStopped = "bulk_action.stopped",
        /// A card, account, email or IP address was blocked.
        PaymentDetailBlocked = "payment_detail.blocked",
        /// A blocked card, account, email or IP address was unblocked.
        PaymentDetailUnblocked = "payment_detail.unblocked",
        /// A webhook endpoint was added.
        WebhookEndpointCreated = "webhook_endpoint.created",
        /// A webhook endpoint changed.
        WebhookEndpointUpdated = "webhook_endpoint.updated",
        /// A webhook endpoint's signing secret was replaced.
        WebhookEndpointSecretRotated = "webhook_endpoint.secret_rotated",
        /// A webhook endpoint was deleted.
        WebhookEndpointDeleted = "webhook_endpoint.deleted",
    }
);

impl EventType {
    /// The family: the name's part before the dot.
    pub fn family(self) -> EventFamily {
        use EventType as E;
        match self {
            E::CustomerCreated
            | E::CustomerUpdated
            | E::CustomerArchived
            | E::CustomerUnarchived
            | E::CustomerErased
            | E::CustomerErasureRequested
            | E::CustomerMerged
            | E::CustomerMergedIn
            | E::CustomerMergeUndone
            | E::CustomerPortalLinkCreated
            | E::CustomerPortalLinkRotated
            | E::CustomerPortalViewed => EventFamily::Customer,
            E::OrderCreated | E::OrderPaid | E::OrderFailed => EventFamily::Order,
            E::RefundCreated | E::RefundFailed => EventFamily::Refund,
            E::DisputeOpened | E::DisputeWon | E::DisputeLost | E::DisputeClosed => {
                EventFamily::Dispute
            }
            E::SubscriptionCreated
            | E::SubscriptionRenewed
            | E::SubscriptionPastDue
            | E::SubscriptionRecovered
            | E::SubscriptionCanceled
            | E::SubscriptionCancelScheduled
            | E::SubscriptionExpired
            | E::SubscriptionRevoked
            | E::SubscriptionPaymentMethodUpdated => EventFamily::Subscription,
            E::EntitlementGranted
            | E::EntitlementRevoked
            | E::EntitlementExpired
            | E::EntitlementCommandReported
            | E::EntitlementDiscordLinked
            | E::EntitlementDownloadLinkCreated
            | E::EntitlementLicenseKeyRevealed => EventFamily::Entitlement,
            E::BanCreated | E::BanUpdated | E::BanLifted => EventFamily::Ban,
            E::LicenseKeyRevealed => EventFamily::LicenseKey,
            E::ProductCreated | E::ProductArchived => EventFamily::Product,
            E::ApiKeyCreated | E::ApiKeyRevoked => EventFamily::ApiKey,
            E::MemberInvited | E::MemberJoined | E::MemberRemoved | E::MemberRoleChanged => {
                EventFamily::Member
            }
            E::WorkspaceSettingsUpdated => EventFamily::Workspace,
            E::BulkActionStarted | E::BulkActionCancelRequested | E::BulkActionStopped => {
                EventFamily::BulkAction
            }
            E::PaymentDetailBlocked | E::PaymentDetailUnblocked => EventFamily::PaymentDetail,
            E::WebhookEndpointCreated
            | E::WebhookEndpointUpdated
            | E::WebhookEndpointSecretRotated
            | E::WebhookEndpointDeleted => EventFamily::WebhookEndpoint,
        }
    }

    /// The kind of object the event is recorded on.
    pub fn target(self) -> TargetKind {
        match self.family() {
            EventFamily::Customer => TargetKind::Customer,
            EventFamily::Order | EventFamily::Refund | EventFamily::Dispute => TargetKind::Order,
            EventFamily::Subscription => TargetKind::Subscription,
            EventFamily::Entitlement | EventFamily::LicenseKey => TargetKind::Entitlement,
            EventFamily::Ban => TargetKind::Ban,
            EventFamily::Product => TargetKind::Product,
            EventFamily::PaymentDetail => TargetKind::PaymentDetail,
            EventFamily::ApiKey
            | EventFamily::WebhookEndpoint
            | EventFamily::Member
            | EventFamily::Workspace
            | EventFamily::BulkAction => TargetKind::Workspace,
        }
    }

    /// Whether merchants hear about it by webhook: the webhook families, not the portal's own
    /// bookkeeping (links minted, merchants viewing as a customer).
    pub fn is_webhook(self) -> bool {
        self.family().is_webhook()
            && !matches!(
                self,
                EventType::CustomerPortalLinkCreated
                    | EventType::CustomerPortalLinkRotated
                    | EventType::CustomerPortalViewed
            )
    }

    /// Every type that goes out as a webhook, in declaration order.
    pub fn webhooks() -> impl Iterator<Item = EventType> {
        Self::ALL.iter().copied().filter(|t| t.is_webhook())
    }

    /// What happened, for people: "Subscription canceled", never `subscription.canceled`.
    pub fn label(self) -> &'static str {
        use EventType as E;
        match self {
            E::CustomerCreated => "Customer created",
            E::CustomerUpdated => "Customer updated",
            E::CustomerArchived => "Customer archived",
            E::CustomerUnarchived => "Customer unarchived",
            E::CustomerErased => "Personal data erased",
            E::CustomerErasureRequested => "Erasure requested",
            E::CustomerMerged => "Merged into another customer",
            E::CustomerMergedIn => "Another customer merged in",
            E::CustomerMergeUndone => "Merge undone",
            E::CustomerPortalLinkCreated => "Portal link created",
            E::CustomerPortalLinkRotated => "Portal link rotated",
            E::CustomerPortalViewed => "Portal opened as the customer",
            E::OrderCreated => "Order created",
            E::OrderPaid => "Order paid",
            E::OrderFailed => "Payment failed",
            E::RefundCreated => "Refund issued",
            E::RefundFailed => "Refund failed",
            E::DisputeOpened => "Dispute opened",
            E::DisputeWon => "Dispute won",
            E::DisputeLost => "Dispute lost",
            E::DisputeClosed => "Dispute closed",
            E::SubscriptionCreated => "Subscription started",
            E::SubscriptionRenewed => "Subscription renewed",
            E::SubscriptionPastDue => "Renewal declined",
            E::SubscriptionRecovered => "Subscription recovered",
            E::SubscriptionCanceled => "Subscription canceled",
            E::SubscriptionCancelScheduled => "Cancellation scheduled",
            E::SubscriptionExpired => "Subscription expired",
            E::SubscriptionRevoked => "Subscription revoked",
            E::SubscriptionPaymentMethodUpdated => "Payment method changed",
            E::EntitlementGranted => "Entitlement granted",
            E::EntitlementRevoked => "Entitlement revoked",
            E::EntitlementExpired => "Entitlement expired",
            E::EntitlementCommandReported => "Game server command reported",
            E::EntitlementDiscordLinked => "Discord account linked",
            E::EntitlementDownloadLinkCreated => "Download link created",
            E::EntitlementLicenseKeyRevealed => "License key revealed by the customer",
            E::BanCreated => "Ban created",
            E::BanUpdated => "Ban updated",
            E::BanLifted => "Ban lifted",
            E::LicenseKeyRevealed => "License key revealed",
            E::ProductCreated => "Product created",
            E::ProductArchived => "Product archived",
            E::ApiKeyCreated => "API key created",
            E::ApiKeyRevoked => "API key revoked",
            E::MemberInvited => "Team member invited",
            E::MemberJoined => "Team member joined",
            E::MemberRemoved => "Team member removed",
            E::MemberRoleChanged => "Team member's role changed",
            E::WorkspaceSettingsUpdated => "Workspace settings updated",
            E::BulkActionStarted => "Bulk action started",
            E::BulkActionCancelRequested => "Bulk action asked to stop",
            E::BulkActionStopped => "Bulk action stopped",
            E::PaymentDetailBlocked => "Payment detail blocked",
            E::PaymentDetailUnblocked => "Payment detail unblocked",
            E::WebhookEndpointCreated => "Webhook endpoint added",
            E::WebhookEndpointUpdated => "Webhook endpoint updated",
            E::WebhookEndpointSecretRotated => "Webhook signing secret rotated",
            E::WebhookEndpointDeleted => "Webhook endpoint deleted",
        }
    }
}

/// Which events an endpoint receives: all, one family, or one type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventPattern {
    /// `*`.
    All,
    /// `order.*`: one of [`EventFamily::WEBHOOK`].
    Family(EventFamily),
    /// `order.paid`: one webhook type.
    One(EventType),
}

/// Why a text is not an [`EventPattern`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternError {
    /// Not `*`, `family.*` or `family.action` of a webhook family: the published form.
    Form(String),
    /// Of the form, but no such event type (`order.paied`).
    Unknown(String),
}

impl std::fmt::Display for PatternError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PatternError::Form(m) | PatternError::Unknown(m) => f.write_str(m),
        }
    }
}

impl EventPattern {
    /// Reads `*`, `order.*` or `order.paid` (white space around it ignored).
    pub fn parse(raw: &str) -> Result<Self, PatternError> {
        let t = raw.trim();
        if t == "*" {
            return Ok(EventPattern::All);
        }
        let families = || {
            EventFamily::WEBHOOK
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let family = t
            .split_once('.')
            .filter(|(_, rest)| {
                *rest == "*"
                    || (!rest.is_empty()
                        && rest.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            })
            .and_then(|(family, _)| family.parse::<EventFamily>().ok())
            .filter(|f| f.is_webhook());
        let Some(family) = family else {
            return Err(PatternError::Form(format!(
                "{t:?} is not an event type: use \"*\", a family such as \"order.*\" ({}), or one type such as \"order.paid\"",
                families()
            )));
        };
        if t.ends_with(".*") {
            return Ok(EventPattern::Family(family));
        }
        match t.parse::<EventType>() {
            Ok(one) if one.is_webhook() => Ok(EventPattern::One(one)),
            _ => {
                let known: Vec<&str> = EventType::webhooks()
                    .filter(|e| e.family() == family)
                    .map(EventType::as_str)
                    .collect();
                Err(PatternError::Unknown(format!(
                    "{t:?} is not an event type; the {} events are {}",
                    family.as_str(),
                    known.join(", ")
                )))
            }
        }
    }

    /// Whether an event of type `event` matches.
    pub fn matches(self, event: EventType) -> bool {
        match self {
            EventPattern::All => event.is_webhook(),
            EventPattern::Family(f) => event.is_webhook() && event.family() == f,
            EventPattern::One(one) => one == event,
        }
    }
}

impl std::fmt::Display for EventPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EventPattern::All => f.write_str("*"),
            EventPattern::Family(family) => write!(f, "{}.*", family.as_str()),
            EventPattern::One(one) => f.write_str(one.as_str()),
        }
    }
}

impl Serialize for EventPattern {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EventPattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        EventPattern::parse(&raw).map_err(serde::de::Error::custom)
    }
}

string_enum!(
    /// What the payment provider reported about a payment.
    ProviderEventKind {
        /// The payment went through.
        ChargeSucceeded = "charge.succeeded",
        /// The payment was declined.
        ChargeFailed = "charge.failed",
        /// Money went back to the payer.
        ChargeRefunded = "charge.refunded",
        /// A refund was refused.
        RefundFailed = "refund.failed",
        /// The payer disputed the payment with their bank.
        DisputeOpened = "dispute.opened",
        /// The bank decided the dispute.
        DisputeClosed = "dispute.closed",
        /// A subscription's renewal was declined (reported on the order that started it).
        RenewalFailed = "invoice.payment_failed",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_names_its_own_family_and_is_found_by_its_name() {
        for t in EventType::ALL {
            let (family, action) = t.as_str().split_once('.').unwrap();
            assert_eq!(t.family().as_str(), family, "{t}");
            assert!(!action.is_empty() && !action.contains('.'), "{t}");
            assert_eq!(t.as_str().parse::<EventType>(), Ok(*t));
        }
    }

    #[test]
    fn every_type_has_a_label_of_its_own_in_words() {
        let mut seen = std::collections::HashSet::new();
        for t in EventType::ALL {
            let label = t.label();
            assert!(
                label.starts_with(|c: char| c.is_ascii_uppercase()),
                "{t}: {label}"
            );
            assert!(!label.contains(['_', '.']), "{t}: {label}");
            assert!(seen.insert(label), "{t}: {label} is used twice");
        }
    }

    #[test]
    fn patterns_read_families_and_types_and_refuse_misspellings() {
        assert_eq!(EventPattern::parse(" * "), Ok(EventPattern::All));
        assert_eq!(
            EventPattern::parse("order.*"),
            Ok(EventPattern::Family(EventFamily::Order))
        );
        assert_eq!(
            EventPattern::parse("ban.created"),
            Ok(EventPattern::One(EventType::BanCreated))
        );
        assert!(matches!(
            EventPattern::parse("order.paied"),
            Err(PatternError::Unknown(m)) if m.contains("order.paid")
        ));
        for form in ["product.*", "orders.*", "order", "order.pa*", ""] {
            assert!(
                matches!(EventPattern::parse(form), Err(PatternError::Form(_))),
                "{form:?}"
            );
        }
        // Bookkeeping types and families that are not delivered cannot be subscribed to.
        assert!(EventPattern::parse("customer.portal_viewed").is_err());
        assert!(EventPattern::parse("member.invited").is_err());
    }

    #[test]
    fn a_pattern_matches_what_it_names_and_never_bookkeeping() {
        let all = EventPattern::All;
        let orders = EventPattern::Family(EventFamily::Order);
        assert!(all.matches(EventType::OrderPaid));
        assert!(orders.matches(EventType::OrderPaid));
        assert!(!orders.matches(EventType::RefundCreated));
        assert!(EventPattern::One(EventType::RefundCreated).matches(EventType::RefundCreated));
        assert!(!all.matches(EventType::CustomerPortalViewed));
        assert!(!all.matches(EventType::ProductCreated));
        assert_eq!(orders.to_string(), "order.*");
        let json = serde_json::to_string(&vec![all, orders]).unwrap();
        assert_eq!(json, r#"["*","order.*"]"#);
    }
}
