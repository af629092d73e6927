/* buf.c: the growable byte buffer behind every printer. */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

void sg_buf_init(sg_buf *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
}

void sg_buf_free(sg_buf *b)
{
    free(b->data);
    sg_buf_init(b);
}

char *sg_buf_take(sg_buf *b, size_t *len)
{
    char *s;
    if (!b->data)
        sg_buf_putn(b, "", 0);
    s = b->data;
    if (len)
        *len = b->len;
    sg_buf_init(b);
    return s;
}

/* room for n more bytes and the NUL; grows by doubling */
static void reserve(sg_buf *b, size_t n)
{
    size_t need = b->len + n + 1;
    if (need <= b->cap)
        return;
    if (need < b->len) /* size_t wrapped */
        sg_out_of_memory(0);
    b->cap = b->cap ? b->cap : 64;
    while (b->cap < need) {
        if (b->cap > (size_t)-1 / 2) { /* doubling would wrap: take exactly what is needed */
            b->cap = need;
            break;
        }
        b->cap *= 2;
    }
    b->data = sg_xrealloc(b->data, b->cap);
}

void sg_buf_putn(sg_buf *b, const char *s, size_t n)
{
    reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void sg_buf_putc(sg_buf *b, char c)
{
    sg_buf_putn(b, &c, 1);
}

void sg_buf_puts(sg_buf *b, const char *s)
{
    sg_buf_putn(b, s, strlen(s));
}

void sg_buf_vprintf(sg_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;
    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void sg_buf_printf(sg_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sg_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

const char *sg_buf_str(const sg_buf *b)
{
    return b->data ? b->data : "";
}
