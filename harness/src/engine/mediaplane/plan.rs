//! What the media step needs, derived only from the SDP the harness saw (never from the SUT's
//! internals): the UE's SDP and the one it received (keys: the UE's `a=crypto` and the
//! P-CSCF's under the same tag, RFC 4568 §7.1.2; addresses: the UE's own and the gateway's
//! UE-side c=/m=), and the SDP the core received and sent (the gateway's core-side address
//! and the core's own).

use crate::mech::sdp::{CryptoAttr, Sdp};
use crate::mech::srtp::{MasterKey, Suite};
use std::net::{IpAddr, SocketAddr};

/// The four SDP bodies of one call.
#[derive(Debug, Clone)]
pub struct CallSdp {
    /// What the UE sent (its offer, or its answer on the terminating side).
    pub ue_sent: Sdp,
    /// What the UE received (the P-CSCF's answer, or its offer).
    pub ue_received: Sdp,
    /// What the core received from the P-CSCF.
    pub core_received: Sdp,
    /// What the core sent to the P-CSCF.
    pub core_sent: Sdp,
}

/// One SRTP stream as the harness sees it.
#[derive(Clone)]
pub struct MediaPlan {
    pub suite: Suite,
    /// The UE's master key (the line the UE sent).
    pub ue_key: MasterKey,
    /// The P-CSCF's master key (the line the UE received, same tag).
    pub pcscf_key: MasterKey,
    /// The UE's RTP address (its own SDP).
    pub ue_media: SocketAddr,
    /// The gateway's UE-side RTP address (the SDP the UE received).
    pub gw_ue_side: SocketAddr,
    /// The core's RTP address (the SDP the core sent).
    pub core_media: SocketAddr,
    /// The gateway's core-side RTP address (the SDP the core received).
    pub gw_core_side: SocketAddr,
}

impl std::fmt::Debug for MediaPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Keys are left out (reports redact keys unless asked).
        write!(
            f,
            "{} UE {} <-> GW {} | GW {} <-> core {}",
            self.suite, self.ue_media, self.gw_ue_side, self.gw_core_side, self.core_media
        )
    }
}

/// `c=IN IP4 a` / `IN IP6 a` (RFC 8866 §5.7).
fn conn_addr(value: &str) -> Option<IpAddr> {
    let mut it = value.split_whitespace();
    let (net, _ty, a) = (it.next()?, it.next()?, it.next()?);
    if net != "IN" {
        return None;
    }
    // A multicast TTL/count suffix (a/ttl) is not an address of a unicast peer.
    a.split('/').next()?.parse().ok()
}

/// The RTP address of media `m`: its port from m=, the address from its own c= or else the
/// session's (RFC 8866 §5.7).
pub fn media_addr(sdp: &Sdp, m: usize) -> Option<SocketAddr> {
    let md = sdp.media();
    let md = md.get(m)?;
    let port = md.line()?.port;
    let own = md
        .lines()
        .iter()
        .find(|l| l.kind == 'c')
        .and_then(|l| conn_addr(&l.value));
    let session = sdp
        .session_lines()
        .iter()
        .find(|l| l.kind == 'c')
        .and_then(|l| conn_addr(&l.value));
    Some(SocketAddr::new(own.or(session)?, port))
}

fn lines(sdp: &Sdp, m: usize) -> Vec<CryptoAttr> {
    sdp.media()
        .get(m)
        .map(|md| md.crypto().into_iter().filter_map(Result::ok).collect())
        .unwrap_or_default()
}

fn first_key(c: &CryptoAttr) -> Result<(Suite, MasterKey), String> {
    let (suite, keys, _) = c.srtp_params()?;
    let k = keys.into_iter().next().ok_or("a=crypto without a key")?;
    Ok((suite, k))
}

/// The first SRTP stream of the call: the first media the UE sent as SRTP with `a=crypto`
/// and received with an `a=crypto` of the same tag.
pub fn plan(c: &CallSdp) -> Result<MediaPlan, String> {
    let n = c.ue_sent.media().len();
    for m in 0..n {
        let srtp = c
            .ue_sent
            .media()
            .get(m)
            .and_then(|md| md.proto())
            .is_some_and(|p| p.is_srtp());
        if !srtp {
            continue;
        }
        let mine = lines(&c.ue_sent, m);
        let theirs = lines(&c.ue_received, m);
        let Some((u, p)) = mine
            .iter()
            .find_map(|u| theirs.iter().find(|p| p.tag == u.tag).map(|p| (u, p)))
        else {
            continue;
        };
        let (suite, ue_key) = first_key(u).map_err(|e| format!("the UE's a=crypto: {e}"))?;
        let (psuite, pcscf_key) =
            first_key(p).map_err(|e| format!("the P-CSCF's a=crypto: {e}"))?;
        if suite != psuite {
            return Err(format!(
                "suites differ under tag {}: {suite} / {psuite}",
                u.tag
            ));
        }
        let addr = |s: &Sdp, what: &str| {
            media_addr(s, m).ok_or_else(|| format!("no address for media {m} in {what}"))
        };
        return Ok(MediaPlan {
            suite,
            ue_key,
            pcscf_key,
            ue_media: addr(&c.ue_sent, "the UE's SDP")?,
            gw_ue_side: addr(&c.ue_received, "the SDP the UE received")?,
            core_media: addr(&c.core_sent, "the SDP the core sent")?,
            gw_core_side: addr(&c.core_received, "the SDP the core received")?,
        });
    }
    Err("no SRTP media with a=crypto on both sides of the UE's SDP exchange".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sdp(s: &str) -> Sdp {
        Sdp::parse(s).expect("sdp")
    }

    // Keys: octets 1..=30 and 101..=130, base64 by Python's base64 module.
    const K1: &str = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e";
    const K2: &str = "ZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8fX5/gIGC";

    fn call() -> CallSdp {
        CallSdp {
            ue_sent: sdp(&format!(
                "v=0\r\no=- 1 1 IN IP4 10.0.0.4\r\ns=-\r\nc=IN IP4 10.0.0.4\r\nt=0 0\r\n\
                 m=audio 20000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{K2}\r\n\
                 a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:{K1}\r\na=3ge2ae:requested\r\n"
            )),
            ue_received: sdp(&format!(
                "v=0\r\no=- 2 1 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\n\
                 m=audio 40000 RTP/SAVP 0\r\nc=IN IP4 10.0.0.2\r\n\
                 a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:{K2}\r\n"
            )),
            core_received: sdp(
                "v=0\r\no=- 1 1 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\n\
                 m=audio 40002 RTP/AVP 0\r\n",
            ),
            core_sent: sdp(
                "v=0\r\no=- 3 1 IN IP4 10.0.0.3\r\ns=-\r\nc=IN IP4 10.0.0.3/127\r\nt=0 0\r\n\
                 m=audio 30000 RTP/AVP 0\r\n",
            ),
        }
    }

    #[test]
    fn keys_pair_by_tag_and_addresses_come_from_c_and_m_lines() {
        let p = plan(&call()).expect("plan");
        assert_eq!(p.suite, Suite::AesCm128HmacSha1_32);
        // Tag 2: the UE's K1 line and the P-CSCF's K2 line (base64 of key||salt).
        let ue: Vec<u8> = (1..=30).collect();
        let pcscf: Vec<u8> = (101..=130).collect();
        assert_eq!([p.ue_key.key.clone(), p.ue_key.salt.clone()].concat(), ue);
        assert_eq!(
            [p.pcscf_key.key.clone(), p.pcscf_key.salt.clone()].concat(),
            pcscf
        );
        assert_eq!(p.ue_media, "10.0.0.4:20000".parse().expect("a"));
        // Media-level c= wins over the session's.
        assert_eq!(p.gw_ue_side, "10.0.0.2:40000".parse().expect("a"));
        assert_eq!(p.gw_core_side, "10.0.0.2:40002".parse().expect("a"));
        assert_eq!(p.core_media, "10.0.0.3:30000".parse().expect("a"));
    }

    #[test]
    fn no_common_tag_or_no_srtp_is_an_error() {
        let mut c = call();
        c.ue_received = sdp(&format!(
            "v=0\r\no=- 2 1 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\n\
             m=audio 40000 RTP/SAVP 0\r\na=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:{K2}\r\n"
        ));
        assert!(plan(&c).is_err());
        let mut c = call();
        c.ue_sent = c.core_received.clone();
        assert!(plan(&c).is_err());
    }
}
