//! The page's view model: what one request asks to see (the [`View`]) and what the templates
//! receive (the [`Page`]), with every number, class, link and percentage already formatted.
//!
//! The sections have their own modules (`tree`, `overview`, `detail`, `source`); this one
//! owns what they share: the view's choices, the links between views, the colour of a
//! percentage and the method badges.

use serde::Serialize;

use super::super::data::{CoverageData, HandlerData};
use super::{detail, overview, source, tree};

/// How the page links: to a live report under `base`, or within one static file.
pub(super) enum Mode<'a> {
    /// The served report; `token` is the reset form's token.
    Live { base: &'a str, token: &'a str },
    /// One self-contained file with every detail on it.
    Static,
}

/// What one rendering shows: the data and the reader's choices.
pub(super) struct View<'a> {
    pub(super) data: &'a CoverageData,
    /// Percentages below it are coloured.
    pub(super) threshold: f64,
    /// Paths containing any of these are left out.
    pub(super) exclude: Vec<String>,
    /// The handler whose detail the live page shows.
    pub(super) selected: Option<usize>,
    /// The source file whose lines the live page shows.
    pub(super) file: Option<&'a str>,
    pub(super) mode: Mode<'a>,
}

impl View<'_> {
    /// Whether the exclude filter leaves `path` out.
    pub(super) fn excluded(&self, path: &str) -> bool {
        self.exclude
            .iter()
            .any(|e| !e.is_empty() && path.contains(e.as_str()))
    }

    /// `low` below the threshold, `ok` from it.
    pub(super) fn class(&self, pct: f64) -> &'static str {
        if pct + 1e-9 < self.threshold {
            "low"
        } else {
            "ok"
        }
    }

    /// A percentage as the page shows it: coloured, in whole percent.
    pub(super) fn pct(&self, pct: f64) -> Pct {
        Pct {
            class: self.class(pct),
            value: pct.to_string(),
            text: format!("{:.0}%", pct.floor()),
        }
    }

    /// A percentage to a tenth, as the source lines show it.
    pub(super) fn pct_tenths(&self, pct: f64) -> Pct {
        Pct {
            text: format!("{pct:.1}%"),
            ..self.pct(pct)
        }
    }

    /// Where handler `i`'s detail is: the live page with the same threshold and filter, or
    /// its section of the static page.
    pub(super) fn link_handler(&self, i: usize) -> String {
        match self.mode {
            Mode::Live { base, .. } => {
                let mut q = format!("{base}?handler={i}&threshold={}", self.threshold);
                if !self.exclude.is_empty() {
                    q.push_str("&exclude=");
                    q.push_str(&urlencode(&self.exclude.join("|")));
                }
                q
            }
            Mode::Static => format!("#h{i}"),
        }
    }

    /// Where source file `f`'s lines are.
    pub(super) fn link_file(&self, f: &str) -> String {
        match self.mode {
            Mode::Live { base, .. } => format!("{base}?file={}", urlencode(f)),
            Mode::Static => format!("#{}", file_anchor(f)),
        }
    }
}

/// The `id` of a source file's section.
pub(super) fn file_anchor(f: &str) -> String {
    format!("f-{}", urlencode(f))
}

fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A percentage: its colour class, its exact value (`data-pct`, for the script's recolouring)
/// and its text.
#[derive(Serialize)]
pub(super) struct Pct {
    class: &'static str,
    value: String,
    text: String,
}

/// A declared method as a badge: exercised (`hit`) or not (`miss`).
#[derive(Serialize)]
pub(super) struct Verb {
    method: String,
    class: &'static str,
    title: &'static str,
}

/// The badges of a handler's declared methods.
pub(super) fn verbs(h: &HandlerData) -> Vec<Verb> {
    h.declared_methods
        .iter()
        .map(|m| {
            let hit = h.called_with(m);
            Verb {
                method: m.clone(),
                class: if hit { "hit" } else { "miss" },
                title: if hit { "exercised" } else { "never exercised" },
            }
        })
        .collect()
}

/// Everything `base.html` renders.
#[derive(Serialize)]
pub(super) struct Page {
    threshold: String,
    totals: Totals,
    live: Option<Controls>,
    tree: Option<tree::Node>,
    overview: Option<overview::Overview>,
    details: Vec<detail::Detail>,
    source: Option<source::Source>,
    version: &'static str,
}

/// The header's numbers.
#[derive(Serialize)]
struct Totals {
    pairs: Pct,
    exercised: usize,
    declared: usize,
    statuses: Pct,
    seen: usize,
    documented: usize,
    hits: u64,
}

/// The live page's controls and links: its assets, the view form, the export, the reset.
#[derive(Serialize)]
struct Controls {
    base: String,
    stylesheet: String,
    script: String,
    data: String,
    reset: String,
    token: String,
    exclude: String,
    selected: Option<usize>,
}

/// The page for `v`: the live one shows the chosen handler's detail or else the overview;
/// the static one shows the overview and every detail.
pub(super) fn page(v: &View<'_>) -> Page {
    let t = v.data.totals_under("/");
    let detail_of = |i: usize| detail::detail(i, &v.data.handlers[i]);
    let (overview, details) = match (&v.mode, v.selected) {
        (Mode::Live { .. }, Some(i)) => (None, vec![detail_of(i)]),
        (Mode::Live { .. }, None) => (Some(overview::overview(v)), Vec::new()),
        (Mode::Static, _) => (
            Some(overview::overview(v)),
            (0..v.data.handlers.len()).map(detail_of).collect(),
        ),
    };
    Page {
        threshold: v.threshold.to_string(),
        totals: Totals {
            pairs: v.pct(t.percent()),
            exercised: t.exercised,
            declared: t.pairs,
            statuses: v.pct(t.outcome_percent()),
            seen: t.statuses_seen,
            documented: t.statuses,
            hits: t.hits,
        },
        live: match v.mode {
            Mode::Live { base, token } => Some(Controls {
                base: base.to_owned(),
                stylesheet: format!("{base}report.css"),
                script: format!("{base}report.js"),
                data: format!("{base}data.json"),
                reset: format!("{base}reset"),
                token: token.to_owned(),
                exclude: v.exclude.join("|"),
                selected: v.selected,
            }),
            Mode::Static => None,
        },
        tree: tree::tree(v),
        overview,
        details,
        source: source::source(v),
        version: env!("CARGO_PKG_VERSION"),
    }
}
