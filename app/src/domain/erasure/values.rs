//! What names the person being erased: every value they ever had (their records now, and what
//! their own audit trail says they were before each change), and how a copy of one is found
//! and replaced, ASCII case ignored, in SQL on both engines and in stored text.

use std::collections::BTreeMap;

use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::Value;

use crate::db::entities::{customer, event};
use crate::domain::DomainError;
use crate::types::activity::TargetKind;
use crate::types::{CustomerId, WorkspaceId};

use super::ERASED;

/// The values to erase: `strong` ones identify the person wherever they appear (an email, a
/// phone number, an IP address, an external id), so a copy inside any text is erased; `exact`
/// ones (a name, a username, metadata values) are erased where a whole value equals them.
/// `emails`, `names` and `external_ids` are the identities bans, mail and sign-in codes are
/// kept under, each value the person ever had.
#[derive(Debug, Default)]
pub(super) struct Personal {
    pub(super) strong: Vec<String>,
    pub(super) exact: Vec<String>,
    /// Lower case, as the outbox and sign-in codes compare them.
    pub(super) emails: Vec<String>,
    pub(super) names: Vec<String>,
    pub(super) external_ids: Vec<String>,
}

/// A value worth erasing: trimmed, not empty, and not what an earlier erasure left.
fn usable(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|v| !v.is_empty() && *v != ERASED)
}

/// Adds `v` to `list` unless it is there already (ASCII case ignored).
fn add_once(list: &mut Vec<String>, v: &str) {
    if !list.iter().any(|s| s.eq_ignore_ascii_case(v)) {
        list.push(v.to_owned());
    }
}

impl Personal {
    pub(super) fn strong(&mut self, v: Option<&str>) {
        // Shorter values (a two-letter country, "12") would erase unrelated text, and so would
        // a short number ("2026" inside every timestamp of the year): those count only where a
        // whole value equals them.
        let Some(v) = usable(v) else { return };
        let short_number = v.bytes().all(|b| b.is_ascii_digit()) && v.len() < 7;
        if v.len() >= 4 && !short_number {
            add_once(&mut self.strong, v);
        } else {
            add_once(&mut self.exact, v);
        }
    }

    pub(super) fn exact(&mut self, v: Option<&str>) {
        if let Some(v) = usable(v) {
            add_once(&mut self.exact, v);
        }
    }

    pub(super) fn email(&mut self, v: Option<&str>) {
        self.strong(v);
        if let Some(v) = usable(v) {
            add_once(&mut self.emails, &v.to_lowercase());
        }
    }

    pub(super) fn name(&mut self, v: Option<&str>) {
        self.exact(v);
        if let Some(v) = usable(v) {
            add_once(&mut self.names, v);
        }
    }

    pub(super) fn external_id(&mut self, v: Option<&str>) {
        self.strong(v);
        self.exact(v);
        if let Some(v) = usable(v) {
            add_once(&mut self.external_ids, v);
        }
    }

    /// The values a customer row holds now.
    pub(super) fn customer(&mut self, row: &customer::Model) {
        self.email(row.email.as_deref());
        self.strong(row.phone.as_deref());
        self.strong(row.tax_id.as_deref());
        self.strong(row.profile_url.as_deref());
        self.external_id(row.external_id.as_deref());
        self.name(row.name.as_deref());
        self.exact(row.username.as_deref());
        let metadata: BTreeMap<String, String> =
            serde_json::from_str(&row.metadata).unwrap_or_default();
        for v in metadata.values() {
            self.exact(Some(v));
        }
    }

    /// The values one of the person's own audit entries names: a customer field's value
    /// before and after each change (`{field: {"before": .., "after": ..}}`), and the Discord
    /// accounts their entitlements were linked to.
    fn past(&mut self, target: TargetKind, changes: &str) {
        let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(changes) else {
            return;
        };
        for (field, change) in &fields {
            for side in ["before", "after"] {
                let Some(v) = change.get(side) else { continue };
                match (target, field.as_str()) {
                    (TargetKind::Customer, "email") => self.email(v.as_str()),
                    (TargetKind::Customer, "name") => self.name(v.as_str()),
                    (TargetKind::Customer, "external_id") => self.external_id(v.as_str()),
                    (TargetKind::Customer, "phone" | "tax_id" | "profile_url") => {
                        self.strong(v.as_str());
                    }
                    (TargetKind::Customer, "username") => self.exact(v.as_str()),
                    (TargetKind::Customer, "metadata") => {
                        if let Value::Object(m) = v {
                            for x in m.values() {
                                self.exact(x.as_str());
                            }
                        }
                    }
                    (_, "discord_user_id") => self.strong(v.as_str()),
                    _ => {}
                }
            }
        }
    }

    /// Adds every value the customer's own audit trail shows they had: an email, name or
    /// phone changed since lives on in the diffs of `customer.updated` (and of imports and
    /// merges), in webhooks built from them, and in mail sent to the old address.
    pub(super) async fn add_history<C: ConnectionTrait>(
        &mut self,
        conn: &C,
        ws: &WorkspaceId,
        id: &CustomerId,
    ) -> Result<(), DomainError> {
        let which = Condition::all()
            .add(event::Column::CustomerId.eq(id.as_str()))
            .add(event::Column::TargetType.is_in([TargetKind::Customer, TargetKind::Entitlement]));
        let mut pages = EventPages::new(ws, which);
        while let Some(rows) = pages.next(conn).await? {
            for e in &rows {
                self.past(e.target_type, &e.changes);
            }
        }
        Ok(())
    }

    /// The values that name the person (strong ones, names and external ids), without the
    /// metadata values and usernames many customers may share ("gold", "true"): what a copy
    /// kept for everyone (a segment's filters) is scrubbed of.
    pub(super) fn naming(&self) -> Personal {
        let mut exact = Vec::new();
        for v in self.names.iter().chain(&self.external_ids) {
            add_once(&mut exact, v);
        }
        Personal {
            strong: self.strong.clone(),
            exact,
            emails: self.emails.clone(),
            names: self.names.clone(),
            external_ids: self.external_ids.clone(),
        }
    }

    /// Whether there is nothing to look for.
    pub(super) fn is_empty(&self) -> bool {
        self.strong.is_empty() && self.exact.is_empty()
    }

    /// Whether `text` holds any of the values (ASCII case ignored).
    pub(super) fn found_in(&self, text: &str) -> bool {
        let lower = text.to_ascii_lowercase();
        self.strong
            .iter()
            .any(|v| lower.contains(&v.to_ascii_lowercase()))
            || self
                .exact
                .iter()
                .any(|v| text.trim().eq_ignore_ascii_case(v))
    }

    /// `text` with every strong value inside it replaced, and as a whole replaced when it
    /// equals an exact one.
    pub(super) fn scrub_text(&self, text: &str) -> String {
        if self
            .exact
            .iter()
            .any(|v| text.trim().eq_ignore_ascii_case(v))
        {
            return ERASED.to_owned();
        }
        let mut out = text.to_owned();
        for v in &self.strong {
            out = replace_ascii_case_insensitive(&out, v, ERASED);
        }
        out
    }

    /// Text that is about the person (their own delivery's answer, their own command): every
    /// value inside it replaced, exact ones too.
    pub(super) fn scrub_own_text(&self, text: &str) -> String {
        let mut out = self.scrub_text(text);
        for v in &self.exact {
            out = replace_ascii_case_insensitive(&out, v, ERASED);
        }
        out
    }

    /// Whether text about the person holds any value, exact ones anywhere inside it.
    pub(super) fn found_in_own(&self, text: &str) -> bool {
        let lower = text.to_ascii_lowercase();
        self.found_in(text)
            || self
                .exact
                .iter()
                .any(|v| lower.contains(&v.to_ascii_lowercase()))
    }

    /// Every string inside a JSON document scrubbed.
    pub(super) fn scrub_json(&self, v: &mut Value) {
        match v {
            Value::String(s) if self.found_in(s) => *s = self.scrub_text(s),
            Value::Array(items) => items.iter_mut().for_each(|i| self.scrub_json(i)),
            Value::Object(map) => map.values_mut().for_each(|i| self.scrub_json(i)),
            _ => {}
        }
    }

    /// A stored JSON text scrubbed; text that is not JSON is scrubbed as text.
    pub(super) fn scrub_stored(&self, text: &str) -> String {
        match serde_json::from_str::<Value>(text) {
            Ok(mut v) => {
                self.scrub_json(&mut v);
                v.to_string()
            }
            Err(_) => self.scrub_text(text),
        }
    }

    /// [`Self::scrub_stored`], or `None` when nothing in `text` is the person's (so a row is
    /// rewritten only when a value goes, never for a key order).
    pub(super) fn scrubbed(&self, text: &str) -> Option<String> {
        match serde_json::from_str::<Value>(text) {
            Ok(before) => {
                let mut after = before.clone();
                self.scrub_json(&mut after);
                (after != before).then(|| after.to_string())
            }
            Err(_) => {
                let after = self.scrub_text(text);
                (after != text).then_some(after)
            }
        }
    }

    /// Rows whose `col` may hold a strong value: a coarse, case-insensitive `LIKE` (on
    /// PostgreSQL `LIKE` minds case, and an address is stored as typed in many places) that
    /// the scrub then makes exact.
    pub(super) fn like_any(&self, col: impl ColumnTrait) -> Condition {
        contains_any(col, self.strong.iter())
    }

    /// Rows whose `col` may hold any value, exact ones included (a saved filter that is a
    /// name).
    pub(super) fn like_any_value(&self, col: impl ColumnTrait) -> Condition {
        contains_any(col, self.strong.iter().chain(&self.exact))
    }
}

/// A walk through the workspace's events that a condition picks, 500 at a time in id order.
#[derive(Debug)]
pub(super) struct EventPages<'a> {
    ws: &'a WorkspaceId,
    which: Condition,
    after: String,
}

impl<'a> EventPages<'a> {
    /// The walk through the events of `ws` that `which` picks, from the first.
    pub(super) fn new(ws: &'a WorkspaceId, which: Condition) -> Self {
        EventPages {
            ws,
            which,
            after: String::new(),
        }
    }

    /// The next page, or `None` past the last event.
    pub(super) async fn next<C: ConnectionTrait>(
        &mut self,
        conn: &C,
    ) -> Result<Option<Vec<event::Model>>, DomainError> {
        let rows = event::Entity::find()
            .filter(event::Column::WorkspaceId.eq(self.ws.as_str()))
            .filter(event::Column::Id.gt(self.after.as_str()))
            .filter(self.which.clone())
            .order_by_asc(event::Column::Id)
            .limit(500)
            .all(conn)
            .await?;
        let Some(last) = rows.last() else {
            return Ok(None);
        };
        self.after = last.id.to_string();
        Ok(Some(rows))
    }
}

/// `lower(col) LIKE '%value%'` for each value, any of them; no value matches no row.
fn contains_any<'a>(col: impl ColumnTrait, values: impl Iterator<Item = &'a String>) -> Condition {
    let mut any = Condition::any();
    let mut none = true;
    for v in values {
        none = false;
        // LOWER folds ASCII on SQLite and more on PostgreSQL; the values are folded as
        // SQLite does, which is what the scrub compares too.
        let pattern = format!("%{}%", escape_like(&v.to_ascii_lowercase()));
        any = any.add(Func::lower(Expr::col(col)).like(LikeExpr::new(pattern).escape('\\')));
    }
    if none {
        // Say so outright: an empty `any` may be left out of a query, and match every row.
        any = any.add(Expr::val(1).eq(2));
    }
    any
}

/// `s` as a `LIKE` pattern that matches only itself (with `ESCAPE '\'`).
fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// `haystack` with each ASCII-case-insensitive occurrence of `needle` replaced by `with`.
fn replace_ascii_case_insensitive(haystack: &str, needle: &str, with: &str) -> String {
    let (h, n) = (haystack.to_ascii_lowercase(), needle.to_ascii_lowercase());
    if n.is_empty() {
        return haystack.to_owned();
    }
    let mut out = String::with_capacity(haystack.len());
    let mut last = 0;
    // Lower-casing ASCII keeps byte offsets, so positions in `h` are positions in `haystack`.
    for (at, _) in h.match_indices(&n) {
        out.push_str(&haystack[last..at]);
        out.push_str(with);
        last = at + n.len();
    }
    out.push_str(&haystack[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strong_values_go_wherever_they_appear_and_exact_ones_only_whole() {
        let mut p = Personal::default();
        p.strong(Some("Ada@Example.com"));
        p.strong(Some("10.1.2.3"));
        p.exact(Some("Ann"));
        let mut doc = json!({
            "email": {"before": "ada@example.com", "after": null},
            "note": "mail ADA@example.com from 10.1.2.3",
            "name": "Ann",
            "other": "Anne",
            "n": 3
        });
        p.scrub_json(&mut doc);
        assert_eq!(
            doc,
            json!({
                "email": {"before": ERASED, "after": null},
                "note": "mail [erased] from [erased]",
                "name": ERASED,
                "other": "Anne",
                "n": 3
            })
        );
        assert_eq!(
            p.scrub_stored("not json ada@example.com"),
            "not json [erased]"
        );
    }

    #[test]
    fn every_value_a_customer_had_is_read_from_their_changes() {
        let mut p = Personal::default();
        p.past(
            TargetKind::Customer,
            &json!({
                "email": {"before": "old@example.com", "after": "New@Example.com"},
                "name": {"before": "Ann Old", "after": "Ann New"},
                "phone": {"before": "+49 30 1111", "after": null},
                "external_id": {"before": null, "after": "7656"},
                "metadata": {"before": {"steam": "ann_old"}, "after": {}},
                "country": {"before": "DE", "after": "FR"}
            })
            .to_string(),
        );
        p.past(
            TargetKind::Entitlement,
            &json!({"discord_user_id": {"before": null, "after": "123456789"},
                    "name": {"before": null, "after": "VIP"}})
            .to_string(),
        );
        assert_eq!(p.emails, ["old@example.com", "new@example.com"]);
        assert_eq!(p.names, ["Ann Old", "Ann New"]);
        assert_eq!(p.external_ids, ["7656"]);
        for v in ["old@example.com", "+49 30 1111", "123456789"] {
            assert!(p.strong.iter().any(|s| s == v), "{v}");
        }
        // A short number is the person's only as a whole value, never inside a timestamp.
        for v in ["Ann Old", "ann_old", "7656"] {
            assert!(p.exact.iter().any(|s| s == v), "{v}");
        }
        assert!(!p.found_in("2026-12-07T09:00:00.765612Z"));
        assert!(p.found_in("7656"));
        // Not the person's: a country, and an entitlement's own fields.
        assert!(!p.found_in("DE"));
        assert!(!p.found_in("VIP"));
        // What an earlier erasure left is no value.
        p.email(Some(ERASED));
        assert!(!p.emails.iter().any(|e| e == ERASED));
    }

    #[test]
    fn a_value_found_changed_is_rewritten_and_one_not_found_is_left_alone() {
        let mut p = Personal::default();
        p.strong(Some("zed@example.com"));
        assert_eq!(
            p.scrubbed(r#"{"q":"ZED@Example.com","sort":"name"}"#)
                .as_deref(),
            Some(r#"{"q":"[erased]","sort":"name"}"#)
        );
        assert_eq!(p.scrubbed(r#"{"sort":"name","q":"other"}"#), None);
    }

    #[test]
    fn like_patterns_match_only_the_value() {
        assert_eq!(escape_like(r"a_b%c\d"), r"a\_b\%c\\d");
    }
}
