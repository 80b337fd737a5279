//! Media-security attributes of SDP.
//!
//! - `a=crypto` (RFC 4568 §9.1 grammar, §6 SRTP key and session parameters);
//! - `a=3ge2ae` (TS 24.229 §7.5: `requested` / `applied`; other values are kept and ignored);
//! - `a=fingerprint` (RFC 8122 §5) and `a=setup` (RFC 4145 §4).

use crate::mech::srtp::{MasterKey, Options, Suite};
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;

/// Standard base64 (RFC 4648 §4) that takes the key||salt with or without padding
/// (RFC 4568 §6.1 uses 40 characters, no padding, for 30 octets).
const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// `|lifetime` of an inline key (RFC 4568 §6.1): `2^n` or a decimal packet count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    Pow2(u8),
    Packets(u64),
}

impl Lifetime {
    /// The lifetime in packets (`None` when 2^n does not fit 64 bits).
    pub fn packets(self) -> Option<u64> {
        match self {
            Lifetime::Pow2(n) => 1u64.checked_shl(u32::from(n)),
            Lifetime::Packets(p) => Some(p),
        }
    }
    fn parse(s: &str) -> Result<Lifetime, String> {
        let (pow, digits) = match s.strip_prefix("2^") {
            Some(d) => (true, d),
            None => (false, s),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("lifetime '{s}' is not [2^]1*DIGIT"));
        }
        if pow {
            let n: u8 = digits
                .parse()
                .ok()
                .filter(|n| *n <= 64)
                .ok_or(format!("lifetime '{s}': exponent above 64"))?;
            Ok(Lifetime::Pow2(n))
        } else {
            Ok(Lifetime::Packets(
                digits
                    .parse()
                    .map_err(|_| format!("lifetime '{s}' too large"))?,
            ))
        }
    }
    fn emit(self) -> String {
        match self {
            Lifetime::Pow2(n) => format!("2^{n}"),
            Lifetime::Packets(p) => p.to_string(),
        }
    }
}

/// `|MKI:length` of an inline key (RFC 4568 §6.1): decimal value and length in octets
/// (1..=128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mki {
    pub value: u64,
    pub len: u8,
}

impl Mki {
    /// The MKI field as sent in SRTP packets: `value` big-endian in `len` octets
    /// (`None` when the value does not fit).
    pub fn bytes(self) -> Option<Vec<u8>> {
        let len = usize::from(self.len);
        let be = self.value.to_be_bytes();
        let mut out = vec![0u8; len];
        let used = 8 - (self.value.leading_zeros() / 8) as usize;
        if used > len {
            return None;
        }
        for (d, s) in out.iter_mut().rev().zip(be.iter().rev()) {
            *d = *s;
        }
        Some(out)
    }
    fn parse(s: &str) -> Result<Mki, String> {
        let (v, l) = s
            .split_once(':')
            .ok_or(format!("MKI '{s}' is not value:length"))?;
        let digits = |x: &str, max: usize| {
            !x.is_empty() && x.len() <= max && x.bytes().all(|b| b.is_ascii_digit())
        };
        if !digits(v, 20) || !digits(l, 3) {
            return Err(format!("MKI '{s}' is not 1*DIGIT:1*3DIGIT"));
        }
        let value: u64 = v
            .parse()
            .map_err(|_| format!("MKI value '{v}' too large"))?;
        let len: u8 = l
            .parse()
            .ok()
            .filter(|n| (1..=128).contains(n))
            .ok_or(format!("MKI length '{l}' outside 1..128"))?;
        let m = Mki { value, len };
        m.bytes()
            .ok_or(format!("MKI value {value} does not fit {len} octets"))?;
        Ok(m)
    }
}

/// An `inline:` key (RFC 4568 §6.1): `key||salt` in base64, optional lifetime and MKI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineKey {
    /// The base64 text as written (kept for byte-faithful re-emission).
    pub b64: String,
    pub key_salt: Vec<u8>,
    pub lifetime: Option<Lifetime>,
    pub mki: Option<Mki>,
}

impl InlineKey {
    /// An inline key for `key_salt` without lifetime or MKI.
    pub fn new(key_salt: &[u8]) -> InlineKey {
        InlineKey {
            b64: B64.encode(key_salt),
            key_salt: key_salt.to_vec(),
            lifetime: None,
            mki: None,
        }
    }
    fn parse(info: &str) -> Result<InlineKey, String> {
        let mut parts = info.split('|');
        let b64 = parts.next().unwrap_or("");
        if b64.is_empty() {
            return Err("inline: empty key||salt".into());
        }
        let key_salt = B64
            .decode(b64)
            .map_err(|e| format!("inline: key||salt is not base64: {e}"))?;
        let mut lifetime = None;
        let mut mki = None;
        for p in parts {
            if p.contains(':') {
                if mki.is_some() {
                    return Err("inline: two MKI fields".into());
                }
                mki = Some(Mki::parse(p)?);
            } else {
                if lifetime.is_some() || mki.is_some() {
                    return Err("inline: lifetime must come once, before the MKI".into());
                }
                lifetime = Some(Lifetime::parse(p)?);
            }
        }
        Ok(InlineKey {
            b64: b64.to_string(),
            key_salt,
            lifetime,
            mki,
        })
    }
    fn emit(&self) -> String {
        let mut s = self.b64.clone();
        if let Some(l) = self.lifetime {
            s.push('|');
            s.push_str(&l.emit());
        }
        if let Some(m) = self.mki {
            s.push_str(&format!("|{}:{}", m.value, m.len));
        }
        s
    }
}

/// One key parameter: `<method>:<info>` (RFC 4568 §9.1); `inline` keys are parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyParam {
    pub method: String,
    /// The key info as written.
    pub info: String,
    pub inline: Option<InlineKey>,
}

/// SRTP session parameters (RFC 4568 §6.3); unknown ones are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionParam {
    /// KDR=n: key derivation rate 2^n (§6.3.1, n in 0..=24).
    Kdr(u8),
    UnencryptedSrtp,
    UnencryptedSrtcp,
    UnauthenticatedSrtp,
    /// FEC_ORDER=... (§6.3.4), kept as text.
    FecOrder(String),
    /// FEC_KEY=... (§6.3.5), kept as text.
    FecKey(String),
    /// WSH=n: window size hint, at least 64 (§6.3.7).
    Wsh(u32),
    Other(String),
}

impl SessionParam {
    fn parse(s: &str) -> Result<SessionParam, String> {
        Ok(match s {
            "UNENCRYPTED_SRTP" => SessionParam::UnencryptedSrtp,
            "UNENCRYPTED_SRTCP" => SessionParam::UnencryptedSrtcp,
            "UNAUTHENTICATED_SRTP" => SessionParam::UnauthenticatedSrtp,
            _ => {
                if let Some(n) = s.strip_prefix("KDR=") {
                    if n.is_empty() || n.len() > 2 || !n.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(format!("'{s}' is not KDR=1*2DIGIT"));
                    }
                    let n: u8 = n.parse().unwrap_or(255);
                    if n > 24 {
                        return Err(format!("'{s}': KDR above 24 (RFC 4568 §6.3.1)"));
                    }
                    SessionParam::Kdr(n)
                } else if let Some(n) = s.strip_prefix("WSH=") {
                    if n.len() < 2 || !n.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(format!("'{s}' is not WSH=2*DIGIT"));
                    }
                    let w: u32 = n.parse().map_err(|_| format!("'{s}': too large"))?;
                    if w < 64 {
                        return Err(format!("'{s}': WSH below 64 (RFC 4568 §6.3.7)"));
                    }
                    SessionParam::Wsh(w)
                } else if let Some(v) = s.strip_prefix("FEC_ORDER=") {
                    SessionParam::FecOrder(v.to_string())
                } else if let Some(v) = s.strip_prefix("FEC_KEY=") {
                    SessionParam::FecKey(v.to_string())
                } else {
                    SessionParam::Other(s.to_string())
                }
            }
        })
    }
    fn emit(&self) -> String {
        match self {
            SessionParam::Kdr(n) => format!("KDR={n}"),
            SessionParam::UnencryptedSrtp => "UNENCRYPTED_SRTP".into(),
            SessionParam::UnencryptedSrtcp => "UNENCRYPTED_SRTCP".into(),
            SessionParam::UnauthenticatedSrtp => "UNAUTHENTICATED_SRTP".into(),
            SessionParam::FecOrder(v) => format!("FEC_ORDER={v}"),
            SessionParam::FecKey(v) => format!("FEC_KEY={v}"),
            SessionParam::Wsh(w) => format!("WSH={w}"),
            SessionParam::Other(s) => s.clone(),
        }
    }
}

/// `a=crypto:<tag> <crypto-suite> <key-params> [<session-params>]` (RFC 4568 §9.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CryptoAttr {
    /// 1*9DIGIT.
    pub tag: u32,
    /// The suite name as written (see [`CryptoAttr::suite`]).
    pub suite_name: String,
    pub keys: Vec<KeyParam>,
    pub session_params: Vec<SessionParam>,
}

impl CryptoAttr {
    /// Parses the attribute value (after `a=crypto:`). Fields are separated by one or more
    /// spaces or tabs (WSP).
    pub fn parse(value: &str) -> Result<CryptoAttr, String> {
        let mut it = value.split([' ', '\t']).filter(|s| !s.is_empty());
        let tag = it.next().ok_or("crypto: no tag")?;
        if tag.len() > 9 || !tag.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("crypto: tag '{tag}' is not 1*9DIGIT"));
        }
        let tag: u32 = tag.parse().map_err(|_| "crypto: bad tag".to_string())?;
        let suite = it.next().ok_or("crypto: no crypto-suite")?;
        if !suite
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(format!(
                "crypto: suite '{suite}' has characters outside ALPHA/DIGIT/_"
            ));
        }
        let kp = it.next().ok_or("crypto: no key-params")?;
        let mut keys = Vec::new();
        for k in kp.split(';') {
            let (method, info) = k
                .split_once(':')
                .ok_or(format!("crypto: key-param '{k}' is not method:info"))?;
            if method.is_empty() || info.is_empty() {
                return Err(format!("crypto: key-param '{k}' is not method:info"));
            }
            let inline = if method == "inline" {
                Some(InlineKey::parse(info)?)
            } else {
                None
            };
            keys.push(KeyParam {
                method: method.to_string(),
                // Inline keys are kept in canonical form (the SDP line itself stays as
                // written in [`super::Sdp`]); other methods as written.
                info: inline
                    .as_ref()
                    .map_or_else(|| info.to_string(), InlineKey::emit),
                inline,
            });
        }
        let session_params = it.map(SessionParam::parse).collect::<Result<Vec<_>, _>>()?;
        Ok(CryptoAttr {
            tag,
            suite_name: suite.to_string(),
            keys,
            session_params,
        })
    }

    /// The attribute value in canonical form (single spaces).
    pub fn emit(&self) -> String {
        let keys: Vec<String> = self
            .keys
            .iter()
            .map(|k| match &k.inline {
                Some(i) => format!("inline:{}", i.emit()),
                None => format!("{}:{}", k.method, k.info),
            })
            .collect();
        let mut s = format!("{} {} {}", self.tag, self.suite_name, keys.join(";"));
        for p in &self.session_params {
            s.push(' ');
            s.push_str(&p.emit());
        }
        s
    }

    /// A one-key attribute: `<tag> <suite> inline:<key||salt>`.
    pub fn new(tag: u32, suite: Suite, key_salt: &[u8]) -> CryptoAttr {
        CryptoAttr {
            tag,
            suite_name: suite.name().to_string(),
            keys: vec![KeyParam {
                method: "inline".into(),
                info: InlineKey::new(key_salt).emit(),
                inline: Some(InlineKey::new(key_salt)),
            }],
            session_params: Vec::new(),
        }
    }

    /// The suite, when imsec implements it.
    pub fn suite(&self) -> Option<Suite> {
        Suite::from_name(&self.suite_name)
    }

    pub fn has(&self, p: &SessionParam) -> bool {
        self.session_params.contains(p)
    }

    /// The SRTP session this attribute describes: suite, master keys (with MKIs), options
    /// (KDR=n -> rate 2^n, WSH, UNENCRYPTED_*, UNAUTHENTICATED_SRTP, the first key's
    /// lifetime). Errors name what imsec cannot use (unknown suite, key length, FEC, a
    /// non-inline key method, MKI missing on a multi-key line).
    pub fn srtp_params(&self) -> Result<(Suite, Vec<MasterKey>, Options), String> {
        let suite = self.suite().ok_or(format!(
            "crypto suite '{}' not implemented",
            self.suite_name
        ))?;
        let mut opts = Options::default();
        for p in &self.session_params {
            match p {
                SessionParam::Kdr(n) => opts.kdr = 1u64 << n,
                SessionParam::UnencryptedSrtp => opts.unencrypted_srtp = true,
                SessionParam::UnencryptedSrtcp => opts.unencrypted_srtcp = true,
                SessionParam::UnauthenticatedSrtp => opts.unauthenticated_srtp = true,
                SessionParam::Wsh(w) => opts.window = *w,
                SessionParam::FecOrder(_) | SessionParam::FecKey(_) => {
                    return Err("FEC_ORDER/FEC_KEY are not implemented".into())
                }
                SessionParam::Other(_) => {}
            }
        }
        let mut keys = Vec::new();
        for k in &self.keys {
            let i = k
                .inline
                .as_ref()
                .ok_or(format!("key method '{}' is not inline", k.method))?;
            let mki = match i.mki {
                Some(m) => m.bytes().ok_or("MKI does not fit its length")?,
                None => Vec::new(),
            };
            keys.push(MasterKey::from_key_salt(&i.key_salt, &mki).map_err(|e| e.to_string())?);
        }
        opts.lifetime = self
            .keys
            .first()
            .and_then(|k| k.inline.as_ref())
            .and_then(|i| i.lifetime)
            .and_then(Lifetime::packets);
        Ok((suite, keys, opts))
    }
}

/// `a=3ge2ae` indicator (TS 24.229 §7.5): `requested` by the UE, `applied` by the
/// P-CSCF (IMS-ALG); other values must be ignored by receivers but are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum E2ae {
    Requested,
    Applied,
    Other(String),
}

impl E2ae {
    pub fn parse(s: &str) -> E2ae {
        match s.trim() {
            "requested" => E2ae::Requested,
            "applied" => E2ae::Applied,
            o => E2ae::Other(o.to_string()),
        }
    }
    pub fn as_str(&self) -> &str {
        match self {
            E2ae::Requested => "requested",
            E2ae::Applied => "applied",
            E2ae::Other(s) => s,
        }
    }
}

/// `a=fingerprint:<hash-func> <fingerprint>` (RFC 8122 §5): hash function token and the
/// certificate fingerprint as colon-separated hex octets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// Lower-cased hash function name (`sha-256`, ...; RFC 8122 §5 compares it
    /// case-insensitively).
    pub hash: String,
    pub value: Vec<u8>,
}

impl Fingerprint {
    pub fn parse(s: &str) -> Result<Fingerprint, String> {
        let (h, fp) = s
            .trim()
            .split_once(' ')
            .ok_or("fingerprint: no hash function or value")?;
        if h.is_empty() || !h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(format!("fingerprint: bad hash function '{h}'"));
        }
        let mut value = Vec::new();
        for pair in fp.trim().split(':') {
            if pair.len() != 2 {
                return Err(format!("fingerprint: '{pair}' is not two hex digits"));
            }
            value.push(
                u8::from_str_radix(pair, 16)
                    .map_err(|_| format!("fingerprint: '{pair}' is not hex"))?,
            );
        }
        Ok(Fingerprint {
            hash: h.to_ascii_lowercase(),
            value,
        })
    }
    /// RFC 8122 form: upper-case hex octets separated by colons.
    pub fn emit(&self) -> String {
        let hexes: Vec<String> = self.value.iter().map(|b| format!("{b:02X}")).collect();
        format!("{} {}", self.hash, hexes.join(":"))
    }
}

/// `a=setup` (RFC 4145 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setup {
    Active,
    Passive,
    Actpass,
    Holdconn,
}

impl Setup {
    pub fn parse(s: &str) -> Result<Setup, String> {
        match s.trim() {
            "active" => Ok(Setup::Active),
            "passive" => Ok(Setup::Passive),
            "actpass" => Ok(Setup::Actpass),
            "holdconn" => Ok(Setup::Holdconn),
            o => Err(format!("setup: unknown role '{o}'")),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Setup::Active => "active",
            Setup::Passive => "passive",
            Setup::Actpass => "actpass",
            Setup::Holdconn => "holdconn",
        }
    }
}
