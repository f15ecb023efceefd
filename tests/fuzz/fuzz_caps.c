/*
 * EHLO capabilities: any keyword line parses without harm, only known
 * bits come out, and parsing a line twice changes nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "smtpchk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    smtpchk_caps caps = {0};
    for (char *line = strtok(text, "\r\n"); line != NULL; line = strtok(NULL, "\r\n"))
        smtpchk_caps_parse_line(line, &caps);
    if ((caps.auth & ~(unsigned)SMTPCHK_AUTH_ALL) != 0)
        abort();
    if (caps.auth != 0 && !(caps.flags & SMTPCHK_CAP_AUTH))
        abort();
    smtpchk_caps again = caps;
    memcpy(text, data, size);
    text[size] = '\0';
    for (char *line = strtok(text, "\r\n"); line != NULL; line = strtok(NULL, "\r\n"))
        smtpchk_caps_parse_line(line, &again);
    if (again.flags != caps.flags || again.auth != caps.auth)
        abort();
    free(text);
    return 0;
}
