//! The simulated provider's test cards and IBANs, and reading a fault plan.

use super::*;

fn card(number: &str) -> PaymentMethodInput {
    PaymentMethodInput::Card {
        number: number.into(),
    }
}

fn eur() -> CurrencyCode {
    CurrencyCode::parse("EUR").unwrap()
}

/// The cards' behaviour needs no ledger: an unused in-memory database stands in.
async fn sim() -> SimulatedProvider {
    SimulatedProvider::new(sea_orm::Database::connect("sqlite::memory:").await.unwrap())
}

async fn charge(source: PaymentSource<'_>) -> Result<Charge, ProviderError> {
    sim().await.decide_charge(&ChargeRequest {
        amount: 1000,
        currency: CurrencyCode::parse("USD").unwrap(),
        settlement_currency: eur(),
        source,
        idempotency_key: "k",
    })
}

#[tokio::test]
async fn test_cards_behave_as_documented() {
    let ok = charge(PaymentSource::New(&card("4242 4242 4242 4242")))
        .await
        .unwrap();
    assert_eq!(ok.method.label(), "Visa •••• 4242");
    assert_eq!(ok.method.country.as_deref(), Some("US"));
    // 1.08 USD per EUR: one USD is 0.925925 EUR.
    assert_eq!(ok.exchange_rate_micros, 925_925);
    assert!(ok.notices.is_empty());

    let declined = charge(PaymentSource::New(&card("4000000000000002"))).await;
    assert!(matches!(
        declined,
        Err(ProviderError::Declined {
            code: ErrorCode::CardDeclined,
            ..
        })
    ));

    let later = charge(PaymentSource::New(&card("4000000000000341")))
        .await
        .unwrap();
    let renewal = charge(PaymentSource::Saved(&later.token)).await;
    assert!(matches!(renewal, Err(ProviderError::Declined { .. })));
    let again = charge(PaymentSource::Saved(&ok.token)).await.unwrap();
    assert_eq!(again.method.fingerprint, ok.method.fingerprint);

    let disputed = charge(PaymentSource::New(&card("4000000000000259")))
        .await
        .unwrap();
    assert_eq!(disputed.notices.len(), 1);

    let sim = sim().await;
    let german = sim.describe(&card("4000002760000016")).unwrap();
    assert_eq!(german.country.as_deref(), Some("DE"));
    assert!(matches!(
        sim.describe(&card("4242 4242 4242 4241")),
        Err(ProviderError::InvalidMethod {
            field: "number",
            ..
        })
    ));
}

#[tokio::test]
async fn ibans_are_checked_and_give_their_country() {
    let sim = sim().await;
    let sepa = sim
        .describe(&PaymentMethodInput::SepaDebit {
            iban: "DE89 3704 0044 0532 0130 00".into(),
        })
        .unwrap();
    assert_eq!(sepa.country.as_deref(), Some("DE"));
    assert_eq!(sepa.label(), "SEPA •••• 3000");
    assert!(
        sim.describe(&PaymentMethodInput::SepaDebit {
            iban: "DE89 3704 0044 0532 0130 01".into(),
        })
        .is_err()
    );
}

#[test]
fn a_fault_plan_reads_points_kinds_durations_and_counts() {
    let plan =
        Faults::parse("charge.after:hang:30s:1, refund.before:fail:3,charge.before:hang:250ms:2")
            .unwrap();
    assert_eq!(
        plan,
        vec![
            (
                FaultPoint::AfterCharge,
                Fault::Hang(std::time::Duration::from_secs(30)),
                1
            ),
            (FaultPoint::BeforeRefund, Fault::Fail, 3),
            (
                FaultPoint::BeforeCharge,
                Fault::Hang(std::time::Duration::from_millis(250)),
                2
            ),
        ]
    );
    assert_eq!(Faults::parse("").unwrap(), vec![]);
}

#[test]
fn a_wrong_fault_plan_names_the_part_that_is_wrong() {
    for (spec, says) in [
        ("charge.during:fail:1", "the point must be one of"),
        ("charge.after:hang:soon:1", "a duration such as"),
        ("refund.after:fail:0", "must be 1 or more"),
        ("refund.after:explode:1", "point:fail:calls"),
        ("charge.after:hang:5s", "point:fail:calls"),
    ] {
        let err = Faults::parse(spec).unwrap_err();
        assert!(err.contains(says) && err.contains(spec), "{spec}: {err}");
    }
}
