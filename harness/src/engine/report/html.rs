//! `report.html`: one self-contained page for people (design.md §5): inline CSS, no external
//! resource, readable and printable without JavaScript. A few lines of inline script only add
//! "expand all / collapse all" buttons for the `<details>` blocks; without it every block is
//! still reachable by clicking it, and the evidence messages of failing cases start open.
//!
//! Layout: run metadata, totals by verdict, totals by area, a requirement table (reference →
//! cases and their verdicts), the case list, then one section per case with its requirements,
//! reason, checks and evidence, a ladder diagram ([`super::ladder`]), every message's full SIP
//! and links to the case's files. Messages are numbered from 1 ("msg 1"); report.json's
//! evidence indexes count from 0.
//!
//! Every piece of text from the model goes through [`esc`]: SIP may contain `<`, `>`, `&`, `"`.

use super::ladder;
use crate::engine::model::{CaseResult, RunReport, TraceEvent, Verdict};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Verdicts in column order.
const VERDICTS: [Verdict; 5] = [
    Verdict::Pass,
    Verdict::Fail,
    Verdict::Inconclusive,
    Verdict::NotApplicable,
    Verdict::Error,
];

const CSS: &str = r#"
:root { --pass:#2e7d32; --fail:#c62828; --inconclusive:#b26a00; --not-applicable:#607d8b; --error:#6a1b9a; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color:#1d2327; margin: 0 auto; padding: 16px 24px 48px; max-width: 1100px; }
h1 { font-size: 22px; margin: 0 0 8px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 2px solid #cfd8dc; padding-bottom: 2px; }
h3 { font-size: 16px; margin: 0 0 6px; }
h4 { font-size: 14px; margin: 14px 0 4px; }
code, pre, .mono { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; }
table { border-collapse: collapse; margin: 4px 0 8px; }
th, td { border: 1px solid #cfd8dc; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #eceff1; font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
td.zero { color: #9aa5ab; }
td.ref { white-space: nowrap; }
table.meta th { background: none; border: none; padding: 1px 12px 1px 0; font-weight: 600; }
table.meta td { border: none; padding: 1px 0; }
.badge { display: inline-block; min-width: 5.5em; text-align: center; padding: 0 6px; border-radius: 3px; color: #fff; font-weight: 700; font-size: 12px; text-transform: uppercase; letter-spacing: .02em; border: 1px solid transparent; }
.v-pass { background: var(--pass); } .v-fail { background: var(--fail); } .v-inconclusive { background: var(--inconclusive); }
.v-not-applicable { background: var(--not-applicable); } .v-error { background: var(--error); }
.warn { background: #ffebee; border: 2px solid var(--fail); padding: 6px 10px; font-weight: 600; margin: 8px 0; }
.muted { color: #607d8b; }
section.case { border: 1px solid #b0bec5; border-left: 6px solid #b0bec5; border-radius: 4px; padding: 10px 14px; margin: 18px 0; }
section.case.c-pass { border-left-color: var(--pass); } section.case.c-fail { border-left-color: var(--fail); }
section.case.c-inconclusive { border-left-color: var(--inconclusive); } section.case.c-not-applicable { border-left-color: var(--not-applicable); }
section.case.c-error { border-left-color: var(--error); }
.reason { background: #fafafa; border-left: 3px solid #90a4ae; padding: 4px 8px; margin: 6px 0; }
ul.reqs { margin: 2px 0; padding-left: 20px; }
.ladder-wrap { overflow-x: auto; margin: 4px 0; }
svg.ladder { max-width: 100%; height: auto; background: #fff; }
svg.ladder text { font-family: system-ui, "DejaVu Sans", sans-serif; font-size: 12px; fill: #1d2327; }
svg.ladder .lane-box { fill: #eceff1; stroke: #607d8b; }
svg.ladder .lane-name { font-weight: 700; }
svg.ladder .lifeline { stroke: #90a4ae; stroke-dasharray: 4 4; }
svg.ladder .arrow { stroke: #37474f; stroke-width: 1.5; }
svg.ladder .num, svg.ladder .time { fill: #607d8b; font-size: 11px; }
svg.ladder .esp { fill: #1565c0; font-family: "DejaVu Sans Mono", monospace; font-size: 11px; }
svg.ladder .evidence .arrow { stroke: #c62828; stroke-width: 2.5; }
svg.ladder .evidence .label { fill: #c62828; font-weight: 700; }
svg.ladder .ev-band { fill: #fff3e0; }
details { border: 1px solid #cfd8dc; border-radius: 3px; margin: 3px 0; }
details > summary { cursor: pointer; padding: 2px 6px; }
details.evidence { border-color: var(--fail); }
details.evidence > summary { background: #ffebee; }
.msg-line { padding: 2px 7px; border: 1px dashed #cfd8dc; margin: 3px 0; }
pre { margin: 0; padding: 6px 8px; background: #f7f9fa; white-space: pre-wrap; word-break: break-all; }
.toolbar button { font: inherit; margin-right: 6px; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  .toolbar { display: none; }
  section.case { break-inside: auto; }
  svg.ladder, table { break-inside: avoid; }
  .badge { color: #000; border-color: #000; background: none !important; }
  a { color: inherit; text-decoration: none; }
}
"#;

/// Expand/collapse buttons only; the page works without it.
const JS: &str = "(function(){var bar=document.getElementById('toolbar');if(!bar)return;\
function all(o){var d=document.querySelectorAll('details');for(var i=0;i<d.length;i++)d[i].open=o;}\
[['Expand all',true],['Collapse all',false]].forEach(function(b){var e=document.createElement('button');\
e.type='button';e.textContent=b[0];e.onclick=function(){all(b[1]);};bar.appendChild(e);});})();";

/// Escapes text for HTML element content and attribute values.
pub(super) fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn badge(v: Verdict) -> String {
    format!(
        "<span class=\"badge v-{0}\" data-verdict=\"{0}\">{0}</span>",
        v.as_str()
    )
}

fn duration(ms: u64) -> String {
    match ms {
        0..=999 => format!("{ms} ms"),
        1000..=59_999 => format!("{}.{:03} s", ms / 1000, ms % 1000),
        _ => format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1000),
    }
}

/// `c<index>-<id with anything but [A-Za-z0-9_-] replaced>`: unique and attribute-safe.
fn anchor(i: usize, id: &str) -> String {
    format!("c{}-{}", i + 1, crate::engine::model::slug(id))
}

/// Orders "§7.2" before "§7.10": digit runs compare as numbers.
fn natural_key(s: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut num: Option<u64> = None;
    for c in s.chars() {
        if let Some(d) = c.to_digit(10) {
            num = Some(
                num.unwrap_or(0)
                    .saturating_mul(10)
                    .saturating_add(u64::from(d)),
            );
        } else {
            if let Some(n) = num.take() {
                out.push((std::mem::take(&mut text), n));
            }
            text.push(c);
        }
    }
    out.push((text, num.unwrap_or(0)));
    out
}

fn counts<'a>(cases: impl Iterator<Item = &'a CaseResult>) -> BTreeMap<Verdict, usize> {
    let mut m = BTreeMap::new();
    for c in cases {
        *m.entry(c.verdict).or_insert(0) += 1;
    }
    m
}

fn count_cells(s: &mut String, m: &BTreeMap<Verdict, usize>, attr: &str) {
    for v in VERDICTS {
        let n = m.get(&v).copied().unwrap_or(0);
        let _ = write!(
            s,
            "<td class=\"n{}\" {attr}=\"{}\">{n}</td>",
            if n == 0 { " zero" } else { "" },
            v.as_str()
        );
    }
}

fn verdict_header(s: &mut String) {
    for v in VERDICTS {
        let _ = write!(s, "<th class=\"n\">{}</th>", v.as_str());
    }
}

/// The whole page.
pub fn render(r: &RunReport) -> String {
    let mut s = String::with_capacity(64 * 1024);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} report: {} ({})</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        esc(&r.tool),
        esc(&r.sut.name),
        esc(&r.started)
    );
    header(&mut s, r);
    totals(&mut s, r);
    by_area(&mut s, r);
    by_requirement(&mut s, r);
    case_list(&mut s, r);
    s.push_str("<h2 id=\"cases\">Cases</h2>\n");
    for (i, c) in r.cases.iter().enumerate() {
        case(&mut s, i, c);
    }
    let _ = write!(
        s,
        "<p class=\"muted\">Generated by {} {} (report schema {}).</p>\n<script>{JS}</script>\n</body>\n</html>\n",
        esc(&r.tool),
        esc(&r.version),
        esc(&r.schema)
    );
    s
}

fn header(s: &mut String, r: &RunReport) {
    let _ = write!(
        s,
        "<header>\n<h1>{} run report — {}</h1>\n<table class=\"meta\">\n\
         <tr><th>Tool</th><td>{} {}</td></tr>\n\
         <tr><th>Started</th><td>{}</td></tr>\n\
         <tr><th>Duration</th><td>{}</td></tr>\n\
         <tr><th>SUT</th><td>{}</td></tr>\n\
         <tr><th>Topology</th><td>{}</td></tr>\n\
         <tr><th>Keys</th><td>{}</td></tr>\n\
         <tr><th>Cases</th><td>{}</td></tr>\n</table>\n",
        esc(&r.tool),
        esc(&r.sut.name),
        esc(&r.tool),
        esc(&r.version),
        esc(&r.started),
        duration(r.duration_ms),
        esc(&r.sut.name),
        esc(&r.sut.topology),
        if r.keys_revealed {
            "<strong>revealed</strong> (--reveal-keys)"
        } else {
            "redacted"
        },
        r.cases.len()
    );
    if r.keys_revealed {
        s.push_str(
            "<p class=\"warn\">This report was made with --reveal-keys: it contains CK/IK and \
             ESP keys. Handle it as a secret.</p>\n",
        );
    }
    let profile = serde_json::to_string_pretty(&r.sut.profile).unwrap_or_default();
    let _ = write!(
        s,
        "<details><summary>SUT profile</summary><pre>{}</pre></details>\n\
         <div class=\"toolbar\" id=\"toolbar\"></div>\n</header>\n",
        esc(&profile)
    );
}

fn totals(s: &mut String, r: &RunReport) {
    s.push_str(
        "<h2 id=\"totals\">Totals</h2>\n<table class=\"totals\"><tr><th class=\"n\">cases</th>",
    );
    verdict_header(s);
    let _ = write!(
        s,
        "</tr>\n<tr><td class=\"n\" data-total=\"all\">{}</td>",
        r.cases.len()
    );
    count_cells(s, &r.totals(), "data-total");
    s.push_str("</tr></table>\n");
}

fn by_area(s: &mut String, r: &RunReport) {
    let mut areas: BTreeMap<&str, Vec<&CaseResult>> = BTreeMap::new();
    for c in &r.cases {
        areas.entry(c.area.as_str()).or_default().push(c);
    }
    s.push_str("<h2 id=\"areas\">By area</h2>\n<table class=\"areas\"><tr><th>area</th><th class=\"n\">cases</th>");
    verdict_header(s);
    s.push_str("</tr>\n");
    for (area, cases) in &areas {
        let _ = write!(
            s,
            "<tr data-area=\"{0}\"><td>{0}</td><td class=\"n\">{1}</td>",
            esc(area),
            cases.len()
        );
        count_cells(s, &counts(cases.iter().copied()), "data-count");
        s.push_str("</tr>\n");
    }
    s.push_str("</table>\n");
}

struct ReqRow<'a> {
    text: Option<&'a str>,
    cases: Vec<(usize, &'a CaseResult)>,
}

fn by_requirement(s: &mut String, r: &RunReport) {
    let mut reqs: BTreeMap<String, ReqRow<'_>> = BTreeMap::new();
    for (i, c) in r.cases.iter().enumerate() {
        let mut refs: Vec<(String, Option<&str>)> = c
            .requirements
            .iter()
            .map(|q| (q.reference(), q.text.as_deref()))
            .collect();
        for k in &c.checks {
            refs.extend(k.requirements.iter().map(|q| (q.clone(), None)));
        }
        for (reference, text) in refs {
            let row = reqs.entry(reference).or_insert(ReqRow {
                text: None,
                cases: Vec::new(),
            });
            if row.text.is_none() {
                row.text = text;
            }
            if !row.cases.iter().any(|(j, _)| *j == i) {
                row.cases.push((i, c));
            }
        }
    }
    let mut rows: Vec<_> = reqs.into_iter().collect();
    rows.sort_by_cached_key(|(k, _)| natural_key(k));
    s.push_str(
        "<h2 id=\"requirements\">By requirement</h2>\n<table class=\"reqs\">\
         <tr><th>requirement</th><th>what it says (our words)</th><th>cases</th></tr>\n",
    );
    if rows.is_empty() {
        s.push_str("<tr><td colspan=\"3\" class=\"muted\">No requirement references.</td></tr>\n");
    }
    for (reference, row) in rows {
        let _ = write!(
            s,
            "<tr><td class=\"ref\">{}</td><td>{}</td><td>",
            esc(&reference),
            row.text
                .map(esc)
                .unwrap_or_else(|| "<span class=\"muted\">(cited by a check)</span>".into())
        );
        for (n, (i, c)) in row.cases.iter().enumerate() {
            if n > 0 {
                s.push_str("<br>");
            }
            let _ = write!(
                s,
                "<a href=\"#{}\">{}</a> {}",
                anchor(*i, &c.id),
                esc(&c.id),
                badge(c.verdict)
            );
        }
        s.push_str("</td></tr>\n");
    }
    s.push_str("</table>\n");
}

fn case_list(s: &mut String, r: &RunReport) {
    s.push_str(
        "<h2 id=\"case-list\">Case list</h2>\n<table class=\"case-list\">\
         <tr><th>case</th><th>title</th><th>area</th><th>verdict</th><th class=\"n\">time</th></tr>\n",
    );
    for (i, c) in r.cases.iter().enumerate() {
        let _ = writeln!(
            s,
            "<tr><td><a href=\"#{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
            anchor(i, &c.id),
            esc(&c.id),
            esc(&c.title),
            esc(&c.area),
            badge(c.verdict),
            duration(c.duration_ms)
        );
    }
    s.push_str("</table>\n");
}

fn msg_refs(events: &[usize], a: &str) -> String {
    let links: Vec<String> = events
        .iter()
        .map(|&i| {
            let n = i.saturating_add(1);
            format!("<a href=\"#{a}-m{n}\">msg {n}</a>")
        })
        .collect();
    links.join(", ")
}

fn case(s: &mut String, i: usize, c: &CaseResult) {
    let a = anchor(i, &c.id);
    let v = c.verdict.as_str();
    let _ = write!(
        s,
        "<section class=\"case c-{v}\" id=\"{a}\">\n<h3><span class=\"case-id\">{}</span> — {} {}</h3>\n\
         <div class=\"muted\">area <b>{}</b> · <code>{}</code> · {}{}</div>\n",
        esc(&c.id),
        esc(&c.title),
        badge(c.verdict),
        esc(&c.area),
        esc(&c.file),
        duration(c.duration_ms),
        if c.tags.is_empty() {
            String::new()
        } else {
            format!(" · tags: {}", esc(&c.tags.join(", ")))
        }
    );
    if let Some(reason) = &c.reason {
        let _ = writeln!(
            s,
            "<div class=\"reason\"><b>Reason:</b> {}</div>",
            esc(reason)
        );
    }
    if !c.requirements.is_empty() {
        s.push_str("<h4>Requirements</h4>\n<ul class=\"reqs\">\n");
        for q in &c.requirements {
            let _ = write!(s, "<li><b>{}</b>", esc(&q.reference()));
            if let Some(t) = &q.text {
                let _ = write!(s, ": {}", esc(t));
            }
            s.push_str("</li>\n");
        }
        s.push_str("</ul>\n");
    }
    checks(s, c, &a);
    let evidence: BTreeSet<usize> = c
        .checks
        .iter()
        .filter(|k| k.verdict != Verdict::Pass)
        .flat_map(|k| k.evidence.events.iter().copied())
        .collect();
    s.push_str("<h4>Ladder</h4>\n<div class=\"ladder-wrap\">\n");
    s.push_str(&ladder::svg(&c.trace, &evidence, &a));
    s.push_str("</div>\n");
    messages(s, c, &a, &evidence);
    files(s, c);
    s.push_str("</section>\n");
}

fn checks(s: &mut String, c: &CaseResult, a: &str) {
    s.push_str("<h4>Checks</h4>\n");
    if c.checks.is_empty() {
        s.push_str("<p class=\"muted\">No check was evaluated.</p>\n");
        return;
    }
    s.push_str(
        "<table class=\"checks\"><tr><th>check</th><th>verdict</th><th>evidence</th><th>requirements</th></tr>\n",
    );
    for k in &c.checks {
        let refs = msg_refs(&k.evidence.events, a);
        let _ = writeln!(
            s,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}{}</td><td>{}</td></tr>",
            esc(&k.check),
            badge(k.verdict),
            esc(&k.evidence.summary),
            if refs.is_empty() {
                String::new()
            } else {
                format!(" <span class=\"muted\">({refs})</span>")
            },
            esc(&k.requirements.join(", "))
        );
    }
    s.push_str("</table>\n");
}

fn event_head(n: usize, e: &TraceEvent) -> String {
    let mut h = format!(
        "msg {n} · +{} ms · {} → {} · {}",
        e.t_ms, e.from, e.to, e.summary
    );
    if let Some(l) = ladder::esp_label(e) {
        let _ = write!(h, " · {l}");
    }
    if let Some(step) = &e.step {
        let _ = write!(h, " · step {step}");
    }
    if let Some(f) = e.frame {
        let _ = write!(h, " · pcapng frame {f}");
    }
    h
}

fn messages(s: &mut String, c: &CaseResult, a: &str, evidence: &BTreeSet<usize>) {
    if c.trace.is_empty() {
        return;
    }
    s.push_str("<h4>Messages</h4>\n");
    for (i, e) in c.trace.iter().enumerate() {
        let n = i + 1;
        let ev = evidence.contains(&i);
        let head = esc(&event_head(n, e));
        let mark = if ev { " <b>[evidence]</b>" } else { "" };
        match &e.sip {
            Some(sip) => {
                let open = ev && c.verdict != Verdict::Pass;
                let _ = writeln!(
                    s,
                    "<details id=\"{a}-m{n}\"{}{}><summary class=\"mono\">{head}{mark}</summary><pre>{}</pre></details>",
                    if ev { " class=\"evidence\"" } else { "" },
                    if open { " open" } else { "" },
                    esc(sip)
                );
            }
            None => {
                let _ = writeln!(
                    s,
                    "<div class=\"msg-line mono\" id=\"{a}-m{n}\">{head}{mark} <span class=\"muted\">(no SIP text)</span></div>"
                );
            }
        }
    }
}

/// Case files, linked relative to the report directory. A path that looks like a URL (has
/// a `:`) is shown but not linked: the engine only writes relative paths.
fn files(s: &mut String, c: &CaseResult) {
    let f = &c.files;
    let list = [
        ("pcapng", &f.pcapng, "capture"),
        ("esp_sa", &f.esp_sa, "Wireshark ESP SAs"),
        ("tls_keylog", &f.tls_keylog, "TLS key log"),
    ];
    if list.iter().all(|(_, p, _)| p.is_none()) {
        return;
    }
    s.push_str("<h4>Files</h4>\n<ul class=\"files\">\n");
    for (name, path, what) in list {
        let Some(p) = path else { continue };
        if p.contains(':') {
            let _ = writeln!(s, "<li>{what} ({name}): <code>{}</code></li>", esc(p));
        } else {
            let _ = writeln!(
                s,
                "<li>{what} ({name}): <a href=\"{0}\"><code>{0}</code></a></li>",
                esc(p)
            );
        }
    }
    s.push_str("</ul>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_markup_relevant() {
        assert_eq!(
            esc("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn anchors_durations_and_ordering() {
        assert_eq!(anchor(0, "SEC AGREE/01\"<"), "c1-SEC_AGREE_01__");
        assert_eq!(duration(999), "999 ms");
        assert_eq!(duration(1500), "1.500 s");
        assert_eq!(duration(125_000), "2 min 5 s");
        let mut v = vec!["TS 33.203 §7.10", "TS 33.203 §7.2", "TS 33.203 §16"];
        v.sort_by_cached_key(|k| natural_key(k));
        assert_eq!(v, ["TS 33.203 §7.2", "TS 33.203 §7.10", "TS 33.203 §16"]);
    }
}
