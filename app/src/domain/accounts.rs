//! Merchant users, their memberships, and dashboard sessions.

use std::sync::LazyLock;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};

use crate::db::entities::{membership, session, user, workspace};
use crate::types::ErrorCode;
use crate::types::team::{SessionSummary, WorkspaceChoice};
use crate::types::{Role, SessionId, ShellContext, UserId, WorkspaceId};

use super::actor::{Actor, Caller};
use super::rate_limit::{self, Rule};
use super::secrets::{
    hash_password, hash_password_async, off_the_workers, random_token, sha256_hex, verify_password,
    verify_password_async,
};
use super::validate::normalise_email;
use super::{DomainError, Services};

/// How long a login lasts at most, however busy.
pub const SESSION_TTL: Duration = Duration::days(14);
/// How long a login lasts unused.
pub const SESSION_IDLE: Duration = Duration::hours(12);
/// Characters of a User-Agent kept to tell devices apart.
const USER_AGENT_MAX: usize = 300;
/// Shortest password accepted.
pub const PASSWORD_MIN: usize = 10;

/// A new merchant user.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The workspace they join.
    pub workspace_id: WorkspaceId,
    /// Login email.
    pub email: String,
    /// Their role there.
    pub role: Role,
    /// Plain password; only its Argon2id hash is stored.
    pub password: String,
}

/// Creates a user and their membership. An email may belong to one user only.
pub async fn create_user(svc: &Services, new: NewUser) -> Result<UserId, DomainError> {
    let email = normalise_email(&new.email)?;
    check_password_length(&new.password)?;
    super::workspaces::get_workspace(&svc.db, &new.workspace_id).await?;
    if user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(&svc.db)
        .await?
        .is_some()
    {
        return Err(DomainError::Conflict {
            code: ErrorCode::EmailTaken,
            message: format!("a user with the email {email} already exists"),
        });
    }
    let password_hash = hash_password_async(new.password.clone()).await?;
    let now = svc.clock.now();
    let txn = svc.db.begin().await?;
    let id = insert_user(&txn, email, password_hash, now).await?;
    add_membership(&txn, &new.workspace_id, &id, new.role, now).await?;
    txn.commit().await?;
    Ok(id)
}

/// Fails unless `password` is long enough for a new password.
pub(crate) fn check_password_length(password: &str) -> Result<(), DomainError> {
    if password.chars().count() < PASSWORD_MIN {
        return Err(DomainError::invalid(
            "password",
            format!("must be at least {PASSWORD_MIN} characters"),
        ));
    }
    Ok(())
}

/// Writes a new user row, with an email already normalised and a password already hashed;
/// returns the user's id.
pub(crate) async fn insert_user<C: sea_orm::ConnectionTrait>(
    conn: &C,
    email: String,
    password_hash: String,
    now: DateTime<Utc>,
) -> Result<UserId, DomainError> {
    let id = UserId::generate_at(now);
    user::ActiveModel {
        id: Set(id.clone()),
        email: Set(email),
        password_hash: Set(password_hash),
        name: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(id)
}

/// Makes `user_id` a member of `workspace_id` with `role`.
pub(crate) async fn add_membership<C: sea_orm::ConnectionTrait>(
    conn: &C,
    workspace_id: &WorkspaceId,
    user_id: &UserId,
    role: Role,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    membership::ActiveModel {
        workspace_id: Set(workspace_id.clone()),
        user_id: Set(user_id.clone()),
        role: Set(role),
        created_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// A signed-in user as the dashboard shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// Who and where, for every domain call.
    pub caller: Caller,
    /// Their login email.
    pub email: String,
    /// The session the request came with.
    pub session_id: SessionId,
}

/// The browser a login comes from, as the sessions list shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Device {
    /// The client's address.
    pub ip: Option<String>,
    /// Its User-Agent header.
    pub user_agent: Option<String>,
}

impl Device {
    /// A device known only by its address.
    pub fn at(ip: Option<String>) -> Self {
        Self {
            ip,
            user_agent: None,
        }
    }
}

/// Failed logins to one account from one address: after 10 in 15 minutes that pair is refused
/// (one more try every 90 seconds), and only that pair. Failures elsewhere never lock the owner
/// out of their own address, and a correct password clears the pair's count.
pub const LOGIN_ACCOUNT_ADDRESS: Rule = Rule::new("login_account_address", 10, 15 * 60);

/// Failed logins to one account from every address together: 50 in 15 minutes. It bounds a
/// guesser who spreads over many addresses (each pair stays under its own limit); it never
/// keeps out a browser that holds a live session of the account, and lifts after the wait.
pub const LOGIN_ACCOUNT: Rule = Rule::new("login_account", 50, 15 * 60);

/// Failed logins from a browser that holds a live session of the account: 10 in 15 minutes.
/// Such a browser is past the account-and-address and address limits (others' failures do
/// not lock its owner out), yet a stolen cookie does not buy unlimited guesses.
pub const LOGIN_KNOWN_SESSION: Rule = Rule::new("login_known_session", 10, 15 * 60);

/// Checks an email and password and opens a session; returns the cookie token (shown once).
///
/// A wrong email and a wrong password fail the same way, in about the same time. Only failures
/// count towards the limits: 10 for one account from one address ([`LOGIN_ACCOUNT_ADDRESS`]),
/// 50 for one account from anywhere ([`LOGIN_ACCOUNT`]) and 50 from one address
/// ([`rate_limit::LOGIN_IP`]), each in 15 minutes.
pub async fn log_in(
    svc: &Services,
    email: &str,
    password: &str,
    device: Device,
) -> Result<(String, SignedIn), DomainError> {
    log_in_holding(svc, email, password, device, None).await
}

/// [`log_in`] from a browser that may already hold a session cookie (`held`, its token).
///
/// When `held` is a live session of the very account signing in, the account-and-address,
/// account and address limits do not apply (whoever failed from elsewhere, or from this address, cannot
/// keep the owner out); that browser's own failures count under [`LOGIN_KNOWN_SESSION`].
pub async fn log_in_holding(
    svc: &Services,
    email: &str,
    password: &str,
    device: Device,
    held: Option<&str>,
) -> Result<(String, SignedIn), DomainError> {
    let ip = device.ip.clone();
    let email = email.trim().to_lowercase();
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(&svc.db)
        .await?;
    // The held cookie is looked up whether or not the email exists, so that its lookup does
    // not tell which emails do.
    let held_by = match held {
        Some(token) => live_session(svc, token).await?,
        None => None,
    };
    let known = held_by
        .filter(|(_, owner)| found.as_ref().is_some_and(|u| &u.id == owner))
        .map(|(id, _)| id);
    let tries: Vec<(Rule, String)> = match &known {
        Some(session_id) => vec![(LOGIN_KNOWN_SESSION, session_id.to_string())],
        None => {
            let pair = match &ip {
                Some(ip) => format!("{email} from {ip}"),
                None => format!("{email} from an unknown address"),
            };
            let mut tries = vec![
                (LOGIN_ACCOUNT_ADDRESS, pair),
                (LOGIN_ACCOUNT, email.clone()),
            ];
            if let Some(ip) = &ip {
                tries.push((rate_limit::LOGIN_IP, ip.clone()));
            }
            tries
        }
    };
    // A try is taken before the password is checked, so that parallel guesses cannot all
    // slip past a limit while their checks run; a success gives its try back (below), so
    // only failures count.
    take_all(svc, &tries).await?;
    let Some(user) = found else {
        // Spend the same effort as a real check so timing does not reveal which emails exist.
        let password = password.to_owned();
        off_the_workers(move || verify_password(&password, &DUMMY_HASH)).await?;
        return Err(DomainError::Unauthenticated);
    };
    if !verify_password_async(password.to_owned(), user.password_hash.clone()).await? {
        return Err(DomainError::Unauthenticated);
    }
    let membership = membership::Entity::find()
        .filter(membership::Column::UserId.eq(&user.id))
        .order_by_asc(membership::Column::CreatedAt)
        .one(&svc.db)
        .await?
        .ok_or(DomainError::Unauthenticated)?;
    let (token, session_id) =
        open_session(&svc.db, svc, &user.id, &membership.workspace_id, device).await?;
    for (rule, subject) in &tries {
        if *rule == rate_limit::LOGIN_IP || *rule == LOGIN_ACCOUNT {
            // The address may have failed for other accounts, and the account from other
            // addresses: only this try comes back.
            rate_limit::give_back(&svc.db, rule, subject).await?;
        } else {
            // The right password from here: this account's failures from here are forgotten.
            rate_limit::forget(&svc.db, rule, subject).await?;
        }
    }
    Ok((token, signed_in(&user, &membership, session_id, ip)))
}

/// Takes one try under each rule, or none: a refusal gives back the tries already taken.
async fn take_all(svc: &Services, tries: &[(Rule, String)]) -> Result<(), DomainError> {
    for (i, (rule, subject)) in tries.iter().enumerate() {
        if let Err(refused) = rate_limit::take(&svc.db, svc, rule, subject).await {
            for (rule, subject) in &tries[..i] {
                rate_limit::give_back(&svc.db, rule, subject).await?;
            }
            return Err(refused);
        }
    }
    Ok(())
}

/// The live session behind a cookie token, and its user, if there is one.
async fn live_session(
    svc: &Services,
    token: &str,
) -> Result<Option<(SessionId, UserId)>, DomainError> {
    let now = svc.clock.now();
    Ok(session::Entity::find()
        .filter(session::Column::TokenHash.eq(sha256_hex(token)))
        .filter(session::Column::ExpiresAt.gt(now))
        .filter(session::Column::LastSeenAt.gt(now - SESSION_IDLE))
        .one(&svc.db)
        .await?
        .map(|s| (s.id, s.user_id)))
}

/// Opens a session for `user_id` in `workspace_id`; returns its cookie token (shown once).
pub(crate) async fn open_session<C: sea_orm::ConnectionTrait>(
    conn: &C,
    svc: &Services,
    user_id: &UserId,
    workspace_id: &WorkspaceId,
    device: Device,
) -> Result<(String, SessionId), DomainError> {
    let token = random_token(43);
    let now = svc.clock.now();
    let id = SessionId::generate_at(now);
    let user_agent = device.user_agent.map(|ua| {
        ua.chars()
            .filter(|c| !c.is_control())
            .take(USER_AGENT_MAX)
            .collect()
    });
    session::ActiveModel {
        id: Set(id.clone()),
        token_hash: Set(sha256_hex(&token)),
        user_id: Set(user_id.clone()),
        workspace_id: Set(workspace_id.clone()),
        ip: Set(device.ip),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(now + SESSION_TTL),
        user_agent: Set(user_agent),
    }
    .insert(conn)
    .await?;
    Ok((token, id))
}

/// The signed-in user behind a session cookie token, if the session is live.
pub async fn session_user(
    svc: &Services,
    token: &str,
    ip: Option<String>,
) -> Result<SignedIn, DomainError> {
    let now = svc.clock.now();
    let session = session::Entity::find()
        .filter(session::Column::TokenHash.eq(sha256_hex(token)))
        .filter(session::Column::ExpiresAt.gt(now))
        .filter(session::Column::LastSeenAt.gt(now - SESSION_IDLE))
        .one(&svc.db)
        .await?
        .ok_or(DomainError::Unauthenticated)?;
    let user = user::Entity::find_by_id(session.user_id.clone())
        .one(&svc.db)
        .await?
        .ok_or(DomainError::Unauthenticated)?;
    let membership =
        membership::Entity::find_by_id((session.workspace_id.clone(), session.user_id.clone()))
            .one(&svc.db)
            .await?
            .ok_or(DomainError::Unauthenticated)?;
    let session_id = session.id.clone();
    // Touch at most once a minute: a write per request would serialise SQLite for nothing.
    if now - session.last_seen_at > Duration::minutes(1) {
        session::Entity::update_many()
            .col_expr(session::Column::LastSeenAt, Expr::val(now))
            .filter(session::Column::Id.eq(session_id.as_str()))
            .exec(&svc.db)
            .await?;
    }
    Ok(signed_in(&user, &membership, session_id, ip))
}

/// What the dashboard frame shows for a signed-in user: their workspace, email and role.
pub async fn shell_context(svc: &Services, user: &SignedIn) -> Result<ShellContext, DomainError> {
    let workspace = super::workspaces::get_workspace(&svc.db, &user.caller.workspace_id).await?;
    let role = match &user.caller.actor {
        Actor::User { role, .. } => Some(*role),
        Actor::ApiKey { .. } | Actor::PortalCustomer { .. } | Actor::System => None,
    };
    let workspaces = workspaces_of(svc, user).await?;
    Ok(ShellContext {
        workspace: Some(workspace),
        user_email: Some(user.email.clone()),
        role,
        workspaces,
    })
}

/// Every workspace `user` belongs to, by name, with their role there.
pub async fn workspaces_of(
    svc: &Services,
    user: &SignedIn,
) -> Result<Vec<WorkspaceChoice>, DomainError> {
    let Actor::User { id, .. } = &user.caller.actor else {
        return Ok(Vec::new());
    };
    let memberships = membership::Entity::find()
        .filter(membership::Column::UserId.eq(id.as_str()))
        .all(&svc.db)
        .await?;
    let ids: Vec<&str> = memberships
        .iter()
        .map(|m| m.workspace_id.as_str())
        .collect();
    let names: std::collections::HashMap<WorkspaceId, String> = workspace::Entity::find()
        .filter(workspace::Column::Id.is_in(ids))
        .all(&svc.db)
        .await?
        .into_iter()
        .map(|w| (w.id, w.name))
        .collect();
    let mut out: Vec<WorkspaceChoice> = memberships
        .into_iter()
        .filter_map(|m| {
            let name = names.get(&m.workspace_id)?.clone();
            Some(WorkspaceChoice {
                id: m.workspace_id,
                name,
                role: m.role,
            })
        })
        .collect();
    out.sort_by_key(|w| w.name.to_lowercase());
    Ok(out)
}

/// Moves `user`'s session to another workspace they belong to. The session gets a new token
/// (returned, for the cookie): what the old one could do ends with the switch.
pub async fn switch_workspace(
    svc: &Services,
    user: &SignedIn,
    to: &WorkspaceId,
) -> Result<String, DomainError> {
    let Actor::User { id, .. } = &user.caller.actor else {
        return Err(DomainError::Unauthenticated);
    };
    membership::Entity::find_by_id((to.clone(), id.clone()))
        .one(&svc.db)
        .await?
        .ok_or(DomainError::NotFound { what: "workspace" })?;
    new_token(svc, user, Some(to)).await
}

/// Gives `user`'s session a new token (returned, for the cookie); the old one stops working.
pub async fn rotate_session(svc: &Services, user: &SignedIn) -> Result<String, DomainError> {
    new_token(svc, user, None).await
}

/// Gives `user`'s session a new token, and moves it to the workspace `to` when there is one;
/// returns the token. A session that is gone meanwhile fails as signed out.
async fn new_token(
    svc: &Services,
    user: &SignedIn,
    to: Option<&WorkspaceId>,
) -> Result<String, DomainError> {
    let token = random_token(43);
    let mut update = session::Entity::update_many()
        .col_expr(session::Column::TokenHash, Expr::val(sha256_hex(&token)));
    if let Some(to) = to {
        update = update.col_expr(session::Column::WorkspaceId, Expr::val(to.as_str()));
    }
    let res = update
        .filter(session::Column::Id.eq(user.session_id.as_str()))
        .exec(&svc.db)
        .await?;
    if res.rows_affected != 1 {
        return Err(DomainError::Unauthenticated);
    }
    Ok(token)
}

/// The signed-in user's live sessions, in every workspace, most recently used first.
pub async fn list_sessions(
    svc: &Services,
    user: &SignedIn,
) -> Result<Vec<SessionSummary>, DomainError> {
    let Actor::User { id, .. } = &user.caller.actor else {
        return Ok(Vec::new());
    };
    let now = svc.clock.now();
    let rows = session::Entity::find()
        .filter(session::Column::UserId.eq(id.as_str()))
        .filter(session::Column::ExpiresAt.gt(now))
        .filter(session::Column::LastSeenAt.gt(now - SESSION_IDLE))
        .order_by_desc(session::Column::LastSeenAt)
        .all(&svc.db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|s| SessionSummary {
            current: s.id == user.session_id,
            device: device_name(s.user_agent.as_deref()),
            id: s.id,
            ip: s.ip,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
        })
        .collect())
}

/// Ends one of the signed-in user's own sessions.
pub async fn end_session(
    svc: &Services,
    user: &SignedIn,
    id: &SessionId,
) -> Result<(), DomainError> {
    let Actor::User { id: user_id, .. } = &user.caller.actor else {
        return Err(DomainError::Unauthenticated);
    };
    let res = session::Entity::delete_many()
        .filter(session::Column::Id.eq(id.as_str()))
        .filter(session::Column::UserId.eq(user_id.as_str()))
        .exec(&svc.db)
        .await?;
    if res.rows_affected == 0 {
        return Err(DomainError::NotFound { what: "session" });
    }
    Ok(())
}

/// Ends every session of the signed-in user, this one included; returns how many.
pub async fn end_all_sessions(svc: &Services, user: &SignedIn) -> Result<u64, DomainError> {
    let Actor::User { id, .. } = &user.caller.actor else {
        return Err(DomainError::Unauthenticated);
    };
    let res = session::Entity::delete_many()
        .filter(session::Column::UserId.eq(id.as_str()))
        .exec(&svc.db)
        .await?;
    Ok(res.rows_affected)
}

/// "Firefox on Linux": the browser and system a User-Agent names, for the sessions list.
pub fn device_name(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent.filter(|ua| !ua.is_empty()) else {
        return "Unknown device".to_owned();
    };
    // Order matters: Edge and Opera say Chrome too, Chrome says Safari, Android says Linux.
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("HeadlessChrome/", "Headless Chrome"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .into_iter()
    .find(|(token, _)| ua.contains(token))
    .map(|(_, name)| name);
    let system = [
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(token, _)| ua.contains(token))
    .map(|(_, name)| name);
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} on {s}"),
        (Some(b), None) => b.to_owned(),
        (None, Some(s)) => format!("A browser on {s}"),
        (None, None) => "Unknown device".to_owned(),
    }
}

/// Ends the session behind `token` (nothing happens for an unknown token).
pub async fn log_out(svc: &Services, token: &str) -> Result<(), DomainError> {
    session::Entity::delete_many()
        .filter(session::Column::TokenHash.eq(sha256_hex(token)))
        .exec(&svc.db)
        .await?;
    Ok(())
}

/// Deletes sessions past their expiry or idle too long; returns how many went.
pub async fn sweep_expired_sessions(svc: &Services) -> Result<u64, DomainError> {
    let now = svc.clock.now();
    let res = session::Entity::delete_many()
        .filter(
            sea_orm::Condition::any()
                .add(session::Column::ExpiresAt.lte(now))
                .add(session::Column::LastSeenAt.lte(now - SESSION_IDLE)),
        )
        .exec(&svc.db)
        .await?;
    Ok(res.rows_affected)
}

fn signed_in(
    user: &user::Model,
    membership: &membership::Model,
    session_id: SessionId,
    ip: Option<String>,
) -> SignedIn {
    let role = membership.role;
    let id = user.id.clone();
    let workspace_id = membership.workspace_id.clone();
    SignedIn {
        caller: Caller {
            workspace_id,
            actor: Actor::User { id, role },
            ip,
            idempotency_key: None,
        },
        email: user.email.clone(),
        session_id,
    }
}

/// A real Argon2id hash of a random string, checked against when the email is unknown.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password(&random_token(24)).unwrap_or_default());
