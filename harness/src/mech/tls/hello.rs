//! ClientHello and ServerHello (RFC 5246 §7.4.1.2–7.4.1.4, RFC 8446 §4.1.2–4.1.4) and the
//! extensions a prober offers: server_name (RFC 6066 §3), supported_groups (RFC 8422 §5.1.1,
//! RFC 8446 §4.2.7), ec_point_formats (RFC 8422 §5.1.2), signature_algorithms (RFC 5246
//! §7.4.1.4.1, RFC 8446 §4.2.3), supported_versions (RFC 8446 §4.2.1), key_share (RFC 8446
//! §4.2.8), renegotiation_info (RFC 5746 §3.2).

use super::handshake::{HandshakeMsg, HandshakeType};
use super::reader::{put_vec, u16_list, Reader};
use super::TlsError;

/// Extension type code points (IANA "TLS ExtensionType Values").
pub mod ext {
    pub const SERVER_NAME: u16 = 0;
    pub const SUPPORTED_GROUPS: u16 = 10;
    pub const EC_POINT_FORMATS: u16 = 11;
    pub const SIGNATURE_ALGORITHMS: u16 = 13;
    pub const SUPPORTED_VERSIONS: u16 = 43;
    pub const KEY_SHARE: u16 = 51;
    pub const RENEGOTIATION_INFO: u16 = 0xff01;
}

/// Named groups (RFC 8446 §4.2.7).
pub mod group {
    pub const SECP256R1: u16 = 0x0017;
    pub const SECP384R1: u16 = 0x0018;
    pub const X25519: u16 = 0x001d;
}

/// The special ServerHello.random of a HelloRetryRequest (RFC 8446 §4.1.3: SHA-256 of
/// "HelloRetryRequest").
pub const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// One extension: type and opaque data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    pub typ: u16,
    pub data: Vec<u8>,
}

impl Extension {
    /// server_name with one host_name entry (RFC 6066 §3).
    pub fn server_name(host: &str) -> Extension {
        let mut entry = vec![0u8];
        put_vec(&mut entry, 2, host.as_bytes());
        let mut data = Vec::new();
        put_vec(&mut data, 2, &entry);
        Extension {
            typ: ext::SERVER_NAME,
            data,
        }
    }

    /// supported_versions as the client sends it (RFC 8446 §4.2.1: 1-octet list length).
    pub fn supported_versions(versions: &[u16]) -> Extension {
        let mut data = Vec::new();
        put_vec(&mut data, 1, &be16s(versions));
        Extension {
            typ: ext::SUPPORTED_VERSIONS,
            data,
        }
    }

    /// supported_groups.
    pub fn supported_groups(groups: &[u16]) -> Extension {
        Extension::u16_vec(ext::SUPPORTED_GROUPS, groups)
    }

    /// signature_algorithms.
    pub fn signature_algorithms(schemes: &[u16]) -> Extension {
        Extension::u16_vec(ext::SIGNATURE_ALGORITHMS, schemes)
    }

    /// ec_point_formats with `uncompressed` only.
    pub fn ec_point_formats() -> Extension {
        Extension {
            typ: ext::EC_POINT_FORMATS,
            data: vec![1, 0],
        }
    }

    /// renegotiation_info, empty (initial handshake).
    pub fn renegotiation_info() -> Extension {
        Extension {
            typ: ext::RENEGOTIATION_INFO,
            data: vec![0],
        }
    }

    /// key_share as the client sends it: a list of (group, key_exchange).
    pub fn key_share(shares: &[(u16, &[u8])]) -> Extension {
        let mut list = Vec::new();
        for (g, key) in shares {
            list.extend_from_slice(&g.to_be_bytes());
            put_vec(&mut list, 2, key);
        }
        let mut data = Vec::new();
        put_vec(&mut data, 2, &list);
        Extension {
            typ: ext::KEY_SHARE,
            data,
        }
    }

    fn u16_vec(typ: u16, values: &[u16]) -> Extension {
        let mut data = Vec::new();
        put_vec(&mut data, 2, &be16s(values));
        Extension { typ, data }
    }
}

fn be16s(values: &[u16]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

fn parse_extensions(r: &mut Reader<'_>) -> Result<Vec<Extension>, TlsError> {
    // Absent extensions block: allowed before TLS 1.3 (RFC 5246 §7.4.1.2).
    if r.remaining() == 0 {
        return Ok(Vec::new());
    }
    let block = r.vec16(0, 0xffff)?;
    let mut e = Reader::new("extensions", block);
    let mut out = Vec::new();
    while e.remaining() > 0 {
        let typ = e.u16()?;
        let data = e.vec16(0, 0xffff)?.to_vec();
        out.push(Extension { typ, data });
    }
    Ok(out)
}

fn emit_extensions(out: &mut Vec<u8>, exts: &[Extension]) {
    let mut block = Vec::new();
    for x in exts {
        block.extend_from_slice(&x.typ.to_be_bytes());
        put_vec(&mut block, 2, &x.data);
    }
    put_vec(out, 2, &block);
}

/// A ClientHello body (RFC 8446 §4.1.2; RFC 5246 §7.4.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello {
    pub legacy_version: u16,
    pub random: [u8; 32],
    pub session_id: Vec<u8>,
    pub cipher_suites: Vec<u16>,
    pub compression_methods: Vec<u8>,
    /// `None`: no extensions block at all (TLS ≤ 1.2 only).
    pub extensions: Option<Vec<Extension>>,
}

impl ClientHello {
    /// Parses a ClientHello body (after the handshake header).
    pub fn parse(body: &[u8]) -> Result<ClientHello, TlsError> {
        let mut r = Reader::new("client_hello", body);
        let legacy_version = r.u16()?;
        let random = random32(r.bytes(32)?);
        let session_id = r.vec8(0, 32)?.to_vec();
        let cipher_suites = u16_list("cipher_suites", r.vec16(2, 0xfffe)?)?;
        let compression_methods = r.vec8(1, 0xff)?.to_vec();
        let extensions = if r.remaining() == 0 {
            None
        } else {
            Some(parse_extensions(&mut r)?)
        };
        r.finish()?;
        Ok(ClientHello {
            legacy_version,
            random,
            session_id,
            cipher_suites,
            compression_methods,
            extensions,
        })
    }

    /// The body octets.
    pub fn emit_body(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128);
        out.extend_from_slice(&self.legacy_version.to_be_bytes());
        out.extend_from_slice(&self.random);
        put_vec(&mut out, 1, &self.session_id);
        put_vec(&mut out, 2, &be16s(&self.cipher_suites));
        put_vec(&mut out, 1, &self.compression_methods);
        if let Some(exts) = &self.extensions {
            emit_extensions(&mut out, exts);
        }
        out
    }

    /// The whole handshake message (header and body).
    pub fn emit(&self) -> Vec<u8> {
        HandshakeMsg {
            msg_type: HandshakeType::ClientHello as u8,
            body: self.emit_body(),
        }
        .emit()
    }

    /// The extension of type `typ`.
    pub fn extension(&self, typ: u16) -> Option<&Extension> {
        self.extensions.as_ref()?.iter().find(|e| e.typ == typ)
    }

    /// The versions offered: supported_versions when present (RFC 8446 §4.2.1), else the
    /// legacy_version alone.
    pub fn offered_versions(&self) -> Result<Vec<u16>, TlsError> {
        match self.extension(ext::SUPPORTED_VERSIONS) {
            Some(e) => {
                let mut r = Reader::new("supported_versions", &e.data);
                let list = u16_list("supported_versions", r.vec8(2, 254)?)?;
                r.finish()?;
                Ok(list)
            }
            None => Ok(vec![self.legacy_version]),
        }
    }

    /// The host_name of server_name (RFC 6066 §3).
    pub fn server_name(&self) -> Result<Option<String>, TlsError> {
        let Some(e) = self.extension(ext::SERVER_NAME) else {
            return Ok(None);
        };
        let mut r = Reader::new("server_name", &e.data);
        let mut list = Reader::new("server_name", r.vec16(1, 0xffff)?);
        r.finish()?;
        while list.remaining() > 0 {
            let typ = list.u8()?;
            let name = list.vec16(1, 0xffff)?;
            if typ == 0 {
                return Ok(Some(String::from_utf8_lossy(name).into_owned()));
            }
        }
        Ok(None)
    }
}

fn random32(b: &[u8]) -> [u8; 32] {
    let mut r = [0u8; 32];
    if let Some(dst) = r.get_mut(..b.len().min(32)) {
        dst.copy_from_slice(b.get(..dst.len()).unwrap_or(&[]));
    }
    r
}

/// What a prober offers: everything else of the ClientHello follows from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelloSpec {
    /// The highest (and only) version offered: TLS1_0 ..= TLS1_3.
    pub version: u16,
    pub cipher_suites: Vec<u16>,
    pub server_name: Option<String>,
    pub random: [u8; 32],
    /// The x25519 public value for TLS 1.3 (any 32 octets: the prober never finishes).
    pub x25519_share: [u8; 32],
}

/// Signature schemes offered (RFC 8446 §4.2.3): ECDSA P-256/P-384, RSA-PSS, RSA PKCS#1, Ed25519.
pub const SIGNATURE_SCHEMES: &[u16] = &[
    0x0403, 0x0503, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0807, 0x0201,
];

impl HelloSpec {
    /// The ClientHello for this offer. Up to TLS 1.2 the version goes in legacy_version and no
    /// supported_versions is sent (a TLS 1.3 server then negotiates the legacy version, RFC
    /// 8446 §4.2.1); for TLS 1.3 legacy_version is 0x0303 with supported_versions [0x0304]
    /// and an x25519 key_share. signature_algorithms only from TLS 1.2 on (RFC 5246 §7.4.1.4.1).
    pub fn client_hello(&self) -> ClientHello {
        let tls13 = self.version >= super::TLS1_3;
        let mut exts = Vec::new();
        if let Some(host) = &self.server_name {
            exts.push(Extension::server_name(host));
        }
        exts.push(Extension::supported_groups(&[
            group::X25519,
            group::SECP256R1,
            group::SECP384R1,
        ]));
        exts.push(Extension::ec_point_formats());
        if self.version >= super::TLS1_2 {
            exts.push(Extension::signature_algorithms(SIGNATURE_SCHEMES));
        }
        if tls13 {
            exts.push(Extension::supported_versions(&[super::TLS1_3]));
            exts.push(Extension::key_share(&[(group::X25519, &self.x25519_share)]));
        } else {
            exts.push(Extension::renegotiation_info());
        }
        ClientHello {
            legacy_version: if tls13 { super::TLS1_2 } else { self.version },
            random: self.random,
            session_id: Vec::new(),
            cipher_suites: self.cipher_suites.clone(),
            compression_methods: vec![0],
            extensions: Some(exts),
        }
    }
}

/// A ServerHello body (RFC 8446 §4.1.3; RFC 5246 §7.4.1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHello {
    pub legacy_version: u16,
    pub random: [u8; 32],
    pub session_id: Vec<u8>,
    pub cipher_suite: u16,
    pub compression_method: u8,
    pub extensions: Vec<Extension>,
}

impl ServerHello {
    /// Parses a ServerHello body (after the handshake header).
    pub fn parse(body: &[u8]) -> Result<ServerHello, TlsError> {
        let mut r = Reader::new("server_hello", body);
        let legacy_version = r.u16()?;
        let random = random32(r.bytes(32)?);
        let session_id = r.vec8(0, 32)?.to_vec();
        let cipher_suite = r.u16()?;
        let compression_method = r.u8()?;
        let extensions = parse_extensions(&mut r)?;
        r.finish()?;
        Ok(ServerHello {
            legacy_version,
            random,
            session_id,
            cipher_suite,
            compression_method,
            extensions,
        })
    }

    /// The body octets (RFC 5246 §7.4.1.3; the extensions block only when non-empty).
    pub fn emit_body(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(80);
        out.extend_from_slice(&self.legacy_version.to_be_bytes());
        out.extend_from_slice(&self.random);
        put_vec(&mut out, 1, &self.session_id);
        out.extend_from_slice(&self.cipher_suite.to_be_bytes());
        out.push(self.compression_method);
        if !self.extensions.is_empty() {
            emit_extensions(&mut out, &self.extensions);
        }
        out
    }

    /// The negotiated version: supported_versions when present (RFC 8446 §4.2.1: the server
    /// sends exactly one version), else legacy_version.
    pub fn selected_version(&self) -> Result<u16, TlsError> {
        match self
            .extensions
            .iter()
            .find(|e| e.typ == ext::SUPPORTED_VERSIONS)
        {
            Some(e) => match e.data[..] {
                [a, b] => Ok(u16::from_be_bytes([a, b])),
                _ => Err(TlsError::Invalid {
                    what: "supported_versions",
                    why: "a ServerHello carries exactly one version",
                }),
            },
            None => Ok(self.legacy_version),
        }
    }

    /// True for a HelloRetryRequest (RFC 8446 §4.1.3).
    pub fn is_hello_retry(&self) -> bool {
        self.random == HRR_RANDOM
    }

    /// The extension types, in order.
    pub fn extension_types(&self) -> Vec<u16> {
        self.extensions.iter().map(|e| e.typ).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(version: u16) -> HelloSpec {
        HelloSpec {
            version,
            cipher_suites: vec![0x003b, 0x0002],
            server_name: Some("pcscf.ims.example".into()),
            random: [7; 32],
            x25519_share: [9; 32],
        }
    }

    #[test]
    fn client_hello_round_trip() {
        for v in [
            super::super::TLS1_0,
            super::super::TLS1_2,
            super::super::TLS1_3,
        ] {
            let ch = spec(v).client_hello();
            let msg = ch.emit();
            assert_eq!(msg[0], 1);
            let parsed = ClientHello::parse(&msg[4..]).unwrap();
            assert_eq!(parsed, ch);
            assert_eq!(
                parsed.server_name().unwrap().as_deref(),
                Some("pcscf.ims.example")
            );
            let offered = parsed.offered_versions().unwrap();
            assert_eq!(offered, vec![v]);
            assert_eq!(
                parsed.extension(ext::SIGNATURE_ALGORITHMS).is_some(),
                v >= super::super::TLS1_2
            );
        }
    }

    #[test]
    fn client_hello_rejects_bad_lengths() {
        let body = spec(super::super::TLS1_2).client_hello().emit_body();
        for cut in 0..body.len() {
            // Any truncation either fails or (at the extensions boundary) drops extensions.
            if let Ok(c) = ClientHello::parse(&body[..cut]) {
                assert!(c.extensions.is_none());
            }
        }
        let mut odd = body.clone();
        odd[36] = 3; // cipher_suites length low byte (session_id length 0 at 34)
        assert!(ClientHello::parse(&odd).is_err());
    }

    #[test]
    fn server_hello_version_and_hrr() {
        let mut body = vec![3, 3];
        body.extend_from_slice(&HRR_RANDOM);
        body.extend_from_slice(&[0, 0x13, 0x01, 0, 0, 6, 0, 43, 0, 2, 3, 4]);
        let sh = ServerHello::parse(&body).unwrap();
        assert!(sh.is_hello_retry());
        assert_eq!(sh.selected_version(), Ok(0x0304));
        assert_eq!(sh.extension_types(), vec![43]);
        assert_eq!(sh.emit_body(), body);
        let short = &body[..body.len() - 1];
        assert!(ServerHello::parse(short).is_err());
    }
}
