//! The deterministic demo workspace that a new installation opens on: a store, a login, and
//! customers to look at.

use app::types::money::CurrencyCode;
use std::sync::Arc;

use chrono::Duration;

use app::types::ban::{BanCreate, BanIdentity, BanIdentityKind};
use app::types::customer::{CustomerCreate, Metadata};
use app::types::entitlement::EntitlementGrant;
use app::types::order::{
    CheckoutCreate, DisputeClose, DisputeStatus, PaymentMethodInput, RefundCreate,
};
use app::types::product::{Benefit, BillingInterval, ProductCreate, ProductKind};
use app::types::subscription::SubscriptionCancel;
use app::types::workspace::WorkspaceSummary;
use app::types::{Customer, OrderId, Product, Role, SubscriptionId, WorkspaceId};

use app::domain::accounts::{NewUser, create_user};
use app::domain::actor::Caller;
use app::domain::customers::create_customer;
use app::domain::workspaces::{NewWorkspace, create_workspace_with_id, get_workspace};
use app::domain::{
    DomainError, ManualClock, Services, billing, checkouts, entitlements, orders, products,
    subscriptions,
};

/// The demo workspace's fixed id, so that links into it stay valid across re-seeds.
pub const DEMO_WORKSPACE_ID: &str = "ws_01KAKX6D00DEM0WS0000000000";
/// The demo store's name.
pub const DEMO_WORKSPACE_NAME: &str = "Northwind Games";
/// The demo login.
pub const DEMO_EMAIL: &str = "demo@northwind.example";
/// The demo password.
pub const DEMO_PASSWORD: &str = "northwind-demo";

/// What seeding did.
#[derive(Debug, Clone)]
pub struct DemoSeed {
    /// The demo workspace.
    pub workspace: WorkspaceSummary,
    /// False when the demo workspace was already there and nothing was written.
    pub created: bool,
}

const FIRST: [&str; 12] = [
    "Ada", "Björn", "Chloé", "Dmitri", "Emeka", "Fatima", "Giulia", "Hiro", "Ines", "Jonas",
    "Kaito", "Lena",
];
const LAST: [&str; 8] = [
    "Lovelace",
    "Andersson",
    "Martin",
    "Volkov",
    "Okafor",
    "Haddad",
    "Rossi",
    "Tanaka",
];
const COUNTRIES: [&str; 8] = ["GB", "SE", "FR", "DE", "NG", "MA", "IT", "JP"];
const PLANS: [&str; 3] = ["starter", "pro", "guild"];

/// The demo customers: the same every time.
fn demo_customers() -> Vec<CustomerCreate> {
    (0..48)
        .map(|i| {
            let first = FIRST[i % FIRST.len()];
            let last = LAST[(i * 5 + i / 12) % LAST.len()];
            let mut metadata = Metadata::new();
            metadata.insert("plan".into(), PLANS[i % PLANS.len()].into());
            if i % 4 == 0 {
                metadata.insert(
                    "discord".into(),
                    format!("{}#{:04}", first.to_lowercase(), 1000 + i * 37),
                );
            }
            CustomerCreate {
                // Every fifth customer came through a guest checkout and left no name.
                name: (i % 5 != 4).then(|| format!("{first} {last}")),
                email: (i % 7 != 6).then(|| {
                    format!(
                        "{}.{}{}@example.com",
                        first.to_lowercase(),
                        last.to_lowercase(),
                        i
                    )
                }),
                external_id: (i % 3 != 2)
                    .then(|| format!("{}", 76_561_198_000_000_000u64 + i as u64 * 7_919)),
                country: Some(COUNTRIES[i % COUNTRIES.len()].into()),
                username: (i % 2 == 0).then(|| format!("{}{}", first.to_lowercase(), i)),
                metadata: Some(metadata),
                ..Default::default()
            }
        })
        .collect()
}

/// Creates the demo workspace, its login and its customers unless the workspace exists.
/// Running it twice changes nothing.
pub async fn seed_demo(svc: &Services) -> Result<DemoSeed, DomainError> {
    let id = WorkspaceId::parse(DEMO_WORKSPACE_ID)
        .map_err(|e| DomainError::internal(format!("demo workspace id: {e}")))?;
    match get_workspace(&svc.db, &id).await {
        Ok(workspace) => {
            return Ok(DemoSeed {
                workspace,
                created: false,
            });
        }
        Err(DomainError::NotFound { .. }) => {}
        Err(e) => return Err(e),
    }
    let workspace = create_workspace_with_id(
        svc,
        id.clone(),
        NewWorkspace {
            name: DEMO_WORKSPACE_NAME.to_owned(),
            default_currency: CurrencyCode::EUR,
        },
    )
    .await?;
    create_user(
        svc,
        NewUser {
            workspace_id: id.clone(),
            email: DEMO_EMAIL.to_owned(),
            role: Role::Owner,
            password: DEMO_PASSWORD.to_owned(),
        },
    )
    .await?;
    seed_history(svc, &Caller::system(id)).await?;
    Ok(DemoSeed {
        workspace,
        created: true,
    })
}

/// Days of history the demo store has.
const HISTORY_DAYS: i64 = 150;

/// The demo catalogue: subscriptions and one-time products in several currencies.
fn demo_products() -> Vec<ProductCreate> {
    let custom = |d: &str| Benefit::Custom {
        description: d.into(),
    };
    vec![
        ProductCreate {
            name: "VIP Rank".into(),
            kind: ProductKind::Subscription,
            amount: 999,
            currency: CurrencyCode::EUR,
            interval: Some(BillingInterval::Month),
            interval_count: None,
            benefits: vec![
                Benefit::GameServerCommands {
                    server: "eu-1".into(),
                    on_grant: vec!["lp user {customer_external_id} parent add vip".into()],
                    on_revoke: vec!["lp user {customer_external_id} parent remove vip".into()],
                    player_id: Default::default(),
                    player_id_pattern: None,
                },
                Benefit::DiscordRole {
                    guild_id: "1044306553462689812".into(),
                    role_id: "1044306553462689999".into(),
                },
            ],
        },
        ProductCreate {
            name: "Starter Kit".into(),
            kind: ProductKind::OneTime,
            amount: 1499,
            currency: CurrencyCode::EUR,
            interval: None,
            interval_count: None,
            benefits: vec![
                Benefit::LicenseKey {
                    prefix: Some("NWG".into()),
                },
                Benefit::FileDownload {
                    file_name: "starter-kit.zip".into(),
                    url: "https://downloads.northwind.example/starter-kit.zip".into(),
                },
            ],
        },
        ProductCreate {
            name: "Season Pass".into(),
            kind: ProductKind::Subscription,
            amount: 4999,
            currency: CurrencyCode::USD,
            interval: Some(BillingInterval::Year),
            interval_count: None,
            benefits: vec![custom("Every seasonal map and skin while the pass runs")],
        },
        ProductCreate {
            name: "Cosmetic Bundle".into(),
            kind: ProductKind::OneTime,
            amount: 899,
            currency: CurrencyCode::GBP,
            interval: None,
            interval_count: None,
            benefits: vec![custom("Twelve weapon skins")],
        },
        ProductCreate {
            name: "Founders Pack".into(),
            kind: ProductKind::OneTime,
            amount: 2400,
            currency: CurrencyCode::JPY,
            interval: None,
            interval_count: None,
            benefits: vec![Benefit::LicenseKey {
                prefix: Some("FND".into()),
            }],
        },
    ]
}

/// How the demo customer `i` pays: mostly cards that work, some that fail later or are
/// disputed, some SEPA, some declined.
fn demo_method(i: usize) -> PaymentMethodInput {
    let card = |n: &str| PaymentMethodInput::Card { number: n.into() };
    match i {
        _ if i % 17 == 2 => card("4000000000000002"),
        _ if i % 11 == 3 => card("4000000000000341"),
        _ if i % 13 == 5 => card("4000000000000259"),
        _ if i % 9 == 7 => PaymentMethodInput::SepaDebit {
            iban: "DE89 3704 0044 0532 0130 00".into(),
        },
        _ if i.is_multiple_of(3) => card("4000002760000016"),
        _ if i.is_multiple_of(2) => card("5555555555554444"),
        _ => card("4242424242424242"),
    }
}

struct DemoCustomer {
    customer: Customer,
    first_order: Option<OrderId>,
    subscription: Option<SubscriptionId>,
}

/// Lives through [`HISTORY_DAYS`] of the store on a manual clock: customers arrive, buy, get
/// refunded, dispute, cancel, and the billing clock runs every day, so every figure the
/// dashboard shows came from the real flows.
async fn seed_history(svc: &Services, system: &Caller) -> Result<(), DomainError> {
    let clock = Arc::new(ManualClock::new(
        svc.clock.now() - Duration::days(HISTORY_DAYS),
    ));
    let sim = svc.clone().with_clock(clock.clone());
    let mut catalogue: Vec<Product> = Vec::new();
    for p in demo_products() {
        catalogue.push(products::create_product(&sim, system, p).await?);
    }
    let people = demo_customers();
    let arrival = |i: usize| (i as i64 * 3) % (HISTORY_DAYS - 10);
    let mut seen: Vec<Option<DemoCustomer>> = (0..people.len()).map(|_| None).collect();
    for day in 0..HISTORY_DAYS {
        for (i, person) in people.iter().enumerate() {
            let age = day - arrival(i);
            if age == 0 {
                let customer = create_customer(&sim, system, person.clone()).await?;
                let bought =
                    buy(&sim, system, &customer, &catalogue[i % catalogue.len()], i).await?;
                seen[i] = Some(DemoCustomer {
                    customer,
                    first_order: bought.as_ref().map(|b| b.0.clone()),
                    subscription: bought.and_then(|b| b.1),
                });
            }
            let Some(c) = &seen[i] else { continue };
            if age == 20 && i % 4 == 0 {
                let second = &catalogue[(i + 2) % catalogue.len()];
                buy(&sim, system, &c.customer, second, i + 1).await?;
            }
            if let Some(order) = &c.first_order {
                let refund = |amount| RefundCreate {
                    amount,
                    reason: Some("requested by customer".into()),
                    acknowledge_risk: true,
                    ..Default::default()
                };
                if age == 5 && i % 7 == 1 {
                    // Part of the order back; refusals (a disputed order) are fine here.
                    let o = orders::get_order(&sim, system, order).await?;
                    let _ =
                        orders::refund_order(&sim, system, order, refund(Some(o.amount * 3 / 10)))
                            .await;
                }
                if age == 6 && i % 10 == 4 {
                    let _ = orders::refund_order(&sim, system, order, refund(None)).await;
                }
                if age == 10 && i % 13 == 5 {
                    for d in orders::list_disputes(&sim, system, order).await? {
                        let outcome = if i % 2 == 0 {
                            DisputeStatus::Won
                        } else {
                            DisputeStatus::Lost
                        };
                        orders::close_dispute(&sim, system, &d.id, DisputeClose { outcome })
                            .await?;
                    }
                }
            }
            if let Some(sub) = &c.subscription
                && age == 12
                && i % 6 == 2
            {
                let _ = subscriptions::cancel_subscription(
                    &sim,
                    system,
                    sub,
                    SubscriptionCancel {
                        at_period_end: true,
                        reason: Some("found another server".into()),
                    },
                )
                .await;
            }
        }
        clock.advance(Duration::days(1));
        billing::run_billing(&sim).await?;
    }
    if let Some(Some(first)) = seen.first() {
        entitlements::grant_entitlement(
            &sim,
            system,
            &first.customer.id,
            EntitlementGrant {
                product_id: catalogue[1].id.clone(),
                expires_at: None,
            },
        )
        .await?;
    }
    // One chargeback too many: a permanent ban, so the banner and the banned filter have
    // something to show.
    if let Some(Some(fraud)) = seen.get(5) {
        let mut identities = vec![BanIdentity {
            kind: BanIdentityKind::Customer,
            value: fraud.customer.id.to_string(),
        }];
        if let Some(email) = &fraud.customer.email {
            identities.push(BanIdentity {
                kind: BanIdentityKind::Email,
                value: email.clone(),
            });
        }
        app::domain::bans::create_ban(
            &sim,
            system,
            BanCreate {
                reason: "Lost a chargeback after the items were used".into(),
                expires_at: None,
                identities,
                customer_id: Some(fraud.customer.id.clone()),
                revoke_items: false,
                cancel_subscriptions: false,
                confirm_wide_ranges: false,
            },
        )
        .await?;
    }
    Ok(())
}

/// One checkout for `customer`; a decline is part of the story, not an error.
async fn buy(
    svc: &Services,
    system: &Caller,
    customer: &Customer,
    product: &Product,
    i: usize,
) -> Result<Option<(OrderId, Option<SubscriptionId>)>, DomainError> {
    let done = checkouts::create_checkout(
        svc,
        system,
        CheckoutCreate {
            customer_id: Some(customer.id.clone()),
            customer: None,
            product_id: product.id.clone(),
            payment_method: demo_method(i),
            ip: Some(format!("203.0.113.{}", 10 + i)),
            customer_note: (i % 8 == 1).then(|| "Please add it to my alt account too".into()),
        },
    )
    .await;
    match done {
        Ok(c) => Ok(Some((c.order.id, c.subscription.map(|s| s.id)))),
        Err(DomainError::PaymentRefused { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A one-time portal link for the demo's first customer: the portal as they would see it.
/// Answers the customer's name and the link.
pub async fn demo_portal_link(
    svc: &Services,
) -> Result<(String, app::types::portal::CustomerSession), DomainError> {
    use app::db::entities::customer;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let ws = WorkspaceId::parse(DEMO_WORKSPACE_ID)
        .map_err(|e| DomainError::internal(format!("demo workspace id: {e}")))?;
    let first = customer::Entity::find()
        .filter(customer::Column::WorkspaceId.eq(&ws))
        .order_by_asc(customer::Column::Id)
        .one(&svc.db)
        .await?
        .ok_or(DomainError::NotFound { what: "customer" })?;
    let link = app::domain::portal::create_customer_session(
        svc,
        &Caller::system(ws),
        app::types::portal::CustomerSessionCreate {
            customer_id: Some(first.id.clone()),
            ..Default::default()
        },
    )
    .await?;
    let name = first
        .name
        .or(first.email)
        .unwrap_or_else(|| first.id.to_string());
    Ok((name, link))
}
