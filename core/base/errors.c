/* The one table of error codes, step names and security names. */
#include "smtpchk.h"

#include <string.h>
#include <strings.h>

typedef struct {
    smtpchk_error code;
    const char *name;
    const char *description;
} error_entry;

static const error_entry error_table[SMTPCHK_ERR__COUNT] = {
    {SMTPCHK_OK, "ok", "every step got its expected reply"},
    {SMTPCHK_ERR_DNS, "dnsFailure", "the host name could not be resolved"},
    {SMTPCHK_ERR_CONN_REFUSED, "connectionRefused", "the server refused the TCP connection"},
    {SMTPCHK_ERR_CONNECT_TIMEOUT, "connectTimeout", "the TCP connection was not established in time"},
    {SMTPCHK_ERR_CONNECT, "connectFailure", "the TCP connection failed (unreachable, bad source address)"},
    {SMTPCHK_ERR_TIMEOUT, "stepTimeout", "the server did not answer a step in time"},
    {SMTPCHK_ERR_CLOSED, "connectionClosed", "the server closed the connection"},
    {SMTPCHK_ERR_NETWORK, "networkError", "a read or write on the connection failed"},
    {SMTPCHK_ERR_TLS_HANDSHAKE, "tlsHandshakeFailure", "the TLS handshake failed"},
    {SMTPCHK_ERR_CERT_UNTRUSTED, "certificateUntrusted", "the server certificate is not trusted"},
    {SMTPCHK_ERR_CERT_HOSTNAME, "certificateHostMismatch", "the server certificate does not match the host name"},
    {SMTPCHK_ERR_CERT_EXPIRED, "certificateExpired", "the server certificate has expired"},
    {SMTPCHK_ERR_STARTTLS_UNAVAILABLE, "starttlsNotOffered", "the server does not offer STARTTLS"},
    {SMTPCHK_ERR_STARTTLS_REJECTED, "starttlsRejected", "the server rejected STARTTLS"},
    {SMTPCHK_ERR_PROTOCOL, "protocolViolation", "the server sent a malformed reply"},
    {SMTPCHK_ERR_GREETING, "greetingRejected", "the server greeting was not 220"},
    {SMTPCHK_ERR_EHLO, "ehloRejected", "the server rejected EHLO and HELO"},
    {SMTPCHK_ERR_AUTH_UNAVAILABLE, "authMechanismUnavailable", "no allowed AUTH mechanism is offered"},
    {SMTPCHK_ERR_AUTH_INSECURE, "authRefusedPlaintext", "credentials were not sent over an unencrypted connection"},
    {SMTPCHK_ERR_AUTH_FAILED, "authenticationFailed", "the server rejected the credentials"},
    {SMTPCHK_ERR_SENDER, "senderRejected", "the server rejected MAIL FROM"},
    {SMTPCHK_ERR_RECIPIENT, "recipientRejected", "the server rejected a recipient"},
    {SMTPCHK_ERR_DATA, "dataRejected", "the server rejected DATA"},
    {SMTPCHK_ERR_MESSAGE, "messageRejected", "the server rejected the message"},
    {SMTPCHK_ERR_QUIT, "quitFailure", "the server did not answer QUIT with 221"},
    {SMTPCHK_ERR_CONFIG, "configurationError", "the check is configured wrongly"},
    {SMTPCHK_ERR_INTERNAL, "internalError", "an internal error (out of memory, TLS library)"},
    {SMTPCHK_ERR_SMTPUTF8, "smtputf8NotOffered", "an address is not ASCII and the server does not offer SMTPUTF8"},
    {SMTPCHK_ERR_NULL_MX, "nullMx", "the domain publishes a null MX (RFC 7505): it accepts no mail"},
    {SMTPCHK_ERR_MAILBOX_NOT_FOUND, "mailboxNotFound", "the mailbox could not be opened (IMAP SELECT or POP3 STAT refused)"},
    {SMTPCHK_ERR_DELIVERY_TIMEOUT, "deliveryTimeout", "the test mail did not reach the mailbox in time (lost or late)"},
    {SMTPCHK_ERR_MAILBOX_COMMAND, "mailboxCommandRejected", "the server refused to search or delete the test mails"},
};

static const char *const step_names[SMTPCHK_STEP__COUNT] = {
    "none", "dns", "connect", "tls", "greeting", "ehlo", "helo",
    "starttls", "auth", "mail", "rcpt", "data", "message", "probe", "quit",
    "select", "delivery", "search", "delete",
};

static const char *const phase_names[SMTPCHK_PHASE__COUNT] = {
    "dns", "connect", "tls", "greeting", "ehlo", "login", "transfer", "quit", "total",
};

const char *
smtpchk_phase_name(smtpchk_phase p)
{
    if ((unsigned)p >= SMTPCHK_PHASE__COUNT)
        return "unknown";
    return phase_names[p];
}

const char *
smtpchk_error_name(smtpchk_error e)
{
    if ((unsigned)e >= SMTPCHK_ERR__COUNT)
        return "unknown";
    return error_table[e].name;
}

const char *
smtpchk_error_description(smtpchk_error e)
{
    if ((unsigned)e >= SMTPCHK_ERR__COUNT)
        return "unknown error";
    return error_table[e].description;
}

const char *
smtpchk_step_name(smtpchk_step s)
{
    if ((unsigned)s >= SMTPCHK_STEP__COUNT)
        return "unknown";
    return step_names[s];
}

const char *
smtpchk_security_name(smtpchk_security s)
{
    switch (s) {
    case SMTPCHK_SEC_NONE: return "none";
    case SMTPCHK_SEC_STARTTLS: return "starttls";
    case SMTPCHK_SEC_TLS: return "tls";
    }
    return "unknown";
}

int
smtpchk_security_parse(const char *s, smtpchk_security *out)
{
    static const smtpchk_security all[] = {
        SMTPCHK_SEC_NONE, SMTPCHK_SEC_STARTTLS, SMTPCHK_SEC_TLS};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (strcasecmp(s, smtpchk_security_name(all[i])) == 0) {
            *out = all[i];
            return 0;
        }
    }
    return -1;
}

const char *
smtpchk_mx_policy_name(smtpchk_mx_policy p)
{
    static const char *const names[] = {"all", "any", "primary"};
    return p >= SMTPCHK_MX_ALL && p <= SMTPCHK_MX_PRIMARY ? names[p - SMTPCHK_MX_ALL] : "unknown";
}

/* The one table of protocols: name and well-known ports. */
static const struct {
    const char *name;
    uint16_t port, tls_port;
} protocol_table[SMTPCHK_PROTO__COUNT] = {
    [SMTPCHK_PROTO_SMTP] = {"smtp", 25, 465},
    [SMTPCHK_PROTO_IMAP] = {"imap", 143, 993},
    [SMTPCHK_PROTO_POP3] = {"pop3", 110, 995},
};

const char *
smtpchk_protocol_name(smtpchk_protocol p)
{
    return (unsigned)p < SMTPCHK_PROTO__COUNT ? protocol_table[p].name : "unknown";
}

int
smtpchk_protocol_parse(const char *s, smtpchk_protocol *out)
{
    for (unsigned i = 0; s != NULL && i < SMTPCHK_PROTO__COUNT; i++) {
        if (strcasecmp(s, protocol_table[i].name) == 0) {
            *out = (smtpchk_protocol)i;
            return 0;
        }
    }
    return -1;
}

uint16_t
smtpchk_protocol_default_port(smtpchk_protocol p, smtpchk_security sec)
{
    if ((unsigned)p >= SMTPCHK_PROTO__COUNT)
        return 0;
    return sec == SMTPCHK_SEC_TLS ? protocol_table[p].tls_port : protocol_table[p].port;
}
