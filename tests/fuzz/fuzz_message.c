/*
 * The message builder: whatever the subject and bodies (the input, split
 * at NUL bytes), a built message has only CRLF line ends, no line over
 * 998 octets, no lone "." before the end, and ends with CRLF "." CRLF.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_payload(const char *p, size_t len)
{
    if (len < 5 || memcmp(p + len - 5, "\r\n.\r\n", 5) != 0)
        abort();
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] == '\r' && (i + 1 >= len || p[i + 1] != '\n'))
            abort();
        if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
            abort();
        if (p[i] != '\n')
            continue;
        size_t line = i - 1 - start;
        if (line > 998)
            abort();
        if (line == 1 && p[start] == '.' && i + 1 != len)
            abort();
        start = i + 1;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 3);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    memset(text + size, 0, 3);
    const char *subject = text;
    const char *html = subject + strlen(subject) + 1;
    const char *plain = html < text + size ? html + strlen(html) + 1 : html;
    if (html > text + size)
        html = text + size;
    if (plain > text + size)
        plain = text + size;
    const char *to[] = {"probe@example.net"};
    smtpchk_msgspec spec = {
        .from = "monitor@example.net", .to = to, .nto = 1, .subject = subject,
        .body_html = html, .body_text = plain[0] ? plain : NULL, .date = 1700000000,
        .message_id = "<fuzz.1@example.net>",
    };
    smtpchk_buf out;
    smtpchk_buf_init(&out);
    char err[128];
    if (smtpchk_message_build(&spec, &out, err, sizeof(err)) == 0)
        check_payload(out.data, out.len);
    smtpchk_buf_free(&out);
    free(text);
    return 0;
}
