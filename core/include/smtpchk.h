/*
 * smtpcheck core: public types shared by the CLI, the engine and the
 * SNMP module. Nothing here depends on Net-SNMP.
 */
#ifndef SMTPCHK_H
#define SMTPCHK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The closed set of outcomes. Numbers are stable: the MIB's
 * SmtpCheckErrorCode textual convention and the traps use them.
 * errors.c holds the one table with names and descriptions.
 */
typedef enum smtpchk_error {
    SMTPCHK_OK = 0,
    SMTPCHK_ERR_DNS = 1,
    SMTPCHK_ERR_CONN_REFUSED = 2,
    SMTPCHK_ERR_CONNECT_TIMEOUT = 3,
    SMTPCHK_ERR_CONNECT = 4,
    SMTPCHK_ERR_TIMEOUT = 5,
    SMTPCHK_ERR_CLOSED = 6,
    SMTPCHK_ERR_NETWORK = 7,
    SMTPCHK_ERR_TLS_HANDSHAKE = 8,
    SMTPCHK_ERR_CERT_UNTRUSTED = 9,
    SMTPCHK_ERR_CERT_HOSTNAME = 10,
    SMTPCHK_ERR_CERT_EXPIRED = 11,
    SMTPCHK_ERR_STARTTLS_UNAVAILABLE = 12,
    SMTPCHK_ERR_STARTTLS_REJECTED = 13,
    SMTPCHK_ERR_PROTOCOL = 14,
    SMTPCHK_ERR_GREETING = 15,
    SMTPCHK_ERR_EHLO = 16,
    SMTPCHK_ERR_AUTH_UNAVAILABLE = 17,
    SMTPCHK_ERR_AUTH_INSECURE = 18,
    SMTPCHK_ERR_AUTH_FAILED = 19,
    SMTPCHK_ERR_SENDER = 20,
    SMTPCHK_ERR_RECIPIENT = 21,
    SMTPCHK_ERR_DATA = 22,
    SMTPCHK_ERR_MESSAGE = 23,
    SMTPCHK_ERR_QUIT = 24,
    SMTPCHK_ERR_CONFIG = 25,
    SMTPCHK_ERR_INTERNAL = 26,
    SMTPCHK_ERR_SMTPUTF8 = 27,
    SMTPCHK_ERR_NULL_MX = 28,
    SMTPCHK_ERR_MAILBOX_NOT_FOUND = 29,
    SMTPCHK_ERR_DELIVERY_TIMEOUT = 30,
    SMTPCHK_ERR_MAILBOX_COMMAND = 31,
    SMTPCHK_ERR__COUNT
} smtpchk_error;

/* Where a check stopped. Numbers are stable (MIB SmtpCheckStep). */
typedef enum smtpchk_step {
    SMTPCHK_STEP_NONE = 0,
    SMTPCHK_STEP_DNS = 1,
    SMTPCHK_STEP_CONNECT = 2,
    SMTPCHK_STEP_TLS = 3,
    SMTPCHK_STEP_GREETING = 4,
    SMTPCHK_STEP_EHLO = 5,
    SMTPCHK_STEP_HELO = 6,
    SMTPCHK_STEP_STARTTLS = 7,
    SMTPCHK_STEP_AUTH = 8,
    SMTPCHK_STEP_MAIL = 9,
    SMTPCHK_STEP_RCPT = 10,
    SMTPCHK_STEP_DATA = 11,
    SMTPCHK_STEP_MESSAGE = 12,
    SMTPCHK_STEP_PROBE = 13,
    SMTPCHK_STEP_QUIT = 14,
    SMTPCHK_STEP_SELECT = 15,     /* IMAP SELECT, POP3 STAT */
    SMTPCHK_STEP_DELIVERY = 16,   /* round trip: waiting for the mail in the mailbox */
    SMTPCHK_STEP_SEARCH = 17,     /* IMAP UID SEARCH, POP3 TOP (FIND mode) */
    SMTPCHK_STEP_DELETE = 18,     /* IMAP UID STORE/EXPUNGE, POP3 DELE (FIND mode) */
    SMTPCHK_STEP__COUNT
} smtpchk_step;

/* How an MX check's targets make its one result (docs/config.md). */
typedef enum smtpchk_mx_policy {
    SMTPCHK_MX_ALL = 1,       /* every target OK */
    SMTPCHK_MX_ANY = 2,       /* at least one target OK */
    SMTPCHK_MX_PRIMARY = 3    /* every target of the lowest preference OK */
} smtpchk_mx_policy;

/* The protocol a check speaks. Numbers are stable (MIB, check file). */
typedef enum smtpchk_protocol {
    SMTPCHK_PROTO_SMTP = 0,
    SMTPCHK_PROTO_IMAP = 1,
    SMTPCHK_PROTO_POP3 = 2,
    SMTPCHK_PROTO__COUNT
} smtpchk_protocol;

typedef enum smtpchk_security {
    SMTPCHK_SEC_NONE = 1,
    SMTPCHK_SEC_STARTTLS = 2,
    SMTPCHK_SEC_TLS = 3
} smtpchk_security;

/*
 * The AUTH mechanisms and EHLO capabilities this client knows: one list
 * each (name, bit, keyword). The enums and the name tables in names.c are
 * generated from them.
 */
#define SMTPCHK_MECHANISMS(X) \
    X(PLAIN, 0, "PLAIN")      \
    X(LOGIN, 1, "LOGIN")      \
    X(CRAM_MD5, 2, "CRAM-MD5")

#define SMTPCHK_CAPABILITIES(X)                       \
    X(SIZE, 0, "SIZE")                                \
    X(STARTTLS, 1, "STARTTLS")                        \
    X(AUTH, 2, "AUTH")                                \
    X(PIPELINING, 3, "PIPELINING")                    \
    X(8BITMIME, 4, "8BITMIME")                        \
    X(SMTPUTF8, 5, "SMTPUTF8")                        \
    X(ENHANCEDSTATUSCODES, 6, "ENHANCEDSTATUSCODES")  \
    X(CHUNKING, 7, "CHUNKING")

/* AUTH mechanisms, as bits of an allow-list. */
#define SMTPCHK_MECH_BIT_(id, bit, name) SMTPCHK_AUTH_##id = 1u << (bit),
#define SMTPCHK_MECH_ALL_(id, bit, name) | (1u << (bit))
enum {
    SMTPCHK_MECHANISMS(SMTPCHK_MECH_BIT_)
    SMTPCHK_AUTH_ALL = 0u SMTPCHK_MECHANISMS(SMTPCHK_MECH_ALL_)
};

/* EHLO capabilities, as bits. */
#define SMTPCHK_CAP_BIT_(id, bit, name) SMTPCHK_CAP_##id = 1u << (bit),
enum { SMTPCHK_CAPABILITIES(SMTPCHK_CAP_BIT_) };

/* "PLAIN", "LOGIN", "CRAM-MD5" for one SMTPCHK_AUTH_* bit; NULL otherwise. */
const char *smtpchk_auth_mech_name(unsigned mech);
/* One name (case-insensitive) to its bit; 0 when unknown. */
unsigned smtpchk_auth_mech_from_name(const char *name, size_t len);
/*
 * Parses a list like "PLAIN,LOGIN" or "plain login" (comma and/or space
 * separated) into a mask. Returns 0 and sets *mask, or -1 naming the
 * first unknown mechanism in err.
 */
int smtpchk_auth_parse_list(const char *list, unsigned *mask, char *err, size_t errlen);
/* The EHLO keyword of one SMTPCHK_CAP_* bit; NULL otherwise. */
const char *smtpchk_cap_name(unsigned cap);
/* One keyword (case-insensitive) to its bit; 0 when unknown. */
unsigned smtpchk_cap_from_name(const char *name, size_t len);

/*
 * A round trip (docs/config.md): after the test mail's final 250, the
 * mailbox is polled until the mail is there, then it and older probe
 * mails of the check are deleted. protocol 0 = no round trip.
 */
typedef struct smtpchk_roundtrip {
    char *host;
    char *user;
    char *password;           /* secret: wiped on free */
    char *mailbox;            /* IMAP; NULL = INBOX */
    smtpchk_protocol protocol; /* IMAP or POP3; SMTPCHK_PROTO_SMTP (0) = no round trip */
    smtpchk_security security;
    uint32_t timeout_ms;      /* from the final 250 after DATA until found */
    uint16_t port;            /* 0 = 143/993 (IMAP) or 110/995 (POP3) */
    bool allow_insecure_auth; /* the password may cross a connection without TLS */
} smtpchk_roundtrip;

#define SMTPCHK_MAX_RCPT 64
#define SMTPCHK_MAX_PROBES 16

/*
 * What to check. Every string is owned by the check (smtpchk_check_free
 * frees them and wipes the password). Build with smtpchk_check_new(),
 * which fills in the defaults. Once built, a check may be shared
 * read-only between threads (smtpchk_check_share): the kept configuration,
 * the module's row and the engine's runs then hold one copy, not one each.
 */
typedef struct smtpchk_check {
    char *name;               /* label for output; may be NULL */
    unsigned index;           /* stable index from the check file; 0 = none */
    uint32_t shares;          /* owners beyond the first (atomic; smtpchk_check_share) */
    char *host;               /* name or IPv4/IPv6 literal; NULL with mx */
    char *mx;                 /* a domain whose MX set is checked instead of host */
    smtpchk_mx_policy mx_policy;
    smtpchk_protocol protocol; /* default SMTPCHK_PROTO_SMTP; beside mx_policy: no padding */
    char *dns_servers;        /* "IP[:port],..." for c-ares; NULL = the system's */
    uint16_t port;            /* 0 = the protocol's (smtpchk_protocol_default_port) */
    smtpchk_security security;
    char *source_addr;        /* optional local address to bind */
    char *ehlo_name;          /* NULL = this host's FQDN */

    bool tls_verify;          /* default true */
    char *ca_file;
    char *ca_dir;
    int tls_min_version;      /* 0 = OpenSSL default, else e.g. TLS1_2_VERSION */

    char *user;               /* NULL = no AUTH */
    char *password;           /* secret: wiped on free */
    unsigned auth_mechs;      /* allow-list, SMTPCHK_AUTH_* bits */
    bool allow_insecure_auth;
    bool strict_quit;         /* a missing 221 fails the check (here: no padding) */

    char *mail_from;
    /* Lists are malloc'd to their length (NULL when empty): snmpd holds
     * a check per configured check, so no fixed arrays. */
    char **rcpt;              /* at most SMTPCHK_MAX_RCPT */
    size_t nrcpt;             /* 0 = no mail transaction */
    char *subject;
    char *body_html;
    char *body_text;          /* optional plain-text alternative */

    char **probes;            /* "NOOP", "RSET", "HELP", "VRFY x"; at most SMTPCHK_MAX_PROBES */
    size_t nprobes;

    char *mailbox;            /* IMAP: the mailbox to SELECT; NULL = "INBOX" */

    uint32_t timeout_ms;      /* overall deadline */
    uint32_t step_timeout_ms; /* per step */
    smtpchk_roundtrip rt;
} smtpchk_check;

smtpchk_check *smtpchk_check_new(void);
/* Drops one owner; the last one frees the check (and wipes the password).
 * Thread-safe against the other owners' frees. */
void smtpchk_check_free(smtpchk_check *c);
/* One more owner of c, which nobody may change from now on: returns c,
 * freed once every owner has called smtpchk_check_free. Thread-safe. */
smtpchk_check *smtpchk_check_share(const smtpchk_check *c);
/* Appends a copy of s to a list of the check (rcpt, probes); 0, or -1
 * without memory, the list unchanged. The caller keeps to the list's max. */
int smtpchk_check_list_add(char ***list, size_t *n, const char *s);
/* Deep copy (its own, not shared); NULL on allocation failure. */
smtpchk_check *smtpchk_check_dup(const smtpchk_check *c);
uint16_t smtpchk_check_port(const smtpchk_check *c);
/* The round trip's port: given, or the protocol's with its security. */
uint16_t smtpchk_roundtrip_port(const smtpchk_roundtrip *rt);
/* What the check is about: its host, or its MX domain. */
const char *smtpchk_check_target(const smtpchk_check *c);

/* Text fields are NUL-terminated, sanitised (printable) and truncated. */
#define SMTPCHK_TEXT_MAX 256

/*
 * The timed phases of a check, in the order they run; total last.
 * Numbers index smtpchk_result.phase_us. See docs/timings.md.
 */
typedef enum smtpchk_phase {
    SMTPCHK_PHASE_DNS,
    SMTPCHK_PHASE_CONNECT,
    SMTPCHK_PHASE_TLS,
    SMTPCHK_PHASE_GREETING,
    SMTPCHK_PHASE_EHLO,
    SMTPCHK_PHASE_LOGIN,
    SMTPCHK_PHASE_TRANSFER,
    SMTPCHK_PHASE_QUIT,
    SMTPCHK_PHASE_DELIVERY,   /* round trip: final 250 after DATA to the mail found */
    SMTPCHK_PHASE_TOTAL,
    SMTPCHK_PHASE__COUNT
} smtpchk_phase;

typedef struct smtpchk_result {
    int64_t phase_us[SMTPCHK_PHASE__COUNT]; /* microseconds; -1 = did not run */
    int response_code;        /* 0 = OK, SMTP code that ended it, -1 = none */
    smtpchk_error error;
    smtpchk_step failed_step;
    int enhanced_class, enhanced_subject, enhanced_detail; /* -1 = none */
    char error_detail[SMTPCHK_TEXT_MAX];  /* why, in words */
    char reply_text[SMTPCHK_TEXT_MAX];    /* last reply from the server */
    char greeting[SMTPCHK_TEXT_MAX];
    char queue_reply[SMTPCHK_TEXT_MAX];   /* final 250 after DATA */
    char queue_id[32];        /* the queue ID in it ("" = none found) */
    char peer[64];            /* address actually connected, "[::1]:25" */
    unsigned caps;            /* SMTPCHK_CAP_* of the last EHLO */
    unsigned server_auth;     /* SMTPCHK_AUTH_* advertised */
    uint64_t size_limit;      /* SIZE value; 0 = none or unlimited */
    bool used_helo;
    bool tls;                 /* the session was encrypted */
    char tls_version[16];
    char tls_cipher[64];
    char cert_subject[SMTPCHK_TEXT_MAX];
    char cert_issuer[SMTPCHK_TEXT_MAX];
    bool has_cert;
    int cert_days_left;       /* negative once expired */
    char auth_mech[16];       /* mechanism used, "" = none */
    int probe_codes[SMTPCHK_MAX_PROBES]; /* -1 = not run */
    size_t nprobes;
    bool quit_clean;          /* 221 received */
} smtpchk_result;

void smtpchk_result_init(smtpchk_result *r);

/* An MX check's caps (RFC 5321 5.1 sets none; these bound one run). */
#define SMTPCHK_MX_MAX 16
#define SMTPCHK_TARGETS_MAX 32

/* One address of one exchanger of an MX check, and its run's result. */
typedef struct smtpchk_target {
    char mx[256];             /* the exchanger as named by the MX record, or the domain */
    int preference;           /* -1 = implicit MX (no MX record: the domain's A/AAAA) */
    int family;               /* 1 = IPv4, 2 = IPv6 (InetAddressType) */
    char address[48];         /* numeric, without brackets */
    bool via_cname;           /* the exchanger's name is an alias (CNAME) */
    smtpchk_result result;
} smtpchk_target;

/* Length of the well-formed UTF-8 sequence at s (RFC 3629), or 0. */
size_t smtpchk_utf8_seq_len(const unsigned char *s, size_t len);

/* The error table (errors.c). Unknown values give "unknown". */
const char *smtpchk_error_name(smtpchk_error e);
const char *smtpchk_error_description(smtpchk_error e);
const char *smtpchk_step_name(smtpchk_step s);
/* "dns", "connect", ... "total". */
const char *smtpchk_phase_name(smtpchk_phase p);
const char *smtpchk_security_name(smtpchk_security s);
/* "all", "any", "primary". */
const char *smtpchk_mx_policy_name(smtpchk_mx_policy p);
/* Parses "none" | "starttls" | "tls"; returns 0 or -1. */
int smtpchk_security_parse(const char *s, smtpchk_security *out);
/* "smtp", "imap", "pop3"; "unknown" otherwise. */
const char *smtpchk_protocol_name(smtpchk_protocol p);
/* Parses a protocol name (case-insensitive); returns 0 or -1. */
int smtpchk_protocol_parse(const char *s, smtpchk_protocol *out);
/* The well-known port: SMTP 25/465, IMAP 143/993, POP3 110/995 (the
 * second with implicit TLS); 0 for an unknown protocol. */
uint16_t smtpchk_protocol_default_port(smtpchk_protocol p, smtpchk_security sec);

#endif
