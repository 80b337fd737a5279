//! Dispatch from a vector file's `family` to the checker that runs imsec's implementation.
//! Each checker lives next to the others below `vectors/`, one file per family group.

use super::Vector;

/// Runs imsec's implementation on one vector of `family`.
pub fn check(family: &str, v: &Vector) -> Result<(), String> {
    match family {
        "ims-key-expansion" => super::keys::check_ims_key_expansion(v),
        "hmac-96" => super::keys::check_hmac96(v),
        "esp-antireplay" => super::replay::check_antireplay(v),
        "milenage" => super::aka::check_milenage(v),
        "rijndael" => super::aka::check_rijndael(v),
        "aka" => super::aka::check_aka(v),
        "digest-aka" => super::aka::check_digest_aka(v),
        "esp" => super::esp::check(v),
        "esp_scapy" => super::esp_scapy::check(v),
        "srtp-kdf" => super::srtp::check_kdf(v),
        "srtp-aes-cm" => super::srtp::check_aes_cm(v),
        "srtp" => super::srtp::check_packet(v),
        "ikev2" => super::ikev2::check(v),
        "tls-handshake" => super::tls::check(v),
        other => Err(format!("unknown vector family '{other}' (id {})", v.id)),
    }
}
