/*
 * test_source.c: the line map, UTF-8 decoding and checking, and the exact
 * format of printed diagnostics (caret, tildes, tabs, sorting).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lexer/source.h"

static sg_src *src_of(const char *text)
{
    return sg_src_new("f.sg", text, strlen(text));
}

static sg_span span(unsigned b, unsigned e)
{
    sg_span s;
    s.begin = b;
    s.end = e;
    return s;
}

/* what sg_src_print_errors prints; the caller frees it */
static char *printed(const sg_src *src)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    sg_src_print_errors(src, f);
    fclose(f);
    return buf;
}

static void assert_printed(const sg_src *src, const char *want)
{
    char *got = printed(src);
    assert_string_equal(got, want);
    free(got);
}

static void linecol(const sg_src *src, unsigned off, unsigned line, unsigned col)
{
    unsigned l, c;
    sg_src_linecol(src, off, &l, &c);
    assert_int_equal(l, line);
    assert_int_equal(c, col);
}

/* ---- the line map ---------------------------------------------------------- */

static void test_lines(void **state)
{
    sg_src *src = src_of("ab\ncd\n\nx");
    (void)state;
    assert_int_equal(src->nlines, 4);
    linecol(src, 0, 1, 1);
    linecol(src, 1, 1, 2);
    linecol(src, 2, 1, 3); /* the newline itself */
    linecol(src, 3, 2, 1);
    linecol(src, 6, 3, 1);
    linecol(src, 7, 4, 1);
    linecol(src, 8, 4, 2); /* the end of input */
    linecol(src, 100, 4, 2);
    sg_src_free(src);
}

static void test_columns_count_code_points(void **state)
{
    /* L = ½‖x‖²: ½ is 2 bytes, ‖ 3 */
    sg_src *src = src_of("L = \xc2\xbd\xe2\x80\x96x");
    (void)state;
    linecol(src, 4, 1, 5);  /* ½ */
    linecol(src, 6, 1, 6);  /* ‖ */
    linecol(src, 9, 1, 7);  /* x */
    sg_src_free(src);
}

static void test_invalid_bytes_count_one_column(void **state)
{
    sg_src *src = src_of("L = \xff\xfe x");
    (void)state;
    linecol(src, 4, 1, 5);
    linecol(src, 5, 1, 6);
    linecol(src, 7, 1, 8);
    sg_src_free(src);
}

static void test_empty_source(void **state)
{
    sg_src *src = sg_src_new("e.sg", "", 0);
    (void)state;
    assert_int_equal(src->nlines, 1);
    assert_int_equal(src->len, 0);
    assert_string_equal(src->text, "");
    linecol(src, 0, 1, 1);
    sg_src_free(src);
}

static void test_copies_text_with_nul_bytes(void **state)
{
    sg_src *src = sg_src_new("n.sg", "a\0b\n", 4);
    (void)state;
    assert_int_equal(src->len, 4);
    assert_int_equal(src->text[1], '\0');
    assert_int_equal(src->text[4], '\0');
    linecol(src, 2, 1, 3);
    sg_src_free(src);
}

static void test_too_large(void **state)
{
    /* the text is never read past SG_SRC_MAX_BYTES (not even a span's worth) */
    sg_src *src = sg_src_new("big.sg", "", (size_t)UINT_MAX);
    (void)state;
    assert_int_equal(src->len, 0);
    assert_true(src->fatal);
    assert_int_equal(sg_src_nerrors(src), 1);
    assert_string_equal(src->diags[0].msg, "the input is larger than 4194304 bytes (4 MiB)");
    sg_src_free(src);
}

/* 4 MiB exactly is fine, one byte more is not */
static void test_size_limit(void **state)
{
    size_t n = SG_SRC_MAX_BYTES + 1;
    char *text = malloc(n);
    sg_src *src;
    size_t i;
    (void)state;
    for (i = 0; i < n; i++)
        text[i] = i % 64 == 63 ? '\n' : 'a';
    src = sg_src_new("max.sg", text, n - 1);
    assert_int_equal(sg_src_nerrors(src), 0);
    assert_false(src->fatal);
    sg_src_free(src);
    src = sg_src_new("over.sg", text, n);
    assert_int_equal(sg_src_nerrors(src), 1);
    assert_true(src->fatal);
    sg_src_free(src);
    free(text);
}

/* the first line longer than SG_SRC_MAX_LINE bytes, at its start; its
   printed text is cut there */
static void test_line_limit(void **state)
{
    size_t n = 3 * SG_SRC_MAX_LINE;
    char *text = malloc(n + 1), out[2 * SG_SRC_MAX_LINE];
    sg_src *src;
    FILE *f;
    size_t got;
    (void)state;
    memset(text, 'a', n);
    text[n] = '\0';
    text[SG_SRC_MAX_LINE] = '\n'; /* line 1: exactly the limit */
    text[SG_SRC_MAX_LINE + 1] = 'x';
    text[2 * SG_SRC_MAX_LINE + 2] = '\n'; /* line 2: one byte more */
    src = sg_src_new("long.sg", text, n);
    assert_int_equal(sg_src_nerrors(src), 1);
    assert_true(src->fatal);
    snprintf(out, sizeof out, "the line is longer than %u bytes", SG_SRC_MAX_LINE);
    assert_string_equal(src->diags[0].msg, out);
    linecol(src, src->diags[0].span.begin, 2, 1);
    f = tmpfile();
    assert_non_null(f);
    sg_src_print_errors(src, f);
    rewind(f);
    got = fread(out, 1, sizeof out - 1, f);
    out[got] = '\0';
    fclose(f);
    assert_non_null(strstr(out, "long.sg:2:1: error: the line is longer than "));
    assert_non_null(strstr(out, " bytes\n    xaaa"));
    assert_non_null(strstr(out, "aaa…\n    ^\n"));
    assert_true(got < SG_SRC_MAX_LINE + 200);
    sg_src_free(src);
    free(text);
}

/* past SG_SRC_MAX_ERRORS, errors are counted, not kept; the count is printed */
static void test_error_limit(void **state)
{
    sg_src *src = sg_src_new("many.sg", "x", 1);
    char out[256];
    unsigned i;
    FILE *f;
    size_t got;
    (void)state;
    for (i = 0; i < SG_SRC_MAX_ERRORS + 5; i++)
        sg_src_error(src, span(0, 1), "error %u", i);
    assert_int_equal(src->ndiags, SG_SRC_MAX_ERRORS);
    assert_int_equal(sg_src_nerrors(src), SG_SRC_MAX_ERRORS + 5);
    f = tmpfile();
    assert_non_null(f);
    sg_src_print_errors(src, f);
    fseek(f, -(long)(sizeof out - 1), SEEK_END);
    got = fread(out, 1, sizeof out - 1, f);
    out[got] = '\0';
    fclose(f);
    assert_non_null(strstr(out, "many.sg: 5 more errors not shown\n"));
    sg_src_free(src);
}

static void test_span_join(void **state)
{
    sg_span s = sg_span_join(span(3, 5), span(8, 12));
    (void)state;
    assert_int_equal(s.begin, 3);
    assert_int_equal(s.end, 12);
}

/* ---- UTF-8 ------------------------------------------------------------------- */

static int decode(const char *s, size_t n, unsigned long *cp)
{
    return sg_utf8_decode((const unsigned char *)s, n, cp);
}

static void test_decode_valid(void **state)
{
    unsigned long cp;
    (void)state;
    assert_int_equal(decode("A", 1, &cp), 1);
    assert_int_equal(cp, 0x41);
    assert_int_equal(decode("", 1, &cp), 1); /* NUL is a character */
    assert_int_equal(cp, 0);
    assert_int_equal(decode("\xc2\xbd", 2, &cp), 2);
    assert_int_equal(cp, 0xbd);
    assert_int_equal(decode("\xe2\x80\x96", 3, &cp), 3);
    assert_int_equal(cp, 0x2016);
    assert_int_equal(decode("\xf0\x9d\x9f\x99", 4, &cp), 4);
    assert_int_equal(cp, 0x1d7d9);
    assert_int_equal(decode("\xf4\x8f\xbf\xbf", 4, &cp), 4);
    assert_int_equal(cp, 0x10ffff);
    assert_int_equal(decode("\xef\xbf\xbd", 3, &cp), 3);
    assert_int_equal(cp, 0xfffd);
}

static void test_decode_invalid(void **state)
{
    unsigned long cp;
    (void)state;
    assert_int_equal(decode("", 0, &cp), 0);
    assert_int_equal(decode("\x80", 1, &cp), 0);             /* a lone continuation */
    assert_int_equal(decode("\xff", 1, &cp), 0);
    assert_int_equal(decode("\xc0\x80", 2, &cp), 0);         /* overlong NUL */
    assert_int_equal(decode("\xc1\xbf", 2, &cp), 0);         /* overlong */
    assert_int_equal(decode("\xe0\x80\x80", 3, &cp), 0);     /* overlong */
    assert_int_equal(decode("\xf0\x80\x80\x80", 4, &cp), 0); /* overlong */
    assert_int_equal(decode("\xed\xa0\x80", 3, &cp), 0);     /* a surrogate */
    assert_int_equal(decode("\xf4\x90\x80\x80", 4, &cp), 0); /* past U+10FFFF */
    assert_int_equal(decode("\xf5\x80\x80\x80", 4, &cp), 0);
    assert_int_equal(decode("\xe2\x80", 2, &cp), 0);         /* truncated */
    assert_int_equal(decode("\xe2\x80\x96", 2, &cp), 0);     /* n cuts it */
    assert_int_equal(decode("\xe2x\x96", 3, &cp), 0);        /* not a continuation */
}

static void test_check_utf8_valid(void **state)
{
    sg_src *src = src_of("x \xe2\x88\x88 \xe2\x84\x9d^n\n");
    (void)state;
    assert_int_equal(sg_src_check_utf8(src), 0);
    assert_int_equal(sg_src_nerrors(src), 0);
    sg_src_free(src);
}

static void test_check_utf8_runs(void **state)
{
    /* one run of two bytes, a truncated sequence, then a lone byte at the end */
    sg_src *src = src_of("L = \xff\xfe x\ny = \xe2\x80 z\n\x80");
    (void)state;
    assert_int_equal(sg_src_check_utf8(src), 3);
    assert_int_equal(sg_src_nerrors(src), 3);
    assert_string_equal(src->diags[0].msg, "invalid UTF-8 byte 0xFF");
    assert_int_equal(src->diags[0].span.begin, 4);
    assert_int_equal(src->diags[0].span.end, 6);
    assert_string_equal(src->diags[1].msg, "invalid UTF-8 byte 0xE2");
    assert_int_equal(src->diags[1].span.end - src->diags[1].span.begin, 2);
    assert_string_equal(src->diags[2].msg, "invalid UTF-8 byte 0x80");
    sg_src_free(src);
}

/* ---- printing ---------------------------------------------------------------- */

static void test_print_format(void **state)
{
    sg_src *src = src_of("x \xe2\x88\x88 \xe2\x84\x9d^n\nL = \xe2\x80\x96Wb\xe2\x80\x96\xc2\xb2\n");
    (void)state;
    /* the product Wb on line 2 */
    sg_src_error(src, span(19, 21), "cannot multiply %s by %s", "m\xc3\x97n", "m");
    assert_printed(src, "f.sg:2:6: error: cannot multiply m\xc3\x97n by m\n"
                        "    L = \xe2\x80\x96Wb\xe2\x80\x96\xc2\xb2\n"
                        "         ^~\n");
    sg_src_free(src);
}

static void test_print_tildes_count_code_points(void **state)
{
    /* the whole ‖Wb‖² spans 5 characters and 11 bytes */
    sg_src *src = src_of("L = \xe2\x80\x96Wb\xe2\x80\x96\xc2\xb2");
    (void)state;
    sg_src_error(src, span(4, 14), "e");
    assert_printed(src, "f.sg:1:5: error: e\n"
                        "    L = \xe2\x80\x96Wb\xe2\x80\x96\xc2\xb2\n"
                        "        ^~~~~\n");
    sg_src_free(src);
}

static void test_print_tab_aligns(void **state)
{
    sg_src *src = src_of("\tL =\tx y");
    (void)state;
    sg_src_error(src, span(5, 6), "e");
    assert_printed(src, "f.sg:1:6: error: e\n"
                        "    \tL =\tx y\n"
                        "    \t   \t^\n");
    sg_src_free(src);
}

static void test_print_span_limited_to_its_line(void **state)
{
    sg_src *src = src_of("L = (a +\n  b)\n");
    (void)state;
    sg_src_error(src, span(4, 12), "e");
    assert_printed(src, "f.sg:1:5: error: e\n"
                        "    L = (a +\n"
                        "        ^~~~\n");
    sg_src_free(src);
}

static void test_print_empty_span_and_end_of_input(void **state)
{
    sg_src *src = src_of("L = x +");
    (void)state;
    sg_src_error(src, span(7, 7), "at the end");
    sg_src_error(src, span(2, 2), "empty");
    assert_printed(src, "f.sg:1:3: error: empty\n"
                        "    L = x +\n"
                        "      ^\n"
                        "f.sg:1:8: error: at the end\n"
                        "    L = x +\n"
                        "           ^\n");
    sg_src_free(src);
}

static void test_print_after_last_newline(void **state)
{
    sg_src *src = src_of("L = x +\n");
    (void)state;
    sg_src_error(src, span(8, 8), "e");
    assert_printed(src, "f.sg:2:1: error: e\n"
                        "    \n"
                        "    ^\n");
    sg_src_free(src);
}

static void test_print_strips_cr(void **state)
{
    sg_src *src = src_of("x = 1\r\ny = @\r\n");
    (void)state;
    sg_src_error(src, span(11, 12), "e");
    assert_printed(src, "f.sg:2:5: error: e\n"
                        "    y = @\n"
                        "        ^\n");
    sg_src_free(src);
}

static void test_print_replaces_invalid_bytes(void **state)
{
    sg_src *src = sg_src_new("f.sg", "L = \xff\xfe x\0y\n", 11);
    (void)state;
    sg_src_check_utf8(src);
    assert_printed(src, "f.sg:1:5: error: invalid UTF-8 byte 0xFF\n"
                        "    L = \xef\xbf\xbd\xef\xbf\xbd x\xef\xbf\xbdy\n"
                        "        ^~\n");
    sg_src_free(src);
}

static void test_print_sorted_and_stable(void **state)
{
    sg_src *src = src_of("a b\nc\n");
    (void)state;
    sg_src_error(src, span(4, 5), "third");
    sg_src_error(src, span(2, 3), "first");
    sg_src_error(src, span(2, 3), "second");
    assert_int_equal(sg_src_nerrors(src), 3);
    assert_printed(src, "f.sg:1:3: error: first\n    a b\n      ^\n"
                        "f.sg:1:3: error: second\n    a b\n      ^\n"
                        "f.sg:2:1: error: third\n    c\n    ^\n");
    sg_src_free(src);
}

static void test_print_stdin_name(void **state)
{
    sg_src *src = sg_src_new("-", "@", 1);
    (void)state;
    sg_src_error(src, span(0, 1), "e");
    assert_printed(src, "<stdin>:1:1: error: e\n    @\n    ^\n");
    sg_src_free(src);
}

static void test_print_nothing_without_errors(void **state)
{
    sg_src *src = src_of("x");
    (void)state;
    assert_printed(src, "");
    sg_src_free(src);
}

static void test_many_errors(void **state)
{
    sg_src *src = src_of("abcdefghijklmnopqrstuvwxyz");
    unsigned i;
    char *out;
    (void)state;
    for (i = 26; i-- > 0;)
        sg_src_error(src, span(i, i + 1), "letter %c", 'a' + (int)i);
    assert_int_equal(sg_src_nerrors(src), 26);
    out = printed(src);
    assert_true(strncmp(out, "f.sg:1:1: error: letter a\n", 26) == 0);
    assert_non_null(strstr(out, "f.sg:1:26: error: letter z\n"));
    free(out);
    sg_src_free(src);
}

/* a UTF-8 byte-order mark at the start is not part of the text */
static void test_byte_order_mark(void **state)
{
    sg_src *src = sg_src_new("f.sg", "\xef\xbb\xbfx = @\n", 10);
    (void)state;
    assert_int_equal(src->len, 7);
    assert_string_equal(src->text, "x = @\n");
    sg_src_error(src, span(4, 5), "bad");
    linecol(src, 4, 1, 5);
    assert_printed(src, "f.sg:1:5: error: bad\n    x = @\n        ^\n");
    sg_src_free(src);
    /* elsewhere it is a character like any other */
    src = src_of("x\xef\xbb\xbf");
    assert_int_equal(src->len, 4);
    linecol(src, 4, 1, 3);
    sg_src_free(src);
    /* a mark alone is an empty file */
    src = src_of("\xef\xbb\xbf");
    assert_int_equal(src->len, 0);
    sg_src_free(src);
}

/* what sg_src_print_errors writes to a real file (the caller frees it) */
static char *printed_to_file(const sg_src *src)
{
    FILE *f = tmpfile();
    long n;
    char *buf;
    assert_non_null(f);
    sg_src_print_errors(src, f);
    n = ftell(f);
    buf = malloc((size_t)n + 1);
    rewind(f);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* a thousand diagnostics on one long line: linear time, each line cut */
static void test_print_long_line_of_errors(void **state)
{
    size_t n = 2048, i;
    char *text = malloc(n + 2), *out;
    sg_src *src;
    (void)state;
    memset(text, 1, n);
    text[n] = '\n';
    text[n + 1] = '\0';
    src = src_of(text);
    for (i = 0; i < 2 * SG_SRC_MAX_ERRORS; i++)
        sg_src_error(src, span((unsigned)i, (unsigned)i + 1), "unexpected character U+0001");
    out = printed_to_file(src);
    {
        const char *p = out, *tail = "f.sg: 1000 more errors not shown\n";
        unsigned count = 0;
        while ((p = strstr(p, ": error: unexpected character U+0001\n    ")) != NULL) {
            count++;
            p++;
        }
        assert_int_equal(count, SG_SRC_MAX_ERRORS);
        assert_string_equal(out + strlen(out) - strlen(tail), tail);
        assert_true(strncmp(out, "f.sg:1:1: error: ", 17) == 0);
        /* past 1024 bytes the line is shown around the caret: at column 1000,
           from column 488 (512 before it) to 1511, … at both cuts, the
           caret under its character */
        p = strstr(out, "f.sg:1:1000: error: unexpected character U+0001\n    …\xef\xbf\xbd");
        assert_non_null(p);
        p = strchr(strchr(p, '\n') + 1, '\n') + 1;
        assert_int_equal(strspn(p, " "), 4 + 1 + 512);
        assert_true(strncmp(p + 4 + 1 + 512, "^\n", 2) == 0);
        p = strchr(strchr(out, '\n') + 1, '\n'); /* the end of the first line shown */
        assert_true(strncmp(p - 3, "…", 3) == 0);
    }
    free(out);
    sg_src_free(src);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_columns_count_code_points),
        cmocka_unit_test(test_invalid_bytes_count_one_column),
        cmocka_unit_test(test_empty_source),
        cmocka_unit_test(test_copies_text_with_nul_bytes),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_line_limit),
        cmocka_unit_test(test_error_limit),
        cmocka_unit_test(test_span_join),
        cmocka_unit_test(test_decode_valid),
        cmocka_unit_test(test_decode_invalid),
        cmocka_unit_test(test_check_utf8_valid),
        cmocka_unit_test(test_check_utf8_runs),
        cmocka_unit_test(test_print_format),
        cmocka_unit_test(test_print_tildes_count_code_points),
        cmocka_unit_test(test_print_tab_aligns),
        cmocka_unit_test(test_print_span_limited_to_its_line),
        cmocka_unit_test(test_print_empty_span_and_end_of_input),
        cmocka_unit_test(test_print_after_last_newline),
        cmocka_unit_test(test_print_strips_cr),
        cmocka_unit_test(test_print_replaces_invalid_bytes),
        cmocka_unit_test(test_print_sorted_and_stable),
        cmocka_unit_test(test_print_stdin_name),
        cmocka_unit_test(test_print_nothing_without_errors),
        cmocka_unit_test(test_many_errors),
        cmocka_unit_test(test_byte_order_mark),
        cmocka_unit_test(test_print_long_line_of_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
