//! The player id an entitlement was granted with, kept for its revoke commands.
//!
//! Revoke commands were written with the customer's external id as it was at the revoke: after
//! an edit, an import, a merge or an erasure they named another player, or could not be written
//! and the revoke failed. `entitlements.player_id` keeps the id the grant's commands used.
//!
//! Game-server entitlements granted before take it from their grant commands, which were
//! written with it. Where no grant command names the player, it is the customer's external id
//! (or Patron's id without one) as it is now: what a revoke would have used. An erased
//! customer's is not known (their commands were scrubbed) and stays empty; a revoke then logs
//! the commands that name the player as failed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::kit::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// What a command template holds where the player id goes (as on this day).
const PLACEHOLDER: &str = "{customer_external_id}";

/// What an erasure writes over an erased value (as on this day).
const ERASED: &str = "[erased]";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add_column(m, "entitlements", text_null("player_id")).await?;
        let db = m.get_connection();
        let entitlements = db
            .query_all(
                &Query::select()
                    .columns(["id", "customer_id", "benefit"])
                    .from("entitlements")
                    .and_where(Expr::col("kind").eq("game_server_commands"))
                    .to_owned(),
            )
            .await?;
        for row in entitlements {
            let id: String = row.try_get("", "id")?;
            let customer_id: String = row.try_get("", "customer_id")?;
            let benefit: String = row.try_get("", "benefit")?;
            let commands: Vec<String> = db
                .query_all(
                    &Query::select()
                        .column("command")
                        .from("entitlement_commands")
                        .and_where(Expr::col("entitlement_id").eq(id.clone()))
                        .and_where(Expr::col("phase").eq("grant"))
                        .to_owned(),
                )
                .await?
                .iter()
                .map(|c| c.try_get::<String>("", "command"))
                .collect::<Result<_, _>>()?;
            let granted = grant_templates(&benefit)
                .iter()
                .find_map(|t| commands.iter().find_map(|c| player_in(t, c)));
            let player = match granted {
                Some(player) => Some(player),
                None => {
                    // Not erased: the id a revoke would have used until now.
                    let customer = db
                        .query_one(
                            &Query::select()
                                .column("external_id")
                                .from("customers")
                                .and_where(Expr::col("id").eq(customer_id.clone()))
                                .and_where(Expr::col("erased_at").is_null())
                                .to_owned(),
                        )
                        .await?;
                    match customer {
                        Some(c) => Some(
                            c.try_get::<Option<String>>("", "external_id")?
                                .unwrap_or(customer_id),
                        ),
                        None => None,
                    }
                }
            };
            if let Some(player) = player {
                db.execute(
                    &Query::update()
                        .table("entitlements")
                        .value("player_id", player)
                        .and_where(Expr::col("id").eq(id))
                        .to_owned(),
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_column(m, "entitlements", "player_id").await
    }
}

/// The grant command templates of a stored game-server benefit that name the player.
fn grant_templates(benefit: &str) -> Vec<String> {
    serde_json::from_str::<serde_json::Value>(benefit)
        .ok()
        .and_then(|b| {
            b.get("on_grant")
                .and_then(serde_json::Value::as_array)
                .cloned()
        })
        .unwrap_or_default()
        .iter()
        .filter_map(serde_json::Value::as_str)
        .filter(|t| t.contains(PLACEHOLDER))
        .map(str::to_owned)
        .collect()
}

/// The player id `command` was written with from `template`, if it was written from it (and
/// not scrubbed by an erasure since).
fn player_in(template: &str, command: &str) -> Option<String> {
    let times = template.matches(PLACEHOLDER).count();
    let fixed = template.len() - times * PLACEHOLDER.len();
    if times == 0 || command.len() <= fixed || !(command.len() - fixed).is_multiple_of(times) {
        return None;
    }
    let len = (command.len() - fixed) / times;
    let start = template.find(PLACEHOLDER)?;
    let id = command.get(start..start + len)?;
    let sound = !id.contains(ERASED)
        && !id.chars().any(char::is_control)
        && template.replace(PLACEHOLDER, id) == command;
    sound.then(|| id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_player_id_is_read_back_only_from_a_command_its_template_wrote() {
        let t = "lp user {customer_external_id} parent add vip";
        assert_eq!(
            player_in(t, "lp user 76561198000000042 parent add vip").as_deref(),
            Some("76561198000000042")
        );
        let twice = "kick {customer_external_id}; ban {customer_external_id}";
        assert_eq!(
            player_in(twice, "kick ab-1; ban ab-1").as_deref(),
            Some("ab-1")
        );
        assert_eq!(player_in(twice, "kick ab-1; ban ab-2"), None);
        assert_eq!(player_in(t, "lp user [erased] parent add vip"), None);
        assert_eq!(player_in(t, "say hello"), None);
        assert_eq!(player_in(t, "lp user  parent add vip"), None);
        assert_eq!(
            grant_templates(
                r#"{"kind":"game_server_commands","on_grant":["say hi","vip add {customer_external_id}"]}"#
            ),
            ["vip add {customer_external_id}"]
        );
        assert!(grant_templates("not json").is_empty());
    }
}
