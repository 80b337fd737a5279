//! Milenage, the 3GPP example AKA algorithm set (3GPP TS 35.206 §4).
//!
//! Kernel E_K is Rijndael with 128-bit key and block (= AES-128, TS 35.206 §3). The constants
//! r1..r5 and c1..c5 are the TS 35.206 §4.1 defaults: r = 64, 0, 32, 64, 96 and c1 = 0,
//! c2 = 1, c3 = 2, c4 = 4, c5 = 8 (value in the last octet).
//!
//! Test data: TS 35.208 (vectors/milenage.yaml, vectors/rijndael.yaml).

use aes::cipher::{Array, BlockCipherEncrypt, KeyInit};
use aes::Aes128;

/// The Rijndael kernel E_K (TS 35.206 §3): one AES-128 block encryption.
/// Exposed so the TS 35.208 kernel test data can be checked on its own.
pub fn rijndael_encrypt(k: &[u8; 16], input: &[u8; 16]) -> [u8; 16] {
    let cipher = Aes128::new(&Array::from(*k));
    encrypt(&cipher, input)
}

fn encrypt(cipher: &Aes128, input: &[u8; 16]) -> [u8; 16] {
    let mut block = Array::from(*input);
    cipher.encrypt_block(&mut block);
    block.into()
}

fn xor16(a: &[u8; 16], b: &[u8; 16]) -> [u8; 16] {
    let mut o = [0u8; 16];
    for (i, v) in o.iter_mut().enumerate() {
        *v = a[i] ^ b[i];
    }
    o
}

/// rot(x, r): cyclic rotation of the 128-bit value towards the most significant bit by `r`
/// bits (TS 35.206 §4.1); all r_i are multiples of 8.
fn rot(x: &[u8; 16], r_bits: usize) -> [u8; 16] {
    let mut v = *x;
    v.rotate_left((r_bits / 8) % 16);
    v
}

fn c(last: u8) -> [u8; 16] {
    let mut v = [0u8; 16];
    v[15] = last;
    v
}

/// OPc = OP ⊕ E_K(OP) (TS 35.206 §4.1).
pub fn opc_from_op(k: &[u8; 16], op: &[u8; 16]) -> [u8; 16] {
    xor16(op, &rijndael_encrypt(k, op))
}

/// Outputs of f2, f3, f4 and f5 for one RAND (TS 35.206 §4.1: OUT2..OUT4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct F2345 {
    /// f2: RES / XRES (64 bits, OUT2[64..127]).
    pub res: [u8; 8],
    /// f3: CK (OUT3).
    pub ck: [u8; 16],
    /// f4: IK (OUT4).
    pub ik: [u8; 16],
    /// f5: AK (48 bits, OUT2[0..47]).
    pub ak: [u8; 6],
}

/// A subscriber's Milenage instance: K and OPc.
#[derive(Clone)]
pub struct Milenage {
    cipher: Aes128,
    opc: [u8; 16],
}

impl std::fmt::Debug for Milenage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Milenage { .. }")
    }
}

impl Milenage {
    /// From K and OPc (what an HSS/USIM usually stores).
    pub fn new(k: &[u8; 16], opc: &[u8; 16]) -> Self {
        Milenage {
            cipher: Aes128::new(&Array::from(*k)),
            opc: *opc,
        }
    }

    /// From K and the operator variant OP; OPc is derived (TS 35.206 §4.1).
    pub fn with_op(k: &[u8; 16], op: &[u8; 16]) -> Self {
        Self::new(k, &opc_from_op(k, op))
    }

    /// The OPc in use.
    pub fn opc(&self) -> [u8; 16] {
        self.opc
    }

    fn e(&self, x: &[u8; 16]) -> [u8; 16] {
        encrypt(&self.cipher, x)
    }

    /// TEMP = E_K(RAND ⊕ OPc).
    fn temp(&self, rand: &[u8; 16]) -> [u8; 16] {
        self.e(&xor16(rand, &self.opc))
    }

    /// OUT1 = E_K(TEMP ⊕ rot(IN1 ⊕ OPc, r1) ⊕ c1) ⊕ OPc, IN1 = SQN‖AMF‖SQN‖AMF.
    fn out1(&self, rand: &[u8; 16], sqn: &[u8; 6], amf: &[u8; 2]) -> [u8; 16] {
        let mut in1 = [0u8; 16];
        in1[0..6].copy_from_slice(sqn);
        in1[6..8].copy_from_slice(amf);
        in1[8..14].copy_from_slice(sqn);
        in1[14..16].copy_from_slice(amf);
        let x = xor16(&self.temp(rand), &rot(&xor16(&in1, &self.opc), 64));
        xor16(&self.e(&x), &self.opc)
    }

    /// OUT_i = E_K(rot(TEMP ⊕ OPc, r_i) ⊕ c_i) ⊕ OPc for i = 2..5.
    fn out_i(&self, temp: &[u8; 16], r_bits: usize, ci: u8) -> [u8; 16] {
        let x = xor16(&rot(&xor16(temp, &self.opc), r_bits), &c(ci));
        xor16(&self.e(&x), &self.opc)
    }

    /// f1 and f1* together: (MAC-A, MAC-S) = (OUT1[0..63], OUT1[64..127]).
    pub fn f1_f1star(&self, rand: &[u8; 16], sqn: &[u8; 6], amf: &[u8; 2]) -> ([u8; 8], [u8; 8]) {
        let o = self.out1(rand, sqn, amf);
        let (mut a, mut s) = ([0u8; 8], [0u8; 8]);
        a.copy_from_slice(&o[0..8]);
        s.copy_from_slice(&o[8..16]);
        (a, s)
    }

    /// f1: network authentication code MAC-A.
    pub fn f1(&self, rand: &[u8; 16], sqn: &[u8; 6], amf: &[u8; 2]) -> [u8; 8] {
        self.f1_f1star(rand, sqn, amf).0
    }

    /// f1*: resynchronisation authentication code MAC-S.
    pub fn f1star(&self, rand: &[u8; 16], sqn: &[u8; 6], amf: &[u8; 2]) -> [u8; 8] {
        self.f1_f1star(rand, sqn, amf).1
    }

    /// f2, f3, f4, f5 (RES, CK, IK, AK).
    pub fn f2345(&self, rand: &[u8; 16]) -> F2345 {
        let temp = self.temp(rand);
        let o2 = self.out_i(&temp, 0, 1);
        let ck = self.out_i(&temp, 32, 2);
        let ik = self.out_i(&temp, 64, 4);
        let (mut res, mut ak) = ([0u8; 8], [0u8; 6]);
        res.copy_from_slice(&o2[8..16]);
        ak.copy_from_slice(&o2[0..6]);
        F2345 { res, ck, ik, ak }
    }

    /// f5*: resynchronisation anonymity key AK* (OUT5[0..47]).
    pub fn f5star(&self, rand: &[u8; 16]) -> [u8; 6] {
        let o5 = self.out_i(&self.temp(rand), 96, 8);
        let mut ak = [0u8; 6];
        ak.copy_from_slice(&o5[0..6]);
        ak
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h<const N: usize>(s: &str) -> [u8; N] {
        crate::hexarg::decode_fixed::<N>(s).unwrap()
    }

    /// TS 35.208 §4.3.1 test set 1 (the full table is checked by vectors/milenage.yaml).
    #[test]
    fn ts35208_set1() {
        let m = Milenage::with_op(
            &h("465b5ce8b199b49faa5f0a2ee238a6bc"),
            &h("cdc202d5123e20f62b6d676ac72cb318"),
        );
        assert_eq!(m.opc(), h::<16>("cd63cb71954a9f4e48a5994e37a02baf"));
        let rand = h("23553cbe9637a89d218ae64dae47bf35");
        let (a, s) = m.f1_f1star(&rand, &h("ff9bb4d0b607"), &h("b9b9"));
        assert_eq!(a, h::<8>("4a9ffac354dfafb3"));
        assert_eq!(s, h::<8>("01cfaf9ec4e871e9"));
        let o = m.f2345(&rand);
        assert_eq!(o.res, h::<8>("a54211d5e3ba50bf"));
        assert_eq!(o.ak, h::<6>("aa689c648370"));
        assert_eq!(m.f5star(&rand), h::<6>("451e8beca43b"));
    }

    /// TS 35.208 Rijndael kernel test set 1.
    #[test]
    fn rijndael_set1() {
        assert_eq!(
            rijndael_encrypt(
                &h("465b5ce8b199b49faa5f0a2ee238a6bc"),
                &h("ee36f7cf037d37d3692f7f0399e7949a")
            ),
            h::<16>("9e2980c59739da67b136355e3cede6a2")
        );
    }
}
