//! `AppError`, the one error that crosses the wire between server functions and the browser,
//! and `ErrorCode`, the stable codes every door answers with.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

use super::Scope;
use crate::string_enum;

string_enum!(
    /// A stable, machine-readable error code. Codes are API: once published, never renamed
    /// (a test holds the full list).
    ErrorCode {
        /// A request field is invalid; `param` names it.
        ParameterInvalid = "parameter_invalid",
        /// A request header is malformed.
        HeaderInvalid = "header_invalid",
        /// No API route matches the method and path.
        RouteNotFound = "route_not_found",
        /// The object does not exist in the caller's workspace.
        ResourceMissing = "resource_missing",
        /// The request carries no API key.
        ApiKeyMissing = "api_key_missing",
        /// The API key is unknown or revoked.
        ApiKeyInvalid = "api_key_invalid",
        /// The dashboard request carries no valid session.
        AuthenticationRequired = "authentication_required",
        /// The role or key lacks the scope this needs.
        InsufficientScope = "insufficient_scope",
        /// A dashboard request sent by another site's page.
        CrossOriginRequest = "cross_origin_request",
        /// An active ban matches the purchase.
        CustomerBanned = "customer_banned",
        /// The card was declined.
        CardDeclined = "card_declined",
        /// The card has insufficient funds.
        InsufficientFunds = "insufficient_funds",
        /// The saved payment method can no longer be charged.
        PaymentMethodUnusable = "payment_method_unusable",
        /// The card, account, email or IP address is blocked in this store.
        PaymentDetailBlocked = "payment_detail_blocked",
        /// The provider knows no such payment to refund.
        NoSuchPayment = "no_such_payment",
        /// The refund exceeds what remains of the payment at the provider.
        RefundExceedsPayment = "refund_exceeds_payment",
        /// The `Idempotency-Key` was used with another request.
        IdempotencyKeyReused = "idempotency_key_reused",
        /// A request with this `Idempotency-Key` is still running.
        IdempotencyKeyInFlight = "idempotency_key_in_flight",
        /// A user with this email exists.
        EmailTaken = "email_taken",
        /// Another customer has this external id.
        ExternalIdTaken = "external_id_taken",
        /// The object changed since it was read: reload and retry.
        VersionConflict = "version_conflict",
        /// The ban was lifted.
        BanLifted = "ban_lifted",
        /// The entitlement is not active.
        EntitlementNotActive = "entitlement_not_active",
        /// The entitlement is not a file download.
        NotADownload = "not_a_download",
        /// The download link expired.
        LinkExpired = "link_expired",
        /// The command's outcome was already reported.
        CommandAlreadyReported = "command_already_reported",
        /// The subscription changed while the request ran: retry.
        SubscriptionChanged = "subscription_changed",
        /// The subscription is not active.
        SubscriptionNotActive = "subscription_not_active",
        /// A cancellation at period end is already scheduled.
        CancellationAlreadyScheduled = "cancellation_already_scheduled",
        /// The subscription has no scheduled cancellation to undo.
        NothingToRecover = "nothing_to_recover",
        /// Only paid or partially refunded orders can be refunded.
        OrderNotRefundable = "order_not_refundable",
        /// Another payment of the same order is being made: retry.
        PaymentSuperseded = "payment_superseded",
        /// The refund exceeds what remains on the order.
        RefundExceedsRemaining = "refund_exceeds_remaining",
        /// Only paid orders can be disputed.
        OrderNotDisputable = "order_not_disputable",
        /// The order changed while the request ran: retry.
        OrderChanged = "order_changed",
        /// The dispute is already closed.
        DisputeClosed = "dispute_closed",
        /// Repayments follow a lost dispute only.
        DisputeNotLost = "dispute_not_lost",
        /// A repayment was already requested or recorded for this dispute.
        RepaymentExists = "repayment_exists",
        /// Only orders awaiting payment can be paid.
        OrderNotPayable = "order_not_payable",
        /// Too many attempts from this address or for this account: wait, then try again.
        RateLimited = "rate_limited",
        /// Patron cannot reach a dependency (the database) right now.
        ServiceUnavailable = "service_unavailable",
        /// Patron failed; the request id finds the details in its log.
        InternalError = "internal_error",
        /// A merchant's read-only view of the portal cannot change anything.
        ReadOnlySession = "read_only_session",
        /// The customer's personal data was erased: it cannot change or open the portal.
        CustomerErased = "customer_erased",
        /// Something blocks the merge; the message names every blocker.
        MergeBlocked = "merge_blocked",
        /// The merge cannot be undone (already undone, too old, or changed since).
        MergeNotUndoable = "merge_not_undoable",
        /// The customer was merged into another: change the survivor instead.
        CustomerMerged = "customer_merged",
        /// The route exists, but not with this method; `Allow` lists the methods it has.
        MethodNotAllowed = "method_not_allowed",
        /// The card number or IBAN fails its check digits: the provider cannot charge it.
        PaymentMethodInvalid = "payment_method_invalid",
        /// The entitlement is not a Discord role: it links no Discord user.
        NotADiscordRole = "not_a_discord_role",
        /// The input has the published form but breaks a rule it cannot state (a time that
        /// must lie ahead, fields that exclude each other); `param` names the field.
        ParameterUnprocessable = "parameter_unprocessable",
        /// The product grants no benefits, so there is nothing to grant.
        ProductGrantsNothing = "product_grants_nothing",
        /// The workspace has as many webhook endpoints as it may.
        EndpointLimitReached = "endpoint_limit_reached",
        /// The product is archived: it can no longer be bought.
        ProductArchived = "product_archived",
        /// The person invited is already a member of the workspace.
        AlreadyMember = "already_member",
        /// The change would leave the workspace without an owner.
        LastOwner = "last_owner",
        /// Another segment of the workspace has this name.
        SegmentNameTaken = "segment_name_taken",
        /// The workspace has as many segments as it may.
        SegmentLimitReached = "segment_limit_reached",
        /// A bulk action would touch more customers than one may.
        BulkActionTooLarge = "bulk_action_too_large",
        /// The bulk action has finished: it cannot be canceled.
        BulkActionFinished = "bulk_action_finished",
        /// The customer was archived after the bulk action started.
        CustomerArchived = "customer_archived",
        /// The first request under this `Idempotency-Key` answered with a secret, which is never
        /// kept to be sent again: a new request needs a new key.
        IdempotencyKeySpent = "idempotency_key_spent",
        /// The body is larger than the operation takes (a CSV import over its byte limit).
        PayloadTooLarge = "payload_too_large",
    }
);

string_enum!(
    /// The broad class of an error, as in the REST envelope's `type`.
    ErrorType {
        /// The request is wrong: fix it before retrying.
        InvalidRequestError = "invalid_request_error",
        /// No or bad credentials.
        AuthenticationError = "authentication_error",
        /// The credentials may not do this.
        PermissionError = "permission_error",
        /// The payment was refused: declined, or a blocked detail.
        PaymentError = "payment_error",
        /// The `Idempotency-Key` was misused.
        IdempotencyError = "idempotency_error",
        /// Too many requests.
        RateLimitError = "rate_limit_error",
        /// Patron failed; retrying may help.
        ApiError = "api_error",
    }
);

impl ErrorCode {
    /// The HTTP status every door answers this code with: the one table.
    pub fn status(self) -> u16 {
        use ErrorCode::*;
        match self {
            ParameterInvalid | HeaderInvalid => 400,
            ApiKeyMissing | ApiKeyInvalid | AuthenticationRequired => 401,
            CardDeclined
            | InsufficientFunds
            | PaymentMethodUnusable
            | PaymentDetailBlocked
            | NoSuchPayment
            | RefundExceedsPayment
            | PaymentMethodInvalid => 402,
            InsufficientScope | CrossOriginRequest | CustomerBanned | ReadOnlySession => 403,
            RouteNotFound | ResourceMissing => 404,
            MethodNotAllowed => 405,
            IdempotencyKeyInFlight
            | IdempotencyKeySpent
            | EmailTaken
            | ExternalIdTaken
            | VersionConflict
            | BanLifted
            | EntitlementNotActive
            | NotADownload
            | NotADiscordRole
            | ProductGrantsNothing
            | EndpointLimitReached
            | ProductArchived
            | AlreadyMember
            | LastOwner
            | SegmentNameTaken
            | SegmentLimitReached
            | BulkActionTooLarge
            | BulkActionFinished
            | CustomerArchived
            | LinkExpired
            | CommandAlreadyReported
            | SubscriptionChanged
            | SubscriptionNotActive
            | CancellationAlreadyScheduled
            | NothingToRecover
            | OrderNotRefundable
            | PaymentSuperseded
            | RefundExceedsRemaining
            | OrderNotDisputable
            | OrderChanged
            | DisputeClosed
            | DisputeNotLost
            | RepaymentExists
            | OrderNotPayable
            | CustomerErased
            | MergeBlocked
            | MergeNotUndoable
            | CustomerMerged => 409,
            PayloadTooLarge => 413,
            IdempotencyKeyReused | ParameterUnprocessable => 422,
            RateLimited => 429,
            InternalError => 500,
            ServiceUnavailable => 503,
        }
    }

    /// The broad class of the code.
    pub fn kind(self) -> ErrorType {
        use ErrorCode::*;
        match self {
            IdempotencyKeyReused | IdempotencyKeyInFlight | IdempotencyKeySpent => {
                ErrorType::IdempotencyError
            }
            _ => match self.status() {
                401 => ErrorType::AuthenticationError,
                402 => ErrorType::PaymentError,
                403 => ErrorType::PermissionError,
                429 => ErrorType::RateLimitError,
                500.. => ErrorType::ApiError,
                _ => ErrorType::InvalidRequestError,
            },
        }
    }

    /// Whether the same request may succeed if sent again as it is: it lost a race, and the
    /// idempotency layer must not keep this answer for the key.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            ErrorCode::VersionConflict
                | ErrorCode::SubscriptionChanged
                | ErrorCode::OrderChanged
                | ErrorCode::PaymentSuperseded
        )
    }
}

/// An error a user can act on, with a stable machine-readable code.
///
/// Internal details never travel in it: the server logs them and sends `Internal`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AppError {
    /// The object does not exist in the caller's workspace.
    #[error("{what} not found")]
    NotFound { what: String },
    /// The request carries no valid session.
    #[error("please sign in")]
    Unauthenticated,
    /// The caller's role or key does not allow this action.
    #[error("this needs the {scope} permission, which your role or key lacks")]
    Forbidden { scope: Scope },
    /// A dashboard request came from another site's page.
    #[error("this request came from another site and was refused")]
    CrossOrigin,
    /// One field of the input is invalid.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The input has the published form but breaks a rule it cannot state (a time that must
    /// lie ahead, fields that exclude each other).
    #[error("{field}: {message}")]
    Unprocessable { field: String, message: String },
    /// The change conflicts with the current state (duplicate, stale version...).
    #[error("{message}")]
    Conflict { code: ErrorCode, message: String },
    /// The payment was refused (declined, or a blocked card, account, email or IP).
    #[error("{message}")]
    PaymentRefused { code: ErrorCode, message: String },
    /// The customer is banned: an active ban matches the purchase.
    #[error("this customer is banned ({ban_id}) and may not buy")]
    Banned { ban_id: crate::types::BanId },
    /// Too many attempts: the same request is refused until `retry_after_seconds` have passed.
    #[error("too many attempts; try again {}", wait_words(*retry_after_seconds))]
    RateLimited { retry_after_seconds: u64 },
    /// A dependency (the database) cannot be reached right now.
    #[error("the service is unavailable, please retry")]
    Unavailable,
    /// Something went wrong on the server; details are in its log under `request_id`.
    #[error("something went wrong on our side")]
    Internal,
    /// The request did not reach the server function, or its answer could not be read.
    #[error("could not reach the server: {message}")]
    Transport { message: String },
}

impl AppError {
    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::NotFound { .. } => ErrorCode::ResourceMissing,
            AppError::Unauthenticated => ErrorCode::AuthenticationRequired,
            AppError::Forbidden { .. } => ErrorCode::InsufficientScope,
            AppError::CrossOrigin => ErrorCode::CrossOriginRequest,
            AppError::Invalid { .. } => ErrorCode::ParameterInvalid,
            AppError::Unprocessable { .. } => ErrorCode::ParameterUnprocessable,
            AppError::Conflict { code, .. } | AppError::PaymentRefused { code, .. } => *code,
            AppError::Banned { .. } => ErrorCode::CustomerBanned,
            AppError::RateLimited { .. } => ErrorCode::RateLimited,
            AppError::Unavailable => ErrorCode::ServiceUnavailable,
            AppError::Internal | AppError::Transport { .. } => ErrorCode::InternalError,
        }
    }

    /// The HTTP status, from [`ErrorCode::status`].
    pub fn status(&self) -> u16 {
        self.code().status()
    }

    /// The error as a person reads it on a screen ([`super::words::sentence`]). `Display`
    /// keeps the API's wording: the REST door and the bulk-action report send it as it is.
    pub fn sentence(&self) -> String {
        super::words::sentence(self)
    }
}

/// "in 40 seconds", "in 3 minutes": how long to wait, in words.
fn wait_words(seconds: u64) -> String {
    match seconds {
        0..=1 => "in a second".to_owned(),
        2..=90 => format!("in {seconds} seconds"),
        _ => format!("in {} minutes", seconds.div_ceil(60)),
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        // On the server these mean the request's arguments could not be read: the caller's
        // fault, a 400 naming what is wrong, not an outage.
        #[cfg(feature = "ssr")]
        if let ServerFnErrorErr::Args(m)
        | ServerFnErrorErr::MissingArg(m)
        | ServerFnErrorErr::Deserialization(m) = &value
        {
            if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
                res.set_status(axum::http::StatusCode::BAD_REQUEST);
            }
            return AppError::Invalid {
                field: "request".to_owned(),
                message: format!("the request could not be read: {m}"),
            };
        }
        AppError::Transport {
            message: value.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Codes are API: this list changes only by adding to it.
    #[test]
    fn the_error_codes_never_change() {
        let codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            codes.join("\n"),
            "parameter_invalid
header_invalid
route_not_found
resource_missing
api_key_missing
api_key_invalid
authentication_required
insufficient_scope
cross_origin_request
customer_banned
card_declined
insufficient_funds
payment_method_unusable
payment_detail_blocked
no_such_payment
refund_exceeds_payment
idempotency_key_reused
idempotency_key_in_flight
email_taken
external_id_taken
version_conflict
ban_lifted
entitlement_not_active
not_a_download
link_expired
command_already_reported
subscription_changed
subscription_not_active
cancellation_already_scheduled
nothing_to_recover
order_not_refundable
payment_superseded
refund_exceeds_remaining
order_not_disputable
order_changed
dispute_closed
dispute_not_lost
repayment_exists
order_not_payable
rate_limited
service_unavailable
internal_error
read_only_session
customer_erased
merge_blocked
merge_not_undoable
customer_merged
method_not_allowed
payment_method_invalid
not_a_discord_role
parameter_unprocessable
product_grants_nothing
endpoint_limit_reached
product_archived
already_member
last_owner
segment_name_taken
segment_limit_reached
bulk_action_too_large
bulk_action_finished
customer_archived
idempotency_key_spent
payload_too_large"
        );
        let statuses: Vec<String> = ErrorCode::ALL
            .iter()
            .map(|c| format!("{c} {} {}", c.status(), c.kind()))
            .collect();
        assert!(statuses.contains(&"idempotency_key_reused 422 idempotency_error".to_owned()));
        assert!(statuses.contains(&"card_declined 402 payment_error".to_owned()));
        assert!(statuses.contains(&"customer_banned 403 permission_error".to_owned()));
        assert!(statuses.contains(&"version_conflict 409 invalid_request_error".to_owned()));
        assert!(statuses.contains(&"service_unavailable 503 api_error".to_owned()));
        assert!(statuses.contains(&"rate_limited 429 rate_limit_error".to_owned()));
    }

    #[test]
    fn an_error_answers_its_codes_status() {
        let e = AppError::Conflict {
            code: ErrorCode::VersionConflict,
            message: "changed".into(),
        };
        assert_eq!(e.status(), 409);
        assert_eq!(AppError::Unauthenticated.status(), 401);
        assert_eq!(
            AppError::Forbidden {
                scope: Scope::BansWrite
            }
            .status(),
            403
        );
        assert_eq!(AppError::Internal.status(), 500);
    }
}
