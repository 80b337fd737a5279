//! Wireshark esp_sa UAT (in progress).
