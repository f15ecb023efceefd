/* The IMAP session under fuzzing (fuzz_mbox.h). */
#define MBOX_PROTO SMTPCHK_PROTO_IMAP
#include "fuzz_mbox.h"
