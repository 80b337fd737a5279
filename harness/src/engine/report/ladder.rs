//! The ladder (sequence) diagram of one case's trace, as inline SVG for report.html.
//!
//! Lanes UE, P-CSCF, S-CSCF (left to right), plus any other lane name a trace uses, in order
//! of first appearance. One arrow per [`TraceEvent`], labelled with its summary and, for a
//! protected message, `ESP SPI 0x… seq N SA #k`. Events a check cites as evidence are drawn
//! in red on a tinted band. Each arrow links to the message's SIP block (`#<case>-m<N>`);
//! messages are numbered from 1 as everywhere in the HTML. Labels longer than the space
//! between the lanes are cut with `…`; the full text is in the arrow's `<title>` (tooltip)
//! and in the message list below the diagram.

use super::html::esc;
use crate::engine::model::TraceEvent;
use std::collections::BTreeSet;
use std::fmt::Write as _;

const LANES: [&str; 3] = ["UE", "P-CSCF", "S-CSCF"];
const WIDTH: u64 = 1000;
const LEFT: u64 = 230;
const RIGHT: u64 = 170;
const TOP: u64 = 56;
const ROW: u64 = 46;
/// Average width of a 12 px sans-serif character, for cutting labels.
const CHAR_PX: u64 = 7;

/// `ESP SPI 0x0000a001 seq 3 SA #2` (no `SA #k` when the SA row is unknown).
pub(super) fn esp_label(e: &TraceEvent) -> Option<String> {
    let esp = e.esp.as_ref()?;
    let mut s = format!("ESP SPI 0x{:08x} seq {}", esp.spi, esp.seq);
    if let Some(k) = esp.sa_index {
        let _ = write!(s, " SA #{k}");
    }
    Some(s)
}

fn cut(s: &str, max: u64) -> String {
    let max = usize::try_from(max).unwrap_or(usize::MAX).max(8);
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

/// The SVG (or a short note when the trace is empty). `anchor` prefixes message anchors.
pub(super) fn svg(trace: &[TraceEvent], evidence: &BTreeSet<usize>, anchor: &str) -> String {
    if trace.is_empty() {
        return "<p class=\"muted\">No messages were recorded for this case.</p>\n".to_string();
    }
    let mut lanes: Vec<&str> = LANES.to_vec();
    for e in trace {
        for l in [e.from.as_str(), e.to.as_str()] {
            if !lanes.contains(&l) {
                lanes.push(l);
            }
        }
    }
    let n = u64::try_from(lanes.len()).unwrap_or(3).max(2);
    let step = (WIDTH - LEFT - RIGHT) / (n - 1);
    let x_of = |name: &str| -> u64 {
        let i = lanes.iter().position(|l| *l == name).unwrap_or(0);
        LEFT + step * u64::try_from(i).unwrap_or(0)
    };
    let rows = u64::try_from(trace.len()).unwrap_or(u64::MAX);
    let height = TOP
        .saturating_add(rows.saturating_mul(ROW))
        .saturating_add(16);

    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg class=\"ladder\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" \
         width=\"{WIDTH}\" height=\"{height}\" role=\"img\" aria-label=\"Ladder diagram: {} messages\">",
        trace.len()
    );
    s.push_str(
        "<defs>\
         <marker id=\"{A}-h\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"9\" \
         markerHeight=\"9\" markerUnits=\"userSpaceOnUse\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#37474f\"/></marker>\
         <marker id=\"{A}-e\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"9\" \
         markerHeight=\"9\" markerUnits=\"userSpaceOnUse\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#c62828\"/></marker>\
         </defs>\n"
            .replace("{A}", anchor)
            .as_str(),
    );
    for l in &lanes {
        let x = x_of(l);
        let _ = writeln!(
            s,
            "<rect class=\"lane-box\" x=\"{}\" y=\"8\" width=\"120\" height=\"28\" rx=\"4\"/>\
             <text class=\"lane-name\" x=\"{x}\" y=\"27\" text-anchor=\"middle\">{}</text>\
             <line class=\"lifeline\" x1=\"{x}\" y1=\"36\" x2=\"{x}\" y2=\"{}\"/>",
            x.saturating_sub(60),
            esc(l),
            height - 6
        );
    }
    for (i, e) in trace.iter().enumerate() {
        let num = i + 1;
        let ev = evidence.contains(&i);
        let top = TOP.saturating_add(u64::try_from(i).unwrap_or(0).saturating_mul(ROW));
        let y = top + 24;
        let (x1, x2) = (x_of(&e.from), x_of(&e.to));
        let esp = esp_label(e);
        let mut title = format!("msg {num}: {} → {}: {}", e.from, e.to, e.summary);
        if let Some(l) = &esp {
            let _ = write!(title, " ({l})");
        }
        let _ = write!(
            s,
            "<a href=\"#{anchor}-m{num}\"><g class=\"msg{}\"><title>{}</title>",
            if ev { " evidence" } else { "" },
            esc(&title)
        );
        if ev {
            let _ = write!(
                s,
                "<rect class=\"ev-band\" x=\"2\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
                top + 1,
                WIDTH - 4,
                ROW - 2
            );
        }
        let _ = write!(
            s,
            "<text class=\"num\" x=\"8\" y=\"{}\">msg {num}</text>\
             <text class=\"time\" x=\"8\" y=\"{}\">+{} ms</text>",
            y - 3,
            y + 12,
            e.t_ms
        );
        let marker = format!("url(#{anchor}-{})", if ev { "e" } else { "h" });
        let (lx, anchor_attr, room) = if x1 == x2 {
            let _ = write!(
                s,
                "<path class=\"arrow\" d=\"M{x1},{} h44 v18 h-42\" fill=\"none\" marker-end=\"{marker}\"/>",
                y - 9
            );
            (x1 + 52, "start", (RIGHT + step / 2) / CHAR_PX)
        } else {
            let _ = write!(
                s,
                "<line class=\"arrow\" x1=\"{x1}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" marker-end=\"{marker}\"/>"
            );
            ((x1 + x2) / 2, "middle", x1.abs_diff(x2) / CHAR_PX)
        };
        let _ = write!(
            s,
            "<text class=\"label\" x=\"{lx}\" y=\"{}\" text-anchor=\"{anchor_attr}\">{}</text>",
            y - 7,
            esc(&cut(&e.summary, room))
        );
        if let Some(l) = esp {
            let _ = write!(
                s,
                "<text class=\"esp\" x=\"{lx}\" y=\"{}\" text-anchor=\"{anchor_attr}\">{}</text>",
                y + 15,
                esc(&cut(&l, room))
            );
        }
        s.push_str("</g></a>\n");
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::model::EspMeta;

    fn ev(from: &str, to: &str, summary: &str, esp: Option<EspMeta>) -> TraceEvent {
        TraceEvent {
            t_ms: 5,
            from: from.into(),
            to: to.into(),
            summary: summary.into(),
            sip: None,
            esp,
            step: None,
            frame: None,
        }
    }

    #[test]
    fn arrows_labels_and_escaping() {
        let esp = EspMeta {
            spi: 0xa001,
            seq: 7,
            sa_index: Some(2),
        };
        let t = vec![
            ev("UE", "P-CSCF", "REGISTER <sip:a&b> SIP/2.0", Some(esp)),
            ev("P-CSCF", "P-CSCF", "timer F", None),
            ev("Za", "UE", "x", None),
        ];
        let ev_set = BTreeSet::from([0usize]);
        let s = svg(&t, &ev_set, "c1");
        assert!(s.contains("REGISTER &lt;sip:a&amp;b&gt; SIP/2.0"), "{s}");
        assert!(s.contains("ESP SPI 0x0000a001 seq 7 SA #2"));
        assert_eq!(s.matches("class=\"msg evidence\"").count(), 1);
        assert_eq!(s.matches("<g class=\"msg").count(), 3);
        // Unknown lane appended as a fourth lane.
        assert_eq!(s.matches("class=\"lane-name\"").count(), 4);
        assert!(s.contains("href=\"#c1-m3\""));
        assert!(!s.contains("<sip:"));
    }

    #[test]
    fn long_labels_cut_and_empty_trace_noted() {
        assert_eq!(cut("abcdefghij", 8), "abcdefg…");
        assert_eq!(cut("abc", 8), "abc");
        assert!(svg(&[], &BTreeSet::new(), "c").contains("No messages"));
    }
}
