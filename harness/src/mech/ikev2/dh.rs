//! Diffie-Hellman for the KE payload (RFC 7296 §3.4, §2.14): group 14 (MODP-2048,
//! RFC 3526 §3), group 19 (ECP-256, RFC 5903 §3, §7: KE data is x | y, the shared secret
//! is x) and group 31 (Curve25519, RFC 8031 §2: 32-octet u-coordinates). The private value
//! is passed in (mechanisms take no randomness of their own).

use super::consts::dh;
use super::IkeError;
use num_bigint::BigUint;

/// RFC 3526 §3 prime (the "2048-bit MODP Group"); generator 2. Cross-checked against
/// OpenSSL's built-in `modp_2048` group (`openssl genpkey -genparam -algorithm DH
/// -pkeyopt group:modp_2048`).
const MODP_2048_P: &str = "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7edee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf0598da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3be39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf6955817183995497cea956ae515d2261898fa051015728e5a8aacaa68ffffffffffffffff";

/// The groups imsec can compute.
pub const SUPPORTED: [u16; 3] = [dh::MODP_2048, dh::ECP_256, dh::CURVE25519];

/// Length of the private value imsec draws for `group` (octets).
pub fn private_len(group: u16) -> Result<usize, IkeError> {
    match group {
        dh::MODP_2048 | dh::ECP_256 | dh::CURVE25519 => Ok(32),
        g => Err(IkeError::Unsupported(format!("D-H group {g}"))),
    }
}

fn modp_p() -> BigUint {
    // The constant is valid hex; an empty value would only make every check below fail.
    BigUint::parse_bytes(MODP_2048_P.as_bytes(), 16).unwrap_or_default()
}

fn pad_to(v: &BigUint, n: usize) -> Vec<u8> {
    let b = v.to_bytes_be();
    let mut out = vec![0u8; n.saturating_sub(b.len())];
    out.extend_from_slice(&b);
    out
}

fn p256_secret(private: &[u8]) -> Result<p256::SecretKey, IkeError> {
    p256::SecretKey::from_slice(private)
        .map_err(|_| IkeError::Crypto("ECP-256 private value out of range".into()))
}

fn x25519_secret(private: &[u8]) -> Result<x25519_dalek::StaticSecret, IkeError> {
    let k: [u8; 32] = private
        .try_into()
        .map_err(|_| IkeError::Crypto("Curve25519 private value must be 32 octets".into()))?;
    Ok(x25519_dalek::StaticSecret::from(k))
}

/// The public value (KE data) for `private`.
pub fn public(group: u16, private: &[u8]) -> Result<Vec<u8>, IkeError> {
    match group {
        dh::MODP_2048 => {
            let p = modp_p();
            let x = BigUint::from_bytes_be(private);
            Ok(pad_to(&BigUint::from(2u8).modpow(&x, &p), 256))
        }
        dh::ECP_256 => {
            use p256::elliptic_curve::sec1::ToEncodedPoint;
            let pk = p256_secret(private)?.public_key();
            let pt = pk.to_encoded_point(false);
            Ok(pt.as_bytes().get(1..).unwrap_or(&[]).to_vec())
        }
        dh::CURVE25519 => {
            let s = x25519_secret(private)?;
            Ok(x25519_dalek::PublicKey::from(&s).as_bytes().to_vec())
        }
        g => Err(IkeError::Unsupported(format!("D-H group {g}"))),
    }
}

/// The shared secret g^ir from our `private` value and the peer's KE data. Peer values are
/// checked: MODP 1 < y < p-1 (RFC 7296 §5 / RFC 6989 §2.1), ECP on the curve
/// (RFC 6989 §2.3), Curve25519 not all-zero output (RFC 8031 §2).
pub fn shared(group: u16, private: &[u8], peer: &[u8]) -> Result<Vec<u8>, IkeError> {
    match group {
        dh::MODP_2048 => {
            let p = modp_p();
            if peer.len() != 256 {
                return Err(IkeError::Crypto(format!(
                    "MODP-2048 KE data is {} octets, not 256",
                    peer.len()
                )));
            }
            let y = BigUint::from_bytes_be(peer);
            let one = BigUint::from(1u8);
            if y <= one || y >= &p - &one {
                return Err(IkeError::Crypto("MODP-2048 peer value out of range".into()));
            }
            let x = BigUint::from_bytes_be(private);
            Ok(pad_to(&y.modpow(&x, &p), 256))
        }
        dh::ECP_256 => {
            if peer.len() != 64 {
                return Err(IkeError::Crypto(format!(
                    "ECP-256 KE data is {} octets, not 64",
                    peer.len()
                )));
            }
            let mut sec1 = Vec::with_capacity(65);
            sec1.push(4);
            sec1.extend_from_slice(peer);
            let pk = p256::PublicKey::from_sec1_bytes(&sec1)
                .map_err(|_| IkeError::Crypto("ECP-256 peer point not on the curve".into()))?;
            let s = p256_secret(private)?;
            let ss = p256::ecdh::diffie_hellman(s.to_nonzero_scalar(), pk.as_affine());
            Ok(ss.raw_secret_bytes().to_vec())
        }
        dh::CURVE25519 => {
            let k: [u8; 32] = peer.try_into().map_err(|_| {
                IkeError::Crypto(format!(
                    "Curve25519 KE data is {} octets, not 32",
                    peer.len()
                ))
            })?;
            let s = x25519_secret(private)?;
            let ss = s.diffie_hellman(&x25519_dalek::PublicKey::from(k));
            if ss.as_bytes().iter().all(|b| *b == 0) {
                return Err(IkeError::Crypto("Curve25519 shared secret is zero".into()));
            }
            Ok(ss.as_bytes().to_vec())
        }
        g => Err(IkeError::Unsupported(format!("D-H group {g}"))),
    }
}
