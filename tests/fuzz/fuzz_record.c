/*
 * The persisted-state reader: any line parses or is refused without harm,
 * and a result read from it writes back and reads again the same.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
round_trip(const smtpchk_result *r)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL)
        return;
    smtpchk_record_begin(f, "result");
    smtpchk_record_put_result(f, r);
    smtpchk_record_end(f);
    fclose(f);
    smtpchk_record *rec = smtpchk_record_parse(text, len);
    if (rec == NULL)
        abort(); /* what we write we must read */
    smtpchk_result back;
    smtpchk_result_init(&back);
    smtpchk_record_get_result(rec, &back);
    for (size_t i = 0; i < smtpchk_field_count(); i++) {
        const smtpchk_field *fd = smtpchk_field_at(i);
        char a[400], b[400];
        if (smtpchk_field_format(fd, r, a, sizeof(a)) >= 0 &&
            (smtpchk_field_format(fd, &back, b, sizeof(b)) < 0 || strcmp(a, b) != 0))
            abort();
    }
    smtpchk_record_free(rec);
    free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    smtpchk_record *rec = smtpchk_record_parse((const char *)data, size);
    if (rec == NULL)
        return 0;
    long long v;
    (void)smtpchk_record_get_int(rec, "index", 0, 65535, &v);
    smtpchk_result r;
    smtpchk_result_init(&r);
    smtpchk_record_get_result(rec, &r);
    smtpchk_record_free(rec);
    round_trip(&r);
    return 0;
}
