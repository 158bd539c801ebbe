//! Faults the simulated provider can be told to inject (by tests, or by an operator rehearsing an
//! outage with `PATRON_SIM_FAULTS`), and the plan's parser.

use std::sync::Mutex;

use super::ProviderError;

/// Where the simulated provider can be told to misbehave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultPoint {
    /// Before a charge moves money.
    BeforeCharge,
    /// After a charge moved money, before the caller hears of it.
    AfterCharge,
    /// Before a refund moves money.
    BeforeRefund,
    /// After a refund moved money, before the caller hears of it.
    AfterRefund,
}

/// How the simulated provider misbehaves at a [`FaultPoint`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The call fails as if the provider were unreachable.
    Fail,
    /// The call waits this long, then goes on.
    Hang(std::time::Duration),
}

/// Faults to inject, each for a number of calls: set by tests, or by an operator rehearsing an
/// outage with `PATRON_SIM_FAULTS` (see [`Faults::parse`]).
#[derive(Debug, Default)]
pub struct Faults {
    plan: Mutex<Vec<(FaultPoint, Fault, u32)>>,
}

impl FaultPoint {
    /// Every point, with the name `PATRON_SIM_FAULTS` gives it.
    pub const NAMED: [(&'static str, FaultPoint); 4] = [
        ("charge.before", FaultPoint::BeforeCharge),
        ("charge.after", FaultPoint::AfterCharge),
        ("refund.before", FaultPoint::BeforeRefund),
        ("refund.after", FaultPoint::AfterRefund),
    ];
}

/// A duration such as `500ms`, `30s` or `2m`.
pub fn parse_duration(text: &str) -> Option<std::time::Duration> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = text.split_at(split);
    let n: u64 = n.parse().ok()?;
    match unit {
        "ms" => Some(std::time::Duration::from_millis(n)),
        "s" => Some(std::time::Duration::from_secs(n)),
        "m" => n.checked_mul(60).map(std::time::Duration::from_secs),
        "h" => n.checked_mul(3600).map(std::time::Duration::from_secs),
        _ => None,
    }
}

impl Faults {
    /// Reads a plan such as `charge.after:hang:30s:1,refund.before:fail:3`: comma-separated
    /// faults, each a point (`charge.before`, `charge.after`, `refund.before`,
    /// `refund.after`), what happens there (`fail`, or `hang:<duration>` with a duration in
    /// `ms`, `s` or `m`), and how many calls it hits. The error names the part that is wrong.
    pub fn parse(spec: &str) -> Result<Vec<(FaultPoint, Fault, u32)>, String> {
        let mut plan = Vec::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let fields: Vec<&str> = part.split(':').collect();
            let point = fields
                .first()
                .and_then(|name| FaultPoint::NAMED.iter().find(|(n, _)| n == name))
                .map(|(_, p)| *p)
                .ok_or_else(|| {
                    format!(
                        "\"{part}\": the point must be one of charge.before, charge.after, refund.before, refund.after"
                    )
                })?;
            let (fault, times) = match fields.as_slice() {
                [_, "fail", times] => (Fault::Fail, *times),
                [_, "hang", duration, times] => (
                    Fault::Hang(parse_duration(duration).ok_or_else(|| {
                        format!("\"{part}\": a hang lasts a duration such as 500ms, 30s or 2m")
                    })?),
                    *times,
                ),
                _ => {
                    return Err(format!(
                        "\"{part}\": write point:fail:calls or point:hang:duration:calls"
                    ));
                }
            };
            let times = times
                .parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("\"{part}\": the number of calls must be 1 or more"))?;
            plan.push((point, fault, times));
        }
        Ok(plan)
    }

    /// Adds every fault of `plan` (from [`Faults::parse`]).
    pub fn load(&self, plan: Vec<(FaultPoint, Fault, u32)>) {
        for (at, fault, times) in plan {
            self.inject(at, fault, times);
        }
    }

    /// The next `times` calls that reach `at` misbehave as `fault`.
    pub fn inject(&self, at: FaultPoint, fault: Fault, times: u32) {
        if let Ok(mut plan) = self.plan.lock() {
            plan.push((at, fault, times));
        }
    }

    /// Forgets every fault not yet used.
    pub fn clear(&self) {
        if let Ok(mut plan) = self.plan.lock() {
            plan.clear();
        }
    }

    fn take(&self, at: FaultPoint) -> Option<Fault> {
        let mut plan = self.plan.lock().ok()?;
        let i = plan.iter().position(|(p, _, n)| *p == at && *n > 0)?;
        let fault = plan[i].1;
        plan[i].2 -= 1;
        if plan[i].2 == 0 {
            plan.remove(i);
        }
        Some(fault)
    }

    pub(super) async fn hit(&self, at: FaultPoint) -> Result<(), ProviderError> {
        match self.take(at) {
            None => Ok(()),
            Some(Fault::Fail) => Err(ProviderError::Unavailable(format!(
                "injected failure at {at:?}"
            ))),
            Some(Fault::Hang(d)) => {
                tokio::time::sleep(d).await;
                Ok(())
            }
        }
    }
}
