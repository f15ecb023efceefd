/* Named, percent-encoded state records (record.h). */
#include "record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"

typedef struct pair {
    const char *key;
    const char *value;
} pair;

/*
 * One allocation per record, sized by its line: the header, one pair per
 * token of the line, then the kind, keys and values decoded into a text
 * area of the line's length (decoding never lengthens, and each " k=v"
 * token has the two bytes its key's and value's ends take).
 */
struct smtpchk_record {
    const char *kind;
    size_t n;
    pair pairs[];
};

/* ---- reading ---- */

static int
hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes s[0..len) into out (len + 1 bytes at most); returns the bytes
 * written with the terminating NUL, 0 when a %XX escape is bad. */
static size_t
decode(const char *s, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '%') {
            out[o++] = s[i];
            continue;
        }
        if (i + 2 >= len || hex_digit(s[i + 1]) < 0 || hex_digit(s[i + 2]) < 0)
            return 0;
        out[o++] = (char)(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
        i += 2;
    }
    out[o] = '\0';
    return o + 1;
}

static int
is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.';
}

static size_t
name_len(const char *s, size_t len)
{
    size_t n = 0;
    while (n < len && is_name_char(s[n]))
        n++;
    return n;
}

/* Where parsing writes: the text area's next free byte, and how many
 * pairs the record has room for. */
typedef struct area {
    char *at;
    size_t max_pairs;
} area;

/* Copies s[0..len) as a string into the area. */
static const char *
area_copy(area *a, const char *s, size_t len)
{
    char *p = a->at;
    memcpy(p, s, len);
    p[len] = '\0';
    a->at += len + 1;
    return p;
}

/* One " key=value" token at s; returns its length, 0 when malformed. */
static size_t
take_pair(smtpchk_record *rec, area *a, const char *s, size_t len)
{
    size_t k = name_len(s, len);
    if (k == 0 || k >= len || s[k] != '=' || rec->n >= a->max_pairs)
        return 0;
    size_t v = k + 1;
    while (v < len && s[v] != ' ')
        v++;
    pair *p = &rec->pairs[rec->n];
    p->key = area_copy(a, s, k);
    size_t used = decode(s + k + 1, v - k - 1, a->at);
    if (used == 0)
        return 0;
    p->value = a->at;
    a->at += used;
    rec->n++;
    return v;
}

static int
parse_pairs(smtpchk_record *rec, area *a, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (s[i] != ' ')
            return -1;
        while (i < len && s[i] == ' ')
            i++;
        if (i == len)
            break;
        size_t used = take_pair(rec, a, s + i, len - i);
        if (used == 0)
            return -1;
        i += used;
    }
    return 0;
}

static int
has_control(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 1;
    return 0;
}

/* The space-separated tokens of s[0..len): at least as many as its pairs. */
static size_t
count_tokens(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += s[i] != ' ' && (i == 0 || s[i - 1] == ' ');
    return n;
}

smtpchk_record *
smtpchk_record_parse(const char *line, size_t len)
{
    if (len > 0 && line[len - 1] == '\n')
        len--;
    size_t k = name_len(line, len);
    if (len > SMTPCHK_RECORD_MAX_LINE || k == 0 || has_control(line, len))
        return NULL;
    size_t tokens = count_tokens(line + k, len - k);
    if (tokens > SMTPCHK_RECORD_MAX_PAIRS)
        return NULL; /* over the limit, or a malformed token */
    size_t head = sizeof(smtpchk_record) + tokens * sizeof(pair);
    smtpchk_record *rec = malloc(head + len + 1);
    if (rec == NULL)
        return NULL;
    area a = {(char *)rec + head, tokens};
    rec->n = 0;
    rec->kind = area_copy(&a, line, k);
    if (parse_pairs(rec, &a, line + k, len - k) != 0) {
        free(rec);
        return NULL;
    }
    return rec;
}

void
smtpchk_record_free(smtpchk_record *rec)
{
    free(rec);
}

const char *
smtpchk_record_kind(const smtpchk_record *rec)
{
    return rec->kind;
}

const char *
smtpchk_record_get(const smtpchk_record *rec, const char *key)
{
    /* The last one wins, like a later line of a config file. */
    for (size_t i = rec->n; i > 0; i--)
        if (strcmp(rec->pairs[i - 1].key, key) == 0)
            return rec->pairs[i - 1].value;
    return NULL;
}

int
smtpchk_record_get_int(const smtpchk_record *rec, const char *key, long long lo, long long hi,
                       long long *out)
{
    const char *v = smtpchk_record_get(rec, key);
    if (v == NULL)
        return -1;
    char *end = NULL;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || x < lo || x > hi)
        return -1;
    *out = x;
    return 0;
}

/* ---- writing ---- */

static int
plain(unsigned char c)
{
    return c > 0x20 && c < 0x7f && c != '%' && c != '=';
}

void
smtpchk_record_begin(FILE *f, const char *kind)
{
    fputs(kind, f);
}

void
smtpchk_record_put(FILE *f, const char *key, const char *value)
{
    fprintf(f, " %s=", key);
    for (const unsigned char *p = (const unsigned char *)value; *p != '\0'; p++) {
        if (plain(*p))
            fputc(*p, f);
        else
            fprintf(f, "%%%02X", *p);
    }
}

void
smtpchk_record_put_int(FILE *f, const char *key, long long value)
{
    fprintf(f, " %s=%lld", key, value);
}

void
smtpchk_record_end(FILE *f)
{
    fputc('\n', f);
}

void
smtpchk_record_put_result(FILE *f, const smtpchk_result *r)
{
    char buf[SMTPCHK_TEXT_MAX + 32];
    for (size_t i = 0; i < smtpchk_field_count(); i++) {
        const smtpchk_field *fd = smtpchk_field_at(i);
        if (smtpchk_field_format(fd, r, buf, sizeof(buf)) >= 0)
            smtpchk_record_put(f, fd->name, buf);
    }
}

size_t
smtpchk_record_get_result(const smtpchk_record *rec, smtpchk_result *r)
{
    size_t n = 0;
    for (size_t i = 0; i < smtpchk_field_count(); i++) {
        const smtpchk_field *fd = smtpchk_field_at(i);
        const char *v = smtpchk_record_get(rec, fd->name);
        if (v != NULL && smtpchk_field_parse(fd, r, v) == 0)
            n++;
    }
    return n;
}
