//! What Settings → System shows an owner: this server's release and schema, how each
//! background job has been doing (across processes), and how long each queue has waited.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A job failing this long gets a banner on the System section.
pub const FAILING_ALERT_AFTER: Duration = Duration::minutes(15);

/// The jobs every server runs, in the order the page lists them, with their names for people.
/// Backups are listed when they are scheduled (they have run at least once).
pub const JOBS: [(&str, &str); 7] = [
    ("billing", "Renewals, retries and expiries"),
    ("reconciliation", "Reconciliation with the payment provider"),
    ("webhooks", "Webhook deliveries"),
    ("emails", "Emails"),
    ("bulk_actions", "Bulk actions"),
    ("sweep", "Clean-up of expired sessions and keys"),
    ("backups", "Scheduled backups"),
];

/// The System section's figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SystemStatus {
    /// This server's release, such as `0.1.0`.
    pub version: String,
    /// `SQLite` or `PostgreSQL`.
    pub engine: String,
    /// The newest migration applied.
    pub schema_version: Option<String>,
    /// Whether every migration this release knows is applied.
    pub schema_up_to_date: bool,
    /// Each job, in [`JOBS`] order.
    pub jobs: Vec<JobStatus>,
    /// Each queue.
    pub queues: Vec<QueueStatus>,
    /// When these figures were read.
    pub checked_at: DateTime<Utc>,
}

/// One background job, as any process last recorded it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobStatus {
    /// The job's name for people.
    pub label: String,
    /// When a run last ended; `None` before the first.
    pub last_run_at: Option<DateTime<Utc>>,
    /// When a run last succeeded.
    pub last_success_at: Option<DateTime<Utc>>,
    /// The first failure since the last success; `None` while it succeeds.
    pub failing_since: Option<DateTime<Utc>>,
    /// Runs recorded, and of those, failed.
    pub runs: i64,
    /// Failed runs.
    pub failures: i64,
}

/// One queue of work waiting for a job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueStatus {
    /// The queue's name for people.
    pub label: String,
    /// Items waiting (due now or later).
    pub waiting: u64,
    /// How long the oldest due item has waited, in seconds; `None` when none is due.
    pub lag_seconds: Option<f64>,
}

impl SystemStatus {
    /// The jobs failing for [`FAILING_ALERT_AFTER`] or longer.
    pub fn failing_long(&self) -> Vec<&JobStatus> {
        self.jobs
            .iter()
            .filter(|j| {
                j.failing_since
                    .is_some_and(|since| self.checked_at - since >= FAILING_ALERT_AFTER)
            })
            .collect()
    }
}

/// A span of time as people say it: "under a second", "1 second", "12 minutes", "3 hours",
/// "2 days".
pub fn span(seconds: f64) -> String {
    let s = seconds.max(0.0).floor() as i64;
    let (n, unit) = match s {
        0 => return "under a second".to_owned(),
        1..=59 => (s, "second"),
        60..=3_599 => (s / 60, "minute"),
        3_600..=86_399 => (s / 3_600, "hour"),
        _ => (s / 86_400, "day"),
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_as_people_say_them() {
        assert_eq!(span(0.4), "under a second");
        assert_eq!(span(1.0), "1 second");
        assert_eq!(span(59.9), "59 seconds");
        assert_eq!(span(60.0), "1 minute");
        assert_eq!(span(20.0 * 60.0 + 5.0), "20 minutes");
        assert_eq!(span(7_200.0), "2 hours");
        assert_eq!(span(86_400.0 * 3.0), "3 days");
    }

    #[test]
    fn a_job_failing_fifteen_minutes_is_flagged_and_a_newer_failure_is_not() {
        let now = DateTime::parse_from_rfc3339("2026-12-07T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let job = |minutes: Option<i64>| JobStatus {
            label: "Emails".into(),
            last_run_at: Some(now),
            last_success_at: None,
            failing_since: minutes.map(|m| now - Duration::minutes(m)),
            runs: 3,
            failures: 3,
        };
        let status = SystemStatus {
            version: "0.1.0".into(),
            engine: "SQLite".into(),
            schema_version: None,
            schema_up_to_date: true,
            jobs: vec![job(Some(15)), job(Some(14)), job(None)],
            queues: vec![],
            checked_at: now,
        };
        assert_eq!(status.failing_long(), vec![&status.jobs[0]]);
    }
}
