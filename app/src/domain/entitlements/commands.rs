//! The game-server command queue: commands queued on grant and revoke, polled by the
//! merchant's server, and reported once.

use super::*;

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

pub(super) async fn queue_commands<C: ConnectionTrait>(
    conn: &C,
    row: &ent::Model,
    phase: CommandPhase,
    external_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    let benefit: Benefit = stored_json(&row.benefit)?;
    if let Benefit::GameServerCommands {
        server,
        on_grant,
        on_revoke,
    } = benefit
    {
        let list = match phase {
            CommandPhase::Grant => on_grant,
            CommandPhase::Revoke => on_revoke,
        };
        for c in list {
            let command = c.replace(
                "{customer_external_id}",
                external_id.unwrap_or(row.customer_id.as_str()),
            );
            cmd::ActiveModel {
                id: Set(CommandId::generate_at(now)),
                workspace_id: Set(row.workspace_id.clone()),
                entitlement_id: Set(row.id.clone()),
                server: Set(server.clone()),
                command: Set(command),
                phase: Set(phase),
                status: Set(CommandStatus::Pending),
                created_at: Set(now),
                executed_at: Set(None),
            }
            .insert(conn)
            .await?;
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
    let row = cmd::Entity::find_by_id(id.clone())
        .filter(cmd::Column::WorkspaceId.eq(caller.workspace_id.as_str()))
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound { what: "command" })?;
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
        Change {
            action: "entitlement.command_reported",
            target_type: TargetKind::Entitlement,
            target_id: row.entitlement_id.as_str(),
            customer_id: customer_id.as_ref(),
            changes: json!({"command_id": row.id, "status": report.status.as_str()}),
        },
    )
    .await?;
    txn.commit().await?;
    to_command(row)
}
