//! Passive IKEv2 verdicts (TS 33.210 Za; issue #10): every IKE message on UDP 500, or on
//! UDP 4500 behind the non-ESP marker (RFC 3948 §2.2), is judged with
//! [`crate::mech::ikev2::judge_message`]. A proposal offering, or a response selecting, an
//! ESP or IKE SA without encryption (ENCR_NULL, ENCR_NULL_AUTH_AES_GMAC, no ENCR transform)
//! fails `ike_no_sa_without_encryption`: seed 000 (TS 33.210 excerpt, clause C.2) "IPSec ESP
//! shall be used with both encryption and integrity protection for all SIP signalling
//! traversing inter-security domain boundaries", "integrity-only mode is NOT permited".
//!
//! Encrypted payloads (SK, RFC 7296 §3.14: IKE_AUTH, CREATE_CHILD_SA carry the child SA
//! proposals there) are opened, ICV checked, with keys from `--ike-keys`: tcpdump's `-E`
//! secrets lines (`ikev2 I|R SPIi SPIr integ:0xKEY encr:0xKEY`, I = the keys of the
//! original initiator's messages) or Wireshark's `ikev2_decryption_table` UAT lines (what
//! strongSwan's save-keys plugin writes). Without keys the check judges what is visible and
//! is `inconclusive` when an encrypted message could not be opened (its child SAs are
//! unseen), never `pass`.

use super::hooks::{Packet, PassiveHook};
use super::verdicts::Outcome;
use crate::engine::model::Verdict;
use crate::mech::ikev2::consts::{exchange, payload as pt};
use crate::mech::ikev2::crypto::{Encr, Integ};
use crate::mech::ikev2::{judge_message, judge_proposals, open, IkeError, Message, SkKeys};

/// Check id.
pub const CHECK: &str = "ike_no_sa_without_encryption";
const MAX_FRAMES: usize = 50;
const MAX_WARNINGS: usize = 20;

/// Keys of one direction of one IKE SA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IkeKey {
    pub spi_i: u64,
    pub spi_r: u64,
    /// Keys of the messages the original initiator sends (SK_ei/SK_ai), else the responder's.
    pub initiator: bool,
    pub encr: Encr,
    pub integ: Integ,
    pub ek: Vec<u8>,
    pub ak: Vec<u8>,
}

fn encr_of(name: &str, key_len: usize) -> Option<Encr> {
    let n = name.to_ascii_lowercase();
    if n.starts_with("null") {
        return Some(Encr::Null);
    }
    if n.starts_with("aes") && (n.contains("cbc") || !n.contains("ctr") && !n.contains("gcm")) {
        let bits = u16::try_from(key_len * 8).ok()?;
        return matches!(bits, 128 | 256).then_some(Encr::AesCbc { key_bits: bits });
    }
    None
}

fn integ_of(name: &str) -> Option<Integ> {
    let n = name.to_ascii_lowercase().replace(['-', '_'], "");
    if n.contains("sha1") {
        Some(Integ::HmacSha1_96)
    } else if n.contains("sha2256") || n.contains("sha256") {
        Some(Integ::HmacSha256_128)
    } else {
        None
    }
}

fn hex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim().trim_matches('"');
    let s = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    crate::hexarg::decode(s).ok()
}

fn spi(s: &str) -> Option<u64> {
    let b = hex(s)?;
    (b.len() == 8).then(|| b.iter().fold(0u64, |a, x| (a << 8) | u64::from(*x)))
}

/// One tcpdump `ikev2 I|R ...` line.
fn tcpdump_line(l: &str) -> Option<IkeKey> {
    let mut w = l.split_whitespace();
    (w.next()? == "ikev2").then_some(())?;
    let initiator = match w.next()? {
        "I" | "i" => true,
        "R" | "r" => false,
        _ => return None,
    };
    let (spi_i, spi_r) = (spi(w.next()?)?, spi(w.next()?)?);
    let (mut encr, mut integ) = (None, None);
    for t in w {
        let (name, key) = t.split_once(':')?;
        let key = hex(key)?;
        if let Some(i) = integ_of(name) {
            integ = Some((i, key));
        } else {
            encr = Some((encr_of(name, key.len())?, key));
        }
    }
    let ((encr, ek), (integ, ak)) = (encr?, integ?);
    Some(IkeKey {
        spi_i,
        spi_r,
        initiator,
        encr,
        integ,
        ek,
        ak,
    })
}

/// One Wireshark `ikev2_decryption_table` line: SPIi, SPIr, SK_ei, SK_er, encryption
/// algorithm, SK_ai, SK_ar, integrity algorithm (both directions).
fn uat_line(l: &str) -> Option<[IkeKey; 2]> {
    let f: Vec<&str> = l.split(',').map(|x| x.trim().trim_matches('"')).collect();
    let [si, sr, ei, er, ealg, ai, ar, ialg] = f.as_slice() else {
        return None;
    };
    let (spi_i, spi_r) = (spi(si)?, spi(sr)?);
    let (ei, er, ai, ar) = (hex(ei)?, hex(er)?, hex(ai)?, hex(ar)?);
    let encr = encr_of(ealg, ei.len())?;
    let integ = integ_of(ialg)?;
    let k = |initiator, ek: Vec<u8>, ak: Vec<u8>| IkeKey {
        spi_i,
        spi_r,
        initiator,
        encr,
        integ,
        ek,
        ak,
    };
    Some([k(true, ei, ai), k(false, er, ar)])
}

/// A strongSwan-style dump block (`Initiator SPI: …`, `Responder SPI: …`, `Sk_ai secret: …`,
/// `Sk_ar`, `Sk_ei`, `Sk_er`): it names no algorithm, so they follow from the key lengths
/// (SK_e 16/32 octets: AES-CBC-128/256; SK_a 20: HMAC-SHA1-96, 32: HMAC-SHA2-256-128). A wrong
/// guess cannot pass unnoticed: the ICV, or the payload chain, does not verify.
#[derive(Default)]
struct Block {
    spi_i: Option<u64>,
    spi_r: Option<u64>,
    /// ai, ar, ei, er.
    k: [Option<Vec<u8>>; 4],
}

impl Block {
    /// Takes a line; true when it belongs to a block.
    fn line(&mut self, l: &str) -> bool {
        let Some((name, value)) = l.split_once(':') else {
            return false;
        };
        let name = name.trim().to_ascii_lowercase();
        let slot = match name.as_str() {
            "initiator spi" => return spi(value).map(|v| self.spi_i = Some(v)).is_some(),
            "responder spi" => return spi(value).map(|v| self.spi_r = Some(v)).is_some(),
            "sk_ai secret" => 0,
            "sk_ar secret" => 1,
            "sk_ei secret" => 2,
            "sk_er secret" => 3,
            _ => return false,
        };
        match (hex(value), self.k.get_mut(slot)) {
            (Some(v), Some(s)) => {
                *s = Some(v);
                true
            }
            _ => false,
        }
    }

    /// Both directions once the block is complete.
    fn take(&mut self) -> Option<[IkeKey; 2]> {
        let (Some(spi_i), Some(spi_r), [Some(ai), Some(ar), Some(ei), Some(er)]) =
            (self.spi_i, self.spi_r, &self.k)
        else {
            return None;
        };
        let integ = match ai.len() {
            20 => Integ::HmacSha1_96,
            32 => Integ::HmacSha256_128,
            _ => return None,
        };
        let encr = encr_of("aes-cbc", ei.len())?;
        let k = |initiator, ek: &Vec<u8>, ak: &Vec<u8>| IkeKey {
            spi_i,
            spi_r,
            initiator,
            encr,
            integ,
            ek: ek.clone(),
            ak: ak.clone(),
        };
        let out = [k(true, ei, ai), k(false, er, ar)];
        *self = Block::default();
        Some(out)
    }
}

/// Parses an `--ike-keys` file: the keys and the numbers (1-based) of lines not understood.
/// Empty lines and `#` comments are skipped.
pub fn parse_ike_keys(text: &str) -> (Vec<IkeKey>, Vec<usize>) {
    let (mut keys, mut bad) = (Vec::new(), Vec::new());
    let mut block = Block::default();
    for (i, l) in text.lines().enumerate() {
        let l = l.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        if block.line(l) {
            if let Some(ks) = block.take() {
                keys.extend(ks);
            }
        } else if let Some(k) = tcpdump_line(l) {
            keys.push(k);
        } else if let Some(ks) = uat_line(l) {
            keys.extend(ks);
        } else {
            bad.push(i + 1);
        }
    }
    (keys, bad)
}

/// The IKEv2 hook.
#[derive(Debug, Default)]
pub struct IkeHook {
    keys: Vec<IkeKey>,
    messages: u64,
    by_exchange: [u64; 4],
    malformed: u64,
    sa_judged: u64,
    sealed_unopened: u64,
    opened: u64,
    icv_bad: u64,
    findings: Vec<String>,
    fail_frames: Vec<u64>,
    unopened_frames: Vec<u64>,
    warnings: Vec<String>,
}

impl IkeHook {
    pub fn new(keys: Vec<IkeKey>) -> Self {
        IkeHook {
            keys,
            ..Default::default()
        }
    }

    fn key_for(&self, m: &Message) -> Option<SkKeys<'_>> {
        let k = self.keys.iter().find(|k| {
            k.spi_i == m.header.spi_i
                && k.spi_r == m.header.spi_r
                && k.initiator == m.header.is_initiator()
        })?;
        Some(SkKeys {
            encr: k.encr,
            integ: k.integ,
            ek: &k.ek,
            ak: &k.ak,
        })
    }

    fn warn(&mut self, w: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(w);
        }
    }
}

/// The IKE message of a datagram: on 500 the payload, on 4500 after the non-ESP marker.
fn ike_bytes<'a>(p: &Packet<'a>) -> Option<&'a [u8]> {
    let ports = [p.src.port(), p.dst.port()];
    if ports.contains(&500) {
        Some(p.payload)
    } else if ports.contains(&4500) {
        match p.payload {
            [0, 0, 0, 0, rest @ ..] if rest.len() >= 28 => Some(rest),
            _ => None,
        }
    } else {
        None
    }
}

impl PassiveHook for IkeHook {
    fn wants(&self, p: &Packet<'_>) -> bool {
        !p.tcp && ike_bytes(p).is_some()
    }

    fn packet(&mut self, p: &Packet<'_>) {
        let Some(bytes) = ike_bytes(p) else {
            return;
        };
        let Ok(m) = Message::parse(bytes) else {
            self.malformed += 1;
            return;
        };
        self.messages += 1;
        if let Some(n) = usize::from(m.header.exchange)
            .checked_sub(usize::from(exchange::IKE_SA_INIT))
            .and_then(|i| self.by_exchange.get_mut(i))
        {
            *n += 1;
        }
        let sealed = m.payloads.last().map(|x| x.kind()) == Some(pt::SK);
        let key = if sealed { self.key_for(&m) } else { None };
        let has_key = key.is_some();
        let mut result = judge_message(bytes, key);
        if let (Err(IkeError::IcvMismatch), Some(k)) = (&result, key) {
            // The keys decrypt but the ICV does not verify: judged on the decrypted
            // payloads all the same (what the peer sent), said in the summary.
            if let Ok(o) = open(bytes, k, false) {
                self.icv_bad += 1;
                self.warn(format!(
                    "frame {}: IKEv2 ICV does not verify with the given keys; payloads judged unauthenticated",
                    p.frame
                ));
                result = Ok((
                    m.header.exchange,
                    judge_proposals(&o.payloads, m.header.is_response()),
                ));
            }
        }
        let visible_sa =
            |payloads: &[crate::mech::ikev2::Payload]| payloads.iter().any(|x| x.kind() == pt::SA);
        match result {
            Ok((_, findings)) => {
                if sealed && !has_key {
                    self.sealed_unopened += 1;
                    if self.unopened_frames.len() < MAX_FRAMES {
                        self.unopened_frames.push(p.frame);
                    }
                } else if sealed {
                    self.opened += 1;
                }
                if visible_sa(&m.payloads) || (sealed && has_key) {
                    self.sa_judged += 1;
                }
                if !findings.is_empty() {
                    if self.fail_frames.len() < MAX_FRAMES {
                        self.fail_frames.push(p.frame);
                    }
                    for f in findings {
                        if self.findings.len() < MAX_FRAMES {
                            self.findings
                                .push(format!("frame {}: {} {:?}", p.frame, f.description, f.role));
                        }
                    }
                }
            }
            Err(e) => {
                if sealed {
                    self.sealed_unopened += 1;
                    if self.unopened_frames.len() < MAX_FRAMES {
                        self.unopened_frames.push(p.frame);
                    }
                    self.warn(format!(
                        "frame {}: IKEv2 encrypted payload not opened with the given keys: {e}",
                        p.frame
                    ));
                } else {
                    self.malformed += 1;
                }
            }
        }
    }

    fn finish(&mut self) -> Vec<Outcome> {
        let [init, auth, child, info] = self.by_exchange;
        let seen = format!(
            "{} IKEv2 message(s): {init} IKE_SA_INIT, {auth} IKE_AUTH, {child} CREATE_CHILD_SA, {info} INFORMATIONAL; {} encrypted opened ({} with an ICV that does not verify), {} not opened{}",
            self.messages,
            self.opened,
            self.icv_bad,
            self.sealed_unopened,
            if self.malformed > 0 { format!(", {} malformed", self.malformed) } else { String::new() }
        );
        let (verdict, summary, frames) = if self.messages == 0 {
            (
                Verdict::NotApplicable,
                "no IKEv2 message in the capture".to_string(),
                vec![],
            )
        } else if !self.findings.is_empty() {
            (
                Verdict::Fail,
                format!(
                    "an SA without encryption was offered or selected (TS 33.210 Za, seed 000: ESP with encryption and integrity): {}; {seen}",
                    self.findings.join("; ")
                ),
                self.fail_frames.clone(),
            )
        } else if self.sealed_unopened > 0 {
            (
                Verdict::Inconclusive,
                format!("no SA without encryption in what is visible, but encrypted messages were not opened (child SAs unseen; give --ike-keys); {seen}"),
                self.unopened_frames.clone(),
            )
        } else if self.sa_judged == 0 {
            (
                Verdict::Inconclusive,
                format!("no SA payload seen; {seen}"),
                vec![],
            )
        } else {
            (
                Verdict::Pass,
                format!("every SA offered or selected has encryption; {seen}"),
                vec![],
            )
        };
        vec![Outcome {
            id: CHECK,
            verdict,
            summary,
            frames,
        }]
    }

    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_lines() {
        let (k, bad) = parse_ike_keys(
            "# c\nikev2 I 0x0001020304050607 0xc02e7a3031a03188 sha1:0x4ea8e662b07cdd430f6944c6723e4b82d5722418 aes128:0x3f44bf47cafd8150591deb088199fcbf\n\
             0001020304050607,c02e7a3031a03188,00112233445566778899aabbccddeeff,ffeeddccbbaa99887766554433221100,\"AES-CBC-128 [RFC3602]\",0102030405060708090a0b0c0d0e0f1011121314,1112131415161718191a1b1c1d1e1f2021222324,\"HMAC_SHA1_96 [RFC2404]\"\n\
             ikev2 X 1 2\n",
        );
        assert_eq!(bad, vec![4]);
        assert_eq!(k.len(), 3);
        assert_eq!((k[0].spi_r, k[0].initiator), (0xc02e7a3031a03188, true));
        assert_eq!(k[0].encr, Encr::AesCbc { key_bits: 128 });
        assert_eq!((k[0].integ, k[0].ak.len()), (Integ::HmacSha1_96, 20));
        assert_eq!((k[2].initiator, k[2].ek[0]), (false, 0xff));
    }

    #[test]
    fn strongswan_block() {
        let (k, bad) = parse_ike_keys(
            "Initiator SPI: d5111ab085365c17\nResponder SPI: aa5bc1e3aeb8711e\n\
             Sk_ai secret: B1A71C7DDB69196D812A00F1B34E4E19805D2B32\n\
             Sk_ar secret: 2674D0B7614CA005D1CE5ED2460B52EF23B20D35\n\
             Sk_ei secret: 6C83328687E80D42F17E8F91E9AAF21A69D79E5B64E9F1D3B7A57AA46423BB9C\n\
             Sk_er secret: 3B926956A4B929A39E69022F0AC0CA23B7E9434383EC662D47FBBED2B70415DC\n\
             adding inbound ESP SA\n",
        );
        assert_eq!(bad, vec![7]);
        assert_eq!(k.len(), 2);
        assert_eq!((k[0].spi_i, k[0].initiator), (0xd5111ab085365c17, true));
        assert_eq!(k[1].encr, Encr::AesCbc { key_bits: 256 });
        assert_eq!((k[1].integ, k[1].ak[0]), (Integ::HmacSha1_96, 0x26));
    }

    #[test]
    fn no_ike_is_not_applicable() {
        let mut h = IkeHook::default();
        assert_eq!(h.finish()[0].verdict, Verdict::NotApplicable);
    }
}
