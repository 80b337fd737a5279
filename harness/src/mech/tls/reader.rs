//! A bounds-checked cursor for TLS presentation-language vectors (RFC 8446 §3.4).

use super::TlsError;

pub(crate) struct Reader<'a> {
    what: &'static str,
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(what: &'static str, buf: &'a [u8]) -> Self {
        Reader { what, buf, pos: 0 }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], TlsError> {
        let end = self.pos.checked_add(n).ok_or(TlsError::Truncated {
            what: self.what,
            have: self.remaining(),
            need: n,
        })?;
        let s = self.buf.get(self.pos..end).ok_or(TlsError::Truncated {
            what: self.what,
            have: self.remaining(),
            need: n,
        })?;
        self.pos = end;
        Ok(s)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, TlsError> {
        Ok(self.bytes(1)?.first().copied().unwrap_or(0))
    }

    pub(crate) fn u16(&mut self) -> Result<u16, TlsError> {
        let b = self.bytes(2)?;
        Ok(u16::from_be_bytes([
            b.first().copied().unwrap_or(0),
            b.get(1).copied().unwrap_or(0),
        ]))
    }

    pub(crate) fn u24(&mut self) -> Result<usize, TlsError> {
        let b = self.bytes(3)?;
        Ok(b.iter().fold(0usize, |acc, &x| (acc << 8) | x as usize))
    }

    /// A vector with a 1-octet length in `min..=max`.
    pub(crate) fn vec8(&mut self, min: usize, max: usize) -> Result<&'a [u8], TlsError> {
        let n = self.u8()? as usize;
        self.checked(n, min, max)
    }

    /// A vector with a 2-octet length in `min..=max`.
    pub(crate) fn vec16(&mut self, min: usize, max: usize) -> Result<&'a [u8], TlsError> {
        let n = self.u16()? as usize;
        self.checked(n, min, max)
    }

    /// A vector with a 3-octet length in `min..=max`.
    pub(crate) fn vec24(&mut self, min: usize, max: usize) -> Result<&'a [u8], TlsError> {
        let n = self.u24()?;
        self.checked(n, min, max)
    }

    fn checked(&mut self, n: usize, min: usize, max: usize) -> Result<&'a [u8], TlsError> {
        if n < min || n > max {
            return Err(TlsError::BadLength {
                what: self.what,
                len: n,
                min,
                max,
            });
        }
        self.bytes(n)
    }

    /// Fails when octets are left over.
    pub(crate) fn finish(&self) -> Result<(), TlsError> {
        match self.remaining() {
            0 => Ok(()),
            extra => Err(TlsError::Trailing {
                what: self.what,
                extra,
            }),
        }
    }
}

/// Reads a list of big-endian u16 from a vector body of even length.
pub(crate) fn u16_list(what: &'static str, body: &[u8]) -> Result<Vec<u16>, TlsError> {
    if body.len() % 2 != 0 {
        return Err(TlsError::Invalid {
            what,
            why: "odd length for a list of 16-bit values",
        });
    }
    Ok(body
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect())
}

/// Appends a vector with an `n`-octet length prefix (1, 2 or 3). Bodies longer than the
/// prefix can say are cut to the maximum (builders only ever pass small vectors).
pub(crate) fn put_vec(out: &mut Vec<u8>, n: usize, body: &[u8]) {
    let max = (1usize << (8 * n)) - 1;
    let body = body.get(..body.len().min(max)).unwrap_or(body);
    let len = body.len().to_be_bytes();
    out.extend_from_slice(len.get(len.len() - n..).unwrap_or(&[]));
    out.extend_from_slice(body);
}
