//! The IMS SA set: the two pairs of unidirectional ESP SAs between UE and P-CSCF that one
//! successful sec-agree + IMS AKA produces (TS 33.203 §6.2/§6.3, §7.1, §7.2; Annex M.6/M.7
//! for UDP-encapsulated tunnel mode). Pure data: the per-SA crypto state is built by the
//! caller (e.g. `SaCrypto::new(sa.alg, sa.ealg, &sa.integ_key, &sa.enc_key, sa.salt_bytes())`).
//!
//! Notation of §7.1: the UE offers spi_uc/spi_us and port_uc/port_us (its `spi-c`, `spi-s`,
//! `port-c`, `port-s` in Security-Client); the P-CSCF answers with spi_pc/spi_ps and
//! port_pc/port_ps (Security-Server). Every SPI is chosen by the *receiver* of the traffic
//! it protects, so the four SAs are:
//!
//! | # | direction | selector ports | SPI |
//! |---|---|---|---|
//! | 1 | UE → P-CSCF (requests to the P-CSCF server port) | port_uc → port_ps | spi_ps |
//! | 2 | P-CSCF → UE (responses to them) | port_ps → port_uc | spi_uc |
//! | 3 | P-CSCF → UE (requests to the UE server port) | port_pc → port_us | spi_us |
//! | 4 | UE → P-CSCF (responses to them) | port_us → port_pc | spi_pc |
//!
//! Checked against OpenSIPS `proto_ipsec/ipsec.c` (`ipsec_sa_add`: client/server × in/out)
//! and Kamailio `ims_ipsec_pcscf`; the selector matches UDP and TCP alike ("all shared by
//! TCP and UDP", M.6.2), i.e. any transport protocol. All four SAs use the same CK_ESP /
//! IK_ESP ([`crate::mech::keys::expand`], Annex I).
//!
//! Lifetimes: §7.1 fixes the IPsec-level SA duration at 2^32-1 seconds (not negotiated);
//! the SIP-level lifetime of the set created on the 401 is the `reg-await-auth` timer
//! (TS 24.229, 4 minutes) until the registration succeeds, after which the set is promoted
//! to the registration's lifetime (TS 24.229 adds 30 s to the registration expiry; that
//! figure is taken as given by the caller, not computed here).
//!
//! SPI validation (§7.1, RFC 4303 §2.1): SPIs 0..=255 are never valid on the wire (0 is
//! reserved for local use, 1..=255 by IANA); the UE's two SPIs must differ; the P-CSCF's two
//! SPIs must differ from each other, from the UE's two SPIs (both ends may share one host /
//! IP stack) and from the SPIs of its other live inbound SAs.
//!
//! Deviation noted: rejecting `port_c == port_s` is not stated in the text we could check;
//! we only reject it when it makes two SAs of the set share a selector (then look-up by
//! selector would be ambiguous), plus port 0, which no transport can use.

use crate::mech::algorithms::{check_pair, EncAlg, IntegAlg, PairError};
use crate::mech::keys::{self, KeyError};
use std::net::IpAddr;

/// TS 33.203 §7.1: fixed IPsec SA duration (seconds).
pub const IPSEC_SA_DURATION_SECS: u32 = u32::MAX;
/// TS 24.229 timer reg-await-auth (4 minutes): SIP-level lifetime of a temporary set.
pub const REG_AWAIT_AUTH_SECS: u32 = 240;

/// The four ports and two SPIs one side offers (Security-Client / Security-Server).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    pub addr: IpAddr,
    /// Inbound SPI for traffic to this side's protected client port (`spi-c`).
    pub spi_c: u32,
    /// Inbound SPI for traffic to this side's protected server port (`spi-s`).
    pub spi_s: u32,
    /// Protected client port (`port-c`).
    pub port_c: u16,
    /// Protected server port (`port-s`).
    pub port_s: u16,
}

/// ESP mode (sec-agree `mod`): transport, or UDP-encapsulated tunnel (Annex M, RFC 3948).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `mod=trans` (no NAT).
    Transport,
    /// `mod=UDP-enc-tun`: ESP in UDP between the UE's (NAT-mapped) encapsulation port
    /// (port_Uenc, learned from the first protected packet, M.7) and the P-CSCF's (4500).
    UdpEncapTunnel {
        ue_encap_port: u16,
        pcscf_encap_port: u16,
    },
}

/// Which way an SA carries traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    UeToPcscf,
    PcscfToUe,
}

/// SIP-level lifetime state of a set (§7.2, §7.4; TS 24.229).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    /// Created on the 401 challenge; lives for reg-await-auth.
    Temporary { secs: u32 },
    /// After the successful registration.
    Promoted { secs: u32 },
}

/// One unidirectional SA, independent of any crypto implementation.
#[derive(Clone, PartialEq, Eq)]
pub struct SaParams {
    /// Row of the §7.1 table (1..=4, see module docs).
    pub index: u8,
    pub direction: Direction,
    pub spi: u32,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
    pub alg: IntegAlg,
    pub ealg: EncAlg,
    /// IK_ESP (empty for alg=null).
    pub integ_key: Vec<u8>,
    /// CK_ESP (empty for ealg=null).
    pub enc_key: Vec<u8>,
    /// GMAC/GCM salt (Annex I), if the pair has one.
    pub salt: Option<[u8; 4]>,
    pub mode: Mode,
    /// Outer UDP ports (source, destination) for UDP-encapsulated tunnel mode.
    pub encap_ports: Option<(u16, u16)>,
}

impl std::fmt::Debug for SaParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No key material in Debug output.
        f.debug_struct("SaParams")
            .field("index", &self.index)
            .field("direction", &self.direction)
            .field("spi", &self.spi)
            .field("src", &self.src)
            .field("dst", &self.dst)
            .field("sport", &self.sport)
            .field("dport", &self.dport)
            .field("alg", &self.alg)
            .field("ealg", &self.ealg)
            .field("mode", &self.mode)
            .field("encap_ports", &self.encap_ports)
            .finish_non_exhaustive()
    }
}

impl SaParams {
    /// The salt as a slice (empty when none).
    pub fn salt_bytes(&self) -> &[u8] {
        match &self.salt {
            Some(s) => s,
            None => &[],
        }
    }

    /// Whether a packet with these addresses/ports (any transport protocol) uses this SA.
    pub fn matches(&self, src: IpAddr, dst: IpAddr, sport: u16, dport: u16) -> bool {
        self.src == src && self.dst == dst && self.sport == sport && self.dport == dport
    }
}

/// Why a set cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SaSetError {
    #[error("{who} {which}={spi}: SPIs 0..=255 are reserved (RFC 4303 §2.1)")]
    ReservedSpi {
        who: &'static str,
        which: &'static str,
        spi: u32,
    },
    #[error("{who} offers spi-c = spi-s = {spi}; its two inbound SAs need distinct SPIs (TS 33.203 §7.1)")]
    SameSpi { who: &'static str, spi: u32 },
    #[error("P-CSCF SPI {spi} equals a UE SPI; the P-CSCF must pick SPIs different from the UE's (TS 33.203 §7.1)")]
    PcscfSpiEqualsUe { spi: u32 },
    #[error("P-CSCF SPI {spi} is already used by one of its live inbound SAs (TS 33.203 §7.1)")]
    PcscfSpiInUse { spi: u32 },
    #[error("{who} {which} is 0")]
    ZeroPort {
        who: &'static str,
        which: &'static str,
    },
    #[error("SAs {a} and {b} would share the selector {src}:{sport} -> {dst}:{dport}")]
    AmbiguousSelector {
        a: u8,
        b: u8,
        src: IpAddr,
        sport: u16,
        dst: IpAddr,
        dport: u16,
    },
    #[error("UE and P-CSCF addresses differ in family")]
    AddressFamily,
    #[error(transparent)]
    Pair(#[from] PairError),
    #[error(transparent)]
    Keys(#[from] KeyError),
}

/// Everything the set is built from.
#[derive(Clone)]
pub struct SaSetInput {
    pub ue: Endpoint,
    pub pcscf: Endpoint,
    pub alg: IntegAlg,
    pub ealg: EncAlg,
    pub mode: Mode,
    pub ck: [u8; 16],
    pub ik: [u8; 16],
}

/// The four SAs of one registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaSet {
    sas: [SaParams; 4],
    pub lifetime: Lifetime,
}

fn check_spi(who: &'static str, which: &'static str, spi: u32) -> Result<(), SaSetError> {
    if spi <= 255 {
        Err(SaSetError::ReservedSpi { who, which, spi })
    } else {
        Ok(())
    }
}

fn check_endpoint(who: &'static str, e: &Endpoint) -> Result<(), SaSetError> {
    check_spi(who, "spi-c", e.spi_c)?;
    check_spi(who, "spi-s", e.spi_s)?;
    if e.spi_c == e.spi_s {
        return Err(SaSetError::SameSpi { who, spi: e.spi_c });
    }
    if e.port_c == 0 {
        return Err(SaSetError::ZeroPort {
            who,
            which: "port-c",
        });
    }
    if e.port_s == 0 {
        return Err(SaSetError::ZeroPort {
            who,
            which: "port-s",
        });
    }
    Ok(())
}

/// §7.1 checks of the P-CSCF's SPI choice against the UE's offer and its live inbound SPIs
/// (usable by a P-CSCF before answering, or by a UE-side test judging the answer).
pub fn validate_pcscf_spis(
    ue: &Endpoint,
    pcscf: &Endpoint,
    live_pcscf_spis: &[u32],
) -> Result<(), SaSetError> {
    check_endpoint("UE", ue)?;
    check_endpoint("P-CSCF", pcscf)?;
    for spi in [pcscf.spi_c, pcscf.spi_s] {
        if spi == ue.spi_c || spi == ue.spi_s {
            return Err(SaSetError::PcscfSpiEqualsUe { spi });
        }
        if live_pcscf_spis.contains(&spi) {
            return Err(SaSetError::PcscfSpiInUse { spi });
        }
    }
    Ok(())
}

impl SaSet {
    /// Builds the temporary set (lifetime reg-await-auth) after validating the SPIs
    /// ([`validate_pcscf_spis`]) and expanding the keys (Annex I).
    pub fn build(input: &SaSetInput, live_pcscf_spis: &[u32]) -> Result<SaSet, SaSetError> {
        validate_pcscf_spis(&input.ue, &input.pcscf, live_pcscf_spis)?;
        Self::build_unchecked(input)
    }

    /// Builds the set without the §7.1 SPI checks (address family, algorithm pair and keys
    /// are still checked). Only for the flawed P-CSCF variant `reuse-ue-spi`, which must be
    /// able to commit the very mistake the reflection check looks for.
    pub fn build_unchecked(input: &SaSetInput) -> Result<SaSet, SaSetError> {
        let (ue, pc) = (&input.ue, &input.pcscf);
        if ue.addr.is_ipv4() != pc.addr.is_ipv4() {
            return Err(SaSetError::AddressFamily);
        }
        check_pair(input.alg, input.ealg)?;
        let k = keys::expand(&input.ck, &input.ik, input.alg, input.ealg)?;
        let sa = |index: u8, direction: Direction, spi: u32, sport: u16, dport: u16| {
            let (src, dst) = match direction {
                Direction::UeToPcscf => (ue.addr, pc.addr),
                Direction::PcscfToUe => (pc.addr, ue.addr),
            };
            let encap_ports = match (input.mode, direction) {
                (Mode::Transport, _) => None,
                (
                    Mode::UdpEncapTunnel {
                        ue_encap_port,
                        pcscf_encap_port,
                    },
                    Direction::UeToPcscf,
                ) => Some((ue_encap_port, pcscf_encap_port)),
                (
                    Mode::UdpEncapTunnel {
                        ue_encap_port,
                        pcscf_encap_port,
                    },
                    Direction::PcscfToUe,
                ) => Some((pcscf_encap_port, ue_encap_port)),
            };
            SaParams {
                index,
                direction,
                spi,
                src,
                dst,
                sport,
                dport,
                alg: input.alg,
                ealg: input.ealg,
                integ_key: k.ik_esp.clone(),
                enc_key: k.ck_esp.clone(),
                salt: k.salt,
                mode: input.mode,
                encap_ports,
            }
        };
        let sas = [
            sa(1, Direction::UeToPcscf, pc.spi_s, ue.port_c, pc.port_s),
            sa(2, Direction::PcscfToUe, ue.spi_c, pc.port_s, ue.port_c),
            sa(3, Direction::PcscfToUe, ue.spi_s, pc.port_c, ue.port_s),
            sa(4, Direction::UeToPcscf, pc.spi_c, ue.port_s, pc.port_c),
        ];
        for (i, a) in sas.iter().enumerate() {
            for b in sas.iter().skip(i + 1) {
                if a.matches(b.src, b.dst, b.sport, b.dport) {
                    return Err(SaSetError::AmbiguousSelector {
                        a: a.index,
                        b: b.index,
                        src: a.src,
                        sport: a.sport,
                        dst: a.dst,
                        dport: a.dport,
                    });
                }
            }
        }
        Ok(SaSet {
            sas,
            lifetime: Lifetime::Temporary {
                secs: REG_AWAIT_AUTH_SECS,
            },
        })
    }

    /// The four SAs, in the order of the §7.1 table (rows 1..=4).
    pub fn sas(&self) -> &[SaParams; 4] {
        &self.sas
    }

    /// Promotes the set after the successful registration (§7.2; TS 24.229 lifetime).
    pub fn promote(&mut self, secs: u32) {
        self.lifetime = Lifetime::Promoted { secs };
    }

    /// The SA whose SPI (and destination address) an inbound packet names.
    pub fn by_spi(&self, dst: IpAddr, spi: u32) -> Option<&SaParams> {
        self.sas.iter().find(|s| s.spi == spi && s.dst == dst)
    }

    /// The SA that protects an outbound packet with these addresses and ports.
    pub fn by_selector(
        &self,
        src: IpAddr,
        dst: IpAddr,
        sport: u16,
        dport: u16,
    ) -> Option<&SaParams> {
        self.sas.iter().find(|s| s.matches(src, dst, sport, dport))
    }

    /// The SAs that carry traffic in `direction` (the two outbound SAs of one side).
    pub fn in_direction(&self, direction: Direction) -> impl Iterator<Item = &SaParams> {
        self.sas.iter().filter(move |s| s.direction == direction)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const UE_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
    const PC_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));

    fn input() -> SaSetInput {
        SaSetInput {
            ue: Endpoint {
                addr: UE_IP,
                spi_c: 1111,
                spi_s: 2222,
                port_c: 5100,
                port_s: 5101,
            },
            pcscf: Endpoint {
                addr: PC_IP,
                spi_c: 3333,
                spi_s: 4444,
                port_c: 5200,
                port_s: 5201,
            },
            alg: IntegAlg::HmacSha1_96,
            ealg: EncAlg::AesCbc,
            mode: Mode::Transport,
            ck: [0x11; 16],
            ik: [0x22; 16],
        }
    }

    /// The §7.1 table, row by row, with literal expected numbers.
    #[test]
    fn four_sas_as_in_the_table() {
        let set = SaSet::build(&input(), &[]).unwrap();
        let rows: Vec<_> = set
            .sas()
            .iter()
            .map(|s| (s.index, s.src, s.sport, s.dst, s.dport, s.spi))
            .collect();
        assert_eq!(
            rows,
            vec![
                (1, UE_IP, 5100, PC_IP, 5201, 4444),
                (2, PC_IP, 5201, UE_IP, 5100, 1111),
                (3, PC_IP, 5200, UE_IP, 5101, 2222),
                (4, UE_IP, 5101, PC_IP, 5200, 3333),
            ]
        );
        assert_eq!(
            set.lifetime,
            Lifetime::Temporary {
                secs: REG_AWAIT_AUTH_SECS
            }
        );
        // Annex I for sha1: IK || 0^32; aes-cbc: CK.
        let mut ik = vec![0x22; 16];
        ik.extend_from_slice(&[0; 4]);
        for s in set.sas() {
            assert_eq!(s.integ_key, ik);
            assert_eq!(s.enc_key, vec![0x11; 16]);
            assert_eq!(s.salt, None);
        }
    }

    #[test]
    fn lookups() {
        let set = SaSet::build(&input(), &[]).unwrap();
        assert_eq!(set.by_spi(PC_IP, 4444).map(|s| s.index), Some(1));
        assert_eq!(set.by_spi(UE_IP, 4444).map(|s| s.index), None);
        assert_eq!(set.by_spi(UE_IP, 2222).map(|s| s.index), Some(3));
        assert_eq!(
            set.by_selector(UE_IP, PC_IP, 5101, 5200).map(|s| s.spi),
            Some(3333)
        );
        assert!(set.by_selector(UE_IP, PC_IP, 5101, 5201).is_none());
        let out: Vec<u8> = set
            .in_direction(Direction::PcscfToUe)
            .map(|s| s.index)
            .collect();
        assert_eq!(out, vec![2, 3]);
    }

    #[test]
    fn promote() {
        let mut set = SaSet::build(&input(), &[]).unwrap();
        set.promote(600_030);
        assert_eq!(set.lifetime, Lifetime::Promoted { secs: 600_030 });
    }

    #[test]
    fn encap_ports_follow_direction() {
        let mut i = input();
        i.mode = Mode::UdpEncapTunnel {
            ue_encap_port: 34567,
            pcscf_encap_port: 4500,
        };
        let set = SaSet::build(&i, &[]).unwrap();
        assert_eq!(set.sas()[0].encap_ports, Some((34567, 4500)));
        assert_eq!(set.sas()[1].encap_ports, Some((4500, 34567)));
    }

    #[test]
    fn gcm_set_carries_salt() {
        let mut i = input();
        i.alg = IntegAlg::Null;
        i.ealg = EncAlg::AesGcm;
        let set = SaSet::build(&i, &[]).unwrap();
        assert!(set.sas().iter().all(|s| s.salt.is_some()));
        assert!(set.sas().iter().all(|s| s.integ_key.is_empty()));
    }

    #[test]
    fn spi_rules() {
        let mut i = input();
        i.ue.spi_c = 255;
        assert!(matches!(
            SaSet::build(&i, &[]),
            Err(SaSetError::ReservedSpi { spi: 255, .. })
        ));
        let mut i = input();
        i.pcscf.spi_s = 0;
        assert!(matches!(
            SaSet::build(&i, &[]),
            Err(SaSetError::ReservedSpi { spi: 0, .. })
        ));
        let mut i = input();
        i.pcscf.spi_c = i.pcscf.spi_s;
        assert!(matches!(
            SaSet::build(&i, &[]),
            Err(SaSetError::SameSpi { who: "P-CSCF", .. })
        ));
        let mut i = input();
        i.pcscf.spi_c = i.ue.spi_s;
        assert_eq!(
            SaSet::build(&i, &[]).unwrap_err(),
            SaSetError::PcscfSpiEqualsUe { spi: 2222 }
        );
        assert_eq!(
            SaSet::build(&input(), &[9, 4444]).unwrap_err(),
            SaSetError::PcscfSpiInUse { spi: 4444 }
        );
        let mut i = input();
        i.ue.spi_s = 256;
        assert!(SaSet::build(&i, &[]).is_ok());
    }

    #[test]
    fn ports_and_pairs() {
        let mut i = input();
        i.ue.port_s = 0;
        assert!(matches!(
            SaSet::build(&i, &[]),
            Err(SaSetError::ZeroPort { .. })
        ));
        // Same client/server port on both sides: SA 1 and SA 4 would share a selector.
        let mut i = input();
        i.ue.port_s = i.ue.port_c;
        i.pcscf.port_c = i.pcscf.port_s;
        assert!(matches!(
            SaSet::build(&i, &[]),
            Err(SaSetError::AmbiguousSelector { a: 1, b: 4, .. })
        ));
        let mut i = input();
        i.alg = IntegAlg::Null;
        i.ealg = EncAlg::Null;
        assert_eq!(
            SaSet::build(&i, &[]).unwrap_err(),
            SaSetError::Pair(PairError::NullNull)
        );
        let mut i = input();
        i.pcscf.addr = "2001:db8::1".parse().unwrap();
        assert_eq!(
            SaSet::build(&i, &[]).unwrap_err(),
            SaSetError::AddressFamily
        );
    }
}
