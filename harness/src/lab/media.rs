//! Harness media peers (TS 33.328 e2ae checks on both legs of the IMS Access GW): a UDP
//! RTP/RTCP socket pair (RTCP on the next port, RFC 3550 §11) that sends what it is given and
//! records everything that arrives, with a bounded wait. The UE-side peer holds the SRTP
//! contexts of the UE (it protects with the UE's key and opens with the key the P-CSCF
//! answered); the core-side peer speaks plain RTP/RTCP.

use crate::mech::srtp::{MasterKey, RtpRepr, Session, Suite};
use crate::net::sockets::SocketSet;
use crate::net::{NetError, Wire};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// One datagram a media peer sent or received.
#[derive(Debug, Clone)]
pub struct MediaSeen {
    pub at: Instant,
    /// True: sent by this peer.
    pub sent: bool,
    /// On the RTCP port.
    pub rtcp: bool,
    pub local: SocketAddr,
    pub peer: SocketAddr,
    pub payload: Vec<u8>,
}

/// An RTP/RTCP socket pair with a log.
pub struct MediaPeer {
    net: SocketSet,
    rtp: SocketAddr,
    /// Everything sent and received, in order.
    pub log: Vec<MediaSeen>,
}

/// The RTCP address of an RTP address (RFC 3550 §11).
pub fn rtcp_of(a: SocketAddr) -> SocketAddr {
    SocketAddr::new(a.ip(), a.port().wrapping_add(1))
}

impl MediaPeer {
    /// Binds `rtp` and the RTCP port after it.
    pub fn bind(rtp: SocketAddr) -> Result<MediaPeer, NetError> {
        let mut net = SocketSet::new();
        net.bind_udp(rtp)?;
        net.bind_udp(rtcp_of(rtp))?;
        Ok(MediaPeer {
            net,
            rtp,
            log: Vec::new(),
        })
    }

    /// The RTP address (RTCP: [`rtcp_of`]).
    pub fn rtp_addr(&self) -> SocketAddr {
        self.rtp
    }

    /// Sends `payload` from the RTP (or RTCP) port to `to_rtp` (or its RTCP port).
    pub fn send(&mut self, rtcp: bool, to_rtp: SocketAddr, payload: &[u8]) -> Result<(), NetError> {
        let (local, peer) = if rtcp {
            (rtcp_of(self.rtp), rtcp_of(to_rtp))
        } else {
            (self.rtp, to_rtp)
        };
        self.log.push(MediaSeen {
            at: Instant::now(),
            sent: true,
            rtcp,
            local,
            peer,
            payload: payload.to_vec(),
        });
        self.net.send(&Wire::Udp {
            local,
            peer,
            payload: payload.to_vec(),
        })
    }

    /// The next datagram within `timeout` (logged), or `None`.
    pub fn recv(&mut self, timeout: Duration) -> Option<MediaSeen> {
        let w = self.net.recv(timeout)?;
        let Wire::Udp {
            local,
            peer,
            payload,
        } = w
        else {
            return None;
        };
        let s = MediaSeen {
            at: Instant::now(),
            sent: false,
            rtcp: local != self.rtp,
            local,
            peer,
            payload,
        };
        self.log.push(s.clone());
        Some(s)
    }

    /// Everything that arrives during `window`.
    pub fn listen(&mut self, window: Duration) -> Vec<MediaSeen> {
        let deadline = Instant::now() + window;
        let mut out = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.recv(left) {
                Some(s) => out.push(s),
                None => break,
            }
        }
        out
    }

    /// Waits until `n` datagrams arrived or `timeout` passed; returns what arrived.
    pub fn expect(&mut self, n: usize, timeout: Duration) -> Vec<MediaSeen> {
        let deadline = Instant::now() + timeout;
        let mut out = Vec::new();
        while out.len() < n {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                break;
            };
            match self.recv(left) {
                Some(s) => out.push(s),
                None => break,
            }
        }
        out
    }

    pub fn shutdown(&mut self) {
        self.net.shutdown();
    }
}

/// An RTP packet (RFC 3550 §5.1): version 2, no CSRC or extension.
pub fn rtp_packet(
    ssrc: u32,
    seq: u16,
    timestamp: u32,
    payload_type: u8,
    payload: &[u8],
) -> Vec<u8> {
    let r = RtpRepr {
        marker: false,
        payload_type,
        seq,
        timestamp,
        ssrc,
        csrcs: Vec::new(),
        extension: None,
    };
    let mut out = Vec::new();
    r.emit(&mut out);
    out.extend_from_slice(payload);
    out
}

/// An RTCP APP packet (RFC 3550 §6.7) of `ssrc`, name `IMSC`, carrying `data` (padded with
/// zeros to a multiple of 4 octets): a compound of one packet, enough to carry a marker the
/// far side can recognise.
pub fn rtcp_app(ssrc: u32, data: &[u8]) -> Vec<u8> {
    let mut d = data.to_vec();
    while d.len() % 4 != 0 {
        d.push(0);
    }
    let words = (12 + d.len()) / 4 - 1;
    let mut out = vec![0x80, 204];
    out.extend_from_slice(&(words as u16).to_be_bytes());
    out.extend_from_slice(&ssrc.to_be_bytes());
    out.extend_from_slice(b"IMSC");
    out.extend_from_slice(&d);
    out
}

/// The UE's SRTP contexts for one stream: it protects with its own key (what it offered or
/// answered) and opens with the P-CSCF's (what the P-CSCF answered or offered).
pub struct UeSrtp {
    /// Protects what the UE sends (the UE's key).
    pub tx: Session,
    /// Opens what the gateway sends (the P-CSCF's key).
    pub rx: Session,
    /// The UE's key as a receive context: media the gateway protected with it is a failure
    /// (`agw-reuse-ue-key`), so the peer tries it on what fails with `rx`.
    pub own: Session,
}

impl UeSrtp {
    /// From the two SDES lines' parameters (suite, first master key each).
    pub fn new(suite: Suite, ue_key: MasterKey, pcscf_key: MasterKey) -> Result<UeSrtp, String> {
        let s = |k: MasterKey| {
            Session::new(suite, k, crate::mech::srtp::Options::default()).map_err(|e| e.to_string())
        };
        Ok(UeSrtp {
            tx: s(ue_key.clone())?,
            rx: s(pcscf_key)?,
            own: s(ue_key)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    fn addr(port: u16) -> SocketAddr {
        let [a, b, c] = crate::lab::fresh_prefix();
        SocketAddr::new(IpAddr::V4(Ipv4Addr::new(a, b, c, 9)), port)
    }

    #[test]
    fn peers_exchange_rtp_and_rtcp_on_loopback() {
        let a_at = addr(41000);
        let b_at = SocketAddr::new(a_at.ip(), 41002);
        let mut a = MediaPeer::bind(a_at).expect("bind a");
        let mut b = MediaPeer::bind(b_at).expect("bind b");
        let rtp = rtp_packet(7, 1, 160, 0, b"hello");
        a.send(false, b_at, &rtp).expect("send rtp");
        a.send(true, b_at, &rtcp_app(7, b"hi")).expect("send rtcp");
        let got = b.expect(2, Duration::from_secs(2));
        assert_eq!(got.len(), 2);
        let r = got.iter().find(|s| !s.rtcp).expect("rtp arrived");
        assert_eq!(r.payload, rtp);
        assert_eq!(r.peer, a_at);
        let c = got.iter().find(|s| s.rtcp).expect("rtcp arrived");
        assert_eq!(c.peer, rtcp_of(a_at));
        assert_eq!(c.payload.len() % 4, 0);
        // The log has both directions.
        assert_eq!(a.log.iter().filter(|s| s.sent).count(), 2);
        assert_eq!(b.log.iter().filter(|s| !s.sent).count(), 2);
        // Bounded waits: nothing more comes.
        let t = Instant::now();
        assert!(b.listen(Duration::from_millis(100)).is_empty());
        assert!(t.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn rtp_and_rtcp_builders_follow_rfc3550() {
        // RFC 3550 §5.1: V=2, PT, seq, timestamp, SSRC in network order.
        let p = rtp_packet(0xdecafbad, 0x1234, 0xcafebabe, 15, &[0xab; 4]);
        assert_eq!(hex::encode(&p), "800f1234cafebabedecafbadabababab");
        // RFC 3550 §6.7: V=2, subtype 0, PT=204, length in words minus one, SSRC, name.
        let a = rtcp_app(1, b"xyz");
        assert_eq!(hex::encode(&a), "80cc000300000001494d534378797a00");
    }
}
