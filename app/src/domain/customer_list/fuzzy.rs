//! "Did you mean": the customers that hold the term with a typo or two, when nothing holds it.

use sea_orm::sea_query::{Alias, Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition, DatabaseBackend, QueryFilter, QuerySelect, Select};

use crate::db::entities::customer;
use crate::domain::{DomainError, Services};

use super::keyset::Walk;
use super::search::{escape_like, fts_phrase, like};

/// What a search step reads of each row: id, email, name, external id and the sort key.
type Searched = (String, Option<String>, Option<String>, Option<String>, i64);

/// The rows of `page` (ids, in the page's order) that `select` keeps, whole, in that order:
/// read by key, put in order here, as an ORDER BY could tempt the planner into the sort index.
async fn rows_in_order(
    svc: &Services,
    select: Select<customer::Entity>,
    page: Vec<String>,
) -> Result<Vec<customer::Model>, DomainError> {
    let mut full = select
        .filter(customer::Column::Id.is_in(page.iter().map(String::as_str)))
        .all(&svc.db)
        .await?;
    full.sort_unstable_by_key(|r| page.iter().position(|id| id == r.id.as_str()));
    Ok(full)
}

/// `select` reading only what a search matches on, and the sort key.
fn searched(
    select: Select<customer::Entity>,
    key: Option<customer::Column>,
) -> sea_orm::Selector<sea_orm::SelectGetableTuple<Searched>> {
    select
        .select_only()
        .column(customer::Column::Id)
        .column(customer::Column::Email)
        .column(customer::Column::Name)
        .column(customer::Column::ExternalId)
        .column_as(key.map_or_else(|| Expr::val(0i64), Expr::col), "sort_key")
        .into_tuple()
}

/// Shortest term "did you mean" looks for: shorter ones are a typo away from too much.
const FUZZY_SHORTEST: usize = 4;
/// Longest term it looks for.
const FUZZY_LONGEST: usize = 64;
/// Most candidates it reads from the trigram index.
const FUZZY_CANDIDATES: u64 = 2_000;

/// Typos forgiven in a term of `n` characters.
pub fn typos_forgiven(n: usize) -> usize {
    if n >= 8 { 2 } else { 1 }
}

/// Pieces of `term` one of which a customer's text holds whole when it holds the term with a
/// typo: the term with two neighbours swapped or one character left out (typed twice, or an
/// extra key), and its halves (one typo leaves a half whole), or thirds (two typos leave one
/// third whole). Each has at least three characters, for the trigram index.
pub fn typo_pieces(term: &[char]) -> Vec<String> {
    let text = |v: &[char]| v.iter().collect::<String>();
    let mut out = std::collections::BTreeSet::new();
    for i in 0..term.len().saturating_sub(1) {
        if term[i] != term[i + 1] {
            let mut v = term.to_vec();
            v.swap(i, i + 1);
            out.insert(text(&v));
        }
    }
    for i in 0..term.len() {
        let mut v = term.to_vec();
        v.remove(i);
        out.insert(text(&v));
    }
    let n = term.len();
    if n >= 6 {
        out.insert(text(&term[..n / 2]));
        out.insert(text(&term[n / 2..]));
    }
    if n >= 9 {
        out.insert(text(&term[..n / 3]));
        out.insert(text(&term[n / 3..2 * n / 3]));
        out.insert(text(&term[2 * n / 3..]));
    }
    out.into_iter().filter(|p| p.chars().count() >= 3).collect()
}

/// The fewest typos (a character wrong, missing or extra, or two neighbours swapped) between
/// `term` and any stretch of `text`: Sellers' edit distance for searching, with swaps.
fn typos_within(term: &[char], text: &str) -> usize {
    let m = term.len();
    let mut before: Vec<usize> = vec![0; m + 1];
    // Column 0: the term's first i characters against nothing.
    let mut prev: Vec<usize> = (0..=m).collect();
    let mut cur = vec![0; m + 1];
    let mut best = m;
    let mut last: Option<char> = None;
    for c in text.chars().flat_map(char::to_lowercase) {
        // A match may start anywhere: row 0 costs nothing.
        cur[0] = 0;
        for i in 1..=m {
            let mut v = (prev[i - 1] + usize::from(term[i - 1] != c))
                .min(prev[i] + 1)
                .min(cur[i - 1] + 1);
            if i > 1 && term[i - 1] == last.unwrap_or('\0') && term[i - 2] == c {
                v = v.min(before[i - 2] + 1);
            }
            cur[i] = v;
        }
        best = best.min(cur[m]);
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
        last = Some(c);
    }
    best
}

/// "Did you mean": the customers `select` keeps whose email, name or external id holds `term`
/// with at most [`typos_forgiven`] typos, closest first, then in the list's order; at most
/// `limit`. Candidates come from the trigram index by [`typo_pieces`], in one statement with
/// the filters; past [`FUZZY_CANDIDATES`] of them (a typo of something very common) the
/// suggestions are the closest among the first candidates the index gives.
pub(super) async fn did_you_mean(
    svc: &Services,
    select: Select<customer::Entity>,
    walk: Walk,
    term: &str,
) -> Result<Vec<customer::Model>, DomainError> {
    let Walk { key, down, limit } = walk;
    let chars: Vec<char> = term.chars().collect();
    if !(FUZZY_SHORTEST..=FUZZY_LONGEST).contains(&chars.len()) {
        return Ok(Vec::new());
    }
    let pieces = typo_pieces(&chars);
    // Candidates hold a piece and pass the filters: one statement, through the trigram index.
    let holds_a_piece = match svc.db.get_database_backend() {
        DatabaseBackend::Postgres => pieces.iter().fold(Condition::any(), |any, p| {
            any.add(like(
                &format!("%{}%", escape_like(p)),
                Expr::col(customer::Column::SearchText),
            ))
        }),
        _ => {
            let phrases = pieces
                .iter()
                .map(|p| fts_phrase(p))
                .collect::<Vec<_>>()
                .join(" OR ");
            Condition::all().add(
                Expr::col((customer::Entity, Alias::new("rowid"))).in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(Alias::new("rowid"))
                        .from(Alias::new("customers_fts"))
                        .and_where(Expr::cust_with_values("customers_fts MATCH ?", [phrases]))
                        .to_owned(),
                ),
            )
        }
    };
    let forgiven = typos_forgiven(chars.len());
    let rows: Vec<Searched> = searched(
        select.clone().filter(holds_a_piece).limit(FUZZY_CANDIDATES),
        key,
    )
    .all(&svc.db)
    .await?;
    let mut close: Vec<(usize, Searched)> = rows
        .into_iter()
        .filter_map(|r| {
            let typos = [r.1.as_deref(), r.2.as_deref(), r.3.as_deref()]
                .into_iter()
                .flatten()
                .map(|v| typos_within(&chars, v))
                .min()?;
            (typos <= forgiven).then_some((typos, r))
        })
        .collect();
    close.sort_unstable_by(|(ta, a), (tb, b)| {
        let order = (a.4, &a.0).cmp(&(b.4, &b.0));
        ta.cmp(tb).then(if down { order.reverse() } else { order })
    });
    close.truncate(limit as usize);
    if close.is_empty() {
        return Ok(Vec::new());
    }
    rows_in_order(svc, select, close.into_iter().map(|(_, r)| r.0).collect()).await
}
