/*
 * The POP3 check (RFC 1939, 2449, 2595, 5034) as one state machine.
 * Entering a state sends its command (pop3_enter); one switch handles the
 * response for the current state (on_response). The common lifecycle is
 * mbox.c's.
 *
 * PROBE: greeting, CAPA, [STLS, CAPA], USER/PASS or AUTH PLAIN, STAT, QUIT.
 * FIND adds, after STAT: TOP n 0 of the newest messages (at most max_scan),
 * then DELE of the token mail and older probe mails of the check. POP3
 * deletes only at a clean QUIT, so `deleted` counts after its +OK.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "mbox.h"
#include "pop3_resp.h"
#include "probe_headers.h"

enum {
    PO_CAPA = MB__COMMON,
    PO_STLS,
    PO_USER,
    PO_PASS,
    PO_AUTH,          /* AUTH PLAIN sent: waiting for "+" */
    PO_AUTH_FINAL,    /* the response went out */
    PO_STAT,
    PO_TOP,
    PO_DELE,
    PO_QUIT,
    PO__COUNT
};

static const mbox_state_row pop3_states[PO__COUNT] = {
    [MB_RESOLVE] = {"RESOLVE", SMTPCHK_STEP_DNS, false},
    [MB_CONNECT] = {"CONNECT", SMTPCHK_STEP_CONNECT, false},
    [MB_TLS] = {"TLS", SMTPCHK_STEP_TLS, false},
    [MB_GREETING] = {"GREETING", SMTPCHK_STEP_GREETING, true},
    [MB_STLS_HS] = {"STLS_HANDSHAKE", SMTPCHK_STEP_TLS, false},
    [MB_DONE] = {"DONE", SMTPCHK_STEP_NONE, false},
    [PO_CAPA] = {"CAPA", SMTPCHK_STEP_EHLO, true},
    [PO_STLS] = {"STLS", SMTPCHK_STEP_STARTTLS, true},
    [PO_USER] = {"USER", SMTPCHK_STEP_AUTH, true},
    [PO_PASS] = {"PASS", SMTPCHK_STEP_AUTH, true},
    [PO_AUTH] = {"AUTH", SMTPCHK_STEP_AUTH, true},
    [PO_AUTH_FINAL] = {"AUTH_FINAL", SMTPCHK_STEP_AUTH, true},
    [PO_STAT] = {"STAT", SMTPCHK_STEP_SELECT, true},
    [PO_TOP] = {"TOP", SMTPCHK_STEP_SEARCH, true},
    [PO_DELE] = {"DELE", SMTPCHK_STEP_DELETE, true},
    [PO_QUIT] = {"QUIT", SMTPCHK_STEP_QUIT, true},
};

enum {
    PC_STLS = 1u << 0,
    PC_USER = 1u << 1,
    PC_SASL_PLAIN = 1u << 2,
    PC_TOP = 1u << 3,
    PC_KNOWN = 1u << 4       /* CAPA answered +OK */
};

#define POP3_DEFAULT_SCAN 50
#define POP3_MAX_SCAN 512

typedef struct {
    unsigned long v[POP3_MAX_SCAN];
    size_t n;
} msg_list;

typedef struct pop3_session {
    smtpchk_mbox m;           /* first: the ops see an smtpchk_mbox */
    smtpchk_pop3_reader *rd;
    unsigned caps;
    unsigned long count;      /* messages, from STAT */
    unsigned long msg;        /* the one TOP or DELE is about */
    unsigned long scan_low;   /* the oldest message TOP reads */
    size_t del_i;
    unsigned dele_ok;         /* DELEs answered +OK */
    msg_list token_msgs, check_msgs, del;
} pop3_session;

/* ---- commands ---------------------------------------------------------- */

static smtpchk_pop3_expect
expect_of(int st)
{
    switch (st) {
    case PO_CAPA:
    case PO_TOP: return SMTPCHK_POP3_EXPECT_MULTI;
    case PO_AUTH: return SMTPCHK_POP3_EXPECT_SASL;
    default: return SMTPCHK_POP3_EXPECT_LINE;
    }
}

static void
send_secret_line(pop3_session *s, int64_t now, const char *verb, const char *value, int secret)
{
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    char shown[300];
    snprintf(shown, sizeof(shown), "%s %s", verb, secret ? "<redacted>" : value);
    if (smtpchk_buf_appendf(&b, "%s %s", verb, value) != 0)
        mbox_out_of_memory(&s->m, now, "building a command");
    else
        mbox_send(&s->m, now, b.data, shown);
    smtpchk_buf_wipe(&b);
}

static void
send_plain_response(pop3_session *s, int64_t now)
{
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    if (smtpchk_auth_plain_response(s->m.p->user, s->m.p->password, &b) != 0)
        mbox_out_of_memory(&s->m, now, "encoding AUTH PLAIN");
    else
        mbox_send(&s->m, now, b.data, "<redacted>");
    smtpchk_buf_wipe(&b);
}

/* "VERB n" and a tail: "TOP 3 0", "DELE 3". */
static void
send_numbered(pop3_session *s, int64_t now, const char *verb, unsigned long n, const char *tail)
{
    char line[64];
    snprintf(line, sizeof(line), "%s %lu%s", verb, n, tail);
    mbox_send(&s->m, now, line, NULL);
}

static void
pop3_enter(pop3_session *s, int st, int64_t now)
{
    if (!mbox_set_state(&s->m, st, now))
        return;
    smtpchk_pop3_reader_expect(s->rd, expect_of(st));
    switch (st) {
    case PO_CAPA:
        s->m.phase_start = now;
        mbox_send(&s->m, now, "CAPA", NULL);
        break;
    case PO_STLS:
        s->m.phase_start = now;
        mbox_send(&s->m, now, "STLS", NULL);
        break;
    case PO_USER:
        s->m.phase_start = now;
        snprintf(s->m.res.auth_mech, sizeof(s->m.res.auth_mech), "USER");
        send_secret_line(s, now, "USER", s->m.p->user, 0);
        break;
    case PO_PASS:
        send_secret_line(s, now, "PASS", s->m.p->password, 1);
        break;
    case PO_AUTH:
        s->m.phase_start = now;
        snprintf(s->m.res.auth_mech, sizeof(s->m.res.auth_mech), "PLAIN");
        mbox_send(&s->m, now, "AUTH PLAIN", NULL);
        break;
    case PO_AUTH_FINAL:
        send_plain_response(s, now);
        break;
    case PO_STAT:
        s->m.phase_start = now;
        mbox_send(&s->m, now, "STAT", NULL);
        break;
    case PO_TOP:
        send_numbered(s, now, "TOP", s->msg, " 0");
        break;
    case PO_DELE:
        send_numbered(s, now, "DELE", s->msg, "");
        break;
    case PO_QUIT:
        s->m.phase_start = now;
        mbox_send(&s->m, now, "QUIT", NULL);
        break;
    default: /* TLS: the driver acts */
        break;
    }
}

static void
pop3_quit(smtpchk_mbox *m, int64_t now)
{
    pop3_enter((pop3_session *)m, PO_QUIT, now);
}

/* ---- capabilities ------------------------------------------------------ */

static size_t
next_token(const char **p, const char **tok)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t')
        s++;
    *tok = s;
    while (*s != '\0' && *s != ' ' && *s != '\t')
        s++;
    *p = s;
    return (size_t)(s - *tok);
}

static int
token_is(const char *tok, size_t n, const char *word)
{
    return strlen(word) == n && strncasecmp(tok, word, n) == 0;
}

/* One CAPA line: its first token is the capability (RFC 2449 5). */
static void
capa_line(pop3_session *s, const char *line)
{
    const char *tok;
    size_t n = next_token(&line, &tok);
    if (token_is(tok, n, "STLS"))
        s->caps |= PC_STLS;
    else if (token_is(tok, n, "USER"))
        s->caps |= PC_USER;
    else if (token_is(tok, n, "TOP"))
        s->caps |= PC_TOP;
    else if (token_is(tok, n, "SASL"))
        while ((n = next_token(&line, &tok)) > 0)
            if (token_is(tok, n, "PLAIN"))
                s->caps |= PC_SASL_PLAIN;
}

static void
parse_capa(pop3_session *s)
{
    s->caps = PC_KNOWN;
    for (const char *l = smtpchk_pop3_reader_line(s->rd, NULL); l != NULL;
         l = smtpchk_pop3_reader_line(s->rd, l))
        capa_line(s, l);
    s->m.res.caps = (s->caps & PC_STLS) ? SMTPCHK_CAP_STARTTLS : 0;
    s->m.res.server_auth = (s->caps & PC_SASL_PLAIN) ? SMTPCHK_AUTH_PLAIN : 0;
    if (s->caps & PC_SASL_PLAIN)
        s->m.res.caps |= SMTPCHK_CAP_AUTH;
}

/* ---- what comes next --------------------------------------------------- */

static void
start_login(pop3_session *s, int64_t now)
{
    const smtpchk_mbox_params *p = s->m.p;
    if (!s->m.res.tls && !p->allow_insecure_auth) {
        mbox_fail_before(&s->m, now, SMTPCHK_STEP_AUTH, SMTPCHK_ERR_AUTH_INSECURE,
                         "refusing to send credentials over an unencrypted connection");
        return;
    }
    unsigned allowed = p->auth_mechs ? p->auth_mechs : SMTPCHK_AUTH_ALL;
    int known = (s->caps & PC_KNOWN) != 0;
    if ((allowed & SMTPCHK_AUTH_PLAIN) && (s->caps & PC_SASL_PLAIN))
        pop3_enter(s, PO_AUTH, now);
    else if ((allowed & SMTPCHK_AUTH_LOGIN) && (!known || (s->caps & PC_USER)))
        pop3_enter(s, PO_USER, now); /* RFC 1939: without CAPA, USER is the baseline */
    else
        mbox_fail_before(&s->m, now, SMTPCHK_STEP_AUTH, SMTPCHK_ERR_AUTH_UNAVAILABLE,
                         "no allowed login mechanism is offered");
}

static void
after_capa(pop3_session *s, int64_t now)
{
    if (s->m.p->security == SMTPCHK_SEC_STARTTLS && !s->m.res.tls) {
        if ((s->caps & PC_KNOWN) && !(s->caps & PC_STLS)) {
            mbox_fail_before(&s->m, now, SMTPCHK_STEP_STARTTLS, SMTPCHK_ERR_STARTTLS_UNAVAILABLE,
                             "the server does not offer STLS");
            return;
        }
        pop3_enter(s, PO_STLS, now);
        return;
    }
    start_login(s, now);
}

static void
pop3_after_tls(smtpchk_mbox *m, int64_t now)
{
    pop3_session *s = (pop3_session *)m;
    s->caps = 0; /* RFC 2595 4: forget what was said in clear */
    pop3_enter(s, PO_CAPA, now);
}

static void
finish_transfer(pop3_session *s, int64_t now)
{
    mbox_phase_done(&s->m, SMTPCHK_PHASE_TRANSFER, now);
    pop3_enter(s, PO_QUIT, now);
}

/* "+OK nn mm" (RFC 1939 5): the message count. A number past ULONG_MAX is
 * malformed, not a maildrop of ULONG_MAX messages. */
static int
parse_stat(const char *text, unsigned long *count)
{
    char *end;
    if (text[0] < '0' || text[0] > '9')
        return -1;
    errno = 0;
    *count = strtoul(text, &end, 10);
    if (errno == ERANGE || *end != ' ' || end[1] < '0' || end[1] > '9')
        return -1;
    strtoul(end + 1, &end, 10);
    if (errno == ERANGE)
        return -1;
    return *end == '\0' || *end == ' ' ? 0 : -1;
}

static void
after_stat(pop3_session *s, int64_t now)
{
    if (s->m.p->mode != SMTPCHK_MBOX_FIND || s->count == 0) {
        finish_transfer(s, now);
        return;
    }
    if ((s->caps & PC_KNOWN) && !(s->caps & PC_TOP)) {
        mbox_fail_before(&s->m, now, SMTPCHK_STEP_SEARCH, SMTPCHK_ERR_MAILBOX_COMMAND,
                         "the server does not offer TOP");
        return;
    }
    unsigned scan = s->m.p->max_scan ? s->m.p->max_scan : POP3_DEFAULT_SCAN;
    if (scan > POP3_MAX_SCAN)
        scan = POP3_MAX_SCAN;
    s->scan_low = s->count > scan ? s->count - scan + 1 : 1;
    s->msg = s->count; /* newest first */
    pop3_enter(s, PO_TOP, now);
}

/* The value of header `name` if line is that header: "<v>" matched exactly. */
static int
header_has(const char *line, const char *name, const char *value)
{
    size_t n = strlen(name);
    if (value == NULL || strncasecmp(line, name, n) != 0 || line[n] != ':')
        return 0;
    const char *v = line + n + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t vl = strlen(value), ol = strlen(SMTPCHK_PROBE_OPEN), cl = strlen(SMTPCHK_PROBE_CLOSE);
    if (strncmp(v, SMTPCHK_PROBE_OPEN, ol) != 0 || strncmp(v + ol, value, vl) != 0 ||
        strncmp(v + ol + vl, SMTPCHK_PROBE_CLOSE, cl) != 0)
        return 0;
    for (v += ol + vl + cl; *v == ' ' || *v == '\t'; v++)
        ;
    return *v == '\0';
}

static void
list_add(msg_list *l, unsigned long v)
{
    if (l->n < POP3_MAX_SCAN)
        l->v[l->n++] = v;
}

/* The headers of one message (TOP n 0): does it carry the token or the check? */
static void
scan_top(pop3_session *s)
{
    int token = 0, check = 0;
    for (const char *l = smtpchk_pop3_reader_line(s->rd, NULL); l != NULL && *l != '\0';
         l = smtpchk_pop3_reader_line(s->rd, l)) {
        token |= header_has(l, SMTPCHK_PROBE_TOKEN_HEADER, s->m.p->token);
        check |= header_has(l, SMTPCHK_PROBE_CHECK_HEADER, s->m.p->check_id);
    }
    s->m.find.scanned++;
    if (token)
        list_add(&s->token_msgs, s->msg);
    else if (check)
        list_add(&s->check_msgs, s->msg);
}

/* The token mails, and the check's mails with a lower number (older). */
static void
plan_deletion(pop3_session *s, int64_t now)
{
    s->m.find.found = s->token_msgs.n > 0;
    if (!s->m.find.found) {
        finish_transfer(s, now);
        return;
    }
    unsigned long newest = s->token_msgs.v[0]; /* scanned newest first */
    s->del = s->token_msgs;
    for (size_t i = 0; i < s->check_msgs.n; i++)
        if (s->check_msgs.v[i] < newest)
            list_add(&s->del, s->check_msgs.v[i]);
    s->del_i = 0;
    s->msg = s->del.v[0];
    pop3_enter(s, PO_DELE, now);
}

/* ---- responses ---------------------------------------------------------- */

static void
on_greeting(pop3_session *s, const smtpchk_pop3_resp *r, int64_t now)
{
    mbox_phase_done(&s->m, SMTPCHK_PHASE_GREETING, now);
    smtpchk_sanitize(r->text, s->m.res.greeting, sizeof(s->m.res.greeting));
    if (r->status != SMTPCHK_POP3_OK) {
        mbox_fail(&s->m, now, SMTPCHK_ERR_GREETING, SMTPCHK_MBOX_STATUS_NO,
                  "the server greeted with -ERR");
        return;
    }
    pop3_enter(s, PO_CAPA, now);
}

static void
on_capa(pop3_session *s, const smtpchk_pop3_resp *r, int64_t now)
{
    if (r->status == SMTPCHK_POP3_OK) {
        parse_capa(s);
        mbox_phase_done(&s->m, SMTPCHK_PHASE_EHLO, now);
    } else {
        s->caps = 0; /* RFC 2449 is optional: a server without CAPA is RFC 1939 */
    }
    after_capa(s, now);
}

static void
on_login(pop3_session *s, const smtpchk_pop3_resp *r, int64_t now)
{
    if (r->status == SMTPCHK_POP3_ERR) {
        mbox_fail(&s->m, now, SMTPCHK_ERR_AUTH_FAILED, SMTPCHK_MBOX_STATUS_NO,
                  "%s answered with -ERR", pop3_states[s->m.st].name);
        return;
    }
    if (s->m.st == PO_USER) {
        pop3_enter(s, PO_PASS, now);
    } else if (s->m.st == PO_AUTH && r->status == SMTPCHK_POP3_CONT) {
        pop3_enter(s, PO_AUTH_FINAL, now);
    } else {
        mbox_phase_done(&s->m, SMTPCHK_PHASE_LOGIN, now);
        pop3_enter(s, PO_STAT, now);
    }
}

static void
on_stat(pop3_session *s, const smtpchk_pop3_resp *r, int64_t now)
{
    if (r->status == SMTPCHK_POP3_ERR) {
        mbox_fail(&s->m, now, SMTPCHK_ERR_MAILBOX_NOT_FOUND, SMTPCHK_MBOX_STATUS_NO,
                  "STAT answered with -ERR");
        return;
    }
    if (parse_stat(r->text, &s->count) != 0) {
        mbox_stop(&s->m, now, SMTPCHK_ERR_PROTOCOL, "malformed STAT response");
        return;
    }
    after_stat(s, now);
}

static void
on_find(pop3_session *s, const smtpchk_pop3_resp *r, int64_t now)
{
    if (r->status == SMTPCHK_POP3_ERR) {
        mbox_fail(&s->m, now, SMTPCHK_ERR_MAILBOX_COMMAND, SMTPCHK_MBOX_STATUS_NO,
                  "%s %lu answered with -ERR", pop3_states[s->m.st].name, s->msg);
        return;
    }
    if (s->m.st == PO_TOP) {
        scan_top(s);
        if (s->msg > s->scan_low) {
            s->msg--;
            pop3_enter(s, PO_TOP, now);
        } else {
            plan_deletion(s, now);
        }
        return;
    }
    s->dele_ok++;
    if (++s->del_i < s->del.n) {
        s->msg = s->del.v[s->del_i];
        pop3_enter(s, PO_DELE, now);
    } else {
        finish_transfer(s, now);
    }
}

static void
on_quit(pop3_session *s, const smtpchk_pop3_resp *r, int64_t now)
{
    mbox_phase_done(&s->m, SMTPCHK_PHASE_QUIT, now);
    s->m.res.quit_clean = r->status == SMTPCHK_POP3_OK;
    if (s->m.res.quit_clean) {
        s->m.find.deleted = s->dele_ok; /* RFC 1939 6: deleted now */
    } else if (s->dele_ok > 0) {
        mbox_fail(&s->m, now, SMTPCHK_ERR_MAILBOX_COMMAND, SMTPCHK_MBOX_STATUS_NO,
                  "QUIT answered with -ERR: the probe mails may not be deleted");
        return;
    }
    mbox_end(&s->m, now);
}

static void
on_response(pop3_session *s, const smtpchk_pop3_resp *r, int64_t now)
{
    mbox_note(&s->m, '<', r->line);
    if (s->m.tfn != NULL && r->nlines > 0) {
        char line[64];
        snprintf(line, sizeof(line), "<%zu body lines>", r->nlines);
        mbox_note(&s->m, '<', line);
    }
    mbox_reply_text(&s->m, r->line);
    switch (s->m.st) {
    case MB_GREETING: on_greeting(s, r, now); break;
    case PO_CAPA: on_capa(s, r, now); break;
    case PO_STLS:
        if (r->status != SMTPCHK_POP3_OK)
            mbox_fail(&s->m, now, SMTPCHK_ERR_STARTTLS_REJECTED, SMTPCHK_MBOX_STATUS_NO,
                      "STLS answered with -ERR");
        else
            mbox_set_state(&s->m, MB_STLS_HS, now);
        break;
    case PO_USER:
    case PO_PASS:
    case PO_AUTH:
    case PO_AUTH_FINAL: on_login(s, r, now); break;
    case PO_STAT: on_stat(s, r, now); break;
    case PO_TOP:
    case PO_DELE: on_find(s, r, now); break;
    case PO_QUIT: on_quit(s, r, now); break;
    default:
        mbox_stop(&s->m, now, SMTPCHK_ERR_PROTOCOL, "response in state %s",
                  pop3_states[s->m.st].name);
        break;
    }
}

static size_t
pop3_feed(smtpchk_mbox *m, int64_t now, const char *buf, size_t len)
{
    pop3_session *s = (pop3_session *)m;
    size_t n = 0;
    smtpchk_parse_status st = smtpchk_pop3_reader_feed(s->rd, buf, len, &n);
    if (st == SMTPCHK_PARSE_ERROR)
        mbox_stop(m, now, SMTPCHK_ERR_PROTOCOL, "%s", smtpchk_pop3_reader_error(s->rd));
    else if (st == SMTPCHK_PARSE_COMPLETE)
        on_response(s, smtpchk_pop3_reader_resp(s->rd), now);
    return n;
}

static int
pop3_partial(const smtpchk_mbox *m)
{
    return smtpchk_pop3_reader_partial(((const pop3_session *)m)->rd);
}

static void
pop3_cleanup(smtpchk_mbox *m)
{
    smtpchk_pop3_reader_free(((pop3_session *)m)->rd);
}

static const mbox_hooks pop3_hooks = {
    .states = pop3_states,
    .quit_state = PO_QUIT,
    .feed = pop3_feed,
    .after_tls = pop3_after_tls,
    .quit = pop3_quit,
    .partial = pop3_partial,
    .cleanup = pop3_cleanup,
};

/* POP3 commands are one line: a user or password with CR or LF cannot be sent. */
static int
line_safe(const char *v)
{
    return strpbrk(v, "\r\n") == NULL;
}

static void *
pop3_new(const smtpchk_check *check, const smtpchk_mbox_params *p, const char *default_ehlo,
         const smtpchk_session_env *env, int64_t now)
{
    (void)check;
    (void)default_ehlo;
    (void)env;
    if (!mbox_params_ok(p) || !line_safe(p->user) || !line_safe(p->password))
        return NULL;
    pop3_session *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    mbox_init(&s->m, &pop3_hooks, p, now);
    s->rd = smtpchk_pop3_reader_new();
    if (s->rd == NULL) {
        mbox_free(s);
        return NULL;
    }
    smtpchk_pop3_reader_expect(s->rd, SMTPCHK_POP3_EXPECT_LINE);
    return s;
}

const smtpchk_protocol_ops smtpchk_pop3_ops = SMTPCHK_MBOX_OPS(SMTPCHK_PROTO_POP3, pop3_new);
