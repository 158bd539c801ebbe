//! Orders, refunds, disputes, payment methods and checkouts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    Customer, CustomerId, DisputeId, Entitlement, OrderId, ProductId, ProviderEventId, RefundId,
    Subscription, SubscriptionId,
};
use crate::string_enum;

pub use super::event::ProviderEventKind;

string_enum!(
    /// Where an order stands.
    OrderStatus {
        /// Awaiting payment (a repayment link not yet paid).
        Created = "created",
        /// Paid in full.
        Paid = "paid",
        /// Paid, with part of it refunded.
        PartiallyRefunded = "partially_refunded",
        /// Refunded in full.
        Refunded = "refunded",
        /// The payer disputed it; the outcome is pending.
        Disputed = "disputed",
        /// The dispute was lost: the money went back to the payer.
        Chargeback = "chargeback",
        /// The payment was declined.
        Failed = "failed",
    }
);

string_enum!(
    /// Why the order exists.
    OrderKind {
        /// A checkout.
        Purchase = "purchase",
        /// A subscription's renewal.
        Renewal = "renewal",
        /// Money paid back after a chargeback.
        Repayment = "repayment",
    }
);

string_enum!(
    /// How a payment was made.
    PaymentMethodType {
        /// A debit or credit card.
        Card = "card",
        /// A SEPA direct debit.
        SepaDebit = "sepa_debit",
        /// A bank (wire) transfer.
        BankTransfer = "bank_transfer",
        /// A wallet account such as PayPal.
        Wallet = "wallet",
        /// Recorded by hand by the merchant.
        Manual = "manual",
    }
);

impl OrderStatus {
    /// Paid, in full or in part: money that can still be refunded (or disputed).
    pub const REFUNDABLE: [OrderStatus; 2] = [OrderStatus::Paid, OrderStatus::PartiallyRefunded];

    /// Whether money of an order in this state can still be refunded.
    pub fn is_refundable(self) -> bool {
        Self::REFUNDABLE.contains(&self)
    }
}

/// A receipt number as the customer reads it: `R-00042`, five digits at least and more once
/// a shop has given more than 99,999 receipts (`R-123456`).
pub fn receipt_number_label(n: i64) -> String {
    format!("R-{n:05}")
}

impl PaymentMethod {
    /// Whether a payment by this method can only be refunded in full, at the merchant's risk.
    pub fn refunds_in_full_only(&self) -> bool {
        self.kind.refunds_in_full_only()
    }
}

impl Order {
    /// Whether some of it can be refunded: paid, with money left to give back.
    pub fn can_refund(&self) -> bool {
        self.status.is_refundable() && self.refundable_amount > 0
    }

    /// Whether its payment method takes only a full refund.
    pub fn refunds_in_full_only(&self) -> bool {
        self.payment_method
            .as_ref()
            .is_some_and(PaymentMethod::refunds_in_full_only)
    }
}

impl PaymentMethodType {
    /// SEPA and bank transfers can only be refunded in full, at the merchant's risk.
    pub fn refunds_in_full_only(self) -> bool {
        matches!(
            self,
            PaymentMethodType::SepaDebit | PaymentMethodType::BankTransfer
        )
    }
}

/// A payment method as given at checkout (test numbers with the simulated provider).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum PaymentMethodInput {
    /// A card number.
    Card {
        /// Digits, spaces allowed.
        #[cfg_attr(feature = "ssr", schema(pattern = r"^ *([0-9] *){12,19}$"))]
        number: String,
    },
    /// A SEPA direct debit from an IBAN.
    SepaDebit {
        /// The IBAN, spaces allowed.
        #[cfg_attr(
            feature = "ssr",
            schema(pattern = r"^ *[A-Za-z]{2} *[0-9]{2}( *[A-Za-z0-9]){11,30} *$")
        )]
        iban: String,
    },
    /// A bank transfer from an IBAN.
    BankTransfer {
        /// The IBAN, spaces allowed.
        #[cfg_attr(
            feature = "ssr",
            schema(pattern = r"^ *[A-Za-z]{2} *[0-9]{2}( *[A-Za-z0-9]){11,30} *$")
        )]
        iban: String,
    },
    /// A wallet account.
    Wallet {
        /// The wallet's email.
        #[cfg_attr(feature = "ssr", schema(value_type = crate::types::contact::Email))]
        email: String,
    },
}

/// How an order was paid, as remembered: never a full card number or IBAN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PaymentMethod {
    /// Card, SEPA, transfer, wallet or manual.
    #[serde(rename = "type")]
    pub kind: PaymentMethodType,
    /// Card brand (`visa`).
    pub brand: Option<String>,
    /// Last four digits of the card or account.
    pub last4: Option<String>,
    /// The wallet's email, or the masked account.
    pub account: Option<String>,
    /// The provider's fingerprint: the same card or account gives the same value.
    pub fingerprint: Option<String>,
    /// Issuing country, ISO 3166-1 alpha-2.
    pub country: Option<String>,
}

impl PaymentMethod {
    /// `Visa •••• 4242`, `SEPA •••• 3000`, `wallet ann@x.io`.
    pub fn label(&self) -> String {
        match (self.kind, &self.brand, &self.last4, &self.account) {
            (PaymentMethodType::Card, brand, Some(l4), _) => format!(
                "{} •••• {l4}",
                brand
                    .as_deref()
                    .map(capitalise)
                    .unwrap_or_else(|| "Card".into())
            ),
            (PaymentMethodType::SepaDebit, _, Some(l4), _) => format!("SEPA •••• {l4}"),
            (PaymentMethodType::BankTransfer, _, Some(l4), _) => format!("Bank •••• {l4}"),
            (PaymentMethodType::Wallet, _, _, Some(email)) => format!("Wallet {email}"),
            (kind, ..) => capitalise(kind.as_str()),
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// One payment, or one attempt at it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Order {
    /// `ord_` + ULID.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub id: OrderId,
    /// Always `order`.
    pub object: String,
    /// Who paid.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub customer_id: CustomerId,
    /// What was bought.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub product_id: ProductId,
    /// The product's name at the time.
    pub product_name: String,
    /// The subscription it started or renewed.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub subscription_id: Option<SubscriptionId>,
    /// Purchase, renewal or repayment.
    pub kind: OrderKind,
    /// Where it stands.
    pub status: OrderStatus,
    /// In minor units of `currency`.
    pub amount: i64,
    /// ISO 4217.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub currency: crate::types::money::CurrencyCode,
    /// Refunded so far, in minor units of `currency`.
    pub refunded_amount: i64,
    /// Lost to a chargeback, in minor units of `currency`.
    pub charged_back_amount: i64,
    /// What can still be refunded.
    pub refundable_amount: i64,
    /// `amount` in the workspace currency, at `exchange_rate`.
    pub workspace_amount: i64,
    /// The workspace's currency.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub workspace_currency: crate::types::money::CurrencyCode,
    /// Units of the workspace currency per unit of `currency`, as recorded at payment.
    pub exchange_rate: String,
    /// How it was paid; none while awaiting payment.
    pub payment_method: Option<PaymentMethod>,
    /// The payment provider (`simulated`).
    pub provider: String,
    /// The provider's id for the payment.
    pub provider_payment_id: Option<String>,
    /// The payer's IP address.
    pub ip: Option<String>,
    /// What the customer wrote at checkout.
    pub customer_note: Option<String>,
    /// Why a failed payment failed (`card_declined`).
    pub failure_code: Option<String>,
    /// The same, for people.
    pub failure_message: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Paid.
    pub paid_at: Option<DateTime<Utc>>,
}

/// Money given back on an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Refund {
    /// `re_` + ULID.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub id: RefundId,
    /// Always `refund`.
    pub object: String,
    /// The order refunded.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub order_id: OrderId,
    /// Its customer.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub customer_id: CustomerId,
    /// In minor units of the order's currency.
    pub amount: i64,
    /// The order's currency.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub currency: crate::types::money::CurrencyCode,
    /// In the workspace currency, at the order's rate.
    pub workspace_amount: i64,
    /// Why, for the merchant's records.
    pub reason: Option<String>,
    /// The merchant accepted the risk of refunding a SEPA or bank-transfer payment.
    pub risk_acknowledged: bool,
    /// All the customer's payment details were blocked in the same action.
    pub blocked_payment_details: bool,
    /// The order's benefits were revoked in the same action.
    pub revoked_benefits: bool,
    /// `pending` while the payment provider has not confirmed it (Patron asks again until it
    /// does), then `succeeded`; `failed` if the provider refused, and the amount is refundable
    /// again.
    pub status: RefundStatus,
    /// Created.
    pub created_at: DateTime<Utc>,
}

string_enum!(
    /// Where a refund stands with the payment provider.
    RefundStatus {
        /// Recorded; the provider has not confirmed it yet.
        Pending = "pending",
        /// The money is back with the payer.
        Succeeded = "succeeded",
        /// The provider refused; nothing was given back.
        Failed = "failed",
    }
);

/// A refund request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RefundCreate {
    /// Minor units; leave out to refund everything that remains.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(minimum = 1))]
    pub amount: Option<i64>,
    /// Why, for the merchant's records (up to 500 characters).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 500))]
    pub reason: Option<String>,
    /// Required for SEPA and bank-transfer payments, which refund in full at the merchant's risk.
    #[serde(default)]
    pub acknowledge_risk: bool,
    /// Also block every payment detail of the customer.
    #[serde(default)]
    pub block_payment_details: bool,
    /// Also revoke the benefits the order granted.
    #[serde(default)]
    pub revoke_benefits: bool,
}

string_enum!(
    /// Where a dispute stands.
    DisputeStatus {
        /// Awaiting the outcome.
        Open = "open",
        /// Decided for the merchant.
        Won = "won",
        /// Decided for the payer: a chargeback.
        Lost = "lost",
    }
);

string_enum!(
    /// How a repayment after a chargeback is collected.
    RepaymentMethod {
        /// A payment request the customer pays (an order awaiting payment).
        Link = "link",
        /// Paid outside Patron and recorded by hand.
        Manual = "manual",
    }
);

/// A dispute (chargeback) on an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Dispute {
    /// `dp_` + ULID.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub id: DisputeId,
    /// Always `dispute`.
    pub object: String,
    /// The disputed order.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub order_id: OrderId,
    /// Its customer.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub customer_id: CustomerId,
    /// Disputed amount, minor units of the order's currency.
    pub amount: i64,
    /// The order's currency.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub currency: crate::types::money::CurrencyCode,
    /// Open, won or lost.
    pub status: DisputeStatus,
    /// The payer's stated reason.
    pub reason: Option<String>,
    /// Opened.
    pub opened_at: DateTime<Utc>,
    /// Decided.
    pub closed_at: Option<DateTime<Utc>>,
    /// How a repayment was asked for, if it was.
    pub repayment_method: Option<RepaymentMethod>,
    /// The repayment's order.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub repayment_order_id: Option<OrderId>,
}

/// Opens a dispute (what a provider's notification does).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DisputeCreate {
    /// Minor units; leave out to dispute everything not refunded.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(minimum = 1))]
    pub amount: Option<i64>,
    /// The payer's stated reason.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 500))]
    pub reason: Option<String>,
}

/// Decides a dispute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DisputeClose {
    /// `won` or `lost`.
    #[cfg_attr(feature = "ssr", schema(value_type = crate::types::schema::DisputeOutcome))]
    pub outcome: DisputeStatus,
}

/// Asks for, or records, a repayment after a lost dispute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RepaymentCreate {
    /// `link`: an order awaiting payment; `manual`: already paid, recorded now.
    pub method: RepaymentMethod,
}

/// Pays an order that awaits payment (a repayment request).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrderPay {
    /// How the customer pays.
    pub payment_method: PaymentMethodInput,
    /// The payer's IP address.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<crate::types::schema::IpAddress>))]
    pub ip: Option<String>,
}

/// Who is buying, when the merchant does not pass a customer id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CheckoutCustomer {
    /// Matched first.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 255))]
    pub external_id: Option<String>,
    /// Matched when there is no external id match.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<crate::types::contact::Email>))]
    pub email: Option<String>,
    /// Stored on a new customer.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200))]
    pub name: Option<String>,
    /// Stored on a new customer; detected from the payment method when left out.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<crate::types::contact::Country>))]
    pub country: Option<String>,
}

/// A purchase to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CheckoutCreate {
    /// An existing customer; otherwise `customer` finds or creates one.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<crate::types::CustomerId>))]
    pub customer_id: Option<CustomerId>,
    /// Who is buying.
    #[serde(default)]
    pub customer: Option<CheckoutCustomer>,
    /// What is bought.
    #[cfg_attr(feature = "ssr", schema(value_type = crate::types::ProductId))]
    pub product_id: ProductId,
    /// How it is paid.
    pub payment_method: PaymentMethodInput,
    /// The buyer's IP address.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<crate::types::schema::IpAddress>))]
    pub ip: Option<String>,
    /// A note from the buyer (up to 1000 characters).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 1000))]
    pub customer_note: Option<String>,
}

/// What a successful checkout made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Checkout {
    /// Always `checkout`.
    pub object: String,
    /// Whether the customer was created by this checkout.
    pub customer_created: bool,
    /// The buyer.
    pub customer: Customer,
    /// The paid order.
    pub order: Order,
    /// The subscription, for a subscription product.
    pub subscription: Option<Subscription>,
    /// What the purchase granted.
    pub entitlements: Vec<Entitlement>,
}

/// A notification the payment provider sent about an order's payment (its webhook, or IPN), as
/// Patron received it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProviderNotification {
    /// `pev_` + ULID.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub id: ProviderEventId,
    /// Always `provider_event`.
    pub object: String,
    /// The order it is about.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub order_id: OrderId,
    /// What it reports, in the provider's words.
    #[serde(rename = "type")]
    pub kind: ProviderEventKind,
    /// The body exactly as received (JSON, in the provider's own format).
    pub payload: String,
    /// Received.
    pub received_at: DateTime<Utc>,
}

/// What a customer bought of one product: its latest order (the last action) and its latest
/// paid one (the payment details to show).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductPurchases {
    /// The product.
    pub product_id: ProductId,
    /// Its name.
    pub product_name: String,
    /// A subscription or a one-time purchase.
    pub kind: super::product::ProductKind,
    /// How many orders the customer has of it (renewals included).
    pub orders_count: i64,
    /// The latest order.
    pub last_order: Order,
    /// The latest order that was paid, if any was.
    pub last_paid_order: Option<Order>,
}

/// What happened to an order after payment: its refunds and its disputes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundsAndDisputes {
    /// Money given back.
    pub refunds: Vec<Refund>,
    /// Chargebacks, with their outcome.
    pub disputes: Vec<Dispute>,
    /// The webhook deliveries of the order's events, oldest first.
    pub webhooks: Vec<super::webhook::DeliverySummary>,
    /// What the payment provider sent about it, newest first.
    pub provider_events: Vec<ProviderNotification>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_numbers_read_with_five_digits_at_least() {
        assert_eq!(receipt_number_label(1), "R-00001");
        assert_eq!(receipt_number_label(42), "R-00042");
        assert_eq!(receipt_number_label(99_999), "R-99999");
        assert_eq!(receipt_number_label(100_000), "R-100000");
        assert_eq!(receipt_number_label(1_234_567), "R-1234567");
    }
}
