//! The `ipsec-3gpp` mechanism: RFC 3329 Appendix A as amended by TS 33.203 Annex H.
//!
//! ```text
//! mech-parameters   =/ algorithm / protocol / mode / encrypt-algorithm
//!                      / spi-c / spi-s / port-c / port-s
//! algorithm         = "alg" EQUAL ( "hmac-md5-96" / "hmac-sha-1-96" / "aes-gmac" / "null" )
//! protocol          = "prot" EQUAL ( "ah" / "esp" )
//! mode              = "mod" EQUAL ( "trans" / "tun" / "UDP-enc-tun" )
//! encrypt-algorithm = "ealg" EQUAL ( "des-ede3-cbc" / "aes-cbc" / "aes-gcm" / "null" )
//! spi-c / spi-s     = "spi-c" / "spi-s" EQUAL spivalue ; spivalue = 10DIGIT (0..4294967295)
//! port-c / port-s   = "port-c" / "port-s" EQUAL port
//! ```
//!
//! Defaults when absent (RFC 3329 Appendix A): `prot=esp`, `mod=trans`. A missing `ealg` means
//! no encryption (null); it is tolerated in lenient mode because pre-Release-6 style UEs omit
//! it, and named as a deviation. Real UEs send SPIs with fewer than 10 digits (the grammar's
//! `10DIGIT` is read by everyone as a decimal 32-bit number): a deviation, never an error.

use super::header::{Deviation, Mechanism, Mode, ParseError};
use super::qvalue::QValue;
use crate::mech::algorithms::{EncAlg, IntegAlg};

/// The mechanism name.
pub const IPSEC_3GPP: &str = "ipsec-3gpp";

/// `mod=`: how ESP is applied (TS 33.203 §7, Annex M for UDP-enc-tun).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum IpsecMode {
    /// `trans`: transport mode (no NAT).
    Transport,
    /// `tun`: tunnel mode (not used by TS 33.203, parsed for completeness).
    Tunnel,
    /// `UDP-enc-tun`: UDP-encapsulated tunnel mode (TS 33.203 Annex M, NAT traversal).
    UdpEncTunnel,
}

impl IpsecMode {
    /// The token.
    pub fn token(self) -> &'static str {
        match self {
            IpsecMode::Transport => "trans",
            IpsecMode::Tunnel => "tun",
            IpsecMode::UdpEncTunnel => "UDP-enc-tun",
        }
    }
    fn parse(s: &str) -> Option<Self> {
        [Self::Transport, Self::Tunnel, Self::UdpEncTunnel]
            .into_iter()
            .find(|m| m.token().eq_ignore_ascii_case(s))
    }
}

/// `prot=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum IpsecProto {
    Esp,
    Ah,
}

/// One typed `ipsec-3gpp` entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct IpsecOffer {
    pub q: Option<QValue>,
    pub alg: IntegAlg,
    pub ealg: EncAlg,
    pub prot: IpsecProto,
    pub mode: IpsecMode,
    pub spi_c: u32,
    pub spi_s: u32,
    pub port_c: u16,
    pub port_s: u16,
}

impl serde::Serialize for QValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

fn num<T: TryFrom<u64>>(
    m: &Mechanism,
    name: &str,
    idx: usize,
    max_digits: usize,
    devs: &mut Vec<Deviation>,
) -> Result<T, ParseError> {
    let v = m.value(name).ok_or_else(|| {
        ParseError::Syntax(format!("mechanism #{}: ipsec-3gpp without {name}", idx + 1))
    })?;
    if v.is_empty() || v.len() > 20 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::Syntax(format!(
            "mechanism #{}: {name}={v} is not a decimal number",
            idx + 1
        )));
    }
    let n: u64 = v.parse().map_err(|_| {
        ParseError::Syntax(format!("mechanism #{}: {name}={v} is too large", idx + 1))
    })?;
    if max_digits == 10 && v.len() != 10 {
        devs.push(Deviation {
            mechanism: Some(idx),
            what: format!(
                "{name}={v} has {} digits; the grammar says spivalue = 10DIGIT",
                v.len()
            ),
        });
    }
    T::try_from(n).map_err(|_| {
        ParseError::Syntax(format!(
            "mechanism #{}: {name}={v} is out of range",
            idx + 1
        ))
    })
}

impl IpsecOffer {
    /// Reads an `ipsec-3gpp` entry. `idx` is its position in the list (for messages).
    /// Returns the deviations found; in strict mode any deviation is an error.
    pub fn from_mechanism(
        m: &Mechanism,
        idx: usize,
        mode: Mode,
    ) -> Result<(IpsecOffer, Vec<Deviation>), ParseError> {
        if !m.name.eq_ignore_ascii_case(IPSEC_3GPP) {
            return Err(ParseError::Syntax(format!(
                "mechanism #{}: '{}' is not ipsec-3gpp",
                idx + 1,
                m.name
            )));
        }
        let mut devs = Vec::new();
        let alg_s = m.value("alg").ok_or_else(|| {
            ParseError::Syntax(format!("mechanism #{}: ipsec-3gpp without alg", idx + 1))
        })?;
        let alg: IntegAlg = alg_s
            .parse()
            .map_err(|e| ParseError::Syntax(format!("mechanism #{}: {e}", idx + 1)))?;
        let ealg = match m.value("ealg") {
            Some(e) => e
                .parse()
                .map_err(|e| ParseError::Syntax(format!("mechanism #{}: {e}", idx + 1)))?,
            None => {
                devs.push(Deviation {
                    mechanism: Some(idx),
                    what: "ealg absent: taken as null (no encryption)".into(),
                });
                EncAlg::Null
            }
        };
        for (p, tok) in [("alg", alg.name()), ("ealg", ealg.name())] {
            if let Some(v) = m.value(p) {
                if v != tok {
                    devs.push(Deviation {
                        mechanism: Some(idx),
                        what: format!("{p}={v} is not written as '{tok}'"),
                    });
                }
            }
        }
        let prot = match m.value("prot") {
            None => IpsecProto::Esp,
            Some(v) if v.eq_ignore_ascii_case("esp") => IpsecProto::Esp,
            Some(v) if v.eq_ignore_ascii_case("ah") => IpsecProto::Ah,
            Some(v) => {
                return Err(ParseError::Syntax(format!(
                    "mechanism #{}: prot={v} is neither esp nor ah",
                    idx + 1
                )))
            }
        };
        let ipmode = match m.value("mod") {
            None => IpsecMode::Transport,
            Some(v) => IpsecMode::parse(v).ok_or_else(|| {
                ParseError::Syntax(format!(
                    "mechanism #{}: mod={v} is not trans, tun or UDP-enc-tun",
                    idx + 1
                ))
            })?,
        };
        let spi_c = num::<u32>(m, "spi-c", idx, 10, &mut devs)?;
        let spi_s = num::<u32>(m, "spi-s", idx, 10, &mut devs)?;
        let port_c = num::<u16>(m, "port-c", idx, 5, &mut devs)?;
        let port_s = num::<u16>(m, "port-s", idx, 5, &mut devs)?;
        for (n, p) in [("port-c", port_c), ("port-s", port_s)] {
            if p == 0 {
                devs.push(Deviation {
                    mechanism: Some(idx),
                    what: format!("{n}=0 is not a usable port"),
                });
            }
        }
        if mode == Mode::Strict && !devs.is_empty() {
            return Err(ParseError::Deviations(devs));
        }
        Ok((
            IpsecOffer {
                q: m.q(),
                alg,
                ealg,
                prot,
                mode: ipmode,
                spi_c,
                spi_s,
                port_c,
                port_s,
            },
            devs,
        ))
    }

    /// The canonical entry, in the parameter order Kamailio and most UEs use.
    pub fn to_mechanism(&self) -> Mechanism {
        let mut m = Mechanism::new(IPSEC_3GPP);
        if let Some(q) = self.q {
            m = m.with("q", &q.to_string());
        }
        m.with(
            "prot",
            match self.prot {
                IpsecProto::Esp => "esp",
                IpsecProto::Ah => "ah",
            },
        )
        .with("mod", self.mode.token())
        .with("spi-c", &self.spi_c.to_string())
        .with("spi-s", &self.spi_s.to_string())
        .with("port-c", &self.port_c.to_string())
        .with("port-s", &self.port_s.to_string())
        .with("ealg", self.ealg.name())
        .with("alg", self.alg.name())
    }
}

/// One read `ipsec-3gpp` entry with its deviations, or why it could not be read.
pub type OfferResult = Result<(IpsecOffer, Vec<Deviation>), ParseError>;

/// Every `ipsec-3gpp` entry of a list, with the index of each; entries that cannot be read
/// (unknown algorithm, missing SPI) come back as errors so a caller can skip or reject them.
pub fn ipsec_offers(mechs: &[Mechanism], mode: Mode) -> Vec<(usize, OfferResult)> {
    mechs
        .iter()
        .enumerate()
        .filter(|(_, m)| m.name.eq_ignore_ascii_case(IPSEC_3GPP))
        .map(|(i, m)| (i, IpsecOffer::from_mechanism(m, i, mode)))
        .collect()
}
