/* The POP3 session under fuzzing (fuzz_mbox.h). */
#define MBOX_PROTO SMTPCHK_PROTO_POP3
#include "fuzz_mbox.h"
