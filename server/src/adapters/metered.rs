//! The payment provider as the server runs it: every charge and refund request counted by
//! outcome for `/metrics`, then passed on unchanged.

use std::sync::Arc;

use app::domain::provider::{
    Charge, ChargeRequest, Movement, NotificationAbout, PaymentProvider, ProviderError,
    RefundRequest,
};
use app::types::PaymentMethod;
use app::types::money::CurrencyCode;
use app::types::order::PaymentMethodInput;
use async_trait::async_trait;
use chrono::Utc;

/// Wraps a provider; answers exactly as it does.
#[derive(Debug)]
pub struct MeteredProvider(pub Arc<dyn PaymentProvider>);

/// `succeeded`, `declined` (the payer's method or bank said no) or `error` (the provider could
/// not be reached, or answered something unexpected).
fn outcome<T>(result: &Result<T, ProviderError>) -> &'static str {
    match result {
        Ok(_) => "succeeded",
        Err(ProviderError::Declined { .. } | ProviderError::InvalidMethod { .. }) => "declined",
        Err(_) => "error",
    }
}

#[async_trait]
impl PaymentProvider for MeteredProvider {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn supports(&self, currency: CurrencyCode) -> bool {
        self.0.supports(currency)
    }

    fn describe(&self, method: &PaymentMethodInput) -> Result<PaymentMethod, ProviderError> {
        self.0.describe(method)
    }

    async fn charge(&self, request: ChargeRequest<'_>) -> Result<Charge, ProviderError> {
        let result = self.0.charge(request).await;
        metrics::counter!("patron_provider_charges_total", "outcome" => outcome(&result))
            .increment(1);
        result
    }

    async fn refund(&self, request: RefundRequest<'_>) -> Result<String, ProviderError> {
        let result = self.0.refund(request).await;
        metrics::counter!("patron_provider_refunds_total", "outcome" => outcome(&result))
            .increment(1);
        result
    }

    async fn find_charge(&self, idempotency_key: &str) -> Result<Option<Charge>, ProviderError> {
        self.0.find_charge(idempotency_key).await
    }

    fn notification(&self, about: &NotificationAbout<'_>, at: chrono::DateTime<Utc>) -> String {
        self.0.notification(about, at)
    }

    async fn movements(&self) -> Result<Vec<Movement>, ProviderError> {
        self.0.movements().await
    }

    async fn save_method(
        &self,
        method: &PaymentMethodInput,
    ) -> Result<(PaymentMethod, String), ProviderError> {
        self.0.save_method(method).await
    }
}
