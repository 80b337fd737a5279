//! One SIP message: start line, ordered headers, body (RFC 3261 §7).

use std::fmt;

/// Limits that keep a hostile peer from making the parser allocate without bound.
pub const MAX_HEADERS: usize = 256;
/// Largest header section accepted, in octets.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// Largest body accepted, in octets.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Request-Line or Status-Line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine {
    Request {
        method: String,
        uri: String,
        version: String,
    },
    Response {
        version: String,
        code: u16,
        reason: String,
    },
}

/// A header as it appeared: name as written, value with folding removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    pub value: String,
}

/// A SIP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipMessage {
    pub start: StartLine,
    pub headers: Vec<Header>,
    pub body: Vec<u8>,
}

/// Why bytes are not a SIP message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SipError {
    #[error("incomplete message: {0}")]
    Incomplete(&'static str),
    #[error("bad start line: {0}")]
    StartLine(String),
    #[error("bad header line: {0}")]
    HeaderLine(String),
    #[error("bad Content-Length: {0}")]
    ContentLength(String),
    #[error("limit exceeded: {0}")]
    Limit(String),
    #[error("header section is not UTF-8")]
    Encoding,
}

/// Compact header forms (RFC 3261 §7.3.3 and the registry entries IMS uses).
const COMPACT: [(&str, &str); 14] = [
    ("i", "Call-ID"),
    ("m", "Contact"),
    ("e", "Content-Encoding"),
    ("l", "Content-Length"),
    ("c", "Content-Type"),
    ("f", "From"),
    ("s", "Subject"),
    ("k", "Supported"),
    ("t", "To"),
    ("v", "Via"),
    ("o", "Event"),
    ("r", "Refer-To"),
    ("u", "Allow-Events"),
    ("x", "Session-Expires"),
];

/// The full form of a header name (compact forms expanded), for comparison.
pub fn canonical_name(name: &str) -> &str {
    let n = name.trim();
    COMPACT
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(n))
        .map(|(_, full)| *full)
        .unwrap_or(n)
}

/// Whether two header names denote the same header.
pub fn same_name(a: &str, b: &str) -> bool {
    canonical_name(a).eq_ignore_ascii_case(canonical_name(b))
}

fn find_header_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

impl SipMessage {
    /// A request with no headers.
    pub fn request(method: &str, uri: &str) -> Self {
        SipMessage {
            start: StartLine::Request {
                method: method.to_string(),
                uri: uri.to_string(),
                version: "SIP/2.0".into(),
            },
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A response with no headers.
    pub fn response(code: u16, reason: &str) -> Self {
        SipMessage {
            start: StartLine::Response {
                version: "SIP/2.0".into(),
                code,
                reason: reason.to_string(),
            },
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A response to `req` (RFC 3261 §8.2.6.2): Via, From, To, Call-ID and CSeq copied; a To
    /// tag added when the request's To has none and `to_tag` is given.
    pub fn response_to(req: &SipMessage, code: u16, reason: &str, to_tag: Option<&str>) -> Self {
        let mut r = SipMessage::response(code, reason);
        for h in &req.headers {
            if same_name(&h.name, "Via") {
                r.push("Via", &h.value);
            }
        }
        for name in ["From", "To", "Call-ID", "CSeq"] {
            if let Some(v) = req.header(name) {
                let mut v = v.to_string();
                if name == "To" && !v.to_ascii_lowercase().contains(";tag=") {
                    if let Some(t) = to_tag {
                        v.push_str(";tag=");
                        v.push_str(t);
                    }
                }
                r.push(name, &v);
            }
        }
        r
    }

    /// Parses exactly one message. On a datagram, a body longer than Content-Length is cut to
    /// it (RFC 3261 §18.3); a shorter one is an error. Without Content-Length the rest of the
    /// buffer is the body (allowed on UDP only; `framing` requires it on streams).
    pub fn parse(buf: &[u8]) -> Result<SipMessage, SipError> {
        let (msg, _) = Self::parse_prefix(buf, false)?;
        Ok(msg)
    }

    /// Parses one message at the start of `buf`; returns it and the octets it used.
    /// With `need_length`, a missing Content-Length is an error (stream transports).
    pub fn parse_prefix(buf: &[u8], need_length: bool) -> Result<(SipMessage, usize), SipError> {
        let head_end = match find_header_end(buf) {
            Some(e) => e,
            None if buf.len() > MAX_HEADER_BYTES => {
                return Err(SipError::Limit(format!(
                    "header section over {MAX_HEADER_BYTES} octets"
                )))
            }
            None => return Err(SipError::Incomplete("no empty line after the headers")),
        };
        if head_end > MAX_HEADER_BYTES {
            return Err(SipError::Limit(format!(
                "header section over {MAX_HEADER_BYTES} octets"
            )));
        }
        let head = std::str::from_utf8(&buf[..head_end - 4]).map_err(|_| SipError::Encoding)?;
        let mut lines = head.split("\r\n");
        let first = lines.next().unwrap_or("");
        let start = parse_start_line(first)?;
        let mut headers: Vec<Header> = Vec::new();
        for line in lines {
            if line.starts_with(' ') || line.starts_with('\t') {
                let last = headers
                    .last_mut()
                    .ok_or_else(|| SipError::HeaderLine("continuation before any header".into()))?;
                last.value.push(' ');
                last.value.push_str(line.trim());
                continue;
            }
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| SipError::HeaderLine(truncate(line)))?;
            let name = name.trim_end();
            if name.is_empty()
                || !name
                    .chars()
                    .all(super::super::secagree::header::is_token_char)
            {
                return Err(SipError::HeaderLine(truncate(line)));
            }
            if headers.len() >= MAX_HEADERS {
                return Err(SipError::Limit(format!("more than {MAX_HEADERS} headers")));
            }
            headers.push(Header {
                name: name.to_string(),
                value: value.trim().to_string(),
            });
        }
        let mut msg = SipMessage {
            start,
            headers,
            body: Vec::new(),
        };
        let rest = &buf[head_end..];
        let used = match msg.content_length()? {
            Some(n) => {
                if n > MAX_BODY_BYTES {
                    return Err(SipError::Limit(format!("body of {n} octets")));
                }
                let body = rest
                    .get(..n)
                    .ok_or(SipError::Incomplete("body shorter than Content-Length"))?;
                msg.body = body.to_vec();
                head_end + n
            }
            None if need_length => {
                return Err(SipError::ContentLength(
                    "missing on a stream transport (RFC 3261 §18.3)".into(),
                ))
            }
            None => {
                if rest.len() > MAX_BODY_BYTES {
                    return Err(SipError::Limit(format!("body of {} octets", rest.len())));
                }
                msg.body = rest.to_vec();
                buf.len()
            }
        };
        Ok((msg, used))
    }

    /// The value of Content-Length, if present.
    pub fn content_length(&self) -> Result<Option<usize>, SipError> {
        match self.header("Content-Length") {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<usize>()
                .map(Some)
                .map_err(|_| SipError::ContentLength(truncate(v))),
        }
    }

    /// Serialises the message. Content-Length is written as present in `headers`; use
    /// [`SipMessage::with_content_length`] to set it from the body.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(512 + self.body.len());
        out.extend_from_slice(self.start.to_string().as_bytes());
        out.extend_from_slice(b"\r\n");
        for h in &self.headers {
            out.extend_from_slice(h.name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(h.value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }

    /// Sets Content-Length to the body's length (replacing any present).
    pub fn with_content_length(mut self) -> Self {
        let n = self.body.len().to_string();
        self.set("Content-Length", &n);
        self
    }

    /// First value of a header (full or compact name, case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| same_name(&h.name, name))
            .map(|h| h.value.as_str())
    }

    /// Every value of a header, in order.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |h| same_name(&h.name, name))
            .map(|h| h.value.as_str())
    }

    /// Appends a header.
    pub fn push(&mut self, name: &str, value: &str) {
        self.headers.push(Header {
            name: name.to_string(),
            value: value.to_string(),
        });
    }

    /// Builder form of [`SipMessage::push`].
    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.push(name, value);
        self
    }

    /// Replaces every occurrence of a header by one (at the first one's place), or appends it.
    pub fn set(&mut self, name: &str, value: &str) {
        match self.headers.iter().position(|h| same_name(&h.name, name)) {
            Some(i) => {
                self.headers[i].value = value.to_string();
                let mut n = 0;
                self.headers.retain(|h| {
                    !same_name(&h.name, name) || {
                        n += 1;
                        n == 1
                    }
                });
            }
            None => self.push(name, value),
        }
    }

    /// Removes every occurrence of a header; returns how many there were.
    pub fn remove(&mut self, name: &str) -> usize {
        let before = self.headers.len();
        self.headers.retain(|h| !same_name(&h.name, name));
        before - self.headers.len()
    }

    /// The method of a request, or the CSeq method of a response.
    pub fn method(&self) -> Option<String> {
        match &self.start {
            StartLine::Request { method, .. } => Some(method.clone()),
            StartLine::Response { .. } => self.cseq().map(|(_, m)| m),
        }
    }

    /// The status code of a response.
    pub fn status(&self) -> Option<u16> {
        match &self.start {
            StartLine::Response { code, .. } => Some(*code),
            StartLine::Request { .. } => None,
        }
    }

    /// CSeq number and method.
    pub fn cseq(&self) -> Option<(u32, String)> {
        let v = self.header("CSeq")?;
        let mut it = v.split_whitespace();
        let n = it.next()?.parse().ok()?;
        let m = it.next()?.to_string();
        Some((n, m))
    }

    /// Call-ID.
    pub fn call_id(&self) -> Option<&str> {
        self.header("Call-ID")
    }

    /// The `branch` parameter of the top Via.
    pub fn top_via_branch(&self) -> Option<&str> {
        let via = self.header("Via")?;
        let first = via.split(',').next()?;
        first.split(';').skip(1).find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim().eq_ignore_ascii_case("branch").then(|| v.trim())
        })
    }

    /// Whether an option tag is listed in a header such as Require or Supported.
    pub fn has_option_tag(&self, header: &str, tag: &str) -> bool {
        self.headers_named(header)
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(tag))
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(60).collect()
}

fn parse_start_line(line: &str) -> Result<StartLine, SipError> {
    let bad = || SipError::StartLine(truncate(line));
    if let Some(rest) = line.strip_prefix("SIP/") {
        let mut it = rest.splitn(3, ' ');
        let ver = it.next().ok_or_else(bad)?;
        let code: u16 = it.next().ok_or_else(bad)?.parse().map_err(|_| bad())?;
        if !(100..=699).contains(&code) {
            return Err(bad());
        }
        let reason = it.next().unwrap_or("").to_string();
        return Ok(StartLine::Response {
            version: format!("SIP/{ver}"),
            code,
            reason,
        });
    }
    let mut it = line.split(' ');
    let (m, u, v) = (it.next(), it.next(), it.next());
    match (m, u, v, it.next()) {
        (Some(m), Some(u), Some(v), None)
            if !m.is_empty()
                && m.chars().all(super::super::secagree::header::is_token_char)
                && !u.is_empty()
                && v.starts_with("SIP/") =>
        {
            Ok(StartLine::Request {
                method: m.to_string(),
                uri: u.to_string(),
                version: v.to_string(),
            })
        }
        _ => Err(bad()),
    }
}

impl fmt::Display for StartLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartLine::Request {
                method,
                uri,
                version,
            } => write!(f, "{method} {uri} {version}"),
            StartLine::Response {
                version,
                code,
                reason,
            } => write!(f, "{version} {code} {reason}"),
        }
    }
}
