//! Cipher-suite registry: code points and names from the IANA "TLS Cipher Suites" registry
//! (RFC 5246 Appendix A.5, RFC 4492 §6, RFC 5288, RFC 5289, RFC 8446 §B.4, RFC 9150, RFC 7905),
//! with the weakness flags the TLS checks need (TS 33.203 Annex O: null-cipher suites and
//! weak protection must not be negotiated).
//!
//! The flags are derived from the IANA name (`_WITH_NULL_`, `_EXPORT`, `_anon_`, `RC4`,
//! `_DES_`/`DES40`, `3DES`), so a name and its flags cannot disagree. `harness/tests/tls_peers.rs`
//! checks the names against OpenSSL's `ciphers -stdname` table.

/// Weakness flags of a suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct SuiteFlags {
    /// No confidentiality: the bulk cipher is NULL (RFC 5246 A.5, RFC 9150 integrity-only).
    pub null: bool,
    /// Export-grade (40/56-bit) key exchange or cipher (RFC 2246 §A.5; forbidden by RFC 4346).
    pub export: bool,
    /// No server authentication: anonymous (EC)DH (RFC 5246 §A.5 "DH_anon").
    pub anon: bool,
    /// RC4 stream cipher (prohibited by RFC 7465).
    pub rc4: bool,
    /// Single DES or DES40 (removed by RFC 5469).
    pub des: bool,
    /// Triple DES (64-bit block; RFC 9325 §4.1 "SHOULD NOT").
    pub triple_des: bool,
    /// A signalling value, not a suite (RFC 5746 §3.3 SCSV, RFC 7507 fallback SCSV).
    pub scsv: bool,
}

impl SuiteFlags {
    /// True for a suite that gives no confidentiality, no authentication, or broken crypto.
    pub fn weak(&self) -> bool {
        self.null || self.export || self.anon || self.rc4 || self.des
    }

    /// Flags derived from an IANA suite name.
    pub fn from_name(name: &str) -> SuiteFlags {
        SuiteFlags {
            null: name.contains("_WITH_NULL_")
                || name == "TLS_NULL_WITH_NULL_NULL"
                || name == "TLS_SHA256_SHA256"
                || name == "TLS_SHA384_SHA384",
            export: name.contains("_EXPORT"),
            anon: name.contains("_anon_") || name == "TLS_NULL_WITH_NULL_NULL",
            rc4: name.contains("_RC4_"),
            des: name.contains("_DES_") || name.contains("_DES40_"),
            triple_des: name.contains("_3DES_"),
            scsv: name.ends_with("_SCSV"),
        }
    }
}

/// One registry entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suite {
    pub code: u16,
    pub name: &'static str,
}

impl Suite {
    pub fn flags(&self) -> SuiteFlags {
        SuiteFlags::from_name(self.name)
    }
}

/// The suites imsec knows by name (IANA registry, a subset: everything OpenSSL 1.x/3.x, rustls
/// and the TLS 1.0–1.3 RFCs define for RSA, (EC)DHE, PSK-less suites, plus the weak ones).
pub const SUITES: &[Suite] = &[
    s(0x0000, "TLS_NULL_WITH_NULL_NULL"),
    s(0x0001, "TLS_RSA_WITH_NULL_MD5"),
    s(0x0002, "TLS_RSA_WITH_NULL_SHA"),
    s(0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"),
    s(0x0004, "TLS_RSA_WITH_RC4_128_MD5"),
    s(0x0005, "TLS_RSA_WITH_RC4_128_SHA"),
    s(0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5"),
    s(0x0007, "TLS_RSA_WITH_IDEA_CBC_SHA"),
    s(0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA"),
    s(0x0009, "TLS_RSA_WITH_DES_CBC_SHA"),
    s(0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
    s(0x000b, "TLS_DH_DSS_EXPORT_WITH_DES40_CBC_SHA"),
    s(0x000c, "TLS_DH_DSS_WITH_DES_CBC_SHA"),
    s(0x000d, "TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA"),
    s(0x000e, "TLS_DH_RSA_EXPORT_WITH_DES40_CBC_SHA"),
    s(0x000f, "TLS_DH_RSA_WITH_DES_CBC_SHA"),
    s(0x0010, "TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA"),
    s(0x0011, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA"),
    s(0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA"),
    s(0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA"),
    s(0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA"),
    s(0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA"),
    s(0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    s(0x0017, "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5"),
    s(0x0018, "TLS_DH_anon_WITH_RC4_128_MD5"),
    s(0x0019, "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA"),
    s(0x001a, "TLS_DH_anon_WITH_DES_CBC_SHA"),
    s(0x001b, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA"),
    s(0x002c, "TLS_PSK_WITH_NULL_SHA"),
    s(0x002d, "TLS_DHE_PSK_WITH_NULL_SHA"),
    s(0x002e, "TLS_RSA_PSK_WITH_NULL_SHA"),
    s(0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA"),
    s(0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA"),
    s(0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"),
    s(0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA"),
    s(0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"),
    s(0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA"),
    s(0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"),
    s(0x003a, "TLS_DH_anon_WITH_AES_256_CBC_SHA"),
    s(0x003b, "TLS_RSA_WITH_NULL_SHA256"),
    s(0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256"),
    s(0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256"),
    s(0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256"),
    s(0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"),
    s(0x006a, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256"),
    s(0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"),
    s(0x006c, "TLS_DH_anon_WITH_AES_128_CBC_SHA256"),
    s(0x006d, "TLS_DH_anon_WITH_AES_256_CBC_SHA256"),
    s(0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256"),
    s(0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384"),
    s(0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"),
    s(0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"),
    s(0x00a2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256"),
    s(0x00a3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384"),
    s(0x00a6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256"),
    s(0x00a7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384"),
    s(0x00b0, "TLS_PSK_WITH_NULL_SHA256"),
    s(0x00b1, "TLS_PSK_WITH_NULL_SHA384"),
    s(0x00b4, "TLS_DHE_PSK_WITH_NULL_SHA256"),
    s(0x00b5, "TLS_DHE_PSK_WITH_NULL_SHA384"),
    s(0x00b8, "TLS_RSA_PSK_WITH_NULL_SHA256"),
    s(0x00b9, "TLS_RSA_PSK_WITH_NULL_SHA384"),
    s(0x00ff, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"),
    s(0x1301, "TLS_AES_128_GCM_SHA256"),
    s(0x1302, "TLS_AES_256_GCM_SHA384"),
    s(0x1303, "TLS_CHACHA20_POLY1305_SHA256"),
    s(0x1304, "TLS_AES_128_CCM_SHA256"),
    s(0x1305, "TLS_AES_128_CCM_8_SHA256"),
    s(0x5600, "TLS_FALLBACK_SCSV"),
    s(0xc001, "TLS_ECDH_ECDSA_WITH_NULL_SHA"),
    s(0xc002, "TLS_ECDH_ECDSA_WITH_RC4_128_SHA"),
    s(0xc003, "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA"),
    s(0xc006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA"),
    s(0xc007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"),
    s(0xc008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"),
    s(0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"),
    s(0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"),
    s(0xc00b, "TLS_ECDH_RSA_WITH_NULL_SHA"),
    s(0xc00c, "TLS_ECDH_RSA_WITH_RC4_128_SHA"),
    s(0xc010, "TLS_ECDHE_RSA_WITH_NULL_SHA"),
    s(0xc011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"),
    s(0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    s(0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"),
    s(0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"),
    s(0xc015, "TLS_ECDH_anon_WITH_NULL_SHA"),
    s(0xc016, "TLS_ECDH_anon_WITH_RC4_128_SHA"),
    s(0xc017, "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA"),
    s(0xc018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA"),
    s(0xc019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA"),
    s(0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"),
    s(0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"),
    s(0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"),
    s(0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"),
    s(0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
    s(0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
    s(0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
    s(0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
    s(0xc039, "TLS_ECDHE_PSK_WITH_NULL_SHA"),
    s(0xc03a, "TLS_ECDHE_PSK_WITH_NULL_SHA256"),
    s(0xc03b, "TLS_ECDHE_PSK_WITH_NULL_SHA384"),
    s(0xc0b4, "TLS_SHA256_SHA256"),
    s(0xc0b5, "TLS_SHA384_SHA384"),
    s(0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
    s(0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
    s(0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
];

const fn s(code: u16, name: &'static str) -> Suite {
    Suite { code, name }
}

/// The registry entry for `code`.
pub fn by_code(code: u16) -> Option<Suite> {
    SUITES.iter().copied().find(|s| s.code == code)
}

/// The registry entry named `name` (IANA name, case-insensitive).
pub fn by_name(name: &str) -> Option<Suite> {
    SUITES
        .iter()
        .copied()
        .find(|s| s.name.eq_ignore_ascii_case(name))
}

/// The IANA name of `code`, or `0xHHHH` for a code imsec does not know.
pub fn name(code: u16) -> String {
    by_code(code)
        .map(|s| s.name.to_string())
        .unwrap_or_else(|| format!("0x{code:04x}"))
}

/// Flags of `code` (all false for an unknown code).
pub fn flags(code: u16) -> SuiteFlags {
    by_code(code).map(|s| s.flags()).unwrap_or_default()
}

/// True for a TLS 1.3 suite (RFC 8446 §B.4, RFC 9150): these carry no key exchange.
pub fn is_tls13(code: u16) -> bool {
    (0x1301..=0x1305).contains(&code) || code == 0xc0b4 || code == 0xc0b5
}

/// A named set of suites to offer (`imsec tls probe --suites`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuiteSet {
    /// Every null-cipher suite except TLS_NULL_WITH_NULL_NULL (which no server may pick).
    Null,
    /// Every export-grade suite.
    Export,
    /// Null, export, anonymous, RC4, DES and 3DES suites.
    Legacy,
    /// The suites a conformant TLS 1.2 server accepts (AEAD with (EC)DHE, RSA key transport).
    Modern,
}

impl SuiteSet {
    /// The suites of the set valid for the TLS 1.3 record (`tls13`) or for TLS ≤ 1.2.
    pub fn codes(self, tls13: bool) -> Vec<u16> {
        SUITES
            .iter()
            .filter(|s| is_tls13(s.code) == tls13 && s.code != 0x0000)
            .filter(|s| {
                let f = s.flags();
                if f.scsv {
                    return false;
                }
                match self {
                    SuiteSet::Null => f.null,
                    SuiteSet::Export => f.export,
                    SuiteSet::Legacy => f.weak() || f.triple_des,
                    // IDEA was removed from TLS 1.2 (RFC 5469); never "modern".
                    SuiteSet::Modern => !f.weak() && !f.triple_des && !s.name.contains("_IDEA_"),
                }
            })
            .map(|s| s.code)
            .collect()
    }
}

/// Parses a `--suites` value: `null`, `export`, `legacy`, `modern`, or a comma-separated
/// list of IANA names and `0xHHHH` codes.
pub fn parse_list(text: &str, tls13: bool) -> Result<Vec<u16>, String> {
    let set = match text.trim().to_ascii_lowercase().as_str() {
        "null" => Some(SuiteSet::Null),
        "export" => Some(SuiteSet::Export),
        "legacy" => Some(SuiteSet::Legacy),
        "modern" => Some(SuiteSet::Modern),
        _ => None,
    };
    if let Some(set) = set {
        let codes = set.codes(tls13);
        if codes.is_empty() {
            return Err(format!("no '{text}' suite exists for this TLS version"));
        }
        return Ok(codes);
    }
    let mut out = Vec::new();
    for item in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let code = if let Some(h) = item.strip_prefix("0x").or_else(|| item.strip_prefix("0X")) {
            u16::from_str_radix(h, 16).map_err(|_| format!("'{item}' is not a 16-bit hex code"))?
        } else {
            by_name(item).map(|s| s.code).ok_or_else(|| {
                format!("unknown cipher suite '{item}' (use its IANA name or 0xHHHH)")
            })?
        };
        out.push(code);
    }
    if out.is_empty() {
        return Err("empty cipher-suite list".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_unique_and_sorted() {
        for w in SUITES.windows(2) {
            assert!(w[0].code < w[1].code, "{:?} {:?}", w[0], w[1]);
        }
    }

    #[test]
    fn flags_from_names() {
        let f = flags(0x003b);
        assert!(f.null && !f.export && !f.anon && f.weak());
        let f = flags(0x0017);
        assert!(f.export && f.anon && f.rc4 && !f.null);
        assert!(flags(0x0009).des && !flags(0x000a).des && flags(0x000a).triple_des);
        assert!(!flags(0xc02f).weak() && !flags(0x1301).weak());
        assert!(flags(0xc0b4).null && is_tls13(0xc0b4));
        assert!(flags(0x00ff).scsv);
        assert_eq!(flags(0xeeee), SuiteFlags::default());
        assert_eq!(name(0xeeee), "0xeeee");
    }

    #[test]
    fn sets_and_lists() {
        let null = SuiteSet::Null.codes(false);
        assert!(null.contains(&0x003b) && null.contains(&0x0002) && !null.contains(&0x0000));
        assert!(null.iter().all(|&c| flags(c).null));
        assert_eq!(SuiteSet::Null.codes(true), vec![0xc0b4, 0xc0b5]);
        assert!(SuiteSet::Export.codes(true).is_empty());
        assert!(parse_list("export", true).is_err());
        assert!(!SuiteSet::Modern.codes(false).contains(&0x000a));
        assert_eq!(
            parse_list("TLS_RSA_WITH_NULL_SHA256, 0x0002", false),
            Ok(vec![0x003b, 0x0002])
        );
        assert!(parse_list("NOPE", false).is_err());
        assert!(parse_list("0x1", false).is_ok());
        assert!(parse_list("0x10000", false).is_err());
        assert!(parse_list(" , ", false).is_err());
    }
}
