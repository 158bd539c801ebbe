//! Game-server commands reach the player an entitlement was granted to: revoke and expiry
//! commands use the player id kept at grant, whatever became of the customer's external id
//! since (an edit, an erasure); a command that cannot be written is logged as failed, never
//! sent, and the entitlement ends all the same; entitlements granted before player ids were
//! kept take theirs from their grant commands.

use app::db::entities::{entitlement, event};
use app::db::{Engine, Migrator};
use app::domain::actor::Caller;
use app::domain::entitlements::{expire_due, revoke_entitlement};
use app::domain::{Services, customers, workspaces};
use app::types::customer::CustomerCreate;
use app::types::entitlement::{CommandPhase, CommandStatus, EntitlementRevoke};
use app::types::{CommandId, EntitlementId, ProductId};
use chrono::{Duration, TimeZone, Utc};
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Statement,
};
use sea_orm_migration::MigratorTrait;
use serde_json::{Value, json};

use crate::on_both_engines;
use crate::support::{Api, TestApp, TestDb, card};

/// The SteamID64 the perks are granted to.
const PLAYER: &str = "76561198000000042";

/// A one-time product whose perks on `eu-1` are granted and taken back by SteamID64.
async fn steam_perks(api: &Api) -> String {
    let p = api
        .post_ok(
            "/products",
            json!({"name": "VIP", "kind": "one_time", "amount": 500, "currency": "EUR",
                   "benefits": [{"kind": "game_server_commands", "server": "eu-1",
                                 "player_id": "steam_id64",
                                 "on_grant": ["vip add {customer_external_id}"],
                                 "on_revoke": ["vip remove {customer_external_id}",
                                               "say a perk ended"]}]}),
        )
        .await;
    p["id"].as_str().unwrap().to_owned()
}

/// An entitlement's `phase` commands as (text, status), in the order they run.
fn commands(ent: &Value, phase: &str) -> Vec<(String, String)> {
    ent["commands"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["phase"] == phase)
        .map(|c| {
            (
                c["command"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// (text, status) pairs, for comparing with [`commands`].
fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(c, s)| ((*c).to_owned(), (*s).to_owned()))
        .collect()
}

/// The texts of the commands `eu-1` would fetch now.
async fn queued(api: &Api) -> Vec<String> {
    api.get_ok("/commands?server=eu-1&limit=100").await["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["command"].as_str().unwrap().to_owned())
        .collect()
}

async fn revoke_commands_name_the_player_granted_after_the_external_id_is_edited(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let api = &app.api;
    let product = steam_perks(api).await;
    let bought = api
        .post_ok(
            "/checkouts",
            json!({"customer": {"email": "vip@example.com", "external_id": PLAYER},
                   "product_id": product, "payment_method": card("4242424242424242")}),
        )
        .await;
    let cus = bought["customer"]["id"].as_str().unwrap().to_owned();
    let order = bought["order"]["id"].as_str().unwrap().to_owned();
    let bought_ent = bought["entitlements"][0]["id"].as_str().unwrap().to_owned();
    let gift = api
        .post_ok(
            &format!("/customers/{cus}/entitlements"),
            json!({"product_id": product}),
        )
        .await;
    let gift_ent = gift[0]["id"].as_str().unwrap().to_owned();
    let add = format!("vip add {PLAYER}");
    assert_eq!(
        commands(&gift[0], "grant"),
        pairs(&[(add.as_str(), "pending")])
    );

    // The merchant's id for the customer changes to one no SteamID64 product could take.
    let edited = api
        .patch_ok(
            &format!("/customers/{cus}"),
            json!({"external_id": "zelda-main"}),
        )
        .await;
    assert_eq!(edited["external_id"], "zelda-main", "{edited}");

    // Revoked by hand: the game server is told to remove the player who got the perks.
    let remove = format!("vip remove {PLAYER}");
    let revoked = api
        .post_ok(
            &format!("/entitlements/{gift_ent}/revoke"),
            json!({"reason": "abuse"}),
        )
        .await;
    assert_eq!(revoked["status"], "revoked", "{revoked}");
    assert_eq!(
        commands(&revoked, "revoke"),
        pairs(&[
            (remove.as_str(), "pending"),
            ("say a perk ended", "pending")
        ])
    );

    // A refund that takes the benefits back settles (the money is back) and revokes them.
    let (s, refund) = api
        .post(
            &format!("/orders/{order}/refunds"),
            json!({"revoke_benefits": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{refund}");
    assert_eq!(refund["status"], "succeeded", "{refund}");
    let after = api.get_ok(&format!("/entitlements/{bought_ent}")).await;
    assert_eq!(after["status"], "revoked", "{after}");
    assert_eq!(
        commands(&after, "revoke"),
        pairs(&[
            (remove.as_str(), "pending"),
            ("say a perk ended", "pending")
        ])
    );

    // The game server gets both removals, and nothing names the new id.
    let queued = queued(api).await;
    assert_eq!(
        queued.iter().filter(|c| **c == remove).count(),
        2,
        "{queued:?}"
    );
    assert!(!queued.iter().any(|c| c.contains("zelda")), "{queued:?}");
    app.cleanup().await;
}

async fn an_erased_customers_perks_still_end_and_the_game_server_hears_of_it(engine: Engine) {
    let app = TestApp::on(engine).build().await;
    let api = &app.api;
    let product = steam_perks(api).await;
    let cus = api
        .post_ok(
            "/customers",
            json!({"email": "gone@example.com", "external_id": PLAYER}),
        )
        .await;
    let cus = cus["id"].as_str().unwrap().to_owned();
    // Perks for three days.
    let granted = api
        .post_ok(
            &format!("/customers/{cus}/entitlements"),
            json!({"product_id": product, "expires_at": "2026-11-24T09:00:00Z"}),
        )
        .await;
    let ent = granted[0]["id"].as_str().unwrap().to_owned();
    let erased = api
        .post_ok(&format!("/customers/{cus}/erase"), json!({"confirm": true}))
        .await;
    assert_eq!(erased["external_id"], Value::Null, "{erased}");

    app.clock.advance(Duration::days(4));
    expire_due(&app.svc).await.unwrap();
    let after = api.get_ok(&format!("/entitlements/{ent}")).await;
    assert_ne!(after["status"], "active", "the perks ended: {after}");
    let remove = format!("vip remove {PLAYER}");
    assert_eq!(
        commands(&after, "revoke"),
        pairs(&[
            (remove.as_str(), "pending"),
            ("say a perk ended", "pending")
        ])
    );
    assert!(queued(api).await.contains(&remove));
    // Nothing is left for the expiry job to try again at its next run.
    assert_eq!(expire_due(&app.svc).await.unwrap(), 0);
    app.cleanup().await;
}

async fn a_command_that_cannot_be_written_is_logged_failed_and_the_entitlement_still_ends(
    engine: Engine,
) {
    let app = TestApp::on(engine).build().await;
    let api = &app.api;
    let product = steam_perks(api).await;
    let cus = api
        .post_ok(
            "/customers",
            json!({"email": "old@example.com", "external_id": PLAYER}),
        )
        .await;
    let cus = cus["id"].as_str().unwrap().to_owned();
    let granted = api
        .post_ok(
            &format!("/customers/{cus}/entitlements"),
            json!({"product_id": product, "expires_at": "2026-11-24T09:00:00Z"}),
        )
        .await;
    let ent = granted[0]["id"].as_str().unwrap().to_owned();
    // As an entitlement granted before player ids were kept whose player could not be found
    // again (its customer was erased, its grant commands scrubbed): no player id.
    entitlement::Entity::update_many()
        .col_expr(entitlement::Column::PlayerId, Expr::val(None::<String>))
        .filter(entitlement::Column::Id.eq(ent.as_str()))
        .exec(&app.svc.db)
        .await
        .unwrap();

    app.clock.advance(Duration::days(4));
    assert_eq!(expire_due(&app.svc).await.unwrap(), 1);
    assert_eq!(
        expire_due(&app.svc).await.unwrap(),
        0,
        "nothing is left to try again"
    );
    let after = api.get_ok(&format!("/entitlements/{ent}")).await;
    assert_eq!(after["status"], "expired", "{after}");
    // The command log shows the command that could not be written, as the product has it;
    // the one that names no player went out.
    assert_eq!(
        commands(&after, "revoke"),
        pairs(&[
            ("vip remove {customer_external_id}", "failed"),
            ("say a perk ended", "pending"),
        ])
    );
    let queued = queued(api).await;
    assert!(
        queued.contains(&"say a perk ended".to_owned()),
        "{queued:?}"
    );
    assert!(!queued.iter().any(|c| c.contains("remove")), "{queued:?}");
    // The activity log says why.
    let expired = event::Entity::find()
        .filter(event::Column::Action.eq("entitlement.expired"))
        .filter(event::Column::TargetId.eq(ent.as_str()))
        .all(&app.svc.db)
        .await
        .unwrap();
    assert_eq!(expired.len(), 1);
    assert!(
        expired[0].changes.contains("commands_failed"),
        "{}",
        expired[0].changes
    );
    app.cleanup().await;
}

/// A customer made through the domain; answers their id.
async fn customer(
    svc: &Services,
    caller: &Caller,
    email: &str,
    external_id: Option<&str>,
) -> String {
    customers::create_customer(
        svc,
        caller,
        CustomerCreate {
            email: Some(email.into()),
            external_id: external_id.map(str::to_owned),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id
    .as_str()
    .to_owned()
}

/// An active entitlement as every version before migration 22 wrote it, with its grant
/// commands; answers its id.
async fn old_entitlement(
    db: &DatabaseConnection,
    ws: &str,
    customer: &str,
    benefit: Value,
    grant_commands: &[String],
) -> String {
    let backend = db.get_database_backend();
    let at = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
    let id = EntitlementId::generate_at(at).as_str().to_owned();
    let kind = benefit["kind"].as_str().unwrap().to_owned();
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        "INSERT INTO entitlements (id, workspace_id, customer_id, product_id, source, kind, \
         benefit, status, granted_at) VALUES ($1, $2, $3, $4, 'manual', $5, $6, 'active', $7)",
        [
            id.clone().into(),
            ws.into(),
            customer.into(),
            ProductId::generate_at(at).as_str().into(),
            kind.into(),
            benefit.to_string().into(),
            at.into(),
        ],
    ))
    .await
    .unwrap();
    for (i, command) in (0i64..).zip(grant_commands) {
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            "INSERT INTO entitlement_commands (id, workspace_id, entitlement_id, server, command, \
             phase, status, created_at) VALUES ($1, $2, $3, 'eu-1', $4, 'grant', 'executed', $5)",
            [
                CommandId::generate_at(at + Duration::milliseconds(i))
                    .as_str()
                    .into(),
                ws.into(),
                id.clone().into(),
                command.as_str().into(),
                at.into(),
            ],
        ))
        .await
        .unwrap();
    }
    id
}

/// The stored player id of an entitlement.
async fn player_of(db: &DatabaseConnection, id: &str) -> Option<String> {
    db.query_one_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "SELECT player_id FROM entitlements WHERE id = $1",
        [id.into()],
    ))
    .await
    .unwrap()
    .unwrap()
    .try_get_by_index::<Option<String>>(0)
    .unwrap()
}

async fn entitlements_granted_before_keep_the_player_their_grant_commands_named(engine: Engine) {
    // The schema as migration 21 left it.
    let t = TestDb::migrated_before(engine, "m20261207_000022_entitlement_player_ids").await;
    let svc = Services::new(t.db.clone());
    let ws = workspaces::create_workspace(
        &svc,
        workspaces::NewWorkspace {
            name: "Shop".into(),
            default_currency: app::types::money::CurrencyCode::EUR,
        },
    )
    .await
    .unwrap();
    let caller = Caller::system(ws.id.clone());
    let steam = |on_grant: &str| {
        json!({"kind": "game_server_commands", "server": "eu-1", "player_id": "steam_id64",
               "on_grant": [on_grant], "on_revoke": ["vip remove {customer_external_id}"]})
    };
    let plain = json!({"kind": "game_server_commands", "server": "eu-1",
                       "on_grant": ["vip add {customer_external_id}"],
                       "on_revoke": ["vip remove {customer_external_id}"]});
    let db = &t.db;
    let w = ws.id.as_str();

    // Granted to PLAYER; the customer's external id was edited since.
    let edited = customer(&svc, &caller, "edited@example.com", Some("zelda-main")).await;
    let edited = old_entitlement(
        db,
        w,
        &edited,
        steam("vip add {customer_external_id}"),
        &[format!("vip add {PLAYER}")],
    )
    .await;
    // Granted without an external id (the commands took Patron's id); one was set since.
    let late = customer(&svc, &caller, "late@example.com", Some("late-id")).await;
    let late_ent = old_entitlement(db, w, &late, plain, &[format!("vip add {late}")]).await;
    // No grant command names the player: the customer's external id as it is now.
    let quiet = customer(&svc, &caller, "quiet@example.com", Some("p-2")).await;
    let quiet = old_entitlement(
        db,
        w,
        &quiet,
        steam("say welcome"),
        &["say welcome".to_owned()],
    )
    .await;
    // An erased customer: the commands were scrubbed and nobody knows the player any more.
    let gone = customer(&svc, &caller, "gone@example.com", Some(PLAYER)).await;
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "UPDATE customers SET external_id = NULL, email = NULL, erased_at = $1 WHERE id = $2",
        [Utc::now().into(), gone.as_str().into()],
    ))
    .await
    .unwrap();
    let gone = old_entitlement(
        db,
        w,
        &gone,
        steam("vip add {customer_external_id}"),
        &["vip add [erased]".to_owned()],
    )
    .await;
    // Not a game-server benefit: no player id at all.
    let key = old_entitlement(
        db,
        w,
        &late,
        json!({"kind": "license_key", "prefix": "NWG"}),
        &[],
    )
    .await;

    Migrator::up(&t.db, None).await.unwrap();
    assert_eq!(player_of(db, &edited).await.as_deref(), Some(PLAYER));
    assert_eq!(player_of(db, &late_ent).await, Some(late.clone()));
    assert_eq!(player_of(db, &quiet).await.as_deref(), Some("p-2"));
    assert_eq!(player_of(db, &gone).await, None);
    assert_eq!(player_of(db, &key).await, None);

    // And the application revokes them with it, or logs what it cannot write.
    let revoke = |id: &str| {
        let (svc, caller) = (svc.clone(), caller.clone());
        let id = EntitlementId::parse(id).unwrap();
        async move {
            let ent = revoke_entitlement(&svc, &caller, &id, EntitlementRevoke::default())
                .await
                .unwrap();
            ent.commands
                .into_iter()
                .filter(|c| c.phase == CommandPhase::Revoke)
                .map(|c| (c.command, c.status))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        revoke(&edited).await,
        [(format!("vip remove {PLAYER}"), CommandStatus::Pending)]
    );
    assert_eq!(
        revoke(&gone).await,
        [(
            "vip remove {customer_external_id}".to_owned(),
            CommandStatus::Failed
        )]
    );
    t.cleanup().await;
}

on_both_engines!(
    revoke_commands_name_the_player_granted_after_the_external_id_is_edited,
    an_erased_customers_perks_still_end_and_the_game_server_hears_of_it,
    a_command_that_cannot_be_written_is_logged_failed_and_the_entitlement_still_ends,
    entitlements_granted_before_keep_the_player_their_grant_commands_named,
);
