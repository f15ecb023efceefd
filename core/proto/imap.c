/*
 * The IMAP4rev1 check (RFC 3501) as one state machine. Entering a state
 * sends its command (imap_enter); one switch handles the tagged response
 * for the current state (on_tagged). The common lifecycle is mbox.c's.
 *
 * PROBE: greeting, CAPABILITY, [STARTTLS, CAPABILITY], LOGIN or
 * AUTHENTICATE PLAIN, SELECT, LOGOUT.
 * FIND adds, after SELECT: UID SEARCH for the token, UID SEARCH for the
 * check's older probe mails, UID STORE \Deleted and UID EXPUNGE (EXPUNGE
 * without UIDPLUS: that also removes mails someone else flagged \Deleted).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "imap_resp.h"
#include "mbox.h"
#include "probe_headers.h"

enum {
    IM_CAPABILITY = MB__COMMON,
    IM_STARTTLS,
    IM_LOGIN,
    IM_AUTHENTICATE,
    IM_SELECT,
    IM_SEARCH_TOKEN,
    IM_SEARCH_CHECK,
    IM_STORE,
    IM_EXPUNGE,
    IM_LOGOUT,
    IM__COUNT
};

static const mbox_state_row imap_states[IM__COUNT] = {
    [MB_RESOLVE] = {"RESOLVE", SMTPCHK_STEP_DNS, false},
    [MB_CONNECT] = {"CONNECT", SMTPCHK_STEP_CONNECT, false},
    [MB_TLS] = {"TLS", SMTPCHK_STEP_TLS, false},
    [MB_GREETING] = {"GREETING", SMTPCHK_STEP_GREETING, true},
    [MB_STLS_HS] = {"STARTTLS_HANDSHAKE", SMTPCHK_STEP_TLS, false},
    [MB_DONE] = {"DONE", SMTPCHK_STEP_NONE, false},
    [IM_CAPABILITY] = {"CAPABILITY", SMTPCHK_STEP_EHLO, true},
    [IM_STARTTLS] = {"STARTTLS", SMTPCHK_STEP_STARTTLS, true},
    [IM_LOGIN] = {"LOGIN", SMTPCHK_STEP_AUTH, true},
    [IM_AUTHENTICATE] = {"AUTHENTICATE", SMTPCHK_STEP_AUTH, true},
    [IM_SELECT] = {"SELECT", SMTPCHK_STEP_SELECT, true},
    [IM_SEARCH_TOKEN] = {"SEARCH_TOKEN", SMTPCHK_STEP_SEARCH, true},
    [IM_SEARCH_CHECK] = {"SEARCH_CHECK", SMTPCHK_STEP_SEARCH, true},
    [IM_STORE] = {"STORE", SMTPCHK_STEP_DELETE, true},
    [IM_EXPUNGE] = {"EXPUNGE", SMTPCHK_STEP_DELETE, true},
    [IM_LOGOUT] = {"LOGOUT", SMTPCHK_STEP_QUIT, true},
};

/* The capabilities this client acts on, by exact (case-insensitive) token. */
enum {
    IC_STARTTLS = 1u << 0,
    IC_LOGINDISABLED = 1u << 1,
    IC_AUTH_PLAIN = 1u << 2,
    IC_SASL_IR = 1u << 3,
    IC_UIDPLUS = 1u << 4,
    IC_LITERALPLUS = 1u << 5,
    IC_IMAP4REV1 = 1u << 6,
    IC_KNOWN = 1u << 7         /* a capability list was seen */
};

static const struct {
    const char *token;
    unsigned bit;
} imap_cap_table[] = {
    {"STARTTLS", IC_STARTTLS}, {"LOGINDISABLED", IC_LOGINDISABLED},
    {"AUTH=PLAIN", IC_AUTH_PLAIN}, {"SASL-IR", IC_SASL_IR},
    {"UIDPLUS", IC_UIDPLUS}, {"LITERAL+", IC_LITERALPLUS}, {"IMAP4rev1", IC_IMAP4REV1},
};

/* UIDs kept from one SEARCH; more are left for the next run. */
#define IMAP_MAX_UIDS 512

typedef struct {
    uint32_t v[IMAP_MAX_UIDS];
    size_t n;
} uid_list;

typedef struct imap_session {
    smtpchk_mbox m;           /* first: the ops see an smtpchk_mbox */
    smtpchk_imap_reader *rd;
    unsigned caps;
    unsigned tagno;
    char tag[16];
    int preauth;
    int sasl_sent;            /* AUTHENTICATE's response went out */
    uid_list token_uids, check_uids, del;
} imap_session;

static void imap_enter(imap_session *s, int st, int64_t now);

/* ---- capabilities ------------------------------------------------------ */

static void
parse_caps(imap_session *s, const char *list)
{
    const char *tok;
    size_t n;
    s->caps = IC_KNOWN;
    while ((n = smtpchk_imap_token(&list, &tok)) > 0) {
        for (size_t i = 0; i < sizeof(imap_cap_table) / sizeof(imap_cap_table[0]); i++)
            if (strlen(imap_cap_table[i].token) == n &&
                strncasecmp(imap_cap_table[i].token, tok, n) == 0)
                s->caps |= imap_cap_table[i].bit;
    }
    s->m.res.caps = (s->caps & IC_STARTTLS) ? SMTPCHK_CAP_STARTTLS : 0;
    s->m.res.server_auth = (s->caps & IC_AUTH_PLAIN) ? SMTPCHK_AUTH_PLAIN : 0;
    if (s->caps & IC_AUTH_PLAIN)
        s->m.res.caps |= SMTPCHK_CAP_AUTH;
}

/* A [CAPABILITY ...] response code refreshes the list. */
static void
caps_from_code(imap_session *s, const char *code)
{
    const char *p = code, *tok;
    size_t n = smtpchk_imap_token(&p, &tok);
    if (n == 10 && strncasecmp(tok, "CAPABILITY", 10) == 0)
        parse_caps(s, p);
}

/* ---- commands ---------------------------------------------------------- */

/* Queues "tag command"; shown replaces the command part in the transcript. */
static void
send_tagged(imap_session *s, int64_t now, const char *cmd, const char *shown)
{
    snprintf(s->tag, sizeof(s->tag), "A%u", ++s->tagno);
    smtpchk_buf line, show;
    smtpchk_buf_init(&line);
    smtpchk_buf_init(&show);
    if (smtpchk_buf_appendf(&line, "%s %s", s->tag, cmd) != 0 ||
        smtpchk_buf_appendf(&show, "%s %s", s->tag, shown != NULL ? shown : cmd) != 0)
        mbox_out_of_memory(&s->m, now, "building a command");
    else
        mbox_send(&s->m, now, line.data, show.data);
    smtpchk_buf_wipe(&line);
    smtpchk_buf_wipe(&show);
}

/* An astring: quoted when it can be, else a LITERAL+ literal; -1 when it
 * needs a literal and the server offers no LITERAL+. */
static int
append_astring(imap_session *s, smtpchk_buf *b, const char *v)
{
    int quotable = 1;
    for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++)
        if (*p >= 0x80 || *p == '\r' || *p == '\n')
            quotable = 0;
    if (!quotable) {
        if (!(s->caps & IC_LITERALPLUS))
            return -1;
        return smtpchk_buf_appendf(b, "{%zu+}\r\n%s", strlen(v), v);
    }
    int rc = smtpchk_buf_append(b, "\"", 1);
    for (const char *p = v; rc == 0 && *p != '\0'; p++) {
        if (*p == '"' || *p == '\\')
            rc = smtpchk_buf_append(b, "\\", 1);
        if (rc == 0)
            rc = smtpchk_buf_append(b, p, 1);
    }
    return rc == 0 ? smtpchk_buf_append(b, "\"", 1) : -1;
}

static void
send_login(imap_session *s, int64_t now)
{
    smtpchk_buf cmd, shown;
    smtpchk_buf_init(&cmd);
    smtpchk_buf_init(&shown);
    snprintf(s->m.res.auth_mech, sizeof(s->m.res.auth_mech), "LOGIN");
    int rc = smtpchk_buf_append_str(&cmd, "LOGIN ");
    rc = rc == 0 ? append_astring(s, &cmd, s->m.p->user) : -1;
    rc = rc == 0 ? smtpchk_buf_append(&cmd, " ", 1) : -1;
    rc = rc == 0 ? smtpchk_buf_append_str(&shown, cmd.data) : -1;
    rc = rc == 0 ? append_astring(s, &cmd, s->m.p->password) : -1;
    rc = rc == 0 ? smtpchk_buf_append_str(&shown, "<redacted>") : -1;
    if (rc == 0)
        send_tagged(s, now, cmd.data, shown.data);
    else /* the only failure that is not memory was ruled out before */
        mbox_out_of_memory(&s->m, now, "building LOGIN");
    smtpchk_buf_wipe(&cmd);
    smtpchk_buf_wipe(&shown);
}

static int
needs_literal(const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++)
        if (*p >= 0x80 || *p == '\r' || *p == '\n')
            return 1;
    return 0;
}

/* The SASL PLAIN response, base64; sent inline (SASL-IR) or after "+". */
static void
send_plain_response(imap_session *s, int64_t now, int inline_ir)
{
    smtpchk_buf b;
    smtpchk_buf_init(&b);
    if ((inline_ir && smtpchk_buf_append_str(&b, "AUTHENTICATE PLAIN ") != 0) ||
        smtpchk_auth_plain_response(s->m.p->user, s->m.p->password, &b) != 0)
        mbox_out_of_memory(&s->m, now, "encoding AUTHENTICATE PLAIN");
    else if (inline_ir)
        send_tagged(s, now, b.data, "AUTHENTICATE PLAIN <redacted>");
    else
        mbox_send(&s->m, now, b.data, "<redacted>");
    s->sasl_sent = 1;
    smtpchk_buf_wipe(&b);
}

static void
send_authenticate(imap_session *s, int64_t now)
{
    snprintf(s->m.res.auth_mech, sizeof(s->m.res.auth_mech), "PLAIN");
    s->sasl_sent = 0;
    if (s->caps & IC_SASL_IR)
        send_plain_response(s, now, 1);
    else
        send_tagged(s, now, "AUTHENTICATE PLAIN", NULL);
}

static void
send_select(imap_session *s, int64_t now)
{
    smtpchk_buf cmd;
    smtpchk_buf_init(&cmd);
    const char *box = s->m.p->mailbox != NULL ? s->m.p->mailbox : "INBOX";
    if (smtpchk_buf_append_str(&cmd, "SELECT ") != 0 || append_astring(s, &cmd, box) != 0)
        mbox_fail_before(&s->m, now, SMTPCHK_STEP_SELECT, SMTPCHK_ERR_CONFIG,
                         "the mailbox name needs a literal and the server offers no LITERAL+");
    else
        send_tagged(s, now, cmd.data, NULL);
    smtpchk_buf_free(&cmd);
}

static void
send_search(imap_session *s, int64_t now, const char *header, const char *value)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "UID SEARCH HEADER %s \"%s%s%s\"", header, SMTPCHK_PROBE_OPEN,
             value, SMTPCHK_PROBE_CLOSE);
    send_tagged(s, now, cmd, NULL);
}

/* "UID STORE set +FLAGS.SILENT (\Deleted)" or "UID EXPUNGE set". */
static void
send_uid_set(imap_session *s, int64_t now, const char *verb, const char *tail)
{
    smtpchk_buf cmd;
    smtpchk_buf_init(&cmd);
    int rc = smtpchk_buf_appendf(&cmd, "%s ", verb);
    for (size_t i = 0; rc == 0 && i < s->del.n; i++)
        rc = smtpchk_buf_appendf(&cmd, "%s%u", i > 0 ? "," : "", (unsigned)s->del.v[i]);
    if (rc == 0)
        rc = smtpchk_buf_append_str(&cmd, tail);
    if (rc != 0)
        mbox_out_of_memory(&s->m, now, "building a UID set");
    else
        send_tagged(s, now, cmd.data, NULL);
    smtpchk_buf_free(&cmd);
}

static void
imap_enter(imap_session *s, int st, int64_t now)
{
    if (!mbox_set_state(&s->m, st, now))
        return;
    switch (st) {
    case IM_CAPABILITY:
        s->m.phase_start = now;
        send_tagged(s, now, "CAPABILITY", NULL);
        break;
    case IM_STARTTLS:
        s->m.phase_start = now;
        send_tagged(s, now, "STARTTLS", NULL);
        break;
    case IM_LOGIN:
        s->m.phase_start = now;
        send_login(s, now);
        break;
    case IM_AUTHENTICATE:
        s->m.phase_start = now;
        send_authenticate(s, now);
        break;
    case IM_SELECT:
        s->m.phase_start = now;
        send_select(s, now);
        break;
    case IM_SEARCH_TOKEN:
        send_search(s, now, SMTPCHK_PROBE_TOKEN_HEADER, s->m.p->token);
        break;
    case IM_SEARCH_CHECK:
        send_search(s, now, SMTPCHK_PROBE_CHECK_HEADER, s->m.p->check_id);
        break;
    case IM_STORE:
        send_uid_set(s, now, "UID STORE", " +FLAGS.SILENT (\\Deleted)");
        break;
    case IM_EXPUNGE:
        if (s->caps & IC_UIDPLUS)
            send_uid_set(s, now, "UID EXPUNGE", "");
        else
            send_tagged(s, now, "EXPUNGE", NULL);
        break;
    case IM_LOGOUT:
        s->m.phase_start = now;
        send_tagged(s, now, "LOGOUT", NULL);
        break;
    default: /* TLS: the driver acts */
        break;
    }
}

static void
imap_quit(smtpchk_mbox *m, int64_t now)
{
    imap_enter((imap_session *)m, IM_LOGOUT, now);
}

/* ---- what comes next --------------------------------------------------- */

static void
start_login(imap_session *s, int64_t now)
{
    const smtpchk_mbox_params *p = s->m.p;
    if (!s->m.res.tls && !p->allow_insecure_auth) {
        mbox_fail_before(&s->m, now, SMTPCHK_STEP_AUTH, SMTPCHK_ERR_AUTH_INSECURE,
                         "refusing to send credentials over an unencrypted connection");
        return;
    }
    unsigned allowed = p->auth_mechs ? p->auth_mechs : SMTPCHK_AUTH_ALL;
    if ((allowed & SMTPCHK_AUTH_PLAIN) && (s->caps & IC_AUTH_PLAIN)) {
        imap_enter(s, IM_AUTHENTICATE, now);
        return;
    }
    int literal = needs_literal(p->user) || needs_literal(p->password);
    if (!(allowed & SMTPCHK_AUTH_LOGIN) || (s->caps & IC_LOGINDISABLED) ||
        (literal && !(s->caps & IC_LITERALPLUS))) {
        mbox_fail_before(&s->m, now, SMTPCHK_STEP_AUTH, SMTPCHK_ERR_AUTH_UNAVAILABLE, "%s",
                         (s->caps & IC_LOGINDISABLED)
                             ? "LOGINDISABLED and no allowed AUTHENTICATE mechanism"
                         : literal ? "the credentials need a literal and the server offers "
                                     "neither LITERAL+ nor AUTH=PLAIN"
                                   : "no allowed login mechanism is offered");
        return;
    }
    imap_enter(s, IM_LOGIN, now);
}

static void
after_login(imap_session *s, int64_t now)
{
    imap_enter(s, IM_SELECT, now);
}

static void
after_caps(imap_session *s, int64_t now)
{
    if (s->m.p->security == SMTPCHK_SEC_STARTTLS && !s->m.res.tls) {
        if (s->preauth || !(s->caps & IC_STARTTLS)) {
            mbox_fail_before(&s->m, now, SMTPCHK_STEP_STARTTLS, SMTPCHK_ERR_STARTTLS_UNAVAILABLE,
                             "%s", s->preauth ? "PREAUTH greeting: no STARTTLS possible"
                                              : "the server does not offer STARTTLS");
            return;
        }
        imap_enter(s, IM_STARTTLS, now);
        return;
    }
    if (s->preauth)
        after_login(s, now);
    else
        start_login(s, now);
}

static void
imap_after_tls(smtpchk_mbox *m, int64_t now)
{
    imap_session *s = (imap_session *)m;
    s->caps = 0; /* RFC 3501 6.2.1: forget what was said in clear */
    imap_enter(s, IM_CAPABILITY, now);
}

static void
finish_transfer(imap_session *s, int64_t now)
{
    mbox_phase_done(&s->m, SMTPCHK_PHASE_TRANSFER, now);
    imap_enter(s, IM_LOGOUT, now);
}

/* The token mails, and the check's mails with a lower UID (older). */
static void
plan_deletion(imap_session *s, int64_t now)
{
    uint32_t newest = 0;
    s->del.n = 0;
    for (size_t i = 0; i < s->token_uids.n; i++) {
        s->del.v[s->del.n++] = s->token_uids.v[i];
        if (s->token_uids.v[i] > newest)
            newest = s->token_uids.v[i];
    }
    for (size_t i = 0; i < s->check_uids.n && s->del.n < IMAP_MAX_UIDS; i++) {
        uint32_t u = s->check_uids.v[i];
        int dup = 0;
        for (size_t j = 0; j < s->token_uids.n; j++)
            dup |= s->token_uids.v[j] == u;
        if (u < newest && !dup)
            s->del.v[s->del.n++] = u;
    }
    imap_enter(s, IM_STORE, now);
}

static int
collect_uids(uid_list *l, const char *text)
{
    const char *tok;
    size_t n;
    while ((n = smtpchk_imap_token(&text, &tok)) > 0) {
        if (tok[0] == '(') /* RFC 4731/7162 extensions this client does not ask for */
            return -1;
        char *end;
        unsigned long v = strtoul(tok, &end, 10);
        if (end != tok + n || v == 0 || v > UINT32_MAX || tok[0] < '0' || tok[0] > '9')
            return -1;
        if (l->n < IMAP_MAX_UIDS)
            l->v[l->n++] = (uint32_t)v;
    }
    return 0;
}

/* ---- responses ---------------------------------------------------------- */

static int
status_of(const smtpchk_imap_resp *r)
{
    switch (r->cond) {
    case SMTPCHK_IMAP_COND_NO: return SMTPCHK_MBOX_STATUS_NO;
    case SMTPCHK_IMAP_COND_BAD: return SMTPCHK_MBOX_STATUS_BAD;
    case SMTPCHK_IMAP_COND_BYE: return SMTPCHK_MBOX_STATUS_BYE;
    default: return SMTPCHK_MBOX_STATUS_OK;
    }
}

static void
on_greeting(imap_session *s, const smtpchk_imap_resp *r, int64_t now)
{
    mbox_phase_done(&s->m, SMTPCHK_PHASE_GREETING, now);
    smtpchk_sanitize(r->text, s->m.res.greeting, sizeof(s->m.res.greeting));
    if (r->kind != SMTPCHK_IMAP_UNTAGGED ||
        (r->cond != SMTPCHK_IMAP_COND_OK && r->cond != SMTPCHK_IMAP_COND_PREAUTH &&
         r->cond != SMTPCHK_IMAP_COND_BYE)) {
        mbox_stop(&s->m, now, SMTPCHK_ERR_PROTOCOL, "malformed IMAP greeting");
        return;
    }
    if (r->cond == SMTPCHK_IMAP_COND_BYE) {
        mbox_fail(&s->m, now, SMTPCHK_ERR_GREETING, SMTPCHK_MBOX_STATUS_BYE,
                  "the server greeted with BYE");
        return;
    }
    s->preauth = r->cond == SMTPCHK_IMAP_COND_PREAUTH;
    caps_from_code(s, r->code);
    if (s->caps & IC_KNOWN)
        after_caps(s, now);
    else
        imap_enter(s, IM_CAPABILITY, now);
}

/* A tagged NO or BAD (or OK) to the current state's command. */
static void
on_tagged(imap_session *s, const smtpchk_imap_resp *r, int64_t now)
{
    int st = status_of(r), ok = st == SMTPCHK_MBOX_STATUS_OK;
    const char *cond = st == SMTPCHK_MBOX_STATUS_NO ? "NO" : "BAD";
    caps_from_code(s, r->code);
    switch (s->m.st) {
    case IM_CAPABILITY:
        if (!ok) {
            mbox_fail(&s->m, now, SMTPCHK_ERR_EHLO, st, "CAPABILITY answered with %s", cond);
            return;
        }
        mbox_phase_done(&s->m, SMTPCHK_PHASE_EHLO, now);
        after_caps(s, now);
        return;
    case IM_STARTTLS:
        if (!ok) {
            mbox_fail(&s->m, now, SMTPCHK_ERR_STARTTLS_REJECTED, st, "STARTTLS answered with %s",
                      cond);
            return;
        }
        mbox_set_state(&s->m, MB_STLS_HS, now); /* tls time includes STARTTLS */
        return;
    case IM_LOGIN:
    case IM_AUTHENTICATE:
        if (!ok) {
            mbox_fail(&s->m, now, SMTPCHK_ERR_AUTH_FAILED, st, "%s answered with %s",
                      s->m.st == IM_LOGIN ? "LOGIN" : "AUTHENTICATE PLAIN", cond);
            return;
        }
        mbox_phase_done(&s->m, SMTPCHK_PHASE_LOGIN, now);
        after_login(s, now);
        return;
    case IM_LOGOUT: /* a NO to LOGOUT fails nothing: the session is over either way */
        mbox_phase_done(&s->m, SMTPCHK_PHASE_QUIT, now);
        s->m.res.quit_clean = ok;
        mbox_end(&s->m, now);
        return;
    case IM_SELECT:
        if (!ok) {
            mbox_fail(&s->m, now, SMTPCHK_ERR_MAILBOX_NOT_FOUND, st, "SELECT %s answered with %s",
                      s->m.p->mailbox != NULL ? s->m.p->mailbox : "INBOX", cond);
            return;
        }
        if (s->m.p->mode == SMTPCHK_MBOX_FIND)
            imap_enter(s, IM_SEARCH_TOKEN, now);
        else
            finish_transfer(s, now);
        return;
    default:
        break;
    }
    if (!ok) {
        mbox_fail(&s->m, now, SMTPCHK_ERR_MAILBOX_COMMAND, st, "%s answered with %s",
                  imap_states[s->m.st].name, cond);
        return;
    }
    switch (s->m.st) {
    case IM_SEARCH_TOKEN:
        s->m.find.found = s->token_uids.n > 0;
        s->m.find.scanned = (unsigned)s->token_uids.n;
        if (!s->m.find.found)
            finish_transfer(s, now);
        else if (s->m.p->check_id != NULL)
            imap_enter(s, IM_SEARCH_CHECK, now);
        else
            plan_deletion(s, now);
        return;
    case IM_SEARCH_CHECK:
        s->m.find.scanned += (unsigned)s->check_uids.n;
        plan_deletion(s, now);
        return;
    case IM_STORE:
        imap_enter(s, IM_EXPUNGE, now);
        return;
    case IM_EXPUNGE:
        s->m.find.deleted = (unsigned)s->del.n;
        finish_transfer(s, now);
        return;
    default:
        mbox_stop(&s->m, now, SMTPCHK_ERR_PROTOCOL, "tagged response in state %s",
                  imap_states[s->m.st].name);
        return;
    }
}

static void
on_untagged(imap_session *s, const smtpchk_imap_resp *r, int64_t now)
{
    if (r->cond == SMTPCHK_IMAP_COND_BYE) {
        if (s->m.st != IM_LOGOUT)
            mbox_fail(&s->m, now, SMTPCHK_ERR_CLOSED, SMTPCHK_MBOX_STATUS_BYE,
                      "the server said BYE during %s", imap_states[s->m.st].name);
        return;
    }
    if (r->cond == SMTPCHK_IMAP_COND_PREAUTH) {
        mbox_stop(&s->m, now, SMTPCHK_ERR_PROTOCOL, "PREAUTH after the greeting");
        return;
    }
    caps_from_code(s, r->code);
    if (strcmp(r->atom, "CAPABILITY") == 0)
        parse_caps(s, r->text);
    if (strcmp(r->atom, "SEARCH") == 0 &&
        (s->m.st == IM_SEARCH_TOKEN || s->m.st == IM_SEARCH_CHECK) &&
        collect_uids(s->m.st == IM_SEARCH_TOKEN ? &s->token_uids : &s->check_uids, r->text) != 0)
        mbox_stop(&s->m, now, SMTPCHK_ERR_PROTOCOL, "malformed SEARCH response");
    /* Everything else (FLAGS, EXISTS, RECENT, OK [UIDVALIDITY] ...) is noted only. */
}

static void
on_continuation(imap_session *s, int64_t now)
{
    if (s->m.st == IM_AUTHENTICATE && !s->sasl_sent) {
        send_plain_response(s, now, 0);
        return;
    }
    mbox_stop(&s->m, now, SMTPCHK_ERR_PROTOCOL, "unexpected continuation in state %s",
              imap_states[s->m.st].name);
}

static void
note_response(imap_session *s, const smtpchk_imap_resp *r)
{
    if (r->nliterals == 0) {
        mbox_note(&s->m, '<', r->line);
    } else if (s->m.tfn != NULL) {
        char line[SMTPCHK_IMAP_MAX_LINE + 48];
        snprintf(line, sizeof(line), "%s <%zu literal(s) skipped>", r->line, r->nliterals);
        mbox_note(&s->m, '<', line);
    }
    mbox_reply_text(&s->m, r->line);
}

static void
on_response(imap_session *s, const smtpchk_imap_resp *r, int64_t now)
{
    note_response(s, r);
    if (s->m.st == MB_GREETING) {
        on_greeting(s, r, now);
        return;
    }
    switch (r->kind) {
    case SMTPCHK_IMAP_UNTAGGED:
        on_untagged(s, r, now);
        return;
    case SMTPCHK_IMAP_CONTINUATION:
        on_continuation(s, now);
        return;
    case SMTPCHK_IMAP_TAGGED:
        if (strcmp(r->tag, s->tag) != 0) {
            mbox_stop(&s->m, now, SMTPCHK_ERR_PROTOCOL, "response with an unknown tag");
            return;
        }
        on_tagged(s, r, now);
        return;
    }
}

static size_t
imap_feed(smtpchk_mbox *m, int64_t now, const char *buf, size_t len)
{
    imap_session *s = (imap_session *)m;
    size_t n = 0;
    smtpchk_parse_status st = smtpchk_imap_reader_feed(s->rd, buf, len, &n);
    if (st == SMTPCHK_PARSE_ERROR)
        mbox_stop(m, now, SMTPCHK_ERR_PROTOCOL, "%s", smtpchk_imap_reader_error(s->rd));
    else if (st == SMTPCHK_PARSE_COMPLETE)
        on_response(s, smtpchk_imap_reader_resp(s->rd), now);
    return n;
}

static int
imap_partial(const smtpchk_mbox *m)
{
    return smtpchk_imap_reader_partial(((const imap_session *)m)->rd);
}

static void
imap_cleanup(smtpchk_mbox *m)
{
    smtpchk_imap_reader_free(((imap_session *)m)->rd);
}

static const mbox_hooks imap_hooks = {
    .states = imap_states,
    .quit_state = IM_LOGOUT,
    .feed = imap_feed,
    .after_tls = imap_after_tls,
    .quit = imap_quit,
    .partial = imap_partial,
    .cleanup = imap_cleanup,
};

static void *
imap_new(const smtpchk_check *check, const smtpchk_mbox_params *p, const char *default_ehlo,
         const smtpchk_session_env *env, int64_t now)
{
    (void)check;
    (void)default_ehlo;
    (void)env;
    if (!mbox_params_ok(p))
        return NULL;
    imap_session *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    mbox_init(&s->m, &imap_hooks, p, now);
    s->rd = smtpchk_imap_reader_new(0, 0);
    if (s->rd == NULL) {
        mbox_free(s);
        return NULL;
    }
    return s;
}

const smtpchk_protocol_ops smtpchk_imap_ops = SMTPCHK_MBOX_OPS(SMTPCHK_PROTO_IMAP, imap_new);
