/*
 * source.c: the source buffer, its line map, UTF-8, and diagnostics.
 *
 * Positions are byte offsets everywhere; they become LINE:COL only when an
 * error is printed. The line map is built once (one offset per line) and a
 * position is found by binary search, then its column by counting code
 * points from the start of its line. A byte that is not valid UTF-8 counts as
 * one column, so every byte of the file has a column.
 *
 * The printed source line must be safe to show in a terminal: invalid bytes
 * and control characters other than tab are shown as U+FFFD, one column
 * each, so the caret line still lines up. Diagnostics are formatted into one
 * buffer and written with one fwrite: stderr is unbuffered, and a character
 * at a time made a long line of errors take minutes.
 *
 * A UTF-8 byte-order mark (EF BB BF) at the start of the input is dropped
 * when the text is copied: it is not part of the program, and columns count
 * from the character after it.
 */
#include "source.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../base/arena.h"
#include "../base/grow.h"
#include "../base/buf.h"

sg_src *sg_src_new(const char *name, const char *text, size_t len)
{
    sg_src *src = sg_xmalloc(sizeof *src);
    int too_large = len > SG_SRC_MAX_BYTES;
    unsigned i, n;

    if (too_large)
        len = 0;
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) { /* a byte-order mark */
        text += 3;
        len -= 3;
    }
    memset(src, 0, sizeof *src);
    src->name = sg_xmalloc(strlen(name) + 1);
    strcpy(src->name, name);
    src->text = sg_xmalloc(len + 1);
    if (len)
        memcpy(src->text, text, len);
    src->text[len] = '\0';
    src->len = len;

    for (n = 1, i = 0; i < len; i++)
        n += src->text[i] == '\n';
    src->line_start = sg_xmalloc(n * sizeof *src->line_start);
    src->line_start[0] = 0;
    for (n = 1, i = 0; i < len; i++)
        if (src->text[i] == '\n')
            src->line_start[n++] = i + 1;
    src->nlines = n;

    if (too_large) {
        sg_span at = {0, 0};
        sg_src_error(src, at, "the input is larger than %u bytes (4 MiB)", SG_SRC_MAX_BYTES);
        src->fatal = 1;
    }
    /* the first line that is too long (its '\n' not counted) */
    for (i = 0; i < n && !src->fatal; i++) {
        unsigned end = i + 1 < n ? src->line_start[i + 1] - 1 : (unsigned)len;
        if (end - src->line_start[i] > SG_SRC_MAX_LINE) {
            sg_span at;
            at.begin = src->line_start[i];
            at.end = at.begin + 1;
            sg_src_error(src, at, "the line is longer than %u bytes", SG_SRC_MAX_LINE);
            src->fatal = 1;
        }
    }
    return src;
}

void sg_src_free(sg_src *src)
{
    unsigned i;
    if (!src)
        return;
    for (i = 0; i < src->ndiags; i++)
        free(src->diags[i].msg);
    free(src->diags);
    for (i = 0; i < src->nwarns; i++)
        free(src->warns[i].msg);
    free(src->warns);
    free(src->line_start);
    free(src->text);
    free(src->name);
    free(src);
}

/* index of the line holding byte off */
static unsigned line_of(const sg_src *src, unsigned off)
{
    unsigned lo = 0, hi = src->nlines; /* line_start[lo] <= off < line_start[hi] */
    while (hi - lo > 1) {
        unsigned mid = lo + (hi - lo) / 2;
        if (src->line_start[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* the next code point boundary after off (an invalid byte is one step) */
static unsigned next_char(const sg_src *src, unsigned off)
{
    unsigned long cp;
    int n;
    if (off >= src->len)
        return off + 1;
    n = sg_utf8_decode((const unsigned char *)src->text + off, src->len - off, &cp);
    return off + (unsigned)(n > 0 ? n : 1);
}

void sg_src_linecol(const sg_src *src, unsigned off, unsigned *line, unsigned *col)
{
    unsigned l, i, c = 1;
    if (off > src->len)
        off = (unsigned)src->len;
    l = line_of(src, off);
    for (i = src->line_start[l]; i < off; i = next_char(src, i))
        c++;
    *line = l + 1;
    *col = c;
}

sg_span sg_span_join(sg_span a, sg_span b)
{
    sg_span s;
    s.begin = a.begin;
    s.end = b.end;
    return s;
}

/* a diagnostic into list (n kept, *dropped past SG_SRC_MAX_ERRORS) */
static void record(sg_diagnostic **list, unsigned *n, unsigned *cap, unsigned *dropped,
                   int warning, sg_span span, const char *fmt, va_list ap)
{
    sg_diagnostic *d;
    va_list again;
    int len;

    if (*n == SG_SRC_MAX_ERRORS) {
        (*dropped)++;
        return;
    }
    SG_GROW(*list, *n, *cap, SG_GROW_MAX, "diagnostics");
    d = &(*list)[*n];
    d->span = span;
    d->warning = warning;
    d->seq = (*n)++;

    va_copy(again, ap);
    len = vsnprintf(NULL, 0, fmt, ap);
    if (len < 0)
        len = 0;
    d->msg = sg_xmalloc((size_t)len + 1);
    d->msg[0] = '\0';
    vsnprintf(d->msg, (size_t)len + 1, fmt, again);
    va_end(again);
}

void sg_src_error(sg_src *src, sg_span span, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record(&src->diags, &src->ndiags, &src->cap, &src->ndropped, 0, span, fmt, ap);
    va_end(ap);
}

void sg_src_warning(sg_src *src, sg_span span, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record(&src->warns, &src->nwarns, &src->capwarns, &src->nwdropped, 1, span, fmt, ap);
    va_end(ap);
}

unsigned sg_src_nwarnings(const sg_src *src)
{
    return src->nwarns + src->nwdropped;
}

unsigned sg_src_nerrors(const sg_src *src)
{
    return src->ndiags + src->ndropped;
}

static int by_position(const void *pa, const void *pb)
{
    const sg_diagnostic *a = *(const sg_diagnostic *const *)pa, *b = *(const sg_diagnostic *const *)pb;
    if (a->span.begin != b->span.begin)
        return a->span.begin < b->span.begin ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* end of the line starting at off, before its '\n' and a trailing '\r' */
static unsigned line_end(const sg_src *src, unsigned off)
{
    const char *nl = memchr(src->text + off, '\n', src->len - off);
    unsigned end = nl ? (unsigned)(nl - src->text) : (unsigned)src->len;
    if (end > off && src->text[end - 1] == '\r')
        end--;
    return end;
}

static void print_line(const sg_src *src, unsigned from, unsigned to, sg_buf *out)
{
    unsigned i = from;
    while (i < to) {
        unsigned next, run = i;
        unsigned char c;
        /* printable ASCII, the common case, a run at a time */
        while (run < to && ((unsigned char)src->text[run] >= 0x20 || src->text[run] == '\t') &&
               (unsigned char)src->text[run] < 0x7f)
            run++;
        if (run > i) {
            sg_buf_putn(out, src->text + i, run - i);
            i = run;
            continue;
        }
        next = next_char(src, i);
        c = (unsigned char)src->text[i];
        if (next > to)
            next = to;
        if (next - i == 1 && ((c < 0x20 && c != '\t') || c >= 0x7f))
            sg_buf_puts(out, "\xef\xbf\xbd"); /* U+FFFD: invalid byte or control character */
        else
            sg_buf_putn(out, src->text + i, next - i);
        i = next;
    }
}

/* the bytes of a source line shown at most: longer lines are cut around the caret */
#define WINDOW 1024u

static void print_diag(const sg_src *src, const sg_diagnostic *d, sg_buf *out)
{
    unsigned begin = d->span.begin > src->len ? (unsigned)src->len : d->span.begin;
    unsigned line, col, start, end, i;

    /* gcc's colors: the location bold, "error:" bold red ("warning:" bold
       magenta), the caret bold green */
    const char *bold = src->color ? "\033[1m" : "";
    int warning = d->warning && !src->werror;
    const char *red = !src->color ? "" : warning ? "\033[1;35m" : "\033[1;31m";
    const char *green = src->color ? "\033[1;32m" : "", *reset = src->color ? "\033[0m" : "";

    sg_src_linecol(src, begin, &line, &col);
    sg_buf_printf(out, "%s%s:%u:%u:%s %s%s:%s %s\n", bold,
            strcmp(src->name, "-") == 0 ? "<stdin>" : src->name, line, col, reset, red,
            warning ? "warning" : "error", reset, d->msg);

    start = src->line_start[line - 1];
    end = line_end(src, start);
    sg_buf_puts(out, "    ");
    if (end - start > WINDOW) {
        /* a long line: the part around the caret, cut at characters, so
           that a line of a thousand errors does not print it a thousand
           times (the line that is too long shows its start) */
        unsigned from = begin - start > WINDOW / 2 ? begin - WINDOW / 2 : start;
        unsigned to = end - from > WINDOW ? from + WINDOW : end;
        while (from < begin && ((unsigned char)src->text[from] & 0xc0) == 0x80)
            from++;
        while (to > begin && to < end && ((unsigned char)src->text[to] & 0xc0) == 0x80)
            to--;
        if (from > start)
            sg_buf_puts(out, "…");
        print_line(src, from, to, out);
        if (to < end)
            sg_buf_puts(out, "…");
        sg_buf_puts(out, "\n    ");
        if (from > start)
            sg_buf_putc(out, ' '); /* under the … */
        start = from;
        end = to;
    } else {
        print_line(src, start, end, out);
        sg_buf_puts(out, "\n    ");
    }
    for (i = start; i < begin; i = next_char(src, i))
        sg_buf_putc(out, src->text[i] == '\t' ? '\t' : ' ');
    sg_buf_puts(out, green);
    sg_buf_putc(out, '^');
    /* ~ under the rest of the span, as far as this line (or its part) goes */
    for (i = next_char(src, begin); i < d->span.end && i < end; i = next_char(src, i))
        sg_buf_putc(out, '~');
    sg_buf_puts(out, reset);
    sg_buf_putc(out, '\n');
}

/* what is in b, then empty it (kept small: one diagnostic's worth at a time) */
static void flush(sg_buf *b, FILE *out)
{
    if (b->len) {
        fwrite(b->data, 1, b->len, out);
        b->len = 0;
        b->data[0] = '\0';
    }
}

/* the n diagnostics of list sorted by position, then how many more there were */
static void print_list(const sg_src *src, const sg_diagnostic *list, unsigned n, unsigned dropped,
                       const char *what, FILE *out)
{
    const sg_diagnostic **sorted;
    unsigned i;
    sg_buf b;

    if (!n)
        return;
    sorted = sg_xmalloc(n * sizeof *sorted);
    for (i = 0; i < n; i++)
        sorted[i] = &list[i];
    qsort(sorted, n, sizeof *sorted, by_position);
    sg_buf_init(&b);
    for (i = 0; i < n; i++) {
        print_diag(src, sorted[i], &b);
        if (b.len >= 1u << 16)
            flush(&b, out);
    }
    free(sorted);
    if (dropped)
        sg_buf_printf(&b, "%s: %u more %s%s not shown\n",
                      strcmp(src->name, "-") == 0 ? "<stdin>" : src->name, dropped, what,
                      dropped == 1 ? "" : "s");
    flush(&b, out);
    sg_buf_free(&b);
    fflush(out);
}

void sg_src_print_errors(const sg_src *src, FILE *out)
{
    print_list(src, src->diags, src->ndiags, src->ndropped, "error", out);
}

void sg_src_print_warnings(const sg_src *src, FILE *out)
{
    print_list(src, src->warns, src->nwarns, src->nwdropped, "warning", out);
}

int sg_utf8_decode(const unsigned char *s, size_t n, unsigned long *cp)
{
    unsigned long c, min;
    int len, i;

    if (n == 0)
        return 0;
    c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        len = 2, c &= 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, c &= 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, c &= 0x07, min = 0x10000;
    } else {
        return 0; /* a continuation byte, or a lead byte that is never valid */
    }
    if (n < (size_t)len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0; /* overlong, past Unicode, or a surrogate */
    *cp = c;
    return len;
}

unsigned sg_src_check_utf8(sg_src *src)
{
    const unsigned char *s = (const unsigned char *)src->text;
    unsigned i = 0, runs = 0;

    while (i < src->len) {
        unsigned long cp;
        unsigned start = i;
        if (sg_utf8_decode(s + i, src->len - i, &cp) > 0) {
            i = next_char(src, i);
            continue;
        }
        while (i < src->len && sg_utf8_decode(s + i, src->len - i, &cp) == 0)
            i++;
        {
            sg_span run;
            run.begin = start;
            run.end = i;
            sg_src_error(src, run, "invalid UTF-8 byte 0x%02X", s[start]);
        }
        runs++;
    }
    return runs;
}
