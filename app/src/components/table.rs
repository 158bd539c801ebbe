//! Tables: one look for every table of the dashboard and the portal, the customer list's
//! (small uppercase heads on grey, roomy rows divided in a white, rounded frame that scrolls
//! sideways when the table is wide). The look is a handful of class strings, so a table written
//! by hand (the customer list, the import preview) and one made by [`DataTable`] match; a table
//! appends its own classes to them (a column's width, a truncated cell, the portal's cards on
//! a phone), never replaces them.

use leptos::prelude::*;

/// The frame around a table: a wide table scrolls sideways inside it, not the page.
pub const SCROLL: &str = "relative overflow-x-auto rounded-xl border border-slate-200 bg-white";
/// The `<table>`: the frame's full width (wider when its columns need it), rows divided.
pub const TABLE: &str = "w-full divide-y divide-slate-200 text-sm";
/// A caption only screen readers read: the table's name.
pub const CAPTION: &str = "sr-only";
/// A caption shown above the heads ("The first 20 of 31 rejected rows").
pub const CAPTION_SHOWN: &str = "px-3 py-2 text-left text-xs text-slate-600";
/// The `<thead>`: grey under the heads.
pub const THEAD: &str = "bg-slate-50";
/// A header cell: small uppercase grey words, left-aligned.
pub const TH: &str =
    "px-3 py-2.5 text-left text-xs font-semibold uppercase tracking-wide text-slate-500";
/// A header cell over amounts and counts: [`TH`], right-aligned over its figures.
pub const TH_NUM: &str =
    "px-3 py-2.5 text-right text-xs font-semibold uppercase tracking-wide text-slate-500";
/// The `<tbody>`: rows divided, on white.
pub const TBODY: &str = "divide-y divide-slate-100 bg-white";
/// A body cell.
pub const TD: &str = "px-3 py-2.5";
/// A body cell of an amount or a count: right-aligned, in figures of one width.
pub const TD_NUM: &str = "px-3 py-2.5 text-right tabular-nums";
/// A row that leads somewhere (it opens the customer, or its details): tinted under the
/// pointer.
pub const ROW_HOVER: &str = "hover:bg-slate-50";

/// `base` with a table's own classes after it, if it has any: `plus(TD, "font-mono text-xs")`.
pub fn plus(base: &str, extra: &str) -> String {
    if extra.is_empty() {
        base.to_owned()
    } else {
        format!("{base} {extra}")
    }
}

/// What one table adds to the shared look, part by part: empty where it adds nothing. Written
/// with struct update syntax, such as `TableExtra { frame: "mt-3", ..TableExtra::NONE }`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableExtra {
    /// After [`SCROLL`] (`mt-3`, `hidden md:block`).
    pub frame: &'static str,
    /// After [`TABLE`].
    pub table: &'static str,
    /// After [`THEAD`].
    pub head: &'static str,
    /// After [`TBODY`] (not used with `bodies`: those rows bring their own).
    pub body: &'static str,
}

impl TableExtra {
    /// Nothing added.
    pub const NONE: TableExtra = TableExtra {
        frame: "",
        table: "",
        head: "",
        body: "",
    };
}

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

    /// Its header cell's classes: [`TH`] or [`TH_NUM`], then its own.
    fn classes(&self) -> String {
        plus(if self.numeric { TH_NUM } else { TH }, self.class)
    }
}

/// A table in the shared look: the scrolling frame (unless `bare`), an optional caption, the
/// head made from `columns`, and the rows (the children) in a `<tbody>`. Rows use [`TD`] and
/// [`TD_NUM`] for their cells.
#[component]
pub fn DataTable(
    /// The columns, left to right.
    #[prop(into)]
    columns: Vec<Column>,
    /// The table's name, for screen readers unless `caption_shown`.
    #[prop(optional, into)]
    caption: Option<String>,
    /// The caption is shown above the heads.
    #[prop(optional)]
    caption_shown: bool,
    /// The table's `data-testid`.
    #[prop(optional)]
    testid: Option<&'static str>,
    /// No frame: the table sits in a frame of its own maker (the metadata editor, which holds
    /// its empty note too) or in a small panel that already frames it.
    #[prop(optional)]
    bare: bool,
    /// The table's own classes, after the shared ones.
    #[prop(optional)]
    extra: TableExtra,
    /// The children are `<tbody>` groups of their own (an order and its details row), not
    /// rows: no `<tbody>` is put around them. Each takes [`TBODY`].
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
            view! { <th scope="col" class=c.classes()>{label}</th> }
        })
        .collect_view();
    let rows = if bodies {
        children()
    } else {
        view! { <tbody class=plus(TBODY, extra.body)>{children()}</tbody> }.into_any()
    };
    let caption_class = if caption_shown {
        CAPTION_SHOWN
    } else {
        CAPTION
    };
    let table = view! {
        <table class=plus(TABLE, extra.table) data-testid=testid>
            {caption.map(|c| view! { <caption class=caption_class>{c}</caption> })}
            <thead class=plus(THEAD, extra.head)>
                <tr>{head}</tr>
            </thead>
            {rows}
        </table>
    };
    if bare {
        table.into_any()
    } else {
        view! { <div class=plus(SCROLL, extra.frame)>{table}</div> }.into_any()
    }
}
