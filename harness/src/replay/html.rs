//! `replay.html`: a self-contained page (inline CSS, no script) with the checks, the
//! registrations and the SAs of a replay report. The engine's `report.html` renders test
//! cases with ladder diagrams; a capture has no cases, so this page is its own, in the same
//! verdict colours. Every text from the report is escaped.

use super::report::Report;
use std::fmt::Write as _;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const CSS: &str = "body{font:14px/1.45 system-ui,sans-serif;max-width:1100px;margin:0 auto;padding:16px}\
table{border-collapse:collapse;margin:6px 0}th,td{border:1px solid #cfd8dc;padding:3px 8px;text-align:left;vertical-align:top}\
th{background:#eceff1}.pass{color:#2e7d32}.fail{color:#c62828;font-weight:600}.inconclusive{color:#b26a00}\
.not-applicable{color:#607d8b}.error{color:#6a1b9a}code{font-family:monospace;font-size:12px}";

/// Renders the page.
pub fn render(r: &Report) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>imsec replay</title><style>{CSS}</style></head><body><h1>imsec replay</h1>"
    );
    h.push_str("<h2>Captures</h2><ul>");
    for c in &r.captures {
        let _ = write!(
            h,
            "<li><code>{}</code> ({}, {} frames)</li>",
            esc(&c.path),
            esc(&c.format),
            c.frames
        );
    }
    h.push_str("</ul><h2>Checks</h2><table><tr><th>check</th><th>verdict</th><th>summary</th><th>evidence (frames)</th><th>counts</th></tr>");
    for c in &r.checks {
        let v = c.verdict.as_str();
        let counts: Vec<String> = c.counts.iter().map(|(k, n)| format!("{k}: {n}")).collect();
        let ev: Vec<String> = c.evidence.iter().map(|f| f.to_string()).collect();
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td><td class=\"{v}\">{v}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.id),
            esc(&c.summary),
            esc(&ev.join(", ")),
            esc(&counts.join(", "))
        );
    }
    h.push_str("</table><h2>Registrations</h2><table><tr><th>#</th><th>kind</th><th>UE → P-CSCF</th><th>frames</th><th>SA set</th><th>final</th><th>keys</th></tr>");
    for g in &r.registrations {
        let n = g.negotiated.as_ref().map_or(String::new(), |n| {
            format!(
                "{}/{} {}; P-CSCF spi-c {} spi-s {}; UE spi-c {} spi-s {}",
                n.alg, n.ealg, n.mode, n.pcscf_spi_c, n.pcscf_spi_s, n.ue_spi_c, n.ue_spi_s
            )
        });
        let f = &g.frames;
        let frames = format!(
            "REGISTER {}, 401 {}, protected {}, final {}",
            f.register,
            f.challenge.map_or("-".into(), |x| x.to_string()),
            f.protected_register.map_or("-".into(), |x| x.to_string()),
            f.final_response.map_or("-".into(), |x| x.to_string())
        );
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{:?}</td><td>{} → {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            g.id,
            g.kind,
            esc(&g.ue),
            esc(&g.pcscf),
            esc(&frames),
            esc(&n),
            g.final_status.map_or("-".into(), |c| c.to_string()),
            esc(&g.keys.as_ref().map_or("none".into(), |k| format!("{k:?}")))
        );
    }
    h.push_str("</table><h2>SAs</h2><table><tr><th>SPI</th><th>src</th><th>dst</th><th>packets</th><th>accepted</th><th>replayed</th><th>icv_bad</th><th>dummy</th><th>source</th></tr>");
    for s in &r.sas {
        let c = &s.counts;
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.spi), esc(&c.src), esc(&c.dst), c.packets, c.accepted, c.replayed, c.icv_bad, c.dummy,
            esc(&format!("{:?}", s.source))
        );
    }
    h.push_str("</table><h2>Not covered</h2><ul>");
    for n in r.not_covered.iter().chain(r.warnings.iter()) {
        let _ = write!(h, "<li>{}</li>", esc(n));
    }
    h.push_str("</ul></body></html>\n");
    h
}
