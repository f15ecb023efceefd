/* The lookup of a protocol's ops, and mailbox parameters from a check. */
#include "protocol.h"

static const smtpchk_protocol_ops *const ops_table[SMTPCHK_PROTO__COUNT] = {
    [SMTPCHK_PROTO_SMTP] = &smtpchk_smtp_ops,
    [SMTPCHK_PROTO_IMAP] = &smtpchk_imap_ops,
    [SMTPCHK_PROTO_POP3] = &smtpchk_pop3_ops,
};

const smtpchk_protocol_ops *
smtpchk_protocol_ops_get(smtpchk_protocol p)
{
    return (unsigned)p < SMTPCHK_PROTO__COUNT ? ops_table[p] : NULL;
}

void
smtpchk_stamp_sent(int64_t *queued_at, int64_t now, int64_t *step_start, int64_t *phase_start)
{
    if (*queued_at == 0)
        return;
    if (now > *queued_at) {
        if (*phase_start == *queued_at)
            *phase_start = now;
        if (*step_start == *queued_at)
            *step_start = now;
    }
    *queued_at = 0;
}

void
smtpchk_mbox_params_from_check(const smtpchk_check *check, smtpchk_mbox_params *p)
{
    *p = (smtpchk_mbox_params){
        .security = check->security,
        .user = check->user,
        .password = check->password,
        .auth_mechs = check->auth_mechs,
        .allow_insecure_auth = check->allow_insecure_auth,
        .mailbox = NULL,
        .timeout_ms = check->timeout_ms,
        .step_timeout_ms = check->step_timeout_ms,
        .mode = SMTPCHK_MBOX_PROBE,
    };
}
