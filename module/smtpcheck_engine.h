/*
 * The module's side of the check engine: it is made with the first good
 * check file, its thread starts from a one-shot alarm (after snmpd has
 * daemonized: a thread started in init_ would die in the fork), and its
 * results come back through one registered fd, here in the main thread.
 */
#ifndef SMTPCHECK_ENGINE_H
#define SMTPCHECK_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

typedef struct sc_module sc_module;

/* At init: the thread starts on the first tick once there is an engine. */
void smtpcheck_engine_init(sc_module *m);
/* Makes the engine once, with cfg's caps; later calls do nothing. 0 or -1 (logged). */
int smtpcheck_engine_create(sc_module *m, const smtpchk_config *cfg);
uint32_t smtpcheck_engine_in_flight(sc_module *m);
/* Stops the thread and takes every result that is left into the rows. */
void smtpcheck_engine_stop(sc_module *m);
void smtpcheck_engine_free(sc_module *m);

#endif
