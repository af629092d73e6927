/*
 * buf.h: a growable byte buffer, for every printer (C, LaTeX, formulas,
 * diagnostics). The buffer owns its bytes; sg_buf_free() releases them, or
 * sg_buf_take() hands them to the caller (NUL-terminated).
 */
#ifndef SG_BUF_H
#define SG_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct {
    char *data; /* always NUL-terminated once anything was written */
    size_t len, cap;
} sg_buf;

void sg_buf_init(sg_buf *b);
void sg_buf_free(sg_buf *b);
char *sg_buf_take(sg_buf *b, size_t *len);
void sg_buf_putc(sg_buf *b, char c);
void sg_buf_puts(sg_buf *b, const char *s);
void sg_buf_putn(sg_buf *b, const char *s, size_t n);
void sg_buf_printf(sg_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void sg_buf_vprintf(sg_buf *b, const char *fmt, va_list ap);
/* the text so far ("" when empty) */
const char *sg_buf_str(const sg_buf *b);

#endif
