/*
 * What makes a test mail findable in a mailbox (the round trip): its
 * token, the tag of its check, the headers carrying them, and the queue
 * ID read back from the server's final reply. Pure.
 */
#ifndef SMTPCHK_PROBEMAIL_H
#define SMTPCHK_PROBEMAIL_H

#include <stddef.h>
#include <stdint.h>

/* The headers that carry them are probe_headers.h's. */

/* "<seconds>.<16 hex digits>": 10-20 digits, a dot, 16 hex. */
#define SMTPCHK_TOKEN_MAX 40
/* A name as is, or "h" + 16 hex digits. */
#define SMTPCHK_TAG_MAX 65

/* The token from the wall clock and 8 random bytes. */
void smtpchk_probe_token(int64_t wall, const unsigned char rnd[8], char out[SMTPCHK_TOKEN_MAX]);
/* The check's tag: the name when it is 1-64 characters of
 * SMTPCHK_PROBE_VALUE_CHARS (so a header and an IMAP SEARCH carry it as
 * is), otherwise "h" and the FNV-1a hash of the name, in hex. */
void smtpchk_probe_tag(const char *name, char out[SMTPCHK_TAG_MAX]);
/* True when s is a token as made above (what a mailbox reader accepts). */
int smtpchk_probe_token_valid(const char *s, size_t len);

/* Longest queue ID kept; longer ones are refused, not cut. */
#define SMTPCHK_QUEUE_ID_MAX 32

/*
 * The queue ID in the text of a final reply after DATA (without the code
 * and enhanced status): Postfix "Ok: queued as 4Xb2Yz1aBcD", Exim
 * "OK id=1tQ5bD-000Abc-3x", Sendmail "4B2K0abc012345 Message accepted for
 * delivery". Returns 0 with the ID in out, or -1 (out "") when the text
 * names none: the ID is 1..31 bytes of [A-Za-z0-9._-] ending the text or
 * followed by a space. Reads at most textlen bytes.
 */
int smtpchk_queue_id(const char *text, size_t textlen, char out[SMTPCHK_QUEUE_ID_MAX]);

#endif
