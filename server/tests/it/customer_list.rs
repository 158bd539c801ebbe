//! The customer list agrees with a brute-force reference on random data: every filter, sort
//! and search path, paged forwards to the end and back to the start, on both engines.

use std::collections::BTreeSet;

use app::db::Engine;
use app::db::entities::{customer, order};
use app::domain::customer_list;
use app::domain::customer_list::{CustomerQuery, export_customers, list_customers};
use app::domain::customers;
use app::domain::{Caller, Services, products};
use app::types::customer::{CustomerSort, SearchMatch, SubscriptionFilter};
use app::types::product::{ProductCreate, ProductKind};
use app::types::{CustomerId, ProductId, Scope, WorkspaceId};
use chrono::{Duration, TimeZone, Utc};
use futures::TryStreamExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{EntityTrait, Set};

use crate::on_both_engines;
use crate::support::{Tenant, TestApp, TestDb};

const FIRST: [&str; 8] = [
    "Ada", "Mara", "Martin", "Zoe", "Omar", "Lin", "Peeters", "Sam",
];
const COUNTRIES: [&str; 4] = ["DE", "FR", "GB", "JP"];
const STATUSES: [Option<&str>; 5] = [
    None,
    Some("active"),
    Some("past_due"),
    Some("canceled"),
    Some("expired"),
];

struct Data {
    t: TestDb,
    svc: Services,
    caller: Caller,
    rows: Vec<customer::Model>,
    bought: BTreeSet<CustomerId>,
    product: ProductId,
}

async fn data(engine: Engine, n: usize) -> Data {
    let TestApp {
        t,
        svc,
        tenant,
        caller,
        ..
    } = TestApp::on(engine).build().await;
    // A second workspace with look-alike customers that must never show up.
    let other = Tenant::create(&svc, "Other", &Scope::ALL).await;
    let product = products::create_product(
        &svc,
        &caller,
        ProductCreate {
            name: "Kit".into(),
            kind: ProductKind::OneTime,
            amount: 100,
            currency: app::types::money::CurrencyCode::EUR,
            interval: None,
            interval_count: None,
            benefits: vec![],
        },
    )
    .await
    .unwrap();
    let mut rng = StdRng::seed_from_u64(7 + n as u64);
    let start = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let mut rows = Vec::new();
    let mut others = Vec::new();
    for i in 0..n {
        let created = start + Duration::minutes(rng.random_range(0..500_000));
        let first = FIRST[rng.random_range(0..FIRST.len())];
        // "peeters" is rare: only every 80th customer carries it.
        let first = if first == "Peeters" && i % 80 != 0 {
            "Sam"
        } else {
            first
        };
        let last_order = rng
            .random_bool(0.7)
            .then(|| start + Duration::minutes(rng.random_range(0..600_000)));
        let model = |ws: &WorkspaceId| customer::Model {
            id: CustomerId::generate_at(created),
            workspace_id: ws.clone(),
            external_id: rng_ext(i),
            email: (i % 9 != 0).then(|| format!("{}{i}@example.com", first.to_lowercase())),
            name: (i % 7 != 0).then(|| format!("{first} Nr{i}")),
            phone: None,
            tax_id: None,
            country: (i % 11 != 0).then(|| COUNTRIES[i % COUNTRIES.len()].to_owned()),
            username: None,
            profile_url: None,
            metadata: "{}".into(),
            first_seen_at: created,
            created_at: created,
            updated_at: created,
            archived_at: (i % 13 == 0).then_some(created),
            version: 1,
            // Few distinct values: ties must be broken by id.
            ltv_amount: [0, 500, 999, 2500][i % 4] * ((i % 3) as i64),
            order_count: 0,
            total_payments: 0,
            mrr_amount: 0,
            active_subscriptions: 0,
            refunds_count: 0,
            refunded_amount: 0,
            disputes_count: 0,
            last_order_at: last_order,
            last_order_key: last_order.map(|t| t.timestamp_millis()).unwrap_or(0),
            subscription_status: STATUSES[i % STATUSES.len()].map(|s| s.parse().unwrap()),
            search_text: String::new(),
            banned_until: None,
            portal_link_version: 0,
            erased_at: None,
            merged_into: None,
            merged_at: None,
        };
        let mut mine = model(&tenant.workspace_id);
        let mut theirs = model(&other.workspace_id);
        for m in [&mut mine, &mut theirs] {
            m.search_text = format!(
                "{} {} {}",
                m.email.clone().unwrap_or_default(),
                m.name.clone().unwrap_or_default().to_lowercase(),
                m.external_id.clone().unwrap_or_default().to_lowercase(),
            );
        }
        rows.push(mine);
        others.push(theirs);
    }
    for chunk in rows.chunks(100).chain(others.chunks(100)) {
        let models: Vec<customer::ActiveModel> = chunk
            .iter()
            .cloned()
            .map(customer::ActiveModel::from)
            .collect();
        customer::Entity::insert_many(models)
            .exec(&t.db)
            .await
            .unwrap();
    }
    // Every fifth customer bought the product (a paid order); every seventh only tried.
    let mut bought = BTreeSet::new();
    let mut orders = Vec::new();
    for (i, c) in rows.iter().enumerate() {
        if i % 5 == 0 || i % 7 == 0 {
            let paid = i % 5 == 0;
            if paid {
                bought.insert(c.id.clone());
            }
            orders.push(order::ActiveModel {
                id: Set(app::types::OrderId::generate_at(chrono::Utc::now())),
                workspace_id: Set(c.workspace_id.clone()),
                customer_id: Set(c.id.clone()),
                product_id: Set(product.id.clone()),
                subscription_id: Set(None),
                kind: Set(app::types::order::OrderKind::Purchase),
                status: Set(if paid {
                    app::types::order::OrderStatus::Paid
                } else {
                    app::types::order::OrderStatus::Failed
                }),
                status_before_dispute: Set(None),
                amount: Set(100),
                currency: Set(app::types::money::CurrencyCode::EUR),
                refunded_amount: Set(0),
                charged_back_amount: Set(0),
                workspace_amount: Set(100),
                workspace_currency: Set(app::types::money::CurrencyCode::EUR),
                exchange_rate_micros: Set(1_000_000),
                payment_method: Set("null".into()),
                card_fingerprint: Set(None),
                provider: Set("simulated".into()),
                provider_payment_id: Set(None),
                ip: Set(None),
                customer_note: Set(None),
                failure_code: Set(None),
                failure_message: Set(None),
                created_at: Set(c.created_at),
                paid_at: Set(paid.then_some(c.created_at)),
                receipt_number: Set(None),
                receipt_seller: Set(None),
            });
        }
    }
    for chunk in orders.chunks(100) {
        order::Entity::insert_many(chunk.to_vec())
            .exec(&t.db)
            .await
            .unwrap();
    }
    Data {
        t,
        svc,
        caller,
        rows,
        bought,
        product: product.id,
    }
}

fn rng_ext(i: usize) -> Option<String> {
    (i % 4 != 1).then(|| format!("7656119{:010}", i * 7919))
}

/// Optimal string alignment distance: edits and swaps of neighbours, each once.
fn osa(a: &[char], b: &[char]) -> usize {
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let mut v = (d[i - 1][j - 1] + usize::from(a[i - 1] != b[j - 1]))
                .min(d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// Brute force: the fewest typos between `term` and any stretch of `text`.
fn typos_in(term: &[char], text: &str) -> usize {
    let t: Vec<char> = text.to_lowercase().chars().collect();
    (0..=t.len())
        .flat_map(|a| (a..=t.len()).map(move |b| (a, b)))
        .map(|(a, b)| osa(term, &t[a..b]))
        .min()
        .unwrap_or(term.len())
}

/// The brute-force answer: filter in memory, sort by (key, id); and whether it is a "did you
/// mean" answer (nothing matched exactly: the customers within the typos forgiven that hold a
/// piece of the term, closest first, one page).
fn reference(d: &Data, q: &CustomerQuery) -> (Vec<String>, bool) {
    let exact = matching(d, q, q.q.as_deref().map(str::to_lowercase).as_deref());
    let term: Vec<char> =
        q.q.as_deref()
            .unwrap_or("")
            .to_lowercase()
            .chars()
            .collect();
    if !exact.is_empty() || !(4..=64).contains(&term.len()) {
        return (exact, false);
    }
    let pieces = customer_list::typo_pieces(&term);
    let forgiven = customer_list::typos_forgiven(term.len());
    let mut close: Vec<(usize, usize, String)> = matching(d, q, None)
        .into_iter()
        .enumerate()
        .filter_map(|(order, id)| {
            let c = d.rows.iter().find(|c| c.id.as_str() == id)?;
            let fields = [
                c.email.as_deref(),
                c.name.as_deref(),
                c.external_id.as_deref(),
            ];
            let text = customers::search_text(fields[0], fields[1], fields[2]);
            if !pieces.iter().any(|p| text.contains(p.as_str())) {
                return None;
            }
            let typos = fields
                .into_iter()
                .flatten()
                .map(|v| typos_in(&term, v))
                .min()?;
            (typos <= forgiven).then_some((typos, order, id))
        })
        .collect();
    close.sort();
    (close.into_iter().map(|(_, _, id)| id).collect(), true)
}

/// The customers `q`'s filters keep that hold `term` (all of them without), in `q`'s order.
fn matching(d: &Data, q: &CustomerQuery, term: Option<&str>) -> Vec<String> {
    let term = term.map(str::to_owned);
    let mut hits: Vec<&customer::Model> = d
        .rows
        .iter()
        .filter(|c| c.archived_at.is_some() == (q.archived == Some(true)))
        .filter(|c| {
            q.country
                .as_ref()
                .is_none_or(|x| c.country.as_ref() == Some(x))
        })
        .filter(|c| match q.subscription_status {
            None => true,
            Some(SubscriptionFilter::None) => c.subscription_status.is_none(),
            Some(s) => c.subscription_status.map(|x| x.as_str()) == Some(s.as_str()),
        })
        .filter(|c| {
            q.created_from
                .is_none_or(|t| c.created_at.timestamp_millis() >= t.timestamp_millis())
        })
        .filter(|c| {
            q.created_before
                .is_none_or(|t| c.created_at.timestamp_millis() < t.timestamp_millis())
        })
        .filter(|c| q.product_id.is_none() || d.bought.contains(&c.id))
        .filter(|c| {
            term.as_deref().is_none_or(|t| {
                // A partial id is its beginning, with or without the `cus_` prefix.
                let body = t.strip_prefix("cus_").unwrap_or(t);
                let id = c.id.as_str().to_lowercase();
                (!body.is_empty() && id.strip_prefix("cus_").is_some_and(|b| b.starts_with(body)))
                    || [
                        c.email.as_deref(),
                        c.name.as_deref(),
                        c.external_id.as_deref(),
                    ]
                    .into_iter()
                    .flatten()
                    .any(|v| v.to_lowercase().contains(t))
            })
        })
        .collect();
    let key = |c: &customer::Model| match q.sort {
        CustomerSort::CreatedDesc | CustomerSort::CreatedAsc => 0,
        CustomerSort::LtvDesc | CustomerSort::LtvAsc => c.ltv_amount,
        CustomerSort::LastOrderDesc | CustomerSort::LastOrderAsc => c.last_order_key,
    };
    hits.sort_by(|a, b| (key(a), &a.id).cmp(&(key(b), &b.id)));
    if matches!(
        q.sort,
        CustomerSort::CreatedDesc | CustomerSort::LtvDesc | CustomerSort::LastOrderDesc
    ) {
        hits.reverse();
    }
    hits.into_iter().map(|c| c.id.to_string()).collect()
}

/// Pages forwards to the end, then backwards to the start; both walks must equal `expected`.
/// A "did you mean" answer is one page: its first `limit` rows, every one marked fuzzy.
async fn walk(d: &Data, base: CustomerQuery, (expected, fuzzy): &(Vec<String>, bool), limit: u64) {
    if *fuzzy {
        let page = list_customers(
            &d.svc,
            &d.caller,
            CustomerQuery {
                limit: Some(limit),
                ..base.clone()
            },
        )
        .await
        .unwrap();
        let ids: Vec<String> = page
            .data
            .iter()
            .map(|c| c.customer.id.to_string())
            .collect();
        let first = &expected[..expected.len().min(limit as usize)];
        assert_eq!(ids, first, "did you mean, for {base:?}");
        assert!(!page.has_more, "did you mean is one page");
        assert!(
            page.data
                .iter()
                .all(|c| c.found_by == Some(SearchMatch::Fuzzy))
        );
        return;
    }
    let mut forward = Vec::new();
    let mut after = None;
    loop {
        let page = list_customers(
            &d.svc,
            &d.caller,
            CustomerQuery {
                limit: Some(limit),
                starting_after: after.clone(),
                ..base.clone()
            },
        )
        .await
        .unwrap();
        assert!(page.data.len() as u64 <= limit);
        forward.extend(page.data.iter().map(|c| c.customer.id.to_string()));
        if !page.has_more {
            break;
        }
        after = page.data.last().map(|c| c.customer.id.clone());
    }
    assert_eq!(&forward, expected, "forward pages of {base:?}");
    if expected.len() < 2 {
        return;
    }
    // Back from the last row: every page before it, in order, ending at the first row.
    let mut backward: Vec<String> = vec![expected[expected.len() - 1].clone()];
    let mut before = expected.last().map(|id| id.parse::<CustomerId>().unwrap());
    loop {
        let page = list_customers(
            &d.svc,
            &d.caller,
            CustomerQuery {
                limit: Some(limit),
                ending_before: before.clone(),
                ..base.clone()
            },
        )
        .await
        .unwrap();
        let ids: Vec<String> = page
            .data
            .iter()
            .map(|c| c.customer.id.to_string())
            .collect();
        backward.splice(0..0, ids);
        if !page.has_more {
            break;
        }
        before = page.data.first().map(|c| c.customer.id.clone());
    }
    assert_eq!(&backward, expected, "backward pages of {base:?}");
}

/// A random list query: any sort, and now and then each filter and a search term.
fn random_query(d: &Data, rng: &mut StdRng, round: usize) -> CustomerQuery {
    let start = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let mut q = CustomerQuery {
        sort: CustomerSort::ALL[rng.random_range(0..CustomerSort::ALL.len())],
        ..Default::default()
    };
    if rng.random_bool(0.3) {
        q.country = Some(COUNTRIES[rng.random_range(0..COUNTRIES.len())].into());
    }
    if rng.random_bool(0.3) {
        q.subscription_status =
            Some(SubscriptionFilter::ALL[rng.random_range(0..SubscriptionFilter::ALL.len())]);
    }
    if rng.random_bool(0.3) {
        let from = start + Duration::minutes(rng.random_range(0..250_000));
        q.created_from = Some(from);
        q.created_before = Some(from + Duration::minutes(rng.random_range(1..300_000)));
    }
    if rng.random_bool(0.2) {
        q.product_id = Some(d.product.clone());
    }
    if rng.random_bool(0.15) {
        q.archived = Some(true);
    }
    if rng.random_bool(0.3) {
        q.q = Some(["mar", "MARTIN", "zoe", "7656", "@example", "nr1"][round % 6].into());
    }
    q
}

async fn filters_sorts_and_cursors_agree_with_brute_force(engine: Engine) {
    let d = data(engine, 400).await;
    let mut rng = StdRng::seed_from_u64(99);
    for round in 0..40 {
        let q = random_query(&d, &mut rng, round);
        let expected = reference(&d, &q);
        walk(&d, q, &expected, rng.random_range(1..30)).await;
    }
    d.t.cleanup().await;
}

async fn the_export_is_the_lists_pages_in_one_statement(engine: Engine) {
    let d = data(engine, 400).await;
    let mut rng = StdRng::seed_from_u64(31);
    for round in 0..24 {
        let q = random_query(&d, &mut rng, round);
        let export = export_customers(&d.svc, &d.caller, &q).await.unwrap();
        let exported: Vec<String> = export
            .rows
            .stream(&d.svc.db)
            .await
            .unwrap()
            .map_ok(|r| r.id.to_string())
            .try_collect()
            .await
            .unwrap();
        let (expected, fuzzy) = reference(&d, &q);
        if fuzzy {
            // "Did you mean" is for the eye: the export holds exact matches only.
            assert_eq!(exported, Vec::<String>::new(), "export of {q:?}");
            continue;
        }
        let mut listed = Vec::new();
        let mut after = None;
        loop {
            let page = list_customers(
                &d.svc,
                &d.caller,
                CustomerQuery {
                    limit: Some(100),
                    starting_after: after.clone(),
                    ..q.clone()
                },
            )
            .await
            .unwrap();
            listed.extend(page.data.iter().map(|c| c.customer.id.to_string()));
            if !page.has_more {
                break;
            }
            after = page.data.last().map(|c| c.customer.id.clone());
        }
        assert_eq!(exported, listed, "export of {q:?}");
        assert_eq!(exported, expected, "export of {q:?}");
    }
    d.t.cleanup().await;
}

async fn every_search_path_finds_exactly_the_matches(engine: Engine) {
    // Past the 2,000-row walk: common, rare, absent and short terms take different paths.
    let d = data(engine, 2_600).await;
    let id = d.rows[5].id.as_str();
    // A partial id is its beginning: its time part (shared by many), most of it (one), with or
    // without the prefix, in either case.
    let (shared_time, most_of_one) = (id[..14].to_lowercase(), id[4..20].to_owned());
    for term in [
        "mar",
        "peeters",
        "PEETERS",
        "zzq",
        "om",
        "nr25",
        "@example.com",
        // Typos: two letters swapped, one left out, one extra; "did you mean" answers.
        "martni",
        "peetrs",
        "omarr",
        &shared_time,
        &most_of_one,
    ] {
        for sort in [CustomerSort::CreatedDesc, CustomerSort::LtvAsc] {
            let q = CustomerQuery {
                q: Some(term.into()),
                sort,
                ..Default::default()
            };
            let expected = reference(&d, &q);
            if term == most_of_one {
                assert_eq!(expected.0.len(), 1, "{term} names one customer");
            }
            walk(&d, q, &expected, 50).await;
        }
    }
    // An exact id finds its customer; so does a customer's own id typed in.
    let id = d.rows[5].id.clone();
    let page = list_customers(
        &d.svc,
        &d.caller,
        CustomerQuery {
            q: Some(id.to_string()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(page.data.len(), 1);
    assert_eq!(page.data[0].customer.id, id);
    d.t.cleanup().await;
}

async fn the_count_is_exact_up_to_its_cap_on_every_search_path(engine: Engine) {
    // Past the probe's 1,000 rows: common, rare, absent and short terms count differently.
    let d = data(engine, 2_600).await;
    let id = d.rows[5].id.to_string();
    let shared_time = id[..14].to_lowercase();
    let mut rng = StdRng::seed_from_u64(57);
    let mut queries: Vec<CustomerQuery> = (0..30)
        .map(|round| random_query(&d, &mut rng, round))
        .collect();
    for term in [
        "mar",
        "peeters",
        "zzq",
        "om",
        "martni",
        shared_time.as_str(),
        id.as_str(),
    ] {
        queries.push(CustomerQuery {
            q: Some(term.into()),
            ..Default::default()
        });
        queries.push(CustomerQuery {
            q: Some(term.into()),
            country: Some("DE".into()),
            ..Default::default()
        });
    }
    for q in queries {
        // Exact matches only: "did you mean" rows are no matches to count.
        let term = q.q.as_deref().map(str::to_lowercase);
        let all = matching(&d, &q, term.as_deref()).len() as u64;
        for cap in [0, 10, 150, 10_000] {
            let n = customer_list::count_customers(&d.svc, &d.caller, &q, cap)
                .await
                .unwrap();
            assert_eq!(n, all.min(cap + 1), "count of {q:?} up to {cap}");
        }
    }
    d.t.cleanup().await;
}

on_both_engines!(
    filters_sorts_and_cursors_agree_with_brute_force,
    the_export_is_the_lists_pages_in_one_statement,
    every_search_path_finds_exactly_the_matches,
    the_count_is_exact_up_to_its_cap_on_every_search_path,
);
