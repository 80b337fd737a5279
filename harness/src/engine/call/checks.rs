//! `sdp_at_core` and `sdp_at_ue`: what the core and the UE received in the SDP of a `call`
//! or `incoming_call` step (parsed with [`crate::mech::sdp`]), against TS 33.328 §5.3,
//! §7.2.1 and §7.3.1. Only the harness's vantage points are read: the UE's messages and the
//! core's exchanges.

use super::probe::uri_authority;
use crate::engine::case::Expect;
use crate::engine::checks::Observations;
use crate::engine::model::{CheckResult, Evidence, Verdict};
use crate::mech::sdp::offer_answer::ims_acceptable;
use crate::mech::sdp::{CryptoAttr, E2ae, Fingerprint, Proto, Sdp};
use crate::mech::sip::SipMessage;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// What must hold of one media description of the SDP a side received.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SdpExpect {
    /// The `call` or `incoming_call` step.
    pub step: String,
    /// Which media description (0 = the first m= line).
    #[serde(default)]
    pub media: usize,
    /// The transport protocol of its m= line (`RTP/AVP`, `RTP/SAVP`, `TCP/TLS/MSRP`, ...).
    #[serde(default)]
    pub proto: Option<String>,
    /// Whether `a=crypto` lines are present.
    #[serde(default)]
    pub crypto: Option<bool>,
    /// The `a=3ge2ae` indications it carries: `none`, or one value (`applied`,
    /// `requested`) that must be the only one.
    #[serde(default)]
    pub e2ae: Option<String>,
    /// No SDES key carries a lifetime (TS 33.328 §7.2.1 step 8, §7.3.1 step 4).
    #[serde(default)]
    pub no_lifetime: bool,
    /// Every SDES key differs from every key the other side and the receiver itself sent
    /// in the step (§7.2.1 step 7: K12 is created by the P-CSCF).
    #[serde(default)]
    pub fresh_keys: bool,
    /// Every SDES line encrypts and authenticates: no NULL cipher, no UNENCRYPTED_SRTP,
    /// UNENCRYPTED_SRTCP or UNAUTHENTICATED_SRTP (§5.3, §5.2).
    #[serde(default)]
    pub encrypting: bool,
    /// MSRP: none of the fingerprints the other side sent arrives; at the UE at least one
    /// fingerprint (the gateway's) is present (§7.2.1 steps 3/8, §7.3.1 steps 4/7).
    #[serde(default)]
    pub fingerprint_replaced: bool,
    /// The proto and the `a=crypto` lines are those the other side sent (e2e SDES passes
    /// unchanged, §7.2.2, §7.3.1 NOTE 2).
    #[serde(default)]
    pub unchanged: bool,
    /// Whether `a=fingerprint` lines are present (towards the core none: TCP/MSRP, §7.2.1
    /// step 3, §7.3.1 step 7).
    #[serde(default)]
    pub fingerprint: Option<bool>,
    /// MSRP anchored at the IMS Access GW (§4.2.2, §7.2.1 steps 3/8, §7.3.1 steps 4/7;
    /// RFC 4975 §6, §8.1, §8.2): the first `a=path` URI points at the media's own `c=`/`m=` address,
    /// that address is none the other side signalled (its `c=`/`m=` or `a=path`), and the
    /// URI's scheme fits the proto (`msrps` for TCP/TLS/MSRP, `msrp` for TCP/MSRP).
    #[serde(default)]
    pub anchored: bool,
    /// The certificate the TLS server at the first `a=path` URI presents has a fingerprint
    /// the media signals (TS 33.328 §5.4.1, RFC 8122 §5): needs the step's `tls_probe`.
    #[serde(default)]
    pub fingerprint_matches_tls: bool,
}

/// The four SDP bodies of a call step (absent ones `None`).
struct CallSdp {
    ue_sent: Option<Sdp>,
    ue_got: Option<Sdp>,
    core_sent: Option<Sdp>,
    core_got: Option<Sdp>,
    /// Trace events for the evidence.
    ue_event: Option<usize>,
    core_event: Option<usize>,
    /// The step's TLS probes (None: the step did not probe).
    probes: Option<Vec<super::probe::TlsProbe>>,
}

fn sdp_in(m: Option<&SipMessage>) -> Option<Sdp> {
    m.and_then(super::sdp)
}

fn call_sdp(o: &Observations<'_>, step: &str) -> Option<CallSdp> {
    let st = o.steps.iter().find(|s| s.id == step)?;
    let seen = o.seen.get(st.seen.clone()).unwrap_or(&[]);
    let is_invite_or_answer = |m: &SipMessage| {
        m.method().as_deref() == Some("INVITE")
            || (m.status().is_some() && m.cseq().is_some_and(|(_, x)| x == "INVITE"))
    };
    let pick = |sent: bool| {
        seen.iter()
            .enumerate()
            .filter(|(_, s)| s.sent == sent)
            .filter_map(|(i, s)| s.sip.as_ref().map(|m| (i, m)))
            .filter(|(_, m)| is_invite_or_answer(m))
            .find_map(|(i, m)| sdp_in(Some(m)).map(|sdp| (st.seen.start + i, sdp)))
    };
    let ue_sent = pick(true);
    let ue_got = pick(false);
    let core = o.core.unwrap_or(&[]);
    let ex = st.core.clone().find(|i| {
        core.get(*i)
            .is_some_and(|x| x.request.method().as_deref() == Some("INVITE"))
    });
    let exchange = ex.and_then(|i| core.get(i));
    // Originating: the core received the request; terminating: it sent it.
    let terminating = st.action == "incoming_call";
    let (core_got, core_sent) = match exchange {
        Some(x) if terminating => (sdp_in(Some(&x.response)), sdp_in(Some(&x.request))),
        Some(x) => (sdp_in(Some(&x.request)), sdp_in(Some(&x.response))),
        None => (None, None),
    };
    Some(CallSdp {
        probes: st.call.as_ref().map(|c| c.probes.clone()),
        ue_event: ue_got.as_ref().and_then(|(i, _)| (o.seen_to_trace)(*i)),
        core_event: ex.and_then(|i| (o.core_to_trace)(i)),
        ue_sent: ue_sent.map(|(_, s)| s),
        ue_got: ue_got.map(|(_, s)| s),
        core_sent,
        core_got,
    })
}

fn crypto(sdp: &Sdp, m: usize) -> Vec<CryptoAttr> {
    sdp.media()
        .get(m)
        .map(|md| md.crypto().into_iter().filter_map(Result::ok).collect())
        .unwrap_or_default()
}

fn all_keys(sdp: Option<&Sdp>) -> Vec<Vec<u8>> {
    let Some(sdp) = sdp else { return Vec::new() };
    (0..sdp.media().len())
        .flat_map(|m| crypto(sdp, m))
        .flat_map(|c| c.keys)
        .filter_map(|k| k.inline.map(|i| i.key_salt))
        .collect()
}

fn all_fingerprints(sdp: Option<&Sdp>) -> Vec<Fingerprint> {
    let Some(sdp) = sdp else { return Vec::new() };
    sdp.media()
        .iter()
        .flat_map(|md| md.fingerprints().into_iter().filter_map(Result::ok))
        .collect()
}

/// The addresses media `m` of `sdp` signals: its `c=`/`m=` and its `a=path` authorities.
fn signalled_addrs(sdp: &Sdp, m: usize) -> Vec<SocketAddr> {
    let mut v: Vec<SocketAddr> = sdp.media_socket(m).into_iter().collect();
    if let Some(p) = sdp.media().get(m).and_then(|md| md.path()) {
        v.extend(p.into_iter().filter_map(uri_authority));
    }
    v
}

/// `anchored`: why media `m` of `sdp` is not anchored away from `other`, if it is not.
fn not_anchored(sdp: &Sdp, m: usize, other: Option<&Sdp>) -> Option<String> {
    let md = sdp.media();
    let md = md.get(m)?;
    let Some(addr) = sdp.media_socket(m) else {
        return Some("no c=/m= address".into());
    };
    let Some(first) = md.path().and_then(|p| p.first().map(|s| s.to_string())) else {
        return Some("no a=path (RFC 4975 §8.2)".into());
    };
    let Some(auth) = uri_authority(&first) else {
        return Some(format!("a=path {first} has no host:port"));
    };
    if auth != addr {
        return Some(format!(
            "a=path {first} does not point at the c=/m= address {addr}"
        ));
    }
    let theirs: Vec<SocketAddr> = match other {
        Some(o) => (0..o.media().len())
            .flat_map(|k| signalled_addrs(o, k))
            .collect(),
        None => Vec::new(),
    };
    if theirs.contains(&addr) {
        return Some(format!(
            "{addr} is the other side's own address: the IMS Access GW is not in the path"
        ));
    }
    let tls = md.proto() == Some(Proto::TcpTlsMsrp);
    let want = if tls { "msrps://" } else { "msrp://" };
    if !first.starts_with(want) {
        return Some(format!(
            "a=path {first}: expected a {want} URI for this proto"
        ));
    }
    None
}

/// Judges one SDP expectation at the core (`at_core`) or at the UE.
pub fn evaluate(e: &Expect, x: &SdpExpect, o: &Observations<'_>, at_core: bool) -> CheckResult {
    let res = |v: Verdict, s: String, ev: Option<usize>| CheckResult {
        check: e.name().to_string(),
        verdict: v,
        evidence: Evidence {
            summary: s,
            events: ev.into_iter().collect(),
        },
        requirements: Vec::new(),
    };
    let Some(c) = call_sdp(o, &x.step) else {
        return res(
            Verdict::Inconclusive,
            format!("step '{}' did not run", x.step),
            None,
        );
    };
    let (got, other_sent, own_sent, ev, who) = if at_core {
        (&c.core_got, &c.ue_sent, &c.core_sent, c.core_event, "core")
    } else {
        (&c.ue_got, &c.core_sent, &c.ue_sent, c.ue_event, "UE")
    };
    let Some(sdp) = got else {
        return res(
            Verdict::Inconclusive,
            format!("step '{}': the {who} received no SDP", x.step),
            ev,
        );
    };
    let m = x.media;
    let medias = sdp.media();
    let Some(md) = medias.get(m) else {
        return res(
            Verdict::Fail,
            format!("the {who}'s SDP has no media {m}"),
            ev,
        );
    };
    let fail = |s: String| {
        res(
            Verdict::Fail,
            format!("the {who} received media {m}: {s}"),
            ev,
        )
    };
    let proto = md
        .proto()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    if let Some(want) = &x.proto {
        if !proto.eq_ignore_ascii_case(want) {
            return fail(format!("proto {proto}, expected {want}"));
        }
    }
    let lines = crypto(sdp, m);
    let raw_lines = md.attr_values("crypto").count();
    if let Some(want) = x.crypto {
        if want != (raw_lines > 0) {
            return fail(format!(
                "{raw_lines} a=crypto line(s), expected {}",
                if want { "some" } else { "none" }
            ));
        }
    }
    if let Some(want) = &x.e2ae {
        let have: Vec<E2ae> = md.e2ae();
        let ok = if want.eq_ignore_ascii_case("none") {
            have.is_empty()
        } else {
            have.len() == 1 && have.first().is_some_and(|h| h.as_str() == want)
        };
        if !ok {
            let list: Vec<&str> = have.iter().map(E2ae::as_str).collect();
            return fail(format!("a=3ge2ae {list:?}, expected {want}"));
        }
    }
    if x.no_lifetime {
        if let Some(c) = lines.iter().find(|c| {
            c.keys
                .iter()
                .any(|k| k.inline.as_ref().is_some_and(|i| i.lifetime.is_some()))
        }) {
            return fail(format!("a=crypto:{} carries a key lifetime", c.emit()));
        }
    }
    if x.fresh_keys {
        if lines.is_empty() {
            return fail("no SDES key to judge".into());
        }
        let mut known = all_keys(other_sent.as_ref());
        known.extend(all_keys(own_sent.as_ref()));
        for c in &lines {
            let reused = c
                .keys
                .iter()
                .filter_map(|k| k.inline.as_ref())
                .any(|i| known.contains(&i.key_salt));
            if reused {
                return fail(format!(
                    "tag {} carries a key that was already sent in this call (not created by the P-CSCF)",
                    c.tag
                ));
            }
        }
    }
    if x.encrypting {
        if let Some(c) = lines.iter().find(|c| !ims_acceptable(c)) {
            return fail(format!(
                "a=crypto:{} does not encrypt and authenticate (TS 33.328 §5.3)",
                c.emit()
            ));
        }
        if raw_lines != lines.len() {
            return fail("an a=crypto line does not parse".into());
        }
    }
    if x.fingerprint_replaced {
        let fps: Vec<Fingerprint> = md
            .fingerprints()
            .into_iter()
            .filter_map(Result::ok)
            .collect();
        let foreign = all_fingerprints(other_sent.as_ref());
        if let Some(f) = fps.iter().find(|f| foreign.contains(f)) {
            return fail(format!(
                "a=fingerprint:{} is the one the other side sent, not replaced",
                f.emit()
            ));
        }
        if !at_core && fps.is_empty() {
            return fail("no a=fingerprint (the gateway's is expected)".into());
        }
    }
    if let Some(want) = x.fingerprint {
        let n = md.attr_values("fingerprint").count();
        if want != (n > 0) {
            return fail(format!(
                "{n} a=fingerprint line(s), expected {}",
                if want { "some" } else { "none" }
            ));
        }
    }
    if x.anchored {
        if let Some(why) = not_anchored(sdp, m, other_sent.as_ref()) {
            return fail(why);
        }
    }
    if x.fingerprint_matches_tls {
        let Some(probes) = &c.probes else {
            return res(
                Verdict::Inconclusive,
                format!("step '{}' ran no TLS probe (tls_probe: true)", x.step),
                ev,
            );
        };
        let Some(p) = probes.iter().find(|p| p.media == m) else {
            return fail("no TCP/TLS/MSRP a=path address to probe".into());
        };
        let fps: Vec<Fingerprint> = md
            .fingerprints()
            .into_iter()
            .filter_map(Result::ok)
            .collect();
        match &p.leaf {
            Err(e) => {
                return fail(format!(
                    "no TLS server certificate at the signalled {}: {e}",
                    p.addr
                ))
            }
            Ok(leaf) if !fps.contains(leaf) => {
                return fail(format!(
                    "the TLS server at {} presents a certificate with fingerprint {}, not the signalled one",
                    p.addr,
                    leaf.emit()
                ))
            }
            Ok(_) => {}
        }
    }
    if x.unchanged {
        let Some(src) = other_sent else {
            return res(
                Verdict::Inconclusive,
                "the other side's SDP was not seen".into(),
                ev,
            );
        };
        let src_proto = src
            .media()
            .get(m)
            .and_then(|s| s.proto())
            .map(|p| p.as_str().to_string())
            .unwrap_or_default();
        if src_proto != proto {
            return fail(format!("proto {proto}, sent as {src_proto}"));
        }
        let sent = crypto(src, m);
        if sent != lines {
            return fail(format!(
                "a=crypto changed on the way: sent {} line(s), got {}",
                sent.len(),
                lines.len()
            ));
        }
    }
    res(
        Verdict::Pass,
        format!("the {who} received media {m} as expected ({proto}, {raw_lines} a=crypto)"),
        ev,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msrp(c: &str, port: u16, path: &str, proto: &str) -> Sdp {
        Sdp::parse(&format!(
            "v=0\r\no=- 1 1 IN IP4 {c}\r\ns=-\r\nc=IN IP4 {c}\r\nt=0 0\r\nm=message {port} {proto} *\r\na=path:{path}\r\n"
        ))
        .unwrap()
    }

    #[test]
    fn anchoring_is_judged_from_the_sdp_alone() {
        let far = msrp(
            "192.0.2.3",
            30000,
            "msrp://192.0.2.3:30000/a;tcp",
            "TCP/MSRP",
        );
        let gw = msrp(
            "192.0.2.2",
            40000,
            "msrps://192.0.2.2:40000/x;tcp",
            "TCP/TLS/MSRP",
        );
        assert_eq!(not_anchored(&gw, 0, Some(&far)), None);
        // The far end's own address passed through: not anchored.
        let passed = msrp(
            "192.0.2.3",
            30000,
            "msrps://192.0.2.3:30000/a;tcp",
            "TCP/TLS/MSRP",
        );
        assert!(not_anchored(&passed, 0, Some(&far))
            .unwrap()
            .contains("other side"));
        // a=path elsewhere than c=/m=.
        let split = msrp(
            "192.0.2.2",
            40000,
            "msrps://192.0.2.3:30000/a;tcp",
            "TCP/TLS/MSRP",
        );
        assert!(not_anchored(&split, 0, Some(&far)).is_some());
        // msrp:// on TCP/TLS/MSRP.
        let scheme = msrp(
            "192.0.2.2",
            40000,
            "msrp://192.0.2.2:40000/x;tcp",
            "TCP/TLS/MSRP",
        );
        assert!(not_anchored(&scheme, 0, Some(&far))
            .unwrap()
            .contains("msrps://"));
    }
}
