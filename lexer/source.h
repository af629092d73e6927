/*
 * source.h: the source buffer, its line map, and diagnostics.
 *
 * A span is a half-open byte range [begin, end) into the source text. Every
 * token, syntax node and expression that came from the input carries one, so
 * that any pass can report an error at the exact place. Diagnostics are
 * collected, not printed at once: sg_src_print_errors() prints them all,
 * sorted by position, in the format of LANGUAGE.md:
 *
 *     FILE:LINE:COL: error: MESSAGE
 *         <the source line>
 *         ^~~~ (a caret under the first character, ~ under the rest of the span)
 *
 * LINE and COL are 1-based and count code points, not bytes. Bytes that are
 * not valid UTF-8 count one column each. A line longer than 1024 bytes is
 * shown cut around the caret, with … where it was cut.
 *
 * Limits, so that nothing downstream has to worry: an input larger than
 * SG_SRC_MAX_BYTES or with a line longer than SG_SRC_MAX_LINE bytes is
 * reported by sg_src_new() and marked fatal (sg_parse reads none of it); at
 * most SG_SRC_MAX_ERRORS diagnostics are kept, the rest only counted.
 *
 * A UTF-8 byte-order mark at the start of the input is not copied: the text,
 * its offsets and its columns start after it.
 *
 * Ownership: sg_src_new() copies the text; sg_src_free() releases the source
 * and every diagnostic. Message strings are copied.
 */
#ifndef SG_SOURCE_H
#define SG_SOURCE_H

#include <stddef.h>
#include <stdio.h>

#define SG_SRC_MAX_BYTES (4u << 20) /* 4 MiB */
#define SG_SRC_MAX_LINE 65536u      /* bytes in one line */
#define SG_SRC_MAX_ERRORS 1000u     /* diagnostics kept and printed */

typedef struct {
    unsigned begin, end; /* byte offsets, half-open */
} sg_span;

typedef struct {
    sg_span span;
    char *msg;
    unsigned seq; /* order of reporting, to keep the sort stable */
    int warning;  /* a warning: "warning:", and not an error */
} sg_diagnostic;

typedef struct {
    char *name;    /* as given on the command line ("-" is shown as <stdin>) */
    char *text;    /* NUL-terminated copy of the input */
    size_t len;    /* bytes, without the NUL */
    unsigned *line_start; /* byte offset of each line's first byte */
    unsigned nlines;
    sg_diagnostic *diags;
    unsigned ndiags, cap;
    unsigned ndropped; /* errors past SG_SRC_MAX_ERRORS: counted, not kept */
    sg_diagnostic *warns; /* warnings, apart: diags and ndiags are the errors */
    unsigned nwarns, capwarns, nwdropped;
    int fatal;     /* the input is past a limit: nothing of it is read */
    int color;     /* print diagnostics with ANSI colors, as gcc does (0: plain) */
    int werror;    /* print warnings as errors (-Werror) */
} sg_src;

sg_src *sg_src_new(const char *name, const char *text, size_t len);
void sg_src_free(sg_src *src);

/* 1-based line and column (in code points) of a byte offset */
void sg_src_linecol(const sg_src *src, unsigned off, unsigned *line, unsigned *col);
/* span joining a and b (from a.begin to b.end) */
sg_span sg_span_join(sg_span a, sg_span b);

/* record an error at span; the message is printf-formatted */
void sg_src_error(sg_src *src, sg_span span, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* every error recorded, kept or not */
unsigned sg_src_nerrors(const sg_src *src);

/* record a warning at span: printed as FILE:LINE:COL: warning: MESSAGE,
   never counted as an error (the caller decides what --Werror makes it) */
void sg_src_warning(sg_src *src, sg_span span, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* every warning recorded, kept or not */
unsigned sg_src_nwarnings(const sg_src *src);
/* print every warning kept, as sg_src_print_errors prints errors */
void sg_src_print_warnings(const sg_src *src, FILE *out);
/* print every error kept, sorted by position, with the source line (a long
   one cut around the caret) and caret, then how many more there were; one
   buffer, written a diagnostic or more at a time */
void sg_src_print_errors(const sg_src *src, FILE *out);

/*
 * Check that the text is valid UTF-8. Each maximal run of invalid bytes is
 * reported once ("invalid UTF-8 byte 0xFF"). Returns the number of runs.
 */
unsigned sg_src_check_utf8(sg_src *src);

/*
 * Decode one UTF-8 code point at s (n bytes available). Returns its length
 * in bytes (1..4) and stores the code point, or returns 0 for an invalid or
 * truncated sequence (overlongs, surrogates and values past U+10FFFF are
 * invalid).
 */
int sg_utf8_decode(const unsigned char *s, size_t n, unsigned long *cp);

#endif
