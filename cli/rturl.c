/* The --roundtrip URL (rturl.h). */
#include "rturl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *scheme, *protocol, *security;
} schemes[] = {
    {"imap", "imap", ""}, {"imaps", "imap", "tls"}, {"pop3", "pop3", ""}, {"pop3s", "pop3", "tls"},
};

/* Copies s[0..n) into out, decoding %XX; a control byte is refused. */
static int
decode(const char *s, size_t n, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n || !isxdigit((unsigned char)s[i + 1]) ||
                !isxdigit((unsigned char)s[i + 2]))
                return -1;
            char hex[3] = {s[i + 1], s[i + 2], '\0'};
            c = (int)strtol(hex, NULL, 16);
            i += 2;
        }
        if (c < 0x20 || c == 0x7f || o + 1 >= outlen)
            return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return 0;
}

static int
copy(const char *s, size_t n, char *out, size_t outlen)
{
    if (n >= outlen)
        return -1;
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

static const char *
take_scheme(const char *url, cli_rturl *u)
{
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        size_t n = strlen(schemes[i].scheme);
        if (strncmp(url, schemes[i].scheme, n) == 0 && strncmp(url + n, "://", 3) == 0) {
            snprintf(u->protocol, sizeof(u->protocol), "%s", schemes[i].protocol);
            snprintf(u->security, sizeof(u->security), "%s", schemes[i].security);
            return url + n + 3;
        }
    }
    return NULL;
}

/* The port: 1 to 5 digits (the schema checks the range). */
static int
take_port(const char *s, size_t n, cli_rturl *u)
{
    if (n == 0 || n > 5)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return -1;
    return copy(s, n, u->port, sizeof(u->port));
}

/* "host", "host:port", "[v6]" or "[v6]:port" in s[0..n). */
static int
take_hostport(const char *s, size_t n, cli_rturl *u)
{
    const char *end = s + n, *host = s, *hend = end, *port = NULL;
    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (close == NULL || (close + 1 < end && close[1] != ':'))
            return -1;
        host = s + 1;
        hend = close;
        port = close + 1 < end ? close + 2 : NULL;
    } else {
        const char *colon = memchr(s, ':', n);
        if (colon != NULL) {
            hend = colon;
            port = colon + 1;
        }
    }
    if (hend == host || copy(host, (size_t)(hend - host), u->host, sizeof(u->host)) != 0)
        return -1;
    return port == NULL ? 0 : take_port(port, (size_t)(end - port), u);
}

int
cli_rturl_parse(const char *url, cli_rturl *u, char *err, size_t errlen)
{
    memset(u, 0, sizeof(*u));
    const char *p = take_scheme(url, u);
    if (p == NULL) {
        snprintf(err, errlen, "a round-trip URL starts with imap://, imaps://, pop3:// or pop3s://");
        return -1;
    }
    const char *slash = strchr(p, '/');
    const char *end = slash != NULL ? slash : p + strlen(p);
    const char *at = NULL;
    for (const char *q = p; q < end; q++)
        if (*q == '@')
            at = q; /* the last: a user may be an address */
    if (at != NULL && decode(p, (size_t)(at - p), u->user, sizeof(u->user)) != 0) {
        snprintf(err, errlen, "bad user in the round-trip URL");
        return -1;
    }
    const char *hp = at != NULL ? at + 1 : p;
    if (take_hostport(hp, (size_t)(end - hp), u) != 0) {
        snprintf(err, errlen, "bad host in the round-trip URL");
        return -1;
    }
    if (slash != NULL && slash[1] != '\0' &&
        decode(slash + 1, strlen(slash + 1), u->mailbox, sizeof(u->mailbox)) != 0) {
        snprintf(err, errlen, "bad mailbox in the round-trip URL");
        return -1;
    }
    return 0;
}
