//! Time comes from an injected clock so tests can move it (renewals, expiries).

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The real wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to (or, if made `ticking`, a little at every reading):
/// for tests and simulations.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
    tick: Duration,
}

impl ManualClock {
    /// A clock stopped at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        Self::ticking(start, Duration::zero())
    }

    /// A clock at `start` that moves on by `tick` after every reading: things made one after
    /// the other get distinct, increasing times, as on a real clock.
    pub fn ticking(start: DateTime<Utc>, tick: Duration) -> Self {
        Self {
            now: Mutex::new(start),
            tick,
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        let read = *now;
        *now += self.tick;
        read
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_advanced() {
        let start = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let clock = ManualClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::days(30));
        assert_eq!(clock.now(), start + Duration::days(30));
    }

    #[test]
    fn a_ticking_clock_moves_on_at_every_reading() {
        let start = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let clock = ManualClock::ticking(start, Duration::milliseconds(1));
        assert_eq!(clock.now(), start);
        assert_eq!(clock.now(), start + Duration::milliseconds(1));
        clock.advance(Duration::days(1));
        assert_eq!(
            clock.now(),
            start + Duration::days(1) + Duration::milliseconds(2)
        );
    }
}
