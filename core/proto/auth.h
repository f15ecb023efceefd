/* SASL encodings for SMTP AUTH: PLAIN, LOGIN, CRAM-MD5. Pure functions. */
#ifndef SMTPCHK_AUTH_H
#define SMTPCHK_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* The mechanism to use of those in both masks; 0 if none. Inside TLS
 * PLAIN > CRAM-MD5 > LOGIN (round trips), else CRAM-MD5 > PLAIN > LOGIN
 * (the password stays off the wire). */
unsigned smtpchk_auth_choose(unsigned server_mask, unsigned allowed_mask, bool tls);

/* Base64 (no line breaks). Return 0, or -1 on bad input / no memory. */
int smtpchk_base64_encode(const void *in, size_t len, smtpchk_buf *out);
int smtpchk_base64_decode(const char *in, size_t len, smtpchk_buf *out);

/* RFC 4616: base64("" NUL user NUL pass) appended to out. */
int smtpchk_auth_plain_response(const char *user, const char *pass, smtpchk_buf *out);
/*
 * RFC 2195: given the server's base64 challenge (the text after "334 "),
 * appends base64(user SP hex(HMAC-MD5(pass, challenge))) to out.
 * Returns -1 when the challenge is not valid base64.
 */
int smtpchk_auth_cram_md5_response(const char *challenge_b64, size_t len,
                                   const char *user, const char *pass,
                                   smtpchk_buf *out);

#endif
