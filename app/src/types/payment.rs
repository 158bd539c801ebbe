//! Payments as Patron's records hold them: what a charge attempt pays for and where it stands,
//! and what a movement in the provider's ledger did.

crate::string_enum!(
    /// What a charge pays for.
    Purpose {
        /// A checkout: the buyer waits for the answer.
        Checkout = "checkout",
        /// A subscription's renewal by the billing clock.
        Renewal = "renewal",
        /// Paying an order that awaits payment (a repayment link).
        OrderPayment = "order_payment",
    }
);

crate::string_enum!(
    /// Where a charge attempt stands.
    AttemptStatus {
        /// Recorded; the provider is being (or was, unknown how) asked.
        Pending = "pending",
        /// Money taken and recorded as an order.
        Succeeded = "succeeded",
        /// The provider refused; no money moved.
        Declined = "declined",
        /// The provider had no charge under its key when asked; it is looked for again for a
        /// while (`domain::payments::WATCH`), in case a delayed call lands.
        Abandoned = "abandoned",
        /// Money moved but cannot be recorded: it is being given back.
        Voiding = "voiding",
        /// Money moved and was given back in full.
        Voided = "voided",
        /// Closed after that while without money having moved.
        Failed = "failed",
    }
);

crate::string_enum!(
    /// What a movement did.
    MovementKind {
        /// Money taken from a payer.
        Charge = "charge",
        /// Money given back.
        Refund = "refund",
        /// A refused charge: no money moved, but the answer is kept for its key.
        Decline = "decline",
    }
);
