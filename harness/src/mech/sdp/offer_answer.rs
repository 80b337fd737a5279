//! SDES offer/answer (RFC 4568 §7) and the TS 33.328 acceptance policy.
//!
//! RFC 4568 §7.1.1: an offer may carry several `a=crypto` lines per media description, each
//! with its own tag, in order of preference. §7.1.2: the answerer picks exactly one it
//! supports and answers with the *same tag and suite* and *its own* key (the key in the
//! answer protects what the answerer sends). §7.1.3: the offerer checks that the answer's
//! tag is one it offered, with the suite it offered under that tag.

use super::attr::{CryptoAttr, SessionParam};

/// Why an SDES answer does not fit its offer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("the answer has {0} a=crypto lines; exactly one is needed (RFC 4568 §7.1.2)")]
    Count(usize),
    #[error("answer tag {0} was not offered (RFC 4568 §7.1.3)")]
    UnknownTag(u32),
    #[error("answer tag {tag} carries suite {answer}, the offer had {offer} (RFC 4568 §7.1.3)")]
    SuiteChanged {
        tag: u32,
        offer: String,
        answer: String,
    },
    #[error("the answer reuses the offerer's key (RFC 4568 §7.1.2: each side sends its own)")]
    SameKey,
    #[error("answer a=crypto line does not parse: {0}")]
    Parse(String),
}

/// TS 33.328 §5.2/§5.3 acceptance: a suite imsec implements that encrypts, with SRTP
/// integrity and without UNENCRYPTED_SRTP, UNENCRYPTED_SRTCP or UNAUTHENTICATED_SRTP
/// (RTCP must be protected by SRTCP; null-encryption transforms should not be used), and
/// only inline keys.
pub fn ims_acceptable(c: &CryptoAttr) -> bool {
    c.suite().is_some_and(|s| s.encrypts())
        && !c.session_params.iter().any(|p| {
            matches!(
                p,
                SessionParam::UnencryptedSrtp
                    | SessionParam::UnencryptedSrtcp
                    | SessionParam::UnauthenticatedSrtp
                    | SessionParam::FecOrder(_)
                    | SessionParam::FecKey(_)
            )
        })
        && c.keys.iter().all(|k| k.inline.is_some())
        && c.srtp_params().is_ok()
}

/// RFC 4568 §7.1.2: picks the first offered line `accept` takes and builds the answer line
/// (same tag and suite, the answerer's `key_salt`, no lifetime or MKI, the offer's session
/// parameters). `None` when nothing is acceptable (the media line is then rejected).
pub fn answer(
    offered: &[CryptoAttr],
    accept: impl Fn(&CryptoAttr) -> bool,
    key_salt: &[u8],
) -> Option<CryptoAttr> {
    let chosen = offered.iter().find(|c| accept(c))?;
    let suite = chosen.suite()?;
    let mut a = CryptoAttr::new(chosen.tag, suite, key_salt);
    a.session_params = chosen.session_params.clone();
    Some(a)
}

/// RFC 4568 §7.1.3: checks the answer's crypto lines against the offer; returns the
/// answer's line and the offered line it selected.
pub fn check_answer<'a>(
    offered: &'a [CryptoAttr],
    answer_lines: &'a [CryptoAttr],
) -> Result<(&'a CryptoAttr, &'a CryptoAttr), AnswerError> {
    let [a] = answer_lines else {
        return Err(AnswerError::Count(answer_lines.len()));
    };
    let o = offered
        .iter()
        .find(|o| o.tag == a.tag)
        .ok_or(AnswerError::UnknownTag(a.tag))?;
    if o.suite_name != a.suite_name {
        return Err(AnswerError::SuiteChanged {
            tag: a.tag,
            offer: o.suite_name.clone(),
            answer: a.suite_name.clone(),
        });
    }
    let key = |c: &CryptoAttr| {
        c.keys
            .first()
            .and_then(|k| k.inline.as_ref())
            .map(|i| i.key_salt.clone())
    };
    if key(a).is_some() && key(a) == key(o) {
        return Err(AnswerError::SameKey);
    }
    Ok((a, o))
}

/// Parses every line, failing on the first that does not parse.
pub fn parse_all(lines: &[Result<CryptoAttr, String>]) -> Result<Vec<CryptoAttr>, AnswerError> {
    lines
        .iter()
        .map(|r| r.clone().map_err(AnswerError::Parse))
        .collect()
}
