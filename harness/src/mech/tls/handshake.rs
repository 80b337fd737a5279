//! Handshake message framing (RFC 5246 §7.4, RFC 8446 §4): msg_type (1), length (3), body;
//! messages may span several Handshake records or share one (RFC 5246 §6.2.1), so they are
//! reassembled from the record fragments.

use super::TlsError;

/// Handshake header length.
pub const HEADER_LEN: usize = 4;
/// Largest handshake message reassembled (a certificate chain fits; the u24 field allows 16 MiB,
/// a prober has no reason to buffer that much).
pub const MAX_MESSAGE: usize = 256 * 1024;

/// Handshake message types (RFC 8446 §4, RFC 5246 §7.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum HandshakeType {
    HelloRequest = 0,
    ClientHello = 1,
    ServerHello = 2,
    NewSessionTicket = 4,
    EndOfEarlyData = 5,
    EncryptedExtensions = 8,
    Certificate = 11,
    ServerKeyExchange = 12,
    CertificateRequest = 13,
    ServerHelloDone = 14,
    CertificateVerify = 15,
    ClientKeyExchange = 16,
    Finished = 20,
    CertificateStatus = 22,
    KeyUpdate = 24,
}

impl HandshakeType {
    pub fn from_u8(v: u8) -> Option<HandshakeType> {
        use HandshakeType::*;
        Some(match v {
            0 => HelloRequest,
            1 => ClientHello,
            2 => ServerHello,
            4 => NewSessionTicket,
            5 => EndOfEarlyData,
            8 => EncryptedExtensions,
            11 => Certificate,
            12 => ServerKeyExchange,
            13 => CertificateRequest,
            14 => ServerHelloDone,
            15 => CertificateVerify,
            16 => ClientKeyExchange,
            20 => Finished,
            22 => CertificateStatus,
            24 => KeyUpdate,
            _ => return None,
        })
    }

    /// Name as in the RFCs (`server_hello`), or the number.
    pub fn name(v: u8) -> String {
        use HandshakeType::*;
        let n = match HandshakeType::from_u8(v) {
            Some(HelloRequest) => "hello_request",
            Some(ClientHello) => "client_hello",
            Some(ServerHello) => "server_hello",
            Some(NewSessionTicket) => "new_session_ticket",
            Some(EndOfEarlyData) => "end_of_early_data",
            Some(EncryptedExtensions) => "encrypted_extensions",
            Some(Certificate) => "certificate",
            Some(ServerKeyExchange) => "server_key_exchange",
            Some(CertificateRequest) => "certificate_request",
            Some(ServerHelloDone) => "server_hello_done",
            Some(CertificateVerify) => "certificate_verify",
            Some(ClientKeyExchange) => "client_key_exchange",
            Some(Finished) => "finished",
            Some(CertificateStatus) => "certificate_status",
            Some(KeyUpdate) => "key_update",
            None => return v.to_string(),
        };
        n.to_string()
    }
}

/// A read view of one handshake message header and body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handshake<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Handshake<T> {
    pub fn new_unchecked(buffer: T) -> Handshake<T> {
        Handshake { buffer }
    }

    /// Wraps, requiring the header and the whole body.
    pub fn new_checked(buffer: T) -> Result<Handshake<T>, TlsError> {
        let h = Handshake { buffer };
        let have = h.buffer.as_ref().len();
        let need = HEADER_LEN + h.length();
        if have < need {
            return Err(TlsError::Truncated {
                what: "handshake message",
                have,
                need,
            });
        }
        Ok(h)
    }

    pub fn msg_type(&self) -> u8 {
        self.buffer.as_ref().first().copied().unwrap_or(0)
    }

    /// The u24 length field.
    pub fn length(&self) -> usize {
        self.buffer
            .as_ref()
            .get(1..4)
            .map(|b| b.iter().fold(0usize, |a, &x| (a << 8) | x as usize))
            .unwrap_or(0)
    }

    /// The body (as much as the buffer holds).
    pub fn body(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        let end = (HEADER_LEN + self.length()).min(b.len());
        b.get(HEADER_LEN.min(end)..end).unwrap_or(&[])
    }
}

/// One reassembled handshake message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeMsg {
    pub msg_type: u8,
    pub body: Vec<u8>,
}

impl HandshakeMsg {
    /// Header plus body.
    pub fn emit(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.body.len() + HEADER_LEN);
        out.push(self.msg_type);
        let len = (self.body.len() as u32).to_be_bytes();
        out.extend_from_slice(len.get(1..).unwrap_or(&[]));
        out.extend_from_slice(&self.body);
        out
    }
}

/// Reassembles handshake messages from the fragments of consecutive Handshake records.
#[derive(Debug, Default, Clone)]
pub struct HandshakeBuffer {
    pending: Vec<u8>,
}

impl HandshakeBuffer {
    /// Adds one Handshake record fragment.
    pub fn push(&mut self, fragment: &[u8]) -> Result<(), TlsError> {
        if self.pending.len() + fragment.len() > MAX_MESSAGE + HEADER_LEN {
            return Err(TlsError::BadLength {
                what: "handshake reassembly",
                len: self.pending.len() + fragment.len(),
                min: 0,
                max: MAX_MESSAGE + HEADER_LEN,
            });
        }
        self.pending.extend_from_slice(fragment);
        Ok(())
    }

    /// The next complete message, `Ok(None)` when more fragments are needed.
    pub fn next_message(&mut self) -> Result<Option<HandshakeMsg>, TlsError> {
        if self.pending.len() < HEADER_LEN {
            return Ok(None);
        }
        let h = Handshake::new_unchecked(&self.pending[..]);
        let len = h.length();
        if len > MAX_MESSAGE {
            return Err(TlsError::BadLength {
                what: "handshake message",
                len,
                min: 0,
                max: MAX_MESSAGE,
            });
        }
        if self.pending.len() < HEADER_LEN + len {
            return Ok(None);
        }
        let msg = HandshakeMsg {
            msg_type: h.msg_type(),
            body: h.body().to_vec(),
        };
        self.pending.drain(..HEADER_LEN + len);
        Ok(Some(msg))
    }

    /// True when no partial message is buffered.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reassembly_across_and_within_records() {
        let mut b = HandshakeBuffer::default();
        b.push(&[14, 0, 0, 0, 11, 0]).unwrap();
        assert_eq!(
            b.next_message().unwrap(),
            Some(HandshakeMsg {
                msg_type: 14,
                body: vec![]
            })
        );
        assert_eq!(b.next_message().unwrap(), None);
        b.push(&[0, 2, 0xaa]).unwrap();
        assert_eq!(b.next_message().unwrap(), None);
        b.push(&[0xbb]).unwrap();
        let m = b.next_message().unwrap().unwrap();
        assert_eq!((m.msg_type, &m.body[..]), (11, &[0xaa, 0xbb][..]));
        assert!(b.is_empty());
        assert_eq!(m.emit(), vec![11, 0, 0, 2, 0xaa, 0xbb]);
        b.push(&[1, 0xff, 0xff, 0xff]).unwrap();
        assert!(b.next_message().is_err());
        assert_eq!(HandshakeType::name(13), "certificate_request");
        assert_eq!(HandshakeType::name(99), "99");
    }
}
