//! `GET /portal/orders/{id}/receipt.pdf`: a receipt as a one-page PDF, written with
//! `pdf-writer` in the standard Helvetica font (no font file to embed), for the signed-in
//! customer's own paid orders only. The receipt page asks for it with the reader's time zone
//! (`?offset=-480&zone=PST`), so the PDF gives the time the page shows; without one, UTC.

use app::components::time::{ReaderZone, minute_in_zone};
use app::domain::{DomainError, portal};
use app::types::OrderId;
use app::types::money;
use app::types::portal::PortalReceipt;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

use super::PortalVisitor;
use crate::api::error::ApiError;
use crate::state::AppState;

/// A4 in points.
const PAGE: (f32, f32) = (595.0, 842.0);
const LEFT: f32 = 56.0;

/// Text in the standard fonts' WinAnsi encoding: Latin-1, the euro sign, dashes, quotes and the
/// bullet masked card numbers use (a minus sign, as some zone names have it, as a hyphen);
/// anything else becomes `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '\u{2212}' => b'-',
            '€' => 0x80,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            c if (c as u32) < 0x80 || (0xA0..=0xFF).contains(&(c as u32)) => c as u8,
            _ => b'?',
        })
        .collect()
}

/// The receipt as PDF bytes, its time in `zone` (UTC without one).
pub fn render(r: &PortalReceipt, zone: Option<&ReaderZone>) -> Vec<u8> {
    let catalog = Ref::new(1);
    let pages = Ref::new(2);
    let page = Ref::new(3);
    let regular = Ref::new(4);
    let bold = Ref::new(5);
    let contents = Ref::new(6);
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(pages);
    pdf.pages(pages).kids([page]).count(1);
    let mut p = pdf.page(page);
    p.media_box(Rect::new(0.0, 0.0, PAGE.0, PAGE.1))
        .parent(pages)
        .contents(contents);
    {
        let mut resources = p.resources();
        let mut fonts = resources.fonts();
        fonts.pair(Name(b"F1"), regular);
        fonts.pair(Name(b"F2"), bold);
    }
    p.finish();
    for (id, name) in [(regular, "Helvetica"), (bold, "Helvetica-Bold")] {
        pdf.type1_font(id)
            .base_font(Name(name.as_bytes()))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }

    let mut c = Content::new();
    let mut y = PAGE.1 - 72.0;
    let line = |c: &mut Content, font: &[u8], size: f32, x: f32, y: f32, text: &str| {
        c.begin_text();
        c.set_font(Name(font), size);
        c.next_line(x, y);
        c.show(Str(&win_ansi(text)));
        c.end_text();
    };
    line(&mut c, b"F2", 20.0, LEFT, y, &r.branding.shop);
    y -= 26.0;
    let heading = match &r.receipt_number {
        Some(n) => format!("Receipt {n}"),
        None => "Receipt".to_owned(),
    };
    line(&mut c, b"F1", 12.0, LEFT, y, &heading);
    y -= 40.0;
    let paid = money::format(r.amount, r.currency);
    let item = match r.kind {
        app::types::order::OrderKind::Renewal => format!("{} (renewal)", r.product_name),
        _ => r.product_name.clone(),
    };
    // A row without a label goes on the value above it, on the next line.
    let mut rows: Vec<(&str, String)> = vec![("From", r.seller.legal_name.clone())];
    rows.extend(r.seller.address_lines.iter().map(|l| ("", l.clone())));
    if let Some(tax_id) = &r.seller.tax_id {
        rows.push(("", format!("Tax ID: {tax_id}")));
    }
    rows.extend([
        ("Order", r.order_id.to_string()),
        ("Date", minute_in_zone(r.paid_at, zone)),
        ("Item", item),
        ("Amount paid", paid),
    ]);
    if let Some(m) = &r.payment_method {
        rows.push(("Paid with", m.clone()));
    }
    if r.refunded_amount > 0 {
        rows.push(("Refunded", money::format(r.refunded_amount, r.currency)));
    }
    let billed: Vec<String> = [r.name.clone(), r.email.clone(), r.country.clone()]
        .into_iter()
        .flatten()
        .collect();
    if !billed.is_empty() {
        rows.push(("Billed to", billed.join(", ")));
    }
    for (i, (label, value)) in rows.iter().enumerate() {
        if i > 0 {
            y -= if label.is_empty() { 14.0 } else { 20.0 };
        }
        if !label.is_empty() {
            line(&mut c, b"F2", 11.0, LEFT, y, label);
        }
        line(&mut c, b"F1", 11.0, LEFT + 120.0, y, value);
    }
    y -= 40.0;
    line(
        &mut c,
        b"F1",
        9.0,
        LEFT,
        y,
        &format!("Thank you for your purchase from {}.", r.branding.shop),
    );
    if let Some(email) = &r.seller.support_email {
        y -= 14.0;
        line(
            &mut c,
            b"F1",
            9.0,
            LEFT,
            y,
            &format!("Questions about this purchase? Write to {email}."),
        );
    }
    pdf.stream(contents, &c.finish());
    pdf.finish()
}

/// The reader's zone from the query the receipt page adds (`?offset=-480&zone=PST`): the first
/// of each, and nothing when the offset is missing or out of range.
fn zone_in(query: &[(String, String)]) -> Option<ReaderZone> {
    fn first<'q>(query: &'q [(String, String)], key: &str) -> Option<&'q str> {
        query
            .iter()
            .find(|(k, _)| k.as_str() == key)
            .map(|(_, v)| v.as_str())
    }
    ReaderZone::parse(first(query, "offset"), first(query, "zone"))
}

/// Serves a receipt's PDF to the customer it belongs to, its time in the zone the query names
/// (anything unreadable there is left out: the time is then given in UTC).
pub async fn download(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let svc = &state.services;
    let run = async {
        let PortalVisitor(who) = PortalVisitor::find(&state, &headers).await?;
        let id = OrderId::parse(&id).map_err(|_| DomainError::NotFound { what: "order" })?;
        portal::receipt(svc, &who, &id).await
    };
    match run.await {
        Ok(receipt) => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"receipt-{}.pdf\"", receipt.order_id),
                ),
                (header::CACHE_CONTROL, "private, no-store".to_owned()),
            ],
            render(&receipt, zone_in(&query).as_ref()),
        )
            .into_response(),
        // Another customer's order, or no session: as if it did not exist.
        Err(DomainError::NotFound { .. } | DomainError::Unauthenticated) => {
            StatusCode::NOT_FOUND.into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "a receipt PDF failed");
            ApiError::from(e).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_written_in_win_ansi() {
        assert_eq!(win_ansi("Visa •••• 4242"), b"Visa \x95\x95\x95\x95 4242");
        assert_eq!(win_ansi("12,00 €"), b"12,00 \x80");
        assert_eq!(win_ansi("Café"), b"Caf\xe9");
        assert_eq!(win_ansi("東京"), b"??");
        assert_eq!(win_ansi("GMT\u{2212}8"), b"GMT-8");
    }

    #[test]
    fn the_zone_is_read_from_the_query_or_left_out() {
        let q = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        assert_eq!(
            zone_in(&q(&[("offset", "-480"), ("zone", "PST")])),
            ReaderZone::parse(Some("-480"), Some("PST"))
        );
        assert!(zone_in(&q(&[("offset", "-480"), ("zone", "PST")])).is_some());
        assert_eq!(zone_in(&q(&[("offset", "9999"), ("zone", "PST")])), None);
        assert_eq!(zone_in(&q(&[("zone", "PST")])), None);
        assert_eq!(zone_in(&q(&[])), None);
    }
}
