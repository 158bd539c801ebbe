//! The game-server command queue: commands queued on grant and revoke, polled by the
//! merchant's server, and reported once.

use super::*;
use crate::domain::products::player_id_regex;
use crate::types::EventType;

pub(super) fn to_command(row: cmd::Model) -> Result<GameCommand, DomainError> {
    Ok(GameCommand {
        id: row.id.clone(),
        entitlement_id: row.entitlement_id.clone(),
        server: row.server,
        command: row.command,
        phase: row.phase,
        status: row.status,
        created_at: row.created_at,
        executed_at: row.executed_at,
    })
}

/// Writes the `phase` commands of a game-server entitlement, with `player_id` where a command
/// names the player. A command that needs a player id it cannot have (none is known, or the one
/// known does not fit the product's player-id kind) is logged as failed, as written, and never
/// sent; the others are queued. Never refuses: a grant or a revoke is part of a payment, a
/// refund or a subscription's end, which must go on. Answers why commands were logged as
/// failed, if any were.
pub(super) async fn queue_commands<C: ConnectionTrait>(
    conn: &C,
    row: &ent::Model,
    phase: CommandPhase,
    player_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<&'static str>, DomainError> {
    if row.kind != BenefitKind::GameServerCommands {
        return Ok(None);
    }
    let benefit: Benefit = match stored_json(&row.benefit) {
        Ok(b) => b,
        Err(e) => {
            // Without its benefit there is no command to write or log; the change goes on.
            tracing::error!(
                entitlement = %row.id,
                error = %e,
                "a game-server benefit could not be read"
            );
            return Ok(Some(
                "The entitlement's game-server commands could not be read, so none were sent.",
            ));
        }
    };
    let Benefit::GameServerCommands {
        server,
        on_grant,
        on_revoke,
        player_id: kind,
        player_id_pattern,
    } = benefit
    else {
        return Ok(None);
    };
    let list = match phase {
        CommandPhase::Grant => on_grant,
        CommandPhase::Revoke => on_revoke,
    };
    // Checked again at every use: the only text a game server's console receives from a
    // customer must fit what the product allows.
    let fitting = player_id.filter(|id| player_id_fits(kind, player_id_pattern.as_deref(), id));
    let mut failed = false;
    for (i, c) in (0i64..).zip(list) {
        let (command, status) = match fitting {
            _ if !c.contains(PLACEHOLDER) => (c, CommandStatus::Pending),
            Some(id) => (c.replace(PLACEHOLDER, id), CommandStatus::Pending),
            None => {
                failed = true;
                (c, CommandStatus::Failed)
            }
        };
        cmd::ActiveModel {
            // A millisecond apart: ids sort in the order a game server must run them.
            id: Set(CommandId::generate_at(now + Duration::milliseconds(i))),
            workspace_id: Set(row.workspace_id.clone()),
            entitlement_id: Set(row.id.clone()),
            server: Set(server.clone()),
            command: Set(command),
            phase: Set(phase),
            status: Set(status),
            created_at: Set(now),
            executed_at: Set(None),
        }
        .insert(conn)
        .await?;
    }
    if !failed {
        return Ok(None);
    }
    let reason = match player_id {
        Some(_) => {
            "The player id does not fit the product's player-id kind, so the commands that name the player were not sent."
        }
        None => {
            "The player id the entitlement was granted to is not known, so the commands that name the player were not sent."
        }
    };
    tracing::warn!(
        entitlement = %row.id,
        phase = %phase.as_str(),
        "game-server commands logged as failed: {reason}"
    );
    Ok(Some(reason))
}

/// What a command's text says where the customer's external id goes.
const PLACEHOLDER: &str = "{customer_external_id}";

/// Whether `id` fits `kind`: the only text a game-server command ever receives from a customer.
pub(crate) fn player_id_fits(kind: PlayerIdKind, pattern: Option<&str>, id: &str) -> bool {
    let no_control = !id.chars().any(char::is_control);
    no_control
        && match kind {
            PlayerIdKind::Plain => {
                (1..=64).contains(&id.len())
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"_.:-".contains(&b))
            }
            PlayerIdKind::SteamId64 => {
                id.len() == 17
                    && id.starts_with("7656119")
                    && id.bytes().all(|b| b.is_ascii_digit())
            }
            PlayerIdKind::Minecraft => {
                let name = (3..=16).contains(&id.len())
                    && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
                let hex = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit());
                let parts: Vec<&str> = id.split('-').collect();
                let uuid = (id.len() == 32 && hex(id))
                    || (parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
                        && parts.iter().all(|p| hex(p)));
                name || uuid
            }
            PlayerIdKind::Pattern => pattern
                .and_then(|p| player_id_regex(p).ok())
                .is_some_and(|re| re.is_match(id)),
        }
}

/// Refuses a customer whose external id (or, without one, Patron's id) does not fit `kind`.
pub(crate) fn check_player_id(
    kind: PlayerIdKind,
    pattern: Option<&str>,
    external_id: Option<&str>,
    id: &str,
) -> Result<(), DomainError> {
    if player_id_fits(kind, pattern, id) {
        return Ok(());
    }
    let wanted = match kind {
        PlayerIdKind::Plain => "letters, digits and _ . : - (1 to 64)",
        PlayerIdKind::SteamId64 => "a SteamID64 (17 digits starting 7656119)",
        PlayerIdKind::Minecraft => "a Minecraft UUID or player name",
        PlayerIdKind::Pattern => "an id matching the product's player_id_pattern",
    };
    let message = match external_id {
        Some(_) => format!("must be {wanted} for this product's game-server commands"),
        None => format!("is needed: this product's game-server commands take {wanted}"),
    };
    Err(DomainError::unprocessable("customer.external_id", message))
}

/// Refuses, before any charge, a purchase of `product` whose game-server commands could not
/// take the customer's external id.
pub(crate) fn check_player_ids(
    product: &product::Model,
    customer_id: Option<&CustomerId>,
    external_id: Option<&str>,
) -> Result<(), DomainError> {
    let benefits: Vec<Benefit> = stored_json(&product.benefits)?;
    for b in benefits {
        if let Benefit::GameServerCommands {
            on_grant,
            on_revoke,
            player_id,
            player_id_pattern,
            ..
        } = b
            && on_grant
                .iter()
                .chain(&on_revoke)
                .any(|c| c.contains(PLACEHOLDER))
        {
            // A new customer's id is a `cus_` ULID: plain, but no Steam or Minecraft id.
            let id = external_id
                .map(str::to_owned)
                .or_else(|| customer_id.map(|c| c.as_str().to_owned()))
                .unwrap_or_else(|| "cus_00000000000000000000000000".to_owned());
            check_player_id(player_id, player_id_pattern.as_deref(), external_id, &id)?;
        }
    }
    Ok(())
}

/// Commands waiting for `server`, oldest first (what a game-server plugin polls).
pub async fn pending_commands(
    svc: &Services,
    caller: &Caller,
    server: &str,
    limit: crate::domain::Limit,
    after: Option<&CommandId>,
) -> Result<crate::types::Page<GameCommand>, DomainError> {
    caller.require(Scope::CommandsWrite)?;
    let server = server.trim();
    if server.is_empty() {
        return Err(DomainError::invalid(
            "server",
            "name the game server whose commands to fetch",
        ));
    }
    if server.chars().count() > 100 {
        return Err(DomainError::invalid(
            "server",
            "must be at most 100 characters",
        ));
    }
    // Oldest first: a game server runs them in the order they were queued.
    let mut select = cmd::Entity::find()
        .filter(cmd::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .filter(cmd::Column::Server.eq(server))
        .filter(cmd::Column::Status.eq(CommandStatus::Pending));
    if let Some(after) = after {
        select = select.filter(cmd::Column::Id.gt(after.as_str()));
    }
    let (rows, more) = crate::domain::paging::fetch(limit, |n| {
        select.order_by_asc(cmd::Column::Id).limit(n).all(&svc.db)
    })
    .await?;
    let data = rows
        .into_iter()
        .map(to_command)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(crate::types::Page::new(data, more))
}

/// Records that a game server ran (or failed to run) a pending command.
pub async fn report_command(
    svc: &Services,
    caller: &Caller,
    id: &CommandId,
    report: CommandReport,
) -> Result<GameCommand, DomainError> {
    caller.require(Scope::CommandsWrite)?;
    if report.status == CommandStatus::Pending {
        return Err(DomainError::invalid("status", "must be executed or failed"));
    }
    let now = svc.clock.now();
    let txn = svc.write_txn().await?;
    let row = crate::domain::find::in_workspace::<cmd::Entity, _, _, _>(
        &txn,
        caller.workspace_id.as_str(),
        id.clone(),
    )
    .await?;
    if row.status != CommandStatus::Pending {
        return Err(DomainError::Conflict {
            code: ErrorCode::CommandAlreadyReported,
            message: format!("the command was already reported {}", row.status),
        });
    }
    let moved = cmd::Entity::update_many()
        .col_expr(cmd::Column::Status, Expr::val(report.status))
        .col_expr(cmd::Column::ExecutedAt, Expr::val(Some(now)))
        .filter(cmd::Column::Id.eq(row.id.as_str()))
        .filter(cmd::Column::Status.eq(CommandStatus::Pending))
        .exec(&txn)
        .await?;
    if moved.rows_affected == 0 {
        txn.rollback().await?;
        return Err(DomainError::Conflict {
            code: ErrorCode::CommandAlreadyReported,
            message: "the command was already reported".into(),
        });
    }
    let row = cmd::Entity::find_by_id(row.id.clone())
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound { what: "command" })?;
    let customer_id = ent::Entity::find_by_id(row.entitlement_id.clone())
        .one(&txn)
        .await?
        .map(|e| e.customer_id);
    audit::record(
        &txn,
        svc,
        caller,
        Change::new(
            EventType::EntitlementCommandReported,
            row.entitlement_id.as_str(),
            customer_id.as_ref(),
            json!({"command_id": row.id, "status": report.status.as_str()}),
        ),
    )
    .await?;
    txn.commit().await?;
    to_command(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_player_id_is_substituted_only_when_it_fits_its_kind() {
        use PlayerIdKind::*;
        let fits = |k, id: &str| player_id_fits(k, None, id);
        assert!(fits(Plain, "steam-7") && fits(Plain, "cus_01JD5ZQ3XK4M6P8R9S2T3V4W5X"));
        for bad in ["a b", "x;op me", "x\nsay hi", "\"q\"", "", &"a".repeat(65)] {
            assert!(!fits(Plain, bad), "{bad:?}");
        }
        assert!(fits(SteamId64, "76561198000000042"));
        for bad in [
            "7656119800000004",
            "76561198000000042 ",
            "86561198000000042",
            "7656119800000004x",
        ] {
            assert!(!fits(SteamId64, bad), "{bad:?}");
        }
        assert!(fits(Minecraft, "Notch") && fits(Minecraft, "jeb_"));
        assert!(fits(Minecraft, "069a79f444e94726a5befca90e38aaf5"));
        assert!(fits(Minecraft, "069a79f4-44e9-4726-a5be-fca90e38aaf5"));
        for bad in [
            "ab",
            "seventeen_letters",
            "no-dash",
            "069a79f4-44e9-4726-a5be-fca90e38aaf",
        ] {
            assert!(!fits(Minecraft, bad), "{bad:?}");
        }
        // A pattern matches the whole id, never a part of it.
        let p = Some("[A-Z]{2}[0-9]{4}");
        assert!(player_id_fits(Pattern, p, "AB1234"));
        assert!(!player_id_fits(Pattern, p, "AB1234; op me"));
        assert!(
            !player_id_fits(Pattern, Some(".*"), "x\u{0}y"),
            "never a control character"
        );
        assert!(player_id_regex("(").is_err());
        assert!(
            player_id_regex("a{1000}{1000}").is_err(),
            "too big to build"
        );
    }
}
