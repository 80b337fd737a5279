//! Key inputs of `imsec replay`, any combination:
//! - a subscriber file (YAML): IMPI, K and OP or OPc, from which CK/IK follow with Milenage
//!   (TS 35.206) and the RAND of the 401 nonce (RFC 3310 §3.2); the AUTN's MAC (f1) picks
//!   the subscriber and proves the key is right (TS 33.102 §6.3.3);
//! - a key dump for outer tunnels ([`parse_keys_file`]): strongSwan-style lines (the VoWiFi
//!   ePDG capture's `*_key.txt`) and tcpdump `-E` secrets lines;
//! - Wireshark `esp_sa` lines (read by `cli::esp::load_esp_sa`);
//! - a TLS key log ([`TlsKeyLog`], NSS `SSLKEYLOGFILE` format): TLS 1.2 master secrets and
//!   TLS 1.3 traffic secrets by client random, for [`super::hook_tls`];
//! - SDES keys (`--sdes`, read by the CLI) for [`super::hook_srtp`].

use super::tunnel::TunnelCipher;
use crate::mech::milenage::Milenage;
use std::net::IpAddr;

/// One subscriber's long-term credentials.
#[derive(Clone)]
pub struct SubscriberKey {
    /// None: try this subscriber for any IMPI.
    pub impi: Option<String>,
    pub milenage: Milenage,
}

impl std::fmt::Debug for SubscriberKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubscriberKey")
            .field("impi", &self.impi)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct SubscriberEntry {
    impi: Option<String>,
    k: Option<String>,
    op: Option<String>,
    opc: Option<String>,
}

/// Parses a subscriber file: a YAML subset of `key: value` lines (`impi` optional, `k`, and
/// exactly one of `op` / `opc`, 32 hex digits each), one mapping or a list of mappings
/// (`- ` starts an entry; `#` comments; values may be quoted). Values are read as text, not
/// YAML-typed, so a key made only of digits keeps its leading zeros.
pub fn parse_subscribers(text: &str) -> Result<Vec<SubscriberKey>, String> {
    let mut entries: Vec<SubscriberEntry> = Vec::new();
    let mut cur: Option<SubscriberEntry> = None;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.split(" #").next().unwrap_or("");
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') || t == "---" {
            continue;
        }
        let (t, starts) = match t.strip_prefix('-') {
            Some(r) => (r.trim(), true),
            None => (t, false),
        };
        let (key, value) = t
            .split_once(':')
            .ok_or_else(|| format!("line {n}: expected 'key: value'"))?;
        let value = value
            .trim()
            .trim_matches(|c| c == '"' || c == '\'')
            .to_string();
        let key = key.trim().to_ascii_lowercase();
        let e = cur.get_or_insert_with(SubscriberEntry::default);
        let slot = match key.as_str() {
            "impi" => &mut e.impi,
            "k" => &mut e.k,
            "op" => &mut e.op,
            "opc" => &mut e.opc,
            other => {
                return Err(format!(
                    "line {n}: unknown field '{other}' (impi, k, op, opc)"
                ))
            }
        };
        if starts || slot.is_some() {
            if let Some(done) = cur.take() {
                if done.k.is_some()
                    || done.impi.is_some()
                    || done.op.is_some()
                    || done.opc.is_some()
                {
                    entries.push(done);
                }
            }
            let mut fresh = SubscriberEntry::default();
            match key.as_str() {
                "impi" => fresh.impi = Some(value),
                "k" => fresh.k = Some(value),
                "op" => fresh.op = Some(value),
                _ => fresh.opc = Some(value),
            }
            cur = Some(fresh);
        } else {
            *slot = Some(value);
        }
    }
    entries.extend(cur);
    let mut out = Vec::new();
    for (i, e) in entries.into_iter().enumerate() {
        let which = format!("subscriber #{}", i + 1);
        let k = e.k.ok_or_else(|| format!("{which}: no k"))?;
        let k = crate::hexarg::decode_fixed::<16>(&k).map_err(|m| format!("{which}: k: {m}"))?;
        let milenage = match (&e.op, &e.opc) {
            (Some(op), None) => Milenage::with_op(
                &k,
                &crate::hexarg::decode_fixed::<16>(op).map_err(|m| format!("{which}: op: {m}"))?,
            ),
            (None, Some(opc)) => Milenage::new(
                &k,
                &crate::hexarg::decode_fixed::<16>(opc)
                    .map_err(|m| format!("{which}: opc: {m}"))?,
            ),
            _ => return Err(format!("{which}: give exactly one of op and opc")),
        };
        out.push(SubscriberKey {
            impi: e.impi.filter(|s| !s.is_empty()),
            milenage,
        });
    }
    if out.is_empty() {
        return Err("no subscriber in the file".into());
    }
    Ok(out)
}

/// CK and IK for a challenge, when `s` produced its AUTN (the MAC verifies).
pub fn derive_ck_ik(
    s: &SubscriberKey,
    rand: &[u8; 16],
    autn: &[u8; 16],
) -> Option<([u8; 16], [u8; 16])> {
    let f = s.milenage.f2345(rand);
    let mut sqn = [0u8; 6];
    for (i, b) in sqn.iter_mut().enumerate() {
        *b = autn.get(i).copied().unwrap_or(0) ^ f.ak.get(i).copied().unwrap_or(0);
    }
    let amf = [autn[6], autn[7]];
    let mac = s.milenage.f1(rand, &sqn, &amf);
    (mac[..] == autn[8..16]).then_some((f.ck, f.ik))
}

/// An outer-tunnel SA from a key dump.
#[derive(Debug, Clone)]
pub struct TunnelSpec {
    pub spi: u32,
    pub src: Option<IpAddr>,
    pub dst: Option<IpAddr>,
    /// Candidate ciphers: the first that opens a packet with valid padding is kept (a
    /// strongSwan dump does not say which of the initiator/responder keys an SA uses).
    pub candidates: Vec<TunnelCipher>,
    pub icv_len: usize,
    /// Line of the key file it came from.
    pub line: usize,
}

/// What a key dump held.
#[derive(Debug, Default)]
pub struct KeyFile {
    pub tunnels: Vec<TunnelSpec>,
    /// IKEv2 SA keys (`ikev2 I|R ...` tcpdump lines, `Sk_*` strongSwan lines): recorded for
    /// the IKEv2 decoder (not part of replay yet).
    pub ike_lines: usize,
    /// Lines not understood (line numbers).
    pub ignored: Vec<usize>,
}

fn hex_key(s: &str) -> Option<Vec<u8>> {
    let t = s.trim().trim_start_matches("0x").trim_start_matches("0X");
    crate::hexarg::decode(t).ok().filter(|k| !k.is_empty())
}

fn parse_spi(s: &str) -> Option<u32> {
    let t = s.trim().trim_end_matches(',');
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => u32::from_str_radix(h, 16).ok(),
        None => t.parse().ok(),
    }
}

/// The ICV length of a tcpdump algorithm suffix (`-hmac96`, `-hmac128`...), 12 when absent.
fn tcpdump_alg(alg: &str) -> Option<(bool, usize)> {
    let (cipher, icv) = match alg.split_once("-hmac") {
        Some((c, bits)) => (c, bits.parse::<usize>().ok()? / 8),
        None => (alg, 12),
    };
    let tdes = match cipher {
        "3des-cbc" | "des3-cbc" => true,
        "aes128-cbc" | "aes192-cbc" | "aes256-cbc" | "aes-cbc" => false,
        _ => return None,
    };
    Some((tdes, icv))
}

/// Parses a key dump. Understood lines:
/// - tcpdump `-E` secrets: `0xSPI@DST ALG:0xKEY` with ALG `3des-cbc[-hmac96]`,
///   `aes128-cbc…`/`aes192-cbc…`/`aes256-cbc…` (the ICV is skipped: the key is encryption only);
/// - strongSwan-style: `encryption initiator key: HEX`, `encryption responder key: HEX`,
///   then `SPI 0x…, src A dst B` lines (each SA tries both keys, AES-CBC by key length,
///   HMAC-SHA1-96 ICV length 12);
/// - `ikev2 …` and `Sk_… secret:` lines are counted as IKE keys; `#` starts a comment.
pub fn parse_keys_file(text: &str) -> Result<KeyFile, String> {
    let mut kf = KeyFile::default();
    let mut swan_keys: Vec<Vec<u8>> = Vec::new();
    let mut swan_sas: Vec<(u32, Option<IpAddr>, Option<IpAddr>, usize)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let t = raw.trim();
        let lower = t.to_ascii_lowercase();
        if t.is_empty() || t.starts_with('#') || t.starts_with("adding ") {
            continue;
        }
        if lower.starts_with("ikev2 ") || lower.starts_with("sk_") || lower.contains(" spi: ") {
            kf.ike_lines += 1;
            continue;
        }
        if let Some(rest) = lower
            .strip_prefix("encryption initiator key:")
            .or_else(|| lower.strip_prefix("encryption responder key:"))
        {
            let k = hex_key(rest).ok_or_else(|| format!("line {n}: key is not hex"))?;
            if !swan_keys.contains(&k) {
                swan_keys.push(k);
            }
            continue;
        }
        if let Some(rest) = t.strip_prefix("SPI ") {
            let mut it = rest.split_whitespace();
            let spi = it
                .next()
                .and_then(parse_spi)
                .ok_or_else(|| format!("line {n}: bad SPI"))?;
            let (mut src, mut dst) = (None, None);
            while let Some(w) = it.next() {
                match w {
                    "src" => src = it.next().and_then(|a| a.trim_end_matches(',').parse().ok()),
                    "dst" => dst = it.next().and_then(|a| a.trim_end_matches(',').parse().ok()),
                    _ => {}
                }
            }
            swan_sas.push((spi, src, dst, n));
            continue;
        }
        if let Some((sel, spec)) = t.split_once(char::is_whitespace) {
            if let Some((spi, dst)) = sel.split_once('@') {
                let spi = parse_spi(spi).ok_or_else(|| format!("line {n}: bad SPI '{spi}'"))?;
                let dst: IpAddr = dst
                    .parse()
                    .map_err(|_| format!("line {n}: bad address '{dst}'"))?;
                let spec = spec.trim().split(',').next().unwrap_or("");
                let (alg, key) = spec
                    .split_once(':')
                    .ok_or_else(|| format!("line {n}: expected ALG:0xKEY"))?;
                let (tdes, icv_len) = tcpdump_alg(alg)
                    .ok_or_else(|| format!("line {n}: algorithm '{alg}' is not supported"))?;
                let key = hex_key(key).ok_or_else(|| format!("line {n}: key is not hex"))?;
                let c = TunnelCipher::new(&key, tdes).map_err(|m| format!("line {n}: {m}"))?;
                kf.tunnels.push(TunnelSpec {
                    spi,
                    src: None,
                    dst: Some(dst),
                    candidates: vec![c],
                    icv_len,
                    line: n,
                });
                continue;
            }
        }
        kf.ignored.push(n);
    }
    if !swan_sas.is_empty() {
        let mut cands = Vec::new();
        for k in &swan_keys {
            cands.push(TunnelCipher::new(k, false).map_err(|m| format!("strongSwan key: {m}"))?);
        }
        if cands.is_empty() {
            return Err("SPI lines without any 'encryption ... key' line".into());
        }
        for (spi, src, dst, line) in swan_sas {
            kf.tunnels.push(TunnelSpec {
                spi,
                src,
                dst,
                candidates: cands.clone(),
                icv_len: 12,
                line,
            });
        }
    }
    Ok(kf)
}

/// A TLS key log (NSS format): the number of secrets it holds, recorded in the report.
pub fn count_tls_secrets(text: &str) -> usize {
    text.lines()
        .filter(|l| {
            let w = l.split_whitespace().next().unwrap_or("");
            !w.starts_with('#')
                && w.chars().all(|c| c.is_ascii_uppercase() || c == '_')
                && !w.is_empty()
        })
        .count()
}

/// The secrets of one TLS session in a key log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsSecrets {
    /// `CLIENT_RANDOM`: the TLS 1.2 master secret (48 octets).
    pub master: Option<Vec<u8>>,
    pub client_handshake: Option<Vec<u8>>,
    pub server_handshake: Option<Vec<u8>>,
    pub client_traffic0: Option<Vec<u8>>,
    pub server_traffic0: Option<Vec<u8>>,
}

/// A TLS key log (NSS key log format, the `SSLKEYLOGFILE` of NSS, OpenSSL `-keylogfile`,
/// rustls `KeyLogFile`): `LABEL <client random, 64 hex> <secret, hex>` lines. Labels read:
/// `CLIENT_RANDOM` (TLS 1.2 master secret) and the TLS 1.3 `CLIENT_HANDSHAKE_TRAFFIC_SECRET`,
/// `SERVER_HANDSHAKE_TRAFFIC_SECRET`, `CLIENT_TRAFFIC_SECRET_0`, `SERVER_TRAFFIC_SECRET_0`;
/// other labels (`RSA`, `EXPORTER_SECRET`, early data) are skipped without complaint.
#[derive(Debug, Clone, Default)]
pub struct TlsKeyLog {
    pub sessions: std::collections::HashMap<[u8; 32], TlsSecrets>,
}

impl TlsKeyLog {
    /// Parses a key log; the second value lists the line numbers of lines with a known label
    /// that could not be read (bad hex or length).
    pub fn parse(text: &str) -> (TlsKeyLog, Vec<usize>) {
        let mut kl = TlsKeyLog::default();
        let mut bad = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let mut w = line.split_whitespace();
            let (Some(label), Some(cr), Some(sec)) = (w.next(), w.next(), w.next()) else {
                continue;
            };
            let known = matches!(
                label,
                "CLIENT_RANDOM"
                    | "CLIENT_HANDSHAKE_TRAFFIC_SECRET"
                    | "SERVER_HANDSHAKE_TRAFFIC_SECRET"
                    | "CLIENT_TRAFFIC_SECRET_0"
                    | "SERVER_TRAFFIC_SECRET_0"
            );
            if !known {
                continue;
            }
            let cr = crate::hexarg::decode_fixed::<32>(cr).ok();
            let sec = hex::decode(sec)
                .ok()
                .filter(|s| (16..=64).contains(&s.len()));
            let (Some(cr), Some(sec)) = (cr, sec) else {
                bad.push(i + 1);
                continue;
            };
            let e = kl.sessions.entry(cr).or_default();
            let slot = match label {
                "CLIENT_RANDOM" => &mut e.master,
                "CLIENT_HANDSHAKE_TRAFFIC_SECRET" => &mut e.client_handshake,
                "SERVER_HANDSHAKE_TRAFFIC_SECRET" => &mut e.server_handshake,
                "CLIENT_TRAFFIC_SECRET_0" => &mut e.client_traffic0,
                _ => &mut e.server_traffic0,
            };
            *slot = Some(sec);
        }
        (kl, bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_key_log_lines() {
        let cr = "ab".repeat(32);
        let text = format!(
            "# SSL/TLS secrets log file\nRSA 0011 2233\nCLIENT_RANDOM {cr} {}\n\
             SERVER_TRAFFIC_SECRET_0 {cr} {}\nCLIENT_RANDOM zz {}\nEXPORTER_SECRET {cr} 00\n",
            "01".repeat(48),
            "02".repeat(32),
            "03".repeat(48)
        );
        let (kl, bad) = TlsKeyLog::parse(&text);
        assert_eq!(bad, vec![5]);
        let s = kl.sessions.get(&[0xab; 32]).unwrap();
        assert_eq!(s.master.as_deref(), Some(&[1u8; 48][..]));
        assert_eq!(s.server_traffic0.as_deref(), Some(&[2u8; 32][..]));
        assert_eq!(s.client_traffic0, None);
    }

    #[test]
    fn keys_files_of_both_styles() {
        let swan = "Initiator SPI: d5111ab085365c17\nSk_ai secret: B1A7\n\
                    encryption initiator key: 13D71EE2729F72928BAC50E8E821BCC2BD62E005B70F219B808126E94E5DF085\n\
                    encryption responder key: 2073F2C2748079DF05424E4DA71687194873D598C77F335D138822114D64444D\n\
                    adding inbound ESP SA\nSPI 0xc9ce18b0, src 10.0.60.29 dst 10.0.60.1\n";
        let k = parse_keys_file(swan).unwrap();
        assert_eq!(k.tunnels.len(), 1);
        assert_eq!(k.tunnels[0].spi, 0xc9ce18b0);
        assert_eq!(k.tunnels[0].candidates.len(), 2);
        assert_eq!(k.tunnels[0].dst, Some("10.0.60.1".parse().unwrap()));
        assert_eq!(k.ike_lines, 2);
        let td = "# c\n0x12345678@192.1.2.45 3des-cbc-hmac96:0x4043434545464649494a4a4c4c4f4f515152525454575758\n\
                  ikev2 I 0x01 0x02 sha1:0x11 aes128:0x22\n";
        let k = parse_keys_file(td).unwrap();
        assert_eq!(
            (k.tunnels.len(), k.tunnels[0].icv_len, k.ike_lines),
            (1, 12, 1)
        );
        assert!(parse_keys_file("0x1@1.2.3.4 rc4:0x00").is_err());
        assert!(parse_keys_file("SPI 0x10, src 1.1.1.1 dst 2.2.2.2").is_err());
    }

    #[test]
    fn subscriber_file_and_mac_check() {
        // TS 35.208 test set 1.
        let s = parse_subscribers(
            "impi: a@b\nk: 465b5ce8b199b49faa5f0a2ee238a6bc\nop: cdc202d5123e20f62b6d676ac72cb318\n",
        )
        .unwrap();
        let rand: [u8; 16] = hex::decode("23553cbe9637a89d218ae64dae47bf35")
            .unwrap()
            .try_into()
            .unwrap();
        let sqn = hex::decode("ff9bb4d0b607").unwrap();
        let f = s[0].milenage.f2345(&rand);
        let mut autn = [0u8; 16];
        for i in 0..6 {
            autn[i] = sqn[i] ^ f.ak[i];
        }
        autn[6..8].copy_from_slice(&[0xb9, 0xb9]);
        autn[8..].copy_from_slice(&hex::decode("4a9ffac354dfafb3").unwrap());
        let (ck, ik) = derive_ck_ik(&s[0], &rand, &autn).unwrap();
        assert_eq!(hex::encode(ck), "b40ba9a3c58b2a05bbf0d987b21bf8cb");
        assert_eq!(hex::encode(ik), "f769bcd751044604127672711c6d3441");
        autn[15] ^= 1;
        assert!(derive_ck_ik(&s[0], &rand, &autn).is_none());
        assert!(parse_subscribers("k: 00\nopc: 00").is_err());
        assert!(parse_subscribers("k: 465b5ce8b199b49faa5f0a2ee238a6bc\n").is_err());
        let two = parse_subscribers(
            "- impi: a\n  k: 00000000000000000000000000000001\n  opc: '00000000000000000000000000000002'\n\
             - k: 77777777777777776666666666666666 # digits only\n  op: 00000000000000000000000000000003\n",
        )
        .unwrap();
        assert_eq!(
            (two.len(), two[0].impi.as_deref(), two[1].impi.as_deref()),
            (2, Some("a"), None)
        );
        assert!(parse_subscribers("k: 1\nfoo: 2").is_err());
        assert_eq!(
            count_tls_secrets("# x\nCLIENT_RANDOM a b\n\nSERVER_HANDSHAKE_TRAFFIC_SECRET a b\n"),
            2
        );
    }
}
