//! Wireshark `esp_sa` UAT lines (the ESP decryption table), read and write, so captures made
//! by imsec can be opened in Wireshark and Wireshark tables can drive `imsec esp decrypt`.
//!
//! Format (Wireshark `epan/dissectors/packet-ipsec.c`, `esp_uat_flds`): eight quoted,
//! comma-separated fields: protocol (`IPv4`/`IPv6`), source, destination, SPI, encryption
//! name, encryption key, authentication name, authentication key, e.g.
//! `"IPv4","10.0.0.1","10.0.0.2","0x00001234","AES-CBC [RFC3602]","0x…","HMAC-SHA-1-96 [RFC2404]","0x…"`.
//! Lines starting with `#` are comments. Extra trailing columns (other Wireshark versions)
//! are accepted and ignored when reading; writing always produces the eight columns.
//!
//! Algorithm names are Wireshark's `esp_encryption_type_vals` / `esp_authentication_type_vals`.
//! The AES-GCM key is key || 4-octet salt (RFC 4106 §8.1), 20 octets for AES-128.
//!
//! "ANY 64 bit authentication [no checking]" (and 96, 128 bit) are Wireshark's entries for an
//! SA whose integrity key is unknown: the ICV of that length is skipped, not verified. They
//! read into [`UatSa::unchecked_icv`] and build a [`SaCrypto::new_unchecked_icv`] SA, so
//! third-party captures with only the encryption key published can be decrypted.
//! (Wireshark's 192/256-bit entries are not read: no IMS transform has an ICV over 16 octets.)
//!
//! Wireshark has no AES-GMAC (RFC 4543) entry. imsec reads the extension name
//! "AES-GMAC [RFC4543]" (authentication column, key = 16-octet key || 4-octet salt, with
//! NULL encryption), which tshark reports as an invalid value and skips. [`UatSa::to_line`]
//! keeps to names Wireshark loads and writes a GMAC SA as NULL encryption with
//! "ANY 128 bit authentication [no checking]"; such a line reads back as an unchecked-ICV
//! NULL SA, not as GMAC (its 8-octet IV then shows up in the payload).

use super::{EspError, SaCrypto, UncheckedIcv};
use crate::mech::algorithms::{EncAlg, IntegAlg};

const ENC_NULL: &str = "NULL";
const ENC_3DES: &str = "TripleDES-CBC [RFC2451]";
const ENC_AES_CBC: &str = "AES-CBC [RFC3602]";
const ENC_AES_GCM_16: &str = "AES-GCM with 16 octet ICV [RFC4106]";
/// Older Wireshark name (no ICV length; Wireshark treats it as 16 octets).
const ENC_AES_GCM_OLD: &str = "AES-GCM [RFC4106]";
const AUTH_NULL: &str = "NULL";
const AUTH_SHA1: &str = "HMAC-SHA-1-96 [RFC2404]";
const AUTH_MD5: &str = "HMAC-MD5-96 [RFC2403]";
const AUTH_ANY64: &str = "ANY 64 bit authentication [no checking]";
const AUTH_ANY96: &str = "ANY 96 bit authentication [no checking]";
const AUTH_ANY128: &str = "ANY 128 bit authentication [no checking]";
/// imsec extension (Wireshark has no ESP AES-GMAC entry); key column = key || salt.
const AUTH_GMAC: &str = "AES-GMAC [RFC4543]";

fn any_name(u: UncheckedIcv) -> &'static str {
    match u {
        UncheckedIcv::Bits64 => AUTH_ANY64,
        UncheckedIcv::Bits96 => AUTH_ANY96,
        UncheckedIcv::Bits128 => AUTH_ANY128,
    }
}

/// IP version column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpFamily {
    V4,
    V6,
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UatSa {
    pub family: IpFamily,
    /// Source address as Wireshark writes it (may be a wildcard such as `*`).
    pub src: String,
    pub dst: String,
    pub spi: u32,
    pub enc: EncAlg,
    /// For aes-gcm: key || salt.
    pub enc_key: Vec<u8>,
    /// `Null` when `unchecked_icv` is set.
    pub integ: IntegAlg,
    /// For aes-gmac: key || salt. Ignored (but written back) when `unchecked_icv` is set.
    pub integ_key: Vec<u8>,
    /// `Some` for Wireshark's "ANY n bit authentication [no checking]": the ICV is skipped,
    /// not verified; `integ` is then `Null` and takes no part.
    pub unchecked_icv: Option<UncheckedIcv>,
}

/// Why a UAT line could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UatError {
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
}

fn err(line: usize, message: impl Into<String>) -> UatError {
    UatError::Line {
        line,
        message: message.into(),
    }
}

/// Splits `"a","b",...` into the unquoted fields; quotes are required (Wireshark writes them).
fn fields(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = s.trim().chars().peekable();
    loop {
        match chars.next() {
            Some('"') => {}
            Some(c) => return Err(format!("expected '\"', found '{c}'")),
            None => return Err("empty field list".into()),
        }
        let mut f = String::new();
        loop {
            match chars.next() {
                Some('"') => break,
                Some('\\') => {
                    // Wireshark escapes special characters as \xNN.
                    let h: String = [chars.next(), chars.next(), chars.next()]
                        .into_iter()
                        .flatten()
                        .collect();
                    let b = h
                        .strip_prefix('x')
                        .and_then(|x| u8::from_str_radix(x, 16).ok())
                        .ok_or_else(|| format!("bad escape '\\{h}'"))?;
                    f.push(char::from(b));
                }
                Some(c) => f.push(c),
                None => return Err("unterminated quoted field".into()),
            }
        }
        out.push(f);
        match chars.next() {
            Some(',') => {}
            None => return Ok(out),
            Some(c) => return Err(format!("expected ',' after a field, found '{c}'")),
        }
    }
}

fn key(s: &str) -> Result<Vec<u8>, String> {
    let t = s.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("0x") {
        return Ok(Vec::new());
    }
    if !(t.starts_with("0x") || t.starts_with("0X")) {
        // Wireshark also takes ASCII keys; imsec always writes hex.
        return Ok(t.as_bytes().to_vec());
    }
    crate::hexarg::decode(t)
}

fn enc_from(name: &str) -> Option<EncAlg> {
    let n = name.trim();
    [
        (ENC_NULL, EncAlg::Null),
        (ENC_3DES, EncAlg::DesEde3Cbc),
        (ENC_AES_CBC, EncAlg::AesCbc),
        (ENC_AES_GCM_16, EncAlg::AesGcm),
        (ENC_AES_GCM_OLD, EncAlg::AesGcm),
    ]
    .into_iter()
    .find(|(s, _)| s.eq_ignore_ascii_case(n))
    .map(|(_, a)| a)
}

/// The authentication column: an algorithm, or an unchecked ICV length (integ `Null`).
fn integ_from(name: &str) -> Option<(IntegAlg, Option<UncheckedIcv>)> {
    let n = name.trim();
    [
        (AUTH_NULL, IntegAlg::Null),
        (AUTH_SHA1, IntegAlg::HmacSha1_96),
        (AUTH_MD5, IntegAlg::HmacMd5_96),
        (AUTH_GMAC, IntegAlg::AesGmac),
    ]
    .into_iter()
    .find(|(s, _)| s.eq_ignore_ascii_case(n))
    .map(|(_, a)| (a, None))
    .or_else(|| {
        UncheckedIcv::ALL
            .into_iter()
            .find(|u| any_name(*u).eq_ignore_ascii_case(n))
            .map(|u| (IntegAlg::Null, Some(u)))
    })
}

/// Parses one line (`line_no` only labels errors).
pub fn parse_line(text: &str, line_no: usize) -> Result<UatSa, UatError> {
    let f = fields(text).map_err(|m| err(line_no, m))?;
    let [proto, src, dst, spi, enc, enc_key, integ, integ_key, ..] = f.as_slice() else {
        return Err(err(line_no, format!("{} fields, 8 needed", f.len())));
    };
    let family = match proto.as_str() {
        "IPv4" => IpFamily::V4,
        "IPv6" => IpFamily::V6,
        other => return Err(err(line_no, format!("protocol '{other}' (IPv4 or IPv6)"))),
    };
    let spi_t = spi.trim();
    let spi = match spi_t
        .strip_prefix("0x")
        .or_else(|| spi_t.strip_prefix("0X"))
    {
        Some(h) => u32::from_str_radix(h, 16),
        None => spi_t.parse(),
    }
    .map_err(|_| {
        err(
            line_no,
            format!("SPI '{spi_t}' (wildcard SPIs are not supported)"),
        )
    })?;
    let (integ_alg, unchecked_icv) = integ_from(integ)
        .ok_or_else(|| err(line_no, format!("unsupported authentication '{integ}'")))?;
    Ok(UatSa {
        family,
        src: src.clone(),
        dst: dst.clone(),
        spi,
        enc: enc_from(enc)
            .ok_or_else(|| err(line_no, format!("unsupported encryption '{enc}'")))?,
        enc_key: key(enc_key).map_err(|m| err(line_no, format!("encryption key: {m}")))?,
        integ: integ_alg,
        integ_key: key(integ_key).map_err(|m| err(line_no, format!("authentication key: {m}")))?,
        unchecked_icv,
    })
}

/// Parses a whole `esp_sa` file, skipping blank and `#` lines.
pub fn parse_file(text: &str) -> Result<Vec<UatSa>, UatError> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, l)| parse_line(l, i + 1))
        .collect()
}

fn enc_name(e: EncAlg) -> &'static str {
    match e {
        EncAlg::Null => ENC_NULL,
        EncAlg::DesEde3Cbc => ENC_3DES,
        EncAlg::AesCbc => ENC_AES_CBC,
        EncAlg::AesGcm => ENC_AES_GCM_16,
    }
}

fn hex0x(k: &[u8]) -> String {
    format!("0x{}", hex::encode(k))
}

impl UatSa {
    /// The Wireshark line (eight columns), with names Wireshark loads, except AES-GMAC, which
    /// Wireshark lacks and imsec writes as "AES-GMAC [RFC4543]" (key || salt).
    pub fn to_line(&self) -> String {
        let auth = match (self.unchecked_icv, self.integ) {
            (Some(u), _) => any_name(u),
            (None, IntegAlg::HmacSha1_96) => AUTH_SHA1,
            (None, IntegAlg::HmacMd5_96) => AUTH_MD5,
            // Wireshark has no GMAC entry: imsec writes its own name so the line reads back as
            // GMAC (key || salt); tshark skips that one line ("invalid value") and loads the
            // rest. Writing "ANY 128 bit" instead would read back as an unchecked NULL SA and
            // put the 8-octet IV into the payload (a silent misreading).
            (None, IntegAlg::AesGmac) => AUTH_GMAC,
            (None, IntegAlg::Null) => AUTH_NULL,
        };
        let enc = enc_name(self.enc);
        let proto = match self.family {
            IpFamily::V4 => "IPv4",
            IpFamily::V6 => "IPv6",
        };
        format!(
            "\"{proto}\",\"{}\",\"{}\",\"0x{:08x}\",\"{enc}\",\"{}\",\"{auth}\",\"{}\"",
            self.src,
            self.dst,
            self.spi,
            hex0x(&self.enc_key),
            hex0x(&self.integ_key)
        )
    }

    /// Builds the SA transforms, splitting GCM/GMAC key || salt (last 4 octets).
    /// Uses [`SaCrypto::new_lenient`]: Wireshark tables may hold confidentiality-only SAs;
    /// an unchecked ICV gives [`SaCrypto::new_unchecked_icv`] (`verify_icv` false).
    pub fn crypto(&self) -> Result<SaCrypto, EspError> {
        fn split(k: &[u8]) -> (&[u8], &[u8]) {
            k.split_at(k.len().saturating_sub(4))
        }
        if let Some(icv) = self.unchecked_icv {
            return SaCrypto::new_unchecked_icv(self.enc, &self.enc_key, &[], icv);
        }
        let (ik, ek, salt) = match (self.integ, self.enc) {
            (_, EncAlg::AesGcm) => {
                let (k, s) = split(&self.enc_key);
                (&self.integ_key[..], k, s)
            }
            (IntegAlg::AesGmac, _) => {
                let (k, s) = split(&self.integ_key);
                (k, &self.enc_key[..], s)
            }
            _ => (&self.integ_key[..], &self.enc_key[..], &[][..]),
        };
        SaCrypto::new_lenient(self.integ, self.enc, ik, ek, salt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_write_round_trip() {
        let line = "\"IPv4\",\"10.0.0.1\",\"10.0.0.2\",\"0x00001234\",\"AES-CBC [RFC3602]\",\
                    \"0x000102030405060708090a0b0c0d0e0f\",\"HMAC-SHA-1-96 [RFC2404]\",\
                    \"0x000102030405060708090a0b0c0d0e0f10111213\"";
        let sa = parse_line(line, 1).unwrap();
        assert_eq!(
            (sa.spi, sa.enc, sa.integ),
            (0x1234, EncAlg::AesCbc, IntegAlg::HmacSha1_96)
        );
        assert_eq!(sa.integ_key.len(), 20);
        assert_eq!(sa.to_line(), line);
        assert!(sa.crypto().is_ok());
    }

    #[test]
    fn gcm_key_includes_salt_and_old_names() {
        let text = "# comment\n\n\"IPv6\",\"*\",\"*\",\"4660\",\"AES-GCM [RFC4106]\",\
                    \"0x0102030405060708090a0b0c0d0e0f10cafebabe\",\"NULL\",\"\",\"extra\"\n";
        let v = parse_file(text).unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(
            (v[0].spi, v[0].enc, v[0].family),
            (4660, EncAlg::AesGcm, IpFamily::V6)
        );
        assert!(v[0].crypto().is_ok());
        assert!(v[0].to_line().contains(ENC_AES_GCM_16));
        // TripleDES casing differs between Wireshark versions and strongSwan.
        let l = "\"IPv4\",\"a\",\"b\",\"0x1\",\"TripleDes-CBC [RFC2451]\",\"0x00\",\"NULL\",\"0x\"";
        assert_eq!(parse_line(l, 1).unwrap().enc, EncAlg::DesEde3Cbc);
    }

    #[test]
    fn unchecked_icv_entries_skip_the_icv() {
        use crate::mech::esp::{FixedIv, SealParams};
        let ek = [0x11u8; 16];
        let line = |auth: &str| {
            format!(
                "\"IPv4\",\"*\",\"*\",\"0x00000042\",\"AES-CBC [RFC3602]\",\"0x{}\",\"{auth}\",\"0x\"",
                hex::encode(ek)
            )
        };
        for (u, octets) in [
            (UncheckedIcv::Bits64, 8),
            (UncheckedIcv::Bits96, 12),
            (UncheckedIcv::Bits128, 16),
        ] {
            let l = line(any_name(u));
            let sa = parse_line(&l, 1).unwrap();
            assert_eq!((sa.integ, sa.unchecked_icv), (IntegAlg::Null, Some(u)));
            assert_eq!(sa.to_line(), l);
            let c = sa.crypto().unwrap();
            assert_eq!((c.icv_len(), c.verify_icv), (octets, false));
            assert_eq!(c.unchecked_icv(), Some(u));
            assert!(!c.icv_verified());
        }
        // A packet of an HMAC-SHA-1-96 SA with the same encryption key: the unchecked SA
        // decrypts it whatever its ICV holds; the checked SA refuses a tampered ICV.
        let real =
            SaCrypto::new(IntegAlg::HmacSha1_96, EncAlg::AesCbc, &[7; 20], &ek, &[]).unwrap();
        let mut pkt = Vec::new();
        let p = SealParams {
            spi: 0x42,
            seq: 1,
            seq_hi: None,
            next_header: 17,
            padding: Default::default(),
        };
        real.seal(&p, b"inner payload", &mut FixedIv(vec![3; 16]), &mut pkt)
            .unwrap();
        let n = pkt.len();
        pkt[n - 1] ^= 0xff;
        let mut out = Vec::new();
        assert_eq!(real.open(&pkt, None, &mut out), Err(EspError::IcvBad));
        let mut unchecked = parse_line(&line(AUTH_ANY96), 1).unwrap().crypto().unwrap();
        let o = unchecked.open(&pkt, None, &mut out).unwrap();
        assert_eq!(&out[o.payload], b"inner payload");
        // Asking an unchecked SA to verify fails closed.
        unchecked.verify_icv = true;
        assert_eq!(unchecked.open(&pkt, None, &mut out), Err(EspError::IcvBad));
        // NULL encryption is readable; AES-GCM has its own tag (Wireshark refuses it too).
        let null = "\"IPv6\",\"*\",\"*\",\"0x1\",\"NULL\",\"\",\"ANY 96 bit authentication [no checking]\",\"\"";
        assert!(parse_line(null, 1).unwrap().crypto().is_ok());
        let gcm = "\"IPv4\",\"*\",\"*\",\"0x1\",\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x0102030405060708090a0b0c0d0e0f10cafebabe\",\"ANY 128 bit authentication [no checking]\",\"\"";
        assert!(parse_line(gcm, 1).unwrap().crypto().is_err());
        // Wireshark's longer no-checking entries are not read.
        assert!(parse_line(&line("ANY 192 bit authentication [no checking]"), 1).is_err());
    }

    #[test]
    fn gmac_extension_name_reads_key_and_salt() {
        let l = "\"IPv4\",\"10.0.0.1\",\"10.0.0.2\",\"0x00001007\",\"NULL\",\"\",\"AES-GMAC [RFC4543]\",\"0x0102030405060708090a0b0c0d0e0f1011121314\"";
        let sa = parse_line(l, 1).unwrap();
        assert_eq!((sa.integ, sa.unchecked_icv), (IntegAlg::AesGmac, None));
        let c = sa.crypto().unwrap();
        assert_eq!((c.iv_len(), c.icv_len(), c.icv_verified()), (8, 16, true));
        // Written back with the same name, so it round-trips as GMAC.
        assert!(sa.to_line().contains(AUTH_GMAC));
        assert_eq!(
            parse_line(&sa.to_line(), 1).unwrap().integ,
            IntegAlg::AesGmac
        );
    }

    #[test]
    fn errors_name_the_line() {
        assert!(parse_file("\"IPv4\",\"a\"")
            .unwrap_err()
            .to_string()
            .starts_with("line 1"));
        for bad in [
            "",
            "IPv4,a",
            "\"IPv4\",\"a\",\"b\",\"zz\",\"NULL\",\"\",\"NULL\",\"\"",
            "\"IPv5\",\"a\",\"b\",\"1\",\"NULL\",\"\",\"NULL\",\"\"",
            "\"IPv4\",\"a\",\"b\",\"1\",\"AES-CTR [RFC3686]\",\"\",\"NULL\",\"\"",
            "\"IPv4\",\"a\",\"b\",\"1\",\"NULL\",\"\",\"NULL\",\"0xzz\"",
            "\"IPv4\",\"a\\x4",
        ] {
            assert!(parse_line(bad, 3).is_err(), "{bad}");
        }
    }
}
