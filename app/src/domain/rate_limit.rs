//! Rate limits every server process shares, kept in the database: one row per limited key in
//! `rate_limits`, decided and updated by one statement (GCRA, the generic cell rate algorithm).
//!
//! A row holds the key's "theoretical arrival time" (`tat`): the instant at which the key would
//! be back to a full allowance. Each attempt pushes it `period / limit` further; an attempt
//! that would push it more than `period` ahead of now is refused and changes nothing. Keys
//! are hashed: the table never holds an email or an address in clear.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use super::secrets::sha256_hex;
use super::{DomainError, Services};

/// A limit: at most `limit` attempts per `period` for one subject (an address, an email).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Names the limit in its keys, such as `login_email`.
    pub name: &'static str,
    /// Attempts allowed in a burst, and per period.
    pub limit: u32,
    /// The period, in seconds.
    pub period_seconds: i64,
}

impl Rule {
    /// At most `limit` attempts per `period_seconds`, named `name` in its keys.
    pub const fn new(name: &'static str, limit: u32, period_seconds: i64) -> Self {
        Self {
            name,
            limit,
            period_seconds,
        }
    }

    fn period_ms(&self) -> i64 {
        self.period_seconds * 1000
    }

    /// The time one attempt uses up: `period / limit`.
    fn interval_ms(&self) -> i64 {
        (self.period_ms() / i64::from(self.limit.max(1))).max(1)
    }

    fn key(&self, subject: &str) -> String {
        format!(
            "{}:{}",
            self.name,
            sha256_hex(&subject.trim().to_lowercase())
        )
    }

    /// The API key rule with `per_minute` requests a minute.
    pub fn api_key_per_minute(per_minute: u32) -> Self {
        Self {
            limit: per_minute.max(1),
            ..API_KEY
        }
    }
}

/// Failed dashboard logins for one email: 10 in 15 minutes.
pub const LOGIN_EMAIL: Rule = Rule::new("login_email", 10, 15 * 60);

/// Failed dashboard logins from one address: 50 in 15 minutes.
pub const LOGIN_IP: Rule = Rule::new("login_ip", 50, 15 * 60);

/// Requests with one API key: by default 6,000 a minute (100 a second, in bursts of up to
/// 6,000). A server sets its own with `--api-rate-limit`.
pub const API_KEY: Rule = Rule::new("api_key", 6000, 60);

fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// Takes one attempt from `subject`'s allowance under `rule`, or refuses with
/// [`DomainError::RateLimited`] (and takes nothing) when none is left.
pub async fn take<C: ConnectionTrait>(
    conn: &C,
    svc: &Services,
    rule: &Rule,
    subject: &str,
) -> Result<(), DomainError> {
    let key = rule.key(subject);
    let now = millis(svc.clock.now());
    let backend = conn.get_database_backend();
    let greatest = if backend == DbBackend::Postgres {
        "GREATEST"
    } else {
        "MAX"
    };
    // One statement: the insert of a first attempt, or the update of a later one that the
    // WHERE admits; a refused attempt updates nothing and returns no row.
    let sql = format!(
        "INSERT INTO rate_limits (key, tat) VALUES ($1, $2 + $3) \
         ON CONFLICT (key) DO UPDATE SET tat = {greatest}(rate_limits.tat, $2) + $3 \
         WHERE {greatest}(rate_limits.tat, $2) + $3 - $2 <= $4 \
         RETURNING tat"
    );
    let values: [Value; 4] = [
        key.clone().into(),
        now.into(),
        rule.interval_ms().into(),
        rule.period_ms().into(),
    ];
    let taken = conn
        .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    if taken.is_some() {
        return Ok(());
    }
    // Refused: say when the next attempt may pass.
    let tat: Option<i64> = conn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "SELECT tat FROM rate_limits WHERE key = $1",
            [key.into()],
        ))
        .await?
        .map(|row| row.try_get::<i64>("", "tat"))
        .transpose()?;
    let wait_ms = tat.map_or(0, |tat| tat + rule.interval_ms() - now - rule.period_ms());
    Err(DomainError::RateLimited {
        retry_after: Duration::milliseconds(wait_ms.max(1000)),
    })
}

/// Runs one statement that changes `rate_limits` rows; returns how many it changed.
async fn change<C: ConnectionTrait>(
    conn: &C,
    sql: &str,
    values: Vec<Value>,
) -> Result<u64, DomainError> {
    let backend = conn.get_database_backend();
    let done = conn
        .execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    Ok(done.rows_affected())
}

/// Gives back one attempt taken by [`take`] (a login that succeeded costs nothing).
pub async fn give_back<C: ConnectionTrait>(
    conn: &C,
    rule: &Rule,
    subject: &str,
) -> Result<(), DomainError> {
    let values = vec![rule.interval_ms().into(), rule.key(subject).into()];
    let sql = "UPDATE rate_limits SET tat = tat - $1 WHERE key = $2";
    change(conn, sql, values).await?;
    Ok(())
}

/// Deletes the rows whose allowance is whole again: they hold nothing a missing row would not.
pub async fn sweep(svc: &Services) -> Result<u64, DomainError> {
    let sql = "DELETE FROM rate_limits WHERE tat <= $1";
    change(&svc.db, sql, vec![millis(svc.clock.now()).into()]).await
}

/// Gives `subject` its whole allowance under `rule` back: what it spent before is forgotten
/// (a correct password clears the failures that one account had from one address).
pub async fn forget<C: ConnectionTrait>(
    conn: &C,
    rule: &Rule,
    subject: &str,
) -> Result<(), DomainError> {
    let sql = "DELETE FROM rate_limits WHERE key = $1";
    change(conn, sql, vec![rule.key(subject).into()]).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attempt_uses_up_its_share_of_the_period_and_keys_hide_the_subject() {
        assert_eq!(LOGIN_EMAIL.interval_ms(), 90_000);
        let key = LOGIN_EMAIL.key(" Ann@Example.com ");
        assert_eq!(key, LOGIN_EMAIL.key("ann@example.com"));
        assert!(key.starts_with("login_email:"));
        assert!(!key.contains("ann"));
        assert_eq!(key.len(), "login_email:".len() + 64);
    }
}
