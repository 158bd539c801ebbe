//! Counts of customers as people read them.

use crate::types::segment::Segment;

/// A segment's count as shown: exact, or "100,000+" past the cap.
pub(super) fn count_text(s: &Segment) -> String {
    match s.customer_count {
        None => "…".into(),
        Some(n) if s.count_capped => format!("{}+", thousands(n)),
        Some(n) => thousands(n),
    }
}

/// `12,345`: a count as people read it.
pub(super) fn thousands(n: i64) -> String {
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}
