//! SDP (RFC 8866) for media plane security (TS 33.328): a byte-faithful codec and typed
//! access to what SDES/SRTP and MSRP over TLS need.
//!
//! - [`Sdp::parse`] keeps every line, its order and its line ending, so [`Sdp::emit`] gives
//!   back the input byte for byte; unknown line types and attributes are kept as they are.
//!   A line must have the RFC 8866 §5 shape `<type>=<value>` with a lower-case letter type,
//!   and the first line must be `v=` (§5.1).
//! - [`Media`] views one media description (§5.14 `m=` and the lines up to the next `m=`).
//! - [`attr`]: `a=crypto` (RFC 4568 §9), `a=3ge2ae` (TS 24.229 §7.5), `a=fingerprint`
//!   (RFC 8122 §5), `a=setup` (RFC 4145 §4), `a=path` (RFC 4975 §9), `a=key-mgmt` (RFC 4567,
//!   kept intact as raw text).
//! - [`offer_answer`]: SDES offer/answer (RFC 4568 §7).
//! - Edits ([`Sdp::set_proto`], [`Sdp::remove_attrs`], [`Sdp::add_attr`], ...) change only the
//!   lines they name, so an IMS-ALG can rewrite a description and leave the rest untouched.

pub mod attr;
pub mod offer_answer;

#[cfg(test)]
mod tests;

pub use attr::{
    CryptoAttr, E2ae, Fingerprint, InlineKey, KeyParam, Lifetime, Mki, SessionParam, Setup,
};

/// Why a text is not an SDP description.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    #[error("line {line}: not of the form <type>=<value> (RFC 8866 §5)")]
    LineShape { line: usize },
    #[error("the first line must be v= (RFC 8866 §5.1)")]
    NoVersion,
    #[error("line {line}: m= line: {why} (RFC 8866 §5.14)")]
    MediaLine { line: usize, why: &'static str },
    #[error("no media description {0}")]
    NoMedia(usize),
}

/// A line ending as it was in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eol {
    CrLf,
    Lf,
    /// The last line had no line ending.
    None,
}

impl Eol {
    pub fn as_str(self) -> &'static str {
        match self {
            Eol::CrLf => "\r\n",
            Eol::Lf => "\n",
            Eol::None => "",
        }
    }
}

/// One line: type letter, value (after `=`), and the line ending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub kind: char,
    pub value: String,
    pub eol: Eol,
}

impl Line {
    /// For `a=` lines: the attribute name and optional value (RFC 8866 §5.13:
    /// `a=<attribute-name>[:<attribute-value>]`).
    pub fn attr(&self) -> Option<(&str, Option<&str>)> {
        if self.kind != 'a' {
            return None;
        }
        Some(match self.value.split_once(':') {
            Some((n, v)) => (n, Some(v)),
            None => (self.value.as_str(), None),
        })
    }
}

/// A session description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sdp {
    pub lines: Vec<Line>,
}

/// Transport protocol of an m-line (RFC 8866 §5.14, RFC 3711 §12 (RTP/SAVP), RFC 4975 §8.1
/// (TCP/MSRP, TCP/TLS/MSRP)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proto {
    RtpAvp,
    RtpSavp,
    RtpAvpf,
    RtpSavpf,
    TcpMsrp,
    TcpTlsMsrp,
    Other(String),
}

impl Proto {
    pub fn parse(s: &str) -> Proto {
        match s {
            "RTP/AVP" => Proto::RtpAvp,
            "RTP/SAVP" => Proto::RtpSavp,
            "RTP/AVPF" => Proto::RtpAvpf,
            "RTP/SAVPF" => Proto::RtpSavpf,
            "TCP/MSRP" => Proto::TcpMsrp,
            "TCP/TLS/MSRP" => Proto::TcpTlsMsrp,
            o => Proto::Other(o.to_string()),
        }
    }
    pub fn as_str(&self) -> &str {
        match self {
            Proto::RtpAvp => "RTP/AVP",
            Proto::RtpSavp => "RTP/SAVP",
            Proto::RtpAvpf => "RTP/AVPF",
            Proto::RtpSavpf => "RTP/SAVPF",
            Proto::TcpMsrp => "TCP/MSRP",
            Proto::TcpTlsMsrp => "TCP/TLS/MSRP",
            Proto::Other(s) => s,
        }
    }
    /// RTP/SAVP or RTP/SAVPF: SRTP.
    pub fn is_srtp(&self) -> bool {
        matches!(self, Proto::RtpSavp | Proto::RtpSavpf)
    }
    /// Any RTP profile.
    pub fn is_rtp(&self) -> bool {
        matches!(
            self,
            Proto::RtpAvp | Proto::RtpSavp | Proto::RtpAvpf | Proto::RtpSavpf
        )
    }
}

/// The fields of an m-line: `m=<media> <port>[/<number of ports>] <proto> <fmt> ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaLine {
    pub media: String,
    pub port: u16,
    pub port_count: Option<u16>,
    pub proto: Proto,
    pub fmts: Vec<String>,
}

impl MediaLine {
    pub fn parse(value: &str) -> Result<MediaLine, &'static str> {
        let mut it = value.split(' ');
        let media = it.next().filter(|s| !s.is_empty()).ok_or("no media type")?;
        let port = it.next().ok_or("no port")?;
        let (p, n) = match port.split_once('/') {
            Some((p, n)) => (
                p,
                Some(n.parse::<u16>().map_err(|_| "bad number of ports")?),
            ),
            None => (port, None),
        };
        let port = p.parse::<u16>().map_err(|_| "bad port")?;
        let proto = it.next().filter(|s| !s.is_empty()).ok_or("no proto")?;
        let fmts: Vec<String> = it.map(str::to_string).collect();
        if fmts.is_empty() || fmts.iter().any(|f| f.is_empty()) {
            return Err("no format or an empty one");
        }
        Ok(MediaLine {
            media: media.to_string(),
            port,
            port_count: n,
            proto: Proto::parse(proto),
            fmts,
        })
    }

    pub fn emit(&self) -> String {
        let port = match self.port_count {
            Some(n) => format!("{}/{}", self.port, n),
            None => self.port.to_string(),
        };
        format!(
            "{} {} {} {}",
            self.media,
            port,
            self.proto.as_str(),
            self.fmts.join(" ")
        )
    }
}

/// A view of one media description.
#[derive(Debug, Clone, Copy)]
pub struct Media<'a> {
    lines: &'a [Line],
    /// Index of the m= line in [`Sdp::lines`].
    pub start: usize,
}

impl<'a> Media<'a> {
    /// The parsed m-line (checked by [`Sdp::parse`], so this does not fail on parsed input).
    pub fn line(&self) -> Option<MediaLine> {
        self.lines
            .first()
            .and_then(|l| MediaLine::parse(&l.value).ok())
    }
    pub fn proto(&self) -> Option<Proto> {
        self.line().map(|m| m.proto)
    }
    /// Every line of the description, the m-line first.
    pub fn lines(&self) -> &'a [Line] {
        self.lines
    }
    /// Attributes in order: `(name, value)`.
    pub fn attrs(&self) -> impl Iterator<Item = (&'a str, Option<&'a str>)> + 'a {
        self.lines.iter().filter_map(Line::attr)
    }
    /// Values of every attribute called `name`.
    pub fn attr_values(&self, name: &'a str) -> impl Iterator<Item = Option<&'a str>> + 'a {
        self.attrs()
            .filter(move |(n, _)| *n == name)
            .map(|(_, v)| v)
    }
    /// Whether an attribute called `name` is present.
    pub fn has_attr(&self, name: &str) -> bool {
        self.attrs().any(|(n, _)| n == name)
    }
    /// Every `a=crypto` line, parsed (RFC 4568 §9.1).
    pub fn crypto(&self) -> Vec<Result<CryptoAttr, String>> {
        self.attr_values("crypto")
            .map(|v| CryptoAttr::parse(v.unwrap_or("")))
            .collect()
    }
    /// `a=3ge2ae` values (TS 24.229 §7.5).
    pub fn e2ae(&self) -> Vec<E2ae> {
        self.attr_values("3ge2ae")
            .map(|v| E2ae::parse(v.unwrap_or("")))
            .collect()
    }
    /// `a=fingerprint` values (RFC 8122), media level.
    pub fn fingerprints(&self) -> Vec<Result<Fingerprint, String>> {
        self.attr_values("fingerprint")
            .map(|v| Fingerprint::parse(v.unwrap_or("")))
            .collect()
    }
    /// `a=setup` (RFC 4145 §4).
    pub fn setup(&self) -> Option<Result<Setup, String>> {
        self.attr_values("setup")
            .next()
            .map(|v| Setup::parse(v.unwrap_or("")))
    }
    /// `a=path` URIs (RFC 4975 §9: space-separated MSRP URIs).
    pub fn path(&self) -> Option<Vec<&'a str>> {
        self.attr_values("path").next().map(|v| {
            v.unwrap_or("")
                .split(' ')
                .filter(|s| !s.is_empty())
                .collect()
        })
    }
    /// `a=key-mgmt` values, raw (RFC 4567; MIKEY data is not touched).
    pub fn key_mgmt(&self) -> Vec<&'a str> {
        self.attr_values("key-mgmt")
            .map(|v| v.unwrap_or(""))
            .collect()
    }
}

impl Sdp {
    /// Parses a description (see the module documentation for what is checked).
    pub fn parse(text: &str) -> Result<Sdp, SdpError> {
        let mut lines = Vec::new();
        let mut rest = text;
        let mut no = 0;
        while !rest.is_empty() {
            no += 1;
            let (raw, eol, next) = match rest.find('\n') {
                Some(i) => {
                    let raw = rest.get(..i).unwrap_or("");
                    let next = rest.get(i + 1..).unwrap_or("");
                    match raw.strip_suffix('\r') {
                        Some(r) => (r, Eol::CrLf, next),
                        None => (raw, Eol::Lf, next),
                    }
                }
                None => (rest, Eol::None, ""),
            };
            rest = next;
            let mut ch = raw.chars();
            let kind = match (ch.next(), ch.next()) {
                (Some(k), Some('=')) if k.is_ascii_lowercase() => k,
                _ => return Err(SdpError::LineShape { line: no }),
            };
            let value = raw.get(2..).unwrap_or("").to_string();
            if kind == 'm' {
                MediaLine::parse(&value).map_err(|why| SdpError::MediaLine { line: no, why })?;
            }
            lines.push(Line { kind, value, eol });
        }
        if lines.first().map(|l| l.kind) != Some('v') {
            return Err(SdpError::NoVersion);
        }
        Ok(Sdp { lines })
    }

    /// The description as text, byte-identical to the parsed input when unedited.
    pub fn emit(&self) -> String {
        let mut s = String::new();
        for l in &self.lines {
            s.push(l.kind);
            s.push('=');
            s.push_str(&l.value);
            s.push_str(l.eol.as_str());
        }
        s
    }

    fn media_starts(&self) -> Vec<usize> {
        self.lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.kind == 'm')
            .map(|(i, _)| i)
            .collect()
    }

    fn media_range(&self, m: usize) -> Result<std::ops::Range<usize>, SdpError> {
        let starts = self.media_starts();
        let start = *starts.get(m).ok_or(SdpError::NoMedia(m))?;
        let end = starts.get(m + 1).copied().unwrap_or(self.lines.len());
        Ok(start..end)
    }

    /// The media descriptions in order.
    pub fn media(&self) -> Vec<Media<'_>> {
        let starts = self.media_starts();
        starts
            .iter()
            .enumerate()
            .map(|(k, &s)| {
                let e = starts.get(k + 1).copied().unwrap_or(self.lines.len());
                Media {
                    lines: self.lines.get(s..e).unwrap_or(&[]),
                    start: s,
                }
            })
            .collect()
    }

    /// The media address of media `m`: the address of its `c=` line (media level, else
    /// session level; RFC 8866 §5.7) and the port of its m= line (§5.14). `None` when there
    /// is no such media, no `c=` line, or the address does not parse.
    pub fn media_socket(&self, m: usize) -> Option<std::net::SocketAddr> {
        let md = self.media();
        let md = md.get(m)?;
        let port = md.line()?.port;
        let conn = md
            .lines()
            .iter()
            .find(|l| l.kind == 'c')
            .or_else(|| self.session_lines().iter().find(|l| l.kind == 'c'))?;
        let addr: std::net::IpAddr = conn
            .value
            .split(' ')
            .nth(2)?
            .split('/')
            .next()?
            .parse()
            .ok()?;
        Some(std::net::SocketAddr::new(addr, port))
    }

    /// Session-level lines (before the first m=).
    pub fn session_lines(&self) -> &[Line] {
        let end = self
            .media_starts()
            .first()
            .copied()
            .unwrap_or(self.lines.len());
        self.lines.get(..end).unwrap_or(&[])
    }

    /// Session-level attributes.
    pub fn session_attrs(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.session_lines().iter().filter_map(Line::attr)
    }

    /// The line ending most lines use (for inserted lines).
    fn eol(&self) -> Eol {
        match self.lines.first().map(|l| l.eol) {
            Some(Eol::Lf) => Eol::Lf,
            _ => Eol::CrLf,
        }
    }

    /// Rewrites the m-line of media `m` with `f` (e.g. to change proto or port).
    pub fn edit_media_line(
        &mut self,
        m: usize,
        f: impl FnOnce(&mut MediaLine),
    ) -> Result<(), SdpError> {
        let r = self.media_range(m)?;
        let line = self.lines.get_mut(r.start).ok_or(SdpError::NoMedia(m))?;
        let mut ml = MediaLine::parse(&line.value).map_err(|why| SdpError::MediaLine {
            line: r.start + 1,
            why,
        })?;
        f(&mut ml);
        line.value = ml.emit();
        Ok(())
    }

    /// Sets the proto of media `m` (e.g. RTP/SAVP -> RTP/AVP at the IMS-ALG).
    pub fn set_proto(&mut self, m: usize, proto: Proto) -> Result<(), SdpError> {
        self.edit_media_line(m, |ml| ml.proto = proto)
    }

    /// Removes every attribute `name` of media `m`; returns how many were removed.
    pub fn remove_attrs(&mut self, m: usize, name: &str) -> Result<usize, SdpError> {
        let r = self.media_range(m)?;
        let before = self.lines.len();
        let mut idx = 0;
        self.lines.retain(|l| {
            let inside = r.contains(&idx);
            idx += 1;
            !(inside && l.attr().is_some_and(|(n, _)| n == name))
        });
        Ok(before - self.lines.len())
    }

    /// Removes every session-level attribute `name`; returns how many were removed.
    pub fn remove_session_attrs(&mut self, name: &str) -> usize {
        let end = self
            .media_starts()
            .first()
            .copied()
            .unwrap_or(self.lines.len());
        let before = self.lines.len();
        let mut idx = 0;
        self.lines.retain(|l| {
            let inside = idx < end;
            idx += 1;
            !(inside && l.attr().is_some_and(|(n, _)| n == name))
        });
        before - self.lines.len()
    }

    /// Appends `a=<text>` at the end of media `m` (after its last line).
    pub fn add_attr(&mut self, m: usize, text: &str) -> Result<(), SdpError> {
        let r = self.media_range(m)?;
        let eol = self.eol();
        // The new line takes the line ending of the line before it, which gets the
        // document's ending if it was the unterminated last line.
        let at = r.end;
        if let Some(prev) = at.checked_sub(1).and_then(|i| self.lines.get_mut(i)) {
            if prev.eol == Eol::None {
                prev.eol = eol;
                self.lines.insert(
                    at,
                    Line {
                        kind: 'a',
                        value: text.to_string(),
                        eol: Eol::None,
                    },
                );
                return Ok(());
            }
        }
        self.lines.insert(
            at,
            Line {
                kind: 'a',
                value: text.to_string(),
                eol,
            },
        );
        Ok(())
    }
}

/// Fuzz body (fuzz/fuzz_targets/sdp.rs): SDP and attribute parsers on arbitrary text; a
/// parsed description must re-emit byte-identically. Must never panic.
pub fn fuzz_parsers(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(s) = Sdp::parse(text) {
        debug_assert_eq!(s.emit(), text, "SDP round trip");
        for m in s.media() {
            let _ = m.crypto();
            let _ = m.e2ae();
            let _ = m.fingerprints();
            let _ = m.setup();
            let _ = m.path();
        }
        let mut e = s.clone();
        let _ = e.set_proto(0, Proto::RtpAvp);
        let _ = e.remove_attrs(0, "crypto");
        let _ = e.add_attr(0, "3ge2ae:applied");
        let _ = Sdp::parse(&e.emit());
    }
    if let Ok(c) = CryptoAttr::parse(text) {
        let again = CryptoAttr::parse(&c.emit());
        debug_assert_eq!(
            again.as_ref().ok(),
            Some(&c),
            "crypto round trip of {text:?}"
        );
        let _ = c.srtp_params();
    }
    let _ = Fingerprint::parse(text);
    let _ = Setup::parse(text);
    let _ = E2ae::parse(text);
}
