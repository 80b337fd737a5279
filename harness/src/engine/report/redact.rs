//! Removing secrets from SIP text and free text before it reaches a report.
//!
//! What is a secret here (replaced by [`REDACTED`]):
//! - the `ck` and `ik` parameters of a `WWW-Authenticate` challenge (TS 33.203 §7.4: the
//!   S-CSCF hands CK and IK to the P-CSCF in the 401 it forwards; the P-CSCF must strip them
//!   before the UE sees the message), quoted or token-valued, parameter names matched without
//!   regard to case (RFC 3261 §25.1 / RFC 2617 auth-params);
//! - the encryption-key and authentication-key columns (6th and 8th) of Wireshark `esp_sa`
//!   UAT lines (format in [`crate::mech::esp::uat`]);
//! - any other quoted `"0x<hex>"` column longer than 8 hex digits: an SPI is a 32-bit value
//!   (at most 8 digits) and stays readable; every ESP key is at least 16 octets.
//!
//! Also redacted, beyond the list in the engine issue, because they are session secrets in the
//! same texts: the key-salt of an SDES `a=crypto` attribute (`inline:<key||salt>`, RFC 4568
//! §6.1; the `|lifetime|MKI:len` part stays) and the secret column of an NSS TLS key-log line
//! (the client random stays, so Wireshark users can still see which session it was).
//!
//! Not secrets, kept: digest `response`, `nonce` (RAND || AUTN), `auts`, SPIs, ports, and MIKEY
//! payloads (their keys travel encrypted, RFC 3830 §4.1).
//!
//! [`redact`] is idempotent and never panics; text without secrets comes back unchanged.

/// What a secret is replaced with.
pub const REDACTED: &str = "<redacted>";

/// NSS key-log labels (the key-log format Wireshark reads; one secret per line).
const KEYLOG_LABELS: [&str; 9] = [
    "CLIENT_RANDOM",
    "CLIENT_EARLY_TRAFFIC_SECRET",
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
    "SERVER_HANDSHAKE_TRAFFIC_SECRET",
    "CLIENT_TRAFFIC_SECRET_0",
    "SERVER_TRAFFIC_SECRET_0",
    "EARLY_EXPORTER_SECRET",
    "EXPORTER_SECRET",
    "RSA",
];

/// Returns `text` with every secret listed in the module documentation replaced by
/// `<redacted>`. Line endings and everything else are kept byte for byte.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, eol) = split_eol(line);
        let body = esp_sa_line(body).unwrap_or_else(|| body.to_string());
        let body = keylog_line(&body).unwrap_or(body);
        let body = quoted_hex(&body);
        let body = auth_params(&body);
        let body = sdes_inline(&body);
        out.push_str(&body);
        out.push_str(eol);
    }
    out
}

fn split_eol(line: &str) -> (&str, &str) {
    let body = line.trim_end_matches(['\r', '\n']);
    (body, line.get(body.len()..).unwrap_or(""))
}

/// A Wireshark `esp_sa` line: the key columns (index 5 and 7) replaced. None when the line
/// is not one (so the generic rules still run on it).
fn esp_sa_line(line: &str) -> Option<String> {
    let lead = line.len() - line.trim_start().len();
    let rest = line.get(lead..)?;
    if !(rest.starts_with("\"IPv4\",") || rest.starts_with("\"IPv6\",")) {
        return None;
    }
    let mut fields = Vec::new();
    let mut s = rest;
    loop {
        let inner = s.strip_prefix('"')?;
        let end = closing_quote(inner)?;
        fields.push(inner.get(..end)?);
        s = inner.get(end + 1..)?;
        match s.strip_prefix(',') {
            Some(next) => s = next,
            None if s.trim().is_empty() => break,
            None => return None,
        }
    }
    if fields.len() < 8 {
        return None;
    }
    let mut out = String::with_capacity(line.len());
    out.push_str(line.get(..lead)?);
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        let key_column = i == 5 || i == 7;
        let empty = f.is_empty() || f.eq_ignore_ascii_case("0x");
        out.push_str(if key_column && !empty { REDACTED } else { f });
        out.push('"');
    }
    out.push_str(s);
    Some(out)
}

/// Byte offset of the closing `"` of a quoted string whose opening quote was just consumed
/// (a backslash escapes the next character, RFC 3261 quoted-pair and Wireshark UAT alike).
fn closing_quote(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(i),
            _ => {}
        }
    }
    None
}

/// An NSS key-log line `LABEL <client_random> <secret>`: the secret replaced.
fn keylog_line(line: &str) -> Option<String> {
    let mut parts = line.split(' ');
    let label = parts.next()?;
    let random = parts.next()?;
    let secret = parts.next()?;
    let is_hex = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit());
    if parts.next().is_some()
        || !KEYLOG_LABELS.contains(&label)
        || !is_hex(random)
        || !is_hex(secret)
    {
        return None;
    }
    Some(format!("{label} {random} {REDACTED}"))
}

/// `"0x<hex>"` with more than 8 hex digits → `"<redacted>"`.
fn quoted_hex(line: &str) -> String {
    let b = line.as_bytes();
    let mut out = String::with_capacity(line.len());
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        if b.get(i) == Some(&b'"')
            && b.get(i + 1) == Some(&b'0')
            && matches!(b.get(i + 2), Some(b'x' | b'X'))
        {
            let digits = b
                .get(i + 3..)
                .unwrap_or(&[])
                .iter()
                .take_while(|c| c.is_ascii_hexdigit())
                .count();
            let close = i + 3 + digits;
            if digits > 8 && b.get(close) == Some(&b'"') {
                out.push_str(line.get(copied..i).unwrap_or(""));
                out.push('"');
                out.push_str(REDACTED);
                out.push('"');
                copied = close + 1;
                i = close + 1;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(line.get(copied..).unwrap_or(""));
    out
}

/// `ck=` / `ik=` auth-params (any case, optional spaces around `=`), quoted or token value.
fn auth_params(line: &str) -> String {
    let b = line.as_bytes();
    let mut out = String::with_capacity(line.len());
    let mut copied = 0;
    let mut i = 0;
    while i + 1 < b.len() {
        let name_ok = matches!(b.get(i), Some(b'c' | b'C' | b'i' | b'I'))
            && matches!(b.get(i + 1), Some(b'k' | b'K'));
        let boundary = i == 0
            || b.get(i - 1)
                .is_some_and(|p| !(p.is_ascii_alphanumeric() || matches!(p, b'-' | b'_' | b'.')));
        if !(name_ok && boundary) {
            i += 1;
            continue;
        }
        let mut j = i + 2;
        while matches!(b.get(j), Some(b' ' | b'\t')) {
            j += 1;
        }
        if b.get(j) != Some(&b'=') {
            i += 1;
            continue;
        }
        j += 1;
        while matches!(b.get(j), Some(b' ' | b'\t')) {
            j += 1;
        }
        let (start, end, quoted) = if b.get(j) == Some(&b'"') {
            let inner = line.get(j + 1..).unwrap_or("");
            match closing_quote(inner) {
                Some(e) => (j + 1, j + 1 + e, true),
                // Unterminated: everything to the end of the line is the value.
                None => (j + 1, b.len(), true),
            }
        } else {
            let len = b
                .get(j..)
                .unwrap_or(&[])
                .iter()
                .take_while(|c| !matches!(c, b',' | b';' | b' ' | b'\t' | b'"' | b'>'))
                .count();
            (j, j + len, false)
        };
        let value = line.get(start..end).unwrap_or("");
        if value.is_empty() || value == REDACTED {
            i = end.max(i + 1);
            continue;
        }
        out.push_str(line.get(copied..start).unwrap_or(""));
        out.push_str(REDACTED);
        copied = end;
        i = end + usize::from(quoted);
    }
    out.push_str(line.get(copied..).unwrap_or(""));
    out
}

/// SDES `inline:<key||salt>` (RFC 4568 §6.1) → `inline:<redacted>`, keeping `|lifetime|MKI`.
fn sdes_inline(line: &str) -> String {
    const TAG: &str = "inline:";
    let lower = line.to_ascii_lowercase();
    let mut out = String::with_capacity(line.len());
    let mut copied = 0;
    let mut from = 0;
    while let Some(pos) = lower.get(from..).and_then(|s| s.find(TAG)) {
        let start = from + pos + TAG.len();
        let len = line
            .get(start..)
            .unwrap_or("")
            .bytes()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'='))
            .count();
        if len > 0 {
            out.push_str(line.get(copied..start).unwrap_or(""));
            out.push_str(REDACTED);
            copied = start + len;
        }
        from = start + len;
    }
    out.push_str(line.get(copied..).unwrap_or(""));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CK: &str = "b40ba9a3c58b2a05bbf0d987b21bf8cb";
    const IK: &str = "f769bcd751044604127672711c6d3441";

    #[test]
    fn www_authenticate_ck_ik_removed_rest_kept() {
        let sip = format!(
            "SIP/2.0 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"ims.example.net\", \
             nonce=\"3sPY2vrJ7X8=\", algorithm=AKAv1-MD5, qop=\"auth\", ck=\"{CK}\", ik=\"{IK}\"\r\n\
             Content-Length: 0\r\n\r\n"
        );
        let r = redact(&sip);
        assert!(!r.contains(CK) && !r.contains(IK), "{r}");
        assert!(
            r.contains("ck=\"<redacted>\", ik=\"<redacted>\"\r\n"),
            "{r}"
        );
        assert!(r.contains("nonce=\"3sPY2vrJ7X8=\""));
        assert!(r.ends_with("Content-Length: 0\r\n\r\n"));
        assert_eq!(r.len(), sip.len() - 2 * CK.len() + 2 * REDACTED.len());
    }

    #[test]
    fn ck_ik_any_case_spacing_and_token_values() {
        let r = redact(&format!("Digest CK = \"{CK}\",IK={IK}, qop=auth"));
        assert_eq!(r, "Digest CK = \"<redacted>\",IK=<redacted>, qop=auth");
        let r = redact(&format!("leaked ck={CK}; then ik=\"{IK}"));
        assert_eq!(r, "leaked ck=<redacted>; then ik=\"<redacted>");
    }

    #[test]
    fn similar_names_and_response_are_kept() {
        for keep in [
            "Authorization: Digest username=\"u@ims\", response=\"6629fae49393a05397450978507c4ef1\"",
            "quick=\"abc\", brick=1, x-ck=\"00\", pick = 2",
            "Security-Server: ipsec-3gpp; alg=hmac-sha-1-96; spi-c=1111; spi-s=2222; port-c=5062",
            "ck= , ik=\"\"",
            "SPI \"0x0000a001\" and \"0x1\"",
        ] {
            assert_eq!(redact(keep), keep);
        }
    }

    #[test]
    fn esp_sa_key_columns_redacted_spi_kept() {
        let line = "\"IPv4\",\"10.0.0.1\",\"10.0.0.2\",\"0x00001234\",\"AES-CBC [RFC3602]\",\
                    \"0x000102030405060708090a0b0c0d0e0f\",\"HMAC-SHA-1-96 [RFC2404]\",\
                    \"0x000102030405060708090a0b0c0d0e0f10111213\"\n";
        assert_eq!(
            redact(line),
            "\"IPv4\",\"10.0.0.1\",\"10.0.0.2\",\"0x00001234\",\"AES-CBC [RFC3602]\",\
             \"<redacted>\",\"HMAC-SHA-1-96 [RFC2404]\",\"<redacted>\"\n"
        );
        // Short or oddly written keys in the key columns go too; empty NULL keys stay empty.
        let l = "\"IPv6\",\"*\",\"*\",\"4660\",\"TripleDES-CBC [RFC2451]\",\"0x00\",\"NULL\",\"\",\"x\"";
        assert_eq!(
            redact(l),
            "\"IPv6\",\"*\",\"*\",\"4660\",\"TripleDES-CBC [RFC2451]\",\"<redacted>\",\"NULL\",\"\",\"x\""
        );
    }

    #[test]
    fn generic_quoted_hex_keys_redacted() {
        let t = "# comment \"0x00112233445566778899aabbccddeeff\" spi \"0x0000a001\"";
        assert_eq!(redact(t), "# comment \"<redacted>\" spi \"0x0000a001\"");
        assert_eq!(redact("\"0X0011223344\""), "\"<redacted>\"");
        // Unterminated or non-hex: left alone.
        for keep in ["\"0x00112233445566778899", "\"0x0011223344g\""] {
            assert_eq!(redact(keep), keep);
        }
    }

    #[test]
    fn sdes_and_keylog_secrets_redacted() {
        let sdp = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4\r\n";
        assert_eq!(
            redact(sdp),
            "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:<redacted>|2^20|1:4\r\n"
        );
        let random = "a".repeat(64);
        let kl = format!("CLIENT_TRAFFIC_SECRET_0 {random} {}\n", "b".repeat(96));
        assert_eq!(
            redact(&kl),
            format!("CLIENT_TRAFFIC_SECRET_0 {random} <redacted>\n")
        );
        let not_kl = "CLIENT_RANDOM is a label";
        assert_eq!(redact(not_kl), not_kl);
    }

    #[test]
    fn idempotent_and_total() {
        let sip = format!(
            "ck=\"{CK}\"\n\"IPv4\",\"a\",\"b\",\"0x1\",\"NULL\",\"0x{CK}\",\"NULL\",\"0x{IK}\"\r\n"
        );
        let once = redact(&sip);
        assert_eq!(redact(&once), once);
        for odd in [
            "",
            "\n",
            "ck",
            "ck=",
            "ck=\"",
            "\"",
            "\"0x",
            "\"IPv4\",",
            "\"IPv4\",\"",
            "inline:",
            "é ck=\"é\" ík=1 \"IPv6\",\"é\"",
        ] {
            let _ = redact(odd);
        }
        assert_eq!(redact("é ck=\"é\""), "é ck=\"<redacted>\"");
    }
}
