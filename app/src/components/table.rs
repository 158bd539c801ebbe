//! Tables: a framed table whose head is made from its columns, in the few looks the app uses.
//! The rows stay with each page; only the frame, the head and the body's dividers are shared.

use leptos::prelude::*;

/// The classes of one table look. A page that differs in one place says so with struct
/// update syntax, such as `TableStyle { frame: "…", ..PLAIN }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableStyle {
    /// The scrolling frame around the table; empty for none.
    pub frame: &'static str,
    /// The `<table>`.
    pub table: &'static str,
    /// The `<caption>`, when the table has one.
    pub caption: &'static str,
    /// The `<thead>`.
    pub head: &'static str,
    /// Every header cell; a column adds `text-right` or its own classes.
    pub cell: &'static str,
    /// The `<tbody>` around the rows; empty for a plain one.
    pub body: &'static str,
}

/// Small uppercase heads on grey, in a white card: the customer's orders and payment details,
/// metadata, the portal's orders.
pub const CARD: TableStyle = TableStyle {
    frame: "overflow-x-auto rounded-xl border border-slate-200 bg-white",
    table: "min-w-full divide-y divide-slate-200 text-sm",
    caption: "sr-only",
    head: "bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500",
    cell: "px-4 py-2",
    body: "divide-y divide-slate-100",
};

/// [`CARD`]'s heads without frame or grey, for a table inside a card: the billing history.
pub const CARD_BARE: TableStyle = TableStyle {
    frame: "",
    table: "mt-3 min-w-full divide-y divide-slate-200 text-sm",
    head: "text-left text-xs font-semibold uppercase tracking-wide text-slate-500",
    cell: "py-1.5 pr-3",
    ..CARD
};

/// Sentence-case heads on grey in a light frame: imports, erasure requests, API keys.
pub const PLAIN: TableStyle = TableStyle {
    frame: "overflow-x-auto rounded-lg border border-slate-200",
    table: "min-w-full text-left text-sm",
    caption: "px-3 py-2 text-left text-xs text-slate-600",
    head: "bg-slate-50 text-xs text-slate-600",
    cell: "px-3 py-2 font-medium",
    body: "divide-y divide-slate-100",
};

/// A small table inside a panel, no frame: a delivery's attempts (merge preview and the
/// per-currency values adjust it).
pub const MINI: TableStyle = TableStyle {
    frame: "",
    table: "min-w-full text-xs",
    caption: "sr-only",
    head: "text-left text-slate-500",
    cell: "py-1 pr-3",
    body: "divide-y divide-slate-100",
};

/// One column's header cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The heading.
    pub label: &'static str,
    /// Right-aligned, for amounts and counts.
    pub numeric: bool,
    /// The heading is for screen readers only (a column of buttons or links).
    pub hidden: bool,
    /// Classes of its own (`w-1/3`, `whitespace-nowrap`).
    pub class: &'static str,
}

impl Column {
    /// A column headed `label`.
    #[must_use]
    pub const fn new(label: &'static str) -> Self {
        Self {
            label,
            numeric: false,
            hidden: false,
            class: "",
        }
    }

    /// A right-aligned column, for amounts and counts.
    #[must_use]
    pub const fn numeric(label: &'static str) -> Self {
        Self {
            numeric: true,
            ..Self::new(label)
        }
    }

    /// A column whose heading only screen readers read ("Actions", "Details").
    #[must_use]
    pub const fn hidden(label: &'static str) -> Self {
        Self {
            hidden: true,
            ..Self::new(label)
        }
    }

    /// The same column with classes of its own.
    #[must_use]
    pub const fn with_class(self, class: &'static str) -> Self {
        Self { class, ..self }
    }

    fn classes(&self, style: &TableStyle) -> String {
        let mut out = style.cell.to_owned();
        for extra in [if self.numeric { "text-right" } else { "" }, self.class] {
            if !extra.is_empty() {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(extra);
            }
        }
        out
    }
}

/// A table: the frame, an optional caption, the head made from `columns`, and the rows (the
/// children) in a `<tbody>` with the style's dividers.
#[component]
pub fn DataTable(
    /// The look.
    style: TableStyle,
    /// The columns, left to right.
    #[prop(into)]
    columns: Vec<Column>,
    /// A caption above the rows (visible or not, as the style says).
    #[prop(optional, into)]
    caption: Option<String>,
    /// The table's `data-testid`.
    #[prop(optional)]
    testid: Option<&'static str>,
    /// The children are `<tbody>` groups of their own (an order and its details row), not
    /// rows: no `<tbody>` is put around them.
    #[prop(optional)]
    bodies: bool,
    /// The rows.
    children: Children,
) -> impl IntoView {
    let head = columns
        .into_iter()
        .map(|c| {
            let label = if c.hidden {
                view! { <span class="sr-only">{c.label}</span> }.into_any()
            } else {
                c.label.into_any()
            };
            view! { <th scope="col" class=c.classes(&style)>{label}</th> }
        })
        .collect_view();
    let rows = if bodies {
        children()
    } else {
        let body = (!style.body.is_empty()).then_some(style.body);
        view! { <tbody class=body>{children()}</tbody> }.into_any()
    };
    let table = view! {
        <table class=style.table data-testid=testid>
            {caption.map(|c| view! { <caption class=style.caption>{c}</caption> })}
            <thead class=style.head>
                <tr>{head}</tr>
            </thead>
            {rows}
        </table>
    };
    if style.frame.is_empty() {
        table.into_any()
    } else {
        view! { <div class=style.frame>{table}</div> }.into_any()
    }
}
