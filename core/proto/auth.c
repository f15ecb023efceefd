/* SASL encodings for SMTP AUTH (RFC 4616 PLAIN, LOGIN, RFC 2195 CRAM-MD5). */
#include "auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "smtpchk.h"

/* Base64 works in chunks so that lengths always fit EVP's int API. */
#define B64_RAW_CHUNK ((size_t)768)            /* multiple of 3 */
#define B64_TXT_CHUNK (B64_RAW_CHUNK / 3 * 4)   /* multiple of 4 */
#define MD5_LEN ((size_t)16)

/*
 * The orders smtpchk_auth_choose walks (docs/cli.md). Inside TLS the
 * channel protects the password, so the fastest wins: PLAIN takes one
 * round trip, CRAM-MD5 two (and needs MD5), LOGIN two or three. Without
 * TLS (only with allow_insecure_auth) CRAM-MD5 comes first: it never
 * sends the password itself.
 */
#define N_MECHS 3
static const unsigned orders[2][N_MECHS] = {
    {SMTPCHK_AUTH_CRAM_MD5, SMTPCHK_AUTH_PLAIN, SMTPCHK_AUTH_LOGIN}, /* plaintext */
    {SMTPCHK_AUTH_PLAIN, SMTPCHK_AUTH_CRAM_MD5, SMTPCHK_AUTH_LOGIN}, /* inside TLS */
};

unsigned
smtpchk_auth_choose(unsigned server_mask, unsigned allowed_mask, bool tls)
{
    /* Written this way on purpose: GCC 12.2 at -O2 miscompiles the form
     * `if (both & orders[t][i]) return orders[t][i];` when both rows end
     * with the same value (it returned 0 for LOGIN; tests/unit/test_auth). */
    unsigned both = server_mask & allowed_mask;
    for (size_t i = 0; i < N_MECHS; i++) {
        unsigned m = both & orders[tls ? 1 : 0][i];
        if (m != 0)
            return m; /* one bit: the mechanism itself */
    }
    return 0;
}

int
smtpchk_base64_encode(const void *in, size_t len, smtpchk_buf *out)
{
    if ((in == NULL && len > 0) || out == NULL)
        return -1;
    const unsigned char *p = in;
    unsigned char txt[B64_TXT_CHUNK + 1];
    size_t start = out->len;
    int rc = 0;
    while (len > 0 && rc == 0) {
        size_t n = len < B64_RAW_CHUNK ? len : B64_RAW_CHUNK;
        int w = EVP_EncodeBlock(txt, p, (int)n);
        if (w < 0 || smtpchk_buf_append(out, txt, (size_t)w) != 0)
            rc = -1;
        p += n;
        len -= n;
    }
    /* The input may be a credential; leave no copy on the stack. */
    OPENSSL_cleanse(txt, sizeof(txt));
    if (rc != 0 && out->data != NULL) {
        out->len = start;
        out->data[start] = '\0';
    }
    return rc;
}

static int
is_b64_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* Strict RFC 4648 shape: length a multiple of 4, padding only at the end.
 * Returns the number of '=' (0..2), or -1. */
static int
b64_check(const char *in, size_t len)
{
    if (len % 4 != 0)
        return -1;
    size_t data = len; /* characters before the padding */
    while (data > 0 && len - data < 2 && in[data - 1] == '=')
        data--;
    for (size_t i = 0; i < data; i++)
        if (!is_b64_char((unsigned char)in[i]))
            return -1;
    return (int)(len - data);
}

int
smtpchk_base64_decode(const char *in, size_t len, smtpchk_buf *out)
{
    if ((in == NULL && len > 0) || out == NULL)
        return -1;
    int pad = b64_check(in, len);
    if (pad < 0)
        return -1;
    unsigned char raw[B64_RAW_CHUNK];
    size_t start = out->len;
    int rc = 0;
    while (len > 0 && rc == 0) {
        size_t n = len < B64_TXT_CHUNK ? len : B64_TXT_CHUNK;
        int w = EVP_DecodeBlock(raw, (const unsigned char *)in, (int)n);
        /* EVP_DecodeBlock counts padding as zero bytes; drop them. */
        size_t real = w < 0 ? 0 : (size_t)w - (n == len ? (size_t)pad : 0);
        if (w < 0 || smtpchk_buf_append(out, raw, real) != 0)
            rc = -1;
        in += n;
        len -= n;
    }
    OPENSSL_cleanse(raw, sizeof(raw));
    if (rc != 0 && out->data != NULL) {
        out->len = start;
        out->data[start] = '\0';
    }
    return rc;
}

int
smtpchk_auth_plain_response(const char *user, const char *pass, smtpchk_buf *out)
{
    if (user == NULL || pass == NULL || out == NULL)
        return -1;
    size_t ulen = strlen(user), plen = strlen(pass);
    if (ulen > SMTPCHK_BUF_DEFAULT_MAX || plen > SMTPCHK_BUF_DEFAULT_MAX)
        return -1;
    size_t n = 1 + ulen + 1 + plen;
    /* One exact allocation: a growing buffer would leave unwiped copies. */
    char *raw = malloc(n);
    if (raw == NULL)
        return -1;
    raw[0] = '\0';
    memcpy(raw + 1, user, ulen);
    raw[1 + ulen] = '\0';
    memcpy(raw + 2 + ulen, pass, plen);
    int rc = smtpchk_base64_encode(raw, n, out);
    OPENSSL_cleanse(raw, n);
    free(raw);
    return rc;
}

static void
hex_lower(const unsigned char *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0x0f];
    }
}

/* HMAC-MD5(pass, data) as 32 lowercase hex digits into hex. */
static int
cram_digest(const char *pass, const smtpchk_buf *data, char hex[2 * MD5_LEN])
{
    unsigned char mac[MD5_LEN];
    size_t maclen = 0;
    const unsigned char *d = (const unsigned char *)(data->data ? data->data : "");
    unsigned char *r = EVP_Q_mac(NULL, "HMAC", NULL, "MD5", NULL, pass,
                                 strlen(pass), d, data->len, mac, sizeof(mac),
                                 &maclen);
    int rc = (r != NULL && maclen == MD5_LEN) ? 0 : -1;
    if (rc == 0)
        hex_lower(mac, MD5_LEN, hex);
    OPENSSL_cleanse(mac, sizeof(mac));
    return rc;
}

/* Appends base64(user SP hex) to out. */
static int
cram_encode(const char *user, const char hex[2 * MD5_LEN], smtpchk_buf *out)
{
    size_t ulen = strlen(user);
    if (ulen > SMTPCHK_BUF_DEFAULT_MAX)
        return -1;
    size_t n = ulen + 1 + 2 * MD5_LEN;
    char *resp = malloc(n);
    if (resp == NULL)
        return -1;
    /* A counted buffer for base64, not a C string: no NUL on purpose. */
    memcpy(resp, user, ulen); // NOLINT(bugprone-not-null-terminated-result)
    resp[ulen] = ' ';
    memcpy(resp + ulen + 1, hex, 2 * MD5_LEN);
    int rc = smtpchk_base64_encode(resp, n, out);
    OPENSSL_cleanse(resp, n);
    free(resp);
    return rc;
}

int
smtpchk_auth_cram_md5_response(const char *challenge_b64, size_t len,
                               const char *user, const char *pass,
                               smtpchk_buf *out)
{
    if (challenge_b64 == NULL || user == NULL || pass == NULL || out == NULL)
        return -1;
    smtpchk_buf challenge;
    smtpchk_buf_init(&challenge);
    char hex[2 * MD5_LEN];
    int rc = smtpchk_base64_decode(challenge_b64, len, &challenge);
    /* RFC 2195: the challenge is a msg-id; an empty one is a broken server,
     * and an HMAC over nothing would answer a question never asked. */
    if (rc == 0 && challenge.len == 0)
        rc = -1;
    if (rc == 0)
        rc = cram_digest(pass, &challenge, hex);
    if (rc == 0)
        rc = cram_encode(user, hex, out);
    OPENSSL_cleanse(hex, sizeof(hex));
    smtpchk_buf_free(&challenge);
    return rc;
}
