/*
 * srtp_peer: a libsrtp2 peer for imsec's interoperability tests and benchmark
 * (harness/tests/srtp_libsrtp.rs, harness/benches/srtp.rs). It is an independent SRTP
 * implementation: imsec never shares code or keys with it except through these lines.
 *
 * Build:  cc -O2 -o srtp_peer tools/srtp_peer.c $(pkg-config --cflags --libs libsrtp2)
 *         (Debian: apt-get install libsrtp2-dev pkg-config)
 *
 * Usage:  srtp_peer protect|unprotect SUITE KEYSALT_HEX [MKI_HEX]
 *           reads lines "rtp HEX" or "rtcp HEX" on stdin and writes, per line, the
 *           protected/unprotected packet as HEX, or "ERR <libsrtp status>".
 *         srtp_peer bench SUITE KEYSALT_HEX SIZE COUNT
 *           times COUNT protect and COUNT unprotect calls on SIZE-octet RTP packets
 *           (12-octet header + payload) and prints "protect_pps=N unprotect_pps=N".
 * SUITE:  AES_CM_128_HMAC_SHA1_80 | AES_CM_128_HMAC_SHA1_32 | NULL_HMAC_SHA1_80
 *         (SRTCP always uses an 80-bit tag, RFC 4568 §6.2.2).
 * The SSRC is taken from each packet (ssrc_any_outbound / ssrc_any_inbound), replay window 128.
 */
#include <srtp2/srtp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAXPKT 8192

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int unhex(const char *s, uint8_t *out, int max)
{
    int n = 0;
    while (s[0] && s[0] != '\n' && s[0] != '\r') {
        int a = hexval(s[0]), b = s[1] ? hexval(s[1]) : -1;
        if (a < 0 || b < 0 || n >= max) return -1;
        out[n++] = (uint8_t)(a * 16 + b);
        s += 2;
    }
    return n;
}

static void put_hex(const uint8_t *b, int n)
{
    for (int i = 0; i < n; i++) printf("%02x", b[i]);
    printf("\n");
}

static int set_suite(srtp_policy_t *p, const char *suite)
{
    if (!strcmp(suite, "AES_CM_128_HMAC_SHA1_80")) {
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
    } else if (!strcmp(suite, "AES_CM_128_HMAC_SHA1_32")) {
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p->rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
    } else if (!strcmp(suite, "NULL_HMAC_SHA1_80")) {
        srtp_crypto_policy_set_null_cipher_hmac_sha1_80(&p->rtp);
        srtp_crypto_policy_set_null_cipher_hmac_sha1_80(&p->rtcp);
    } else {
        return -1;
    }
    return 0;
}

static srtp_t make(const char *suite, uint8_t *key, int outbound, uint8_t *mki, int mki_len)
{
    srtp_policy_t p;
    srtp_master_key_t mk;
    srtp_master_key_t *keys[1];
    srtp_t s = NULL;
    memset(&p, 0, sizeof p);
    if (set_suite(&p, suite)) {
        fprintf(stderr, "srtp_peer: unknown suite %s\n", suite);
        exit(2);
    }
    p.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
    p.window_size = 128;
    p.allow_repeat_tx = 0;
    if (mki_len > 0) {
        mk.key = key;
        mk.mki_id = mki;
        mk.mki_size = (unsigned)mki_len;
        keys[0] = &mk;
        p.keys = keys;
        p.num_master_keys = 1;
    } else {
        p.key = key;
    }
    if (srtp_create(&s, &p) != srtp_err_status_ok) {
        fprintf(stderr, "srtp_peer: srtp_create failed\n");
        exit(2);
    }
    return s;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int bench(const char *suite, uint8_t *key, int size, long count)
{
    srtp_t tx = make(suite, key, 1, NULL, 0), rx = make(suite, key, 0, NULL, 0);
    static uint8_t pkt[MAXPKT + SRTP_MAX_TRAILER_LEN];
    uint8_t *store;
    int plen = 0;
    if (size < 12 || size > MAXPKT) return 2;
    /* Protect COUNT packets (timed), keeping them for the unprotect run. */
    store = malloc((size_t)count * (size + SRTP_MAX_TRAILER_LEN));
    if (!store) return 2;
    double t0 = now();
    for (long i = 0; i < count; i++) {
        int len = size;
        memset(pkt, 0xab, (size_t)size);
        pkt[0] = 0x80; pkt[1] = 0x08;
        pkt[2] = (uint8_t)(i >> 8); pkt[3] = (uint8_t)i;
        pkt[4] = pkt[5] = pkt[6] = pkt[7] = 0;
        pkt[8] = 0xde; pkt[9] = 0xad; pkt[10] = 0xbe; pkt[11] = 0xef;
        if (srtp_protect(tx, pkt, &len) != srtp_err_status_ok) return 1;
        plen = len;
        memcpy(store + (size_t)i * (size + SRTP_MAX_TRAILER_LEN), pkt, (size_t)len);
    }
    double t1 = now();
    for (long i = 0; i < count; i++) {
        int len = plen;
        if (srtp_unprotect(rx, store + (size_t)i * (size + SRTP_MAX_TRAILER_LEN), &len) != srtp_err_status_ok)
            return 1;
    }
    double t2 = now();
    printf("protect_pps=%.0f unprotect_pps=%.0f\n", count / (t1 - t0), count / (t2 - t1));
    free(store);
    return 0;
}

int main(int argc, char **argv)
{
    uint8_t key[64], mki[128];
    int mki_len = 0;
    static uint8_t buf[MAXPKT + SRTP_MAX_TRAILER_LEN];
    static char line[2 * MAXPKT + 64];
    if (argc < 4) {
        fprintf(stderr, "usage: srtp_peer protect|unprotect|bench SUITE KEYSALT_HEX ...\n");
        return 2;
    }
    if (srtp_init() != srtp_err_status_ok) return 2;
    if (unhex(argv[3], key, sizeof key) != 30) {
        fprintf(stderr, "srtp_peer: key||salt must be 30 octets\n");
        return 2;
    }
    if (!strcmp(argv[1], "bench")) {
        if (argc < 6) return 2;
        return bench(argv[2], key, atoi(argv[4]), atol(argv[5]));
    }
    if (argc > 4 && (mki_len = unhex(argv[4], mki, sizeof mki)) < 0) return 2;
    int outbound = !strcmp(argv[1], "protect");
    if (!outbound && strcmp(argv[1], "unprotect")) return 2;
    srtp_t s = make(argv[2], key, outbound, mki, mki_len);
    while (fgets(line, sizeof line, stdin)) {
        int rtcp = !strncmp(line, "rtcp ", 5);
        const char *h = line + (rtcp ? 5 : 4);
        int len = unhex(h, buf, MAXPKT);
        srtp_err_status_t st;
        if (len < 0) {
            printf("ERR badhex\n");
            continue;
        }
        if (outbound)
            st = rtcp ? srtp_protect_rtcp_mki(s, buf, &len, 1, 0)
                      : srtp_protect_mki(s, buf, &len, 1, 0);
        else
            st = rtcp ? srtp_unprotect_rtcp_mki(s, buf, &len, mki_len > 0)
                      : srtp_unprotect_mki(s, buf, &len, mki_len > 0);
        if (st != srtp_err_status_ok)
            printf("ERR %d\n", (int)st);
        else
            put_hex(buf, len);
    }
    srtp_dealloc(s);
    return 0;
}
