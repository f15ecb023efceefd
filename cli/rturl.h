/*
 * The --roundtrip URL: imap://user@host:port/mailbox, and imaps://,
 * pop3://, pop3s://. Split into the round trip's settings as text, each
 * then filled through the check schema like any option. Pure: no I/O.
 */
#ifndef SMTPCHECK_RTURL_H
#define SMTPCHECK_RTURL_H

#include <stddef.h>

typedef struct cli_rturl {
    char protocol[8];  /* "imap" or "pop3" */
    char security[8];  /* "tls" for imaps:// and pop3s://, "" = as set elsewhere */
    char user[256];    /* percent-decoded; "" = none given */
    char host[256];    /* without the brackets of an IPv6 literal */
    char port[8];      /* "" = the protocol's */
    char mailbox[256]; /* percent-decoded; "" = none given */
} cli_rturl;

/* Returns 0 and fills u, or -1 with the reason in err. */
int cli_rturl_parse(const char *url, cli_rturl *u, char *err, size_t errlen);

#endif
