//! Whole IKE messages: header plus payload chain (RFC 7296 §3.1–3.2), and the Encrypted
//! and Authenticated payload (§3.14): seal and open.

use super::consts::payload as pt;
use super::crypto::{Encr, Integ};
use super::generic::GENERIC_LEN;
use super::header::{Header, HeaderRepr, HEADER_LEN};
use super::payloads::{emit_chain, parse_chain, Payload};
use super::IkeError;

/// A parsed IKE message. When it carries an SK payload it is the last one, still sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub header: HeaderRepr,
    pub payloads: Vec<Payload>,
}

impl Message {
    /// Parses a message (outer level; an SK payload stays sealed).
    pub fn parse(bytes: &[u8]) -> Result<Message, IkeError> {
        let h = Header::new_checked(bytes)?;
        let header = HeaderRepr::parse(&h)?;
        let payloads = parse_chain(header.next_payload, h.payloads())?;
        if let Some(i) = payloads.iter().position(|p| p.kind() == pt::SK) {
            if i + 1 != payloads.len() {
                return Err(IkeError::Malformed("SK is not the last payload"));
            }
        }
        Ok(Message { header, payloads })
    }

    /// Emits the message in clear; Next Payload and Length are computed.
    pub fn emit(&self) -> Result<Vec<u8>, IkeError> {
        let mut body = Vec::new();
        emit_chain(&self.payloads, &mut body)?;
        let mut h = self.header;
        h.next_payload = self.payloads.first().map(Payload::kind).unwrap_or(pt::NONE);
        h.length =
            u32::try_from(HEADER_LEN + body.len()).map_err(|_| IkeError::TooLong("message"))?;
        let mut out = Vec::with_capacity(h.length as usize);
        h.emit(&mut out);
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// The first Notify of type `kind`.
    pub fn notify(&self, kind: u16) -> Option<&Payload> {
        self.payloads
            .iter()
            .find(|p| matches!(p, Payload::Notify { kind: k, .. } if *k == kind))
    }
    /// Notify types that are errors (< 16384, §3.10.1).
    pub fn error_notifies(&self) -> Vec<u16> {
        self.payloads
            .iter()
            .filter_map(|p| match p {
                Payload::Notify { kind, .. } if *kind < 16384 => Some(*kind),
                _ => None,
            })
            .collect()
    }
    /// The SA payload's proposals, if any.
    pub fn sa(&self) -> Option<&Vec<super::sa::Proposal>> {
        self.payloads.iter().find_map(|p| match p {
            Payload::Sa(v) => Some(v),
            _ => None,
        })
    }
    pub fn nonce(&self) -> Option<&[u8]> {
        self.payloads.iter().find_map(|p| match p {
            Payload::Nonce(n) => Some(n.as_slice()),
            _ => None,
        })
    }
    pub fn ke(&self) -> Option<(u16, &[u8])> {
        self.payloads.iter().find_map(|p| match p {
            Payload::Ke { group, data } => Some((*group, data.as_slice())),
            _ => None,
        })
    }
}

/// Keys and transforms protecting one direction of an IKE SA.
#[derive(Clone, Copy)]
pub struct SkKeys<'a> {
    pub encr: Encr,
    pub integ: Integ,
    pub ek: &'a [u8],
    pub ak: &'a [u8],
}

/// Builds a message whose only payload is SK around `inner` (§3.14): IV, then the inner
/// payloads, padding (zero octets) and Pad Length encrypted, then the ICV over the whole
/// message up to it. `iv` must have the cipher's IV length (passed in: no RNG here).
pub fn seal(
    header: HeaderRepr,
    inner: &[Payload],
    k: SkKeys<'_>,
    iv: &[u8],
) -> Result<Vec<u8>, IkeError> {
    if iv.len() != k.encr.iv_len() {
        return Err(IkeError::Crypto(format!(
            "IV of {} octets, the cipher needs {}",
            iv.len(),
            k.encr.iv_len()
        )));
    }
    let mut plain = Vec::new();
    emit_chain(inner, &mut plain)?;
    let bl = k.encr.block_len();
    let pad = (bl - (plain.len() + 1) % bl) % bl;
    plain.extend(std::iter::repeat_n(0u8, pad));
    plain.push(pad as u8);
    k.encr.encrypt(k.ek, iv, &mut plain)?;
    let icv_len = k.integ.icv_len();
    let sk_len = GENERIC_LEN + iv.len() + plain.len() + icv_len;
    let total = HEADER_LEN + sk_len;
    let mut h = header;
    h.next_payload = pt::SK;
    h.length = u32::try_from(total).map_err(|_| IkeError::TooLong("message"))?;
    let mut out = Vec::with_capacity(total);
    h.emit(&mut out);
    out.push(inner.first().map(Payload::kind).unwrap_or(pt::NONE));
    out.push(0);
    out.extend_from_slice(
        &u16::try_from(sk_len)
            .map_err(|_| IkeError::TooLong("SK"))?
            .to_be_bytes(),
    );
    out.extend_from_slice(iv);
    out.extend_from_slice(&plain);
    let icv = k.integ.mac(k.ak, &out);
    out.extend_from_slice(&icv);
    Ok(out)
}

/// What [`open`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub header: HeaderRepr,
    /// Payloads before SK (normally none) followed by the decrypted inner payloads.
    pub payloads: Vec<Payload>,
    /// Whether the ICV matched (always true when `check_icv` was set).
    pub icv_ok: bool,
}

/// Verifies (when `check_icv`) and decrypts the SK payload of `bytes` (§3.14). Without
/// `check_icv` a bad ICV is reported in [`Opened::icv_ok`] instead of an error (for captures
/// whose integrity keys are not the right ones).
pub fn open(bytes: &[u8], k: SkKeys<'_>, check_icv: bool) -> Result<Opened, IkeError> {
    let msg = Message::parse(bytes)?;
    let Some(Payload::Sk { inner_first, body }) = msg.payloads.last() else {
        return Err(IkeError::Malformed("no SK payload"));
    };
    let total = msg.header.length as usize;
    let icv_len = k.integ.icv_len();
    let signed_end = total
        .checked_sub(icv_len)
        .ok_or(IkeError::Malformed("message shorter than the ICV"))?;
    let signed = bytes.get(..signed_end).ok_or(IkeError::Malformed("ICV"))?;
    let icv = bytes
        .get(signed_end..total)
        .ok_or(IkeError::Malformed("ICV"))?;
    let want = k.integ.mac(k.ak, signed);
    let icv_ok: bool = subtle::ConstantTimeEq::ct_eq(want.as_slice(), icv).into();
    if check_icv && !icv_ok {
        return Err(IkeError::IcvMismatch);
    }
    let iv_len = k.encr.iv_len();
    let ct_end = body
        .len()
        .checked_sub(icv_len)
        .ok_or(IkeError::Malformed("SK payload shorter than the ICV"))?;
    if ct_end < iv_len {
        return Err(IkeError::Malformed("SK payload shorter than the IV"));
    }
    let iv = body.get(..iv_len).unwrap_or(&[]);
    let mut plain = body.get(iv_len..ct_end).unwrap_or(&[]).to_vec();
    if plain.is_empty() || plain.len() % k.encr.block_len() != 0 {
        return Err(IkeError::Malformed("SK ciphertext length"));
    }
    k.encr.decrypt(k.ek, iv, &mut plain)?;
    let pad = usize::from(plain.last().copied().unwrap_or(0));
    let inner_len = plain
        .len()
        .checked_sub(pad + 1)
        .ok_or(IkeError::Malformed("SK Pad Length"))?;
    let inner = parse_chain(*inner_first, plain.get(..inner_len).unwrap_or(&[]))?;
    let mut payloads: Vec<Payload> = msg
        .payloads
        .iter()
        .take(msg.payloads.len() - 1)
        .cloned()
        .collect();
    payloads.extend(inner);
    Ok(Opened {
        header: msg.header,
        payloads,
        icv_ok,
    })
}
