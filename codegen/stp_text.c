/*
 * stp_text.c: the text of --steps: columns, ASCII, and lines to the width.
 *
 * Lines keep to the width (80 columns unless asked): a long formula breaks
 * before a + or − of its top-level sum (formula.c marks them), else at a
 * space, and goes on indented by STP_CONT. A line's rule goes flush with
 * the right margin when it fits after the formula, else on the next line.
 * Columns are counted as a terminal shows them: one per character, none
 * for a combining mark or formula.c's marks.
 *
 * --ascii prints formula.c's ASCII alphabet; the rule table holds Unicode
 * text only, so its rules are transliterated here, symbol by symbol.
 */
#include "stp.h"

#include <stdlib.h>
#include <string.h>

#include "../base/grow.h"

/* ---- text ------------------------------------------------------------------ */

/* the columns s takes on a terminal: one per character, none for a
   combining mark (the macron of B̄) or formula.c's marks */
static size_t cols_n(const char *s, size_t n)
{
    size_t i, c = 0;
    for (i = 0; i < n; i++) {
        unsigned char b = (unsigned char)s[i];
        if ((b & 0xC0) == 0x80 || b == 0xCC || b == 0xCD || b == (unsigned char)SG_FMT_BREAK ||
            b == 1)
            continue;
        c++;
    }
    return c;
}

size_t stp_cols(const char *s)
{
    return cols_n(s, strlen(s));
}

void stp_spaces(sg_buf *b, size_t n)
{
    while (n-- > 0)
        sg_buf_putc(b, ' ');
}

/* Unicode spellings the rule table uses, in ASCII; a letter followed by a
   combining macron (B̄) becomes Bbar */
static const char *const ascii_of[][2] = {
    {"⇒", "=>"},   {"ᵀ", "'"},      {"⊙", ".*"},   {"⊘", "./"},       {"⟨", "<"},
    {"⟩", ">"},    {"‖", "||"},     {"²", "^2"},   {"¹", "^1"},       {"⁻", "^-"},
    {"∂", "d"},    {"∇", "grad"},  {"Σ", "sum"},  {"δ", "delta_"},   {"σ", "sigmoid"},
    {"−", "-"},    {"𝟙", "1"},      {"√π", "sqrt(pi)"}, {"√", "sqrt"}, {"π", "pi"},
    {"′", "'"},    {"₀", "0"},      {"₁", "1"},    {"ₓ", "x"},        {"…", "..."},
    {"≤", "<="},   {"×", "x"},
    {"ℝ", "R"},    {"Ā", "Abar"},   {"Ȳ", "Ybar"}, {"ȳ", "ybar"},     {"½", "1/2"},
    {"∈", ":"},    {"⋅", "*"},      {"·", "*"},    {"ℓ", "l"},        {"β", "beta"},
    {"⊗", "(x)"},
};

/* s in ASCII: the table above, then '?' for any other non-ASCII character */
static void put_ascii(sg_buf *b, const char *s)
{
    while (*s) {
        size_t i, n;
        unsigned char c = (unsigned char)*s;
        if (c < 0x80) {
            sg_buf_putc(b, *s++);
            continue;
        }
        if (c == 0xCC && (unsigned char)s[1] == 0x84) { /* a combining macron */
            sg_buf_puts(b, "bar");
            s += 2;
            if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'))
                sg_buf_putc(b, ' ');
            continue;
        }
        for (i = 0; i < sizeof ascii_of / sizeof ascii_of[0]; i++) {
            n = strlen(ascii_of[i][0]);
            if (strncmp(s, ascii_of[i][0], n) == 0)
                break;
        }
        if (i < sizeof ascii_of / sizeof ascii_of[0]) {
            sg_buf_puts(b, ascii_of[i][1]);
            s += n;
            /* Ybar B, not YbarB */
            if (strstr(ascii_of[i][1], "bar") && ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')))
                sg_buf_putc(b, ' ');
            continue;
        }
        sg_buf_putc(b, '?');
        for (s++; ((unsigned char)*s & 0xC0) == 0x80; s++)
            ;
    }
}

/* text of the rule table (or of the source) in the output's alphabet */
void stp_put_text(stp_doc *s, sg_buf *b, const char *t)
{
    if (s->ascii)
        put_ascii(b, t);
    else
        sg_buf_puts(b, t);
}

/*
 * t as lines: the first after `indent` columns, the others after indent +
 * CONT, each within the width where it can be. A line breaks at the last
 * break mark that fits, else at the last space that does; a piece with
 * neither stays whole. Returns the lines in *lines (pointers into a copy
 * the caller frees through *store) and their number.
 */
int stp_split_lines(stp_doc *s, const char *t, size_t indent, char **store, char ***lines)
{
    size_t len = strlen(t), i, start = 0;
    char *c = sg_xmalloc(len + 1), **v = NULL;
    int n = 0, cap = 0;
    memcpy(c, t, len + 1);
    *store = c;
    while (start <= len) {
        size_t avail = (size_t)s->width > indent + (n ? (size_t)s->cont : 0) + 10
                           ? (size_t)s->width - indent - (n ? (size_t)s->cont : 0)
                           : 10;
        size_t w = 0, mark = 0, space = 0, end = len;
        for (i = start; i < len; i++) {
            unsigned char b = (unsigned char)c[i];
            if (b == (unsigned char)SG_FMT_BREAK && i > start)
                mark = i;
            else if (b == ' ' && i > start)
                space = i;
            w += cols_n(c + i, 1);
            if (w > avail && (mark || space)) {
                end = mark ? mark : space;
                break;
            }
        }
        SG_GROW(v, n, cap, SG_GROW_MAX, "lines of one formula");
        v[n++] = c + start;
        if (end >= len)
            break;
        c[end] = '\0';
        start = end + 1;
        while (start < len && (c[start] == ' ' || c[start] == SG_FMT_BREAK))
            start++;
    }
    /* the marks left inside lines are not text */
    for (i = 0; i < (size_t)n; i++) {
        char *r = v[i], *w = v[i];
        for (; *r; r++)
            if (*r != SG_FMT_BREAK)
                *w++ = *r;
        *w = '\0';
    }
    *lines = v;
    return n;
}

/*
 * One line of the derivation: left (a formula, with break marks) after
 * indent columns, and right (a rule) flush with the right margin when it
 * fits after the last line of left, else on a line of its own.
 */
void stp_emit(stp_doc *s, size_t indent, const char *left, const char *right)
{
    char *store, **lines;
    int n = stp_split_lines(s, left, indent, &store, &lines), i;
    size_t last = 0;
    for (i = 0; i < n; i++) {
        stp_spaces(&s->out, indent + (i ? (size_t)s->cont : 0));
        sg_buf_puts(&s->out, lines[i]);
        last = indent + (i ? (size_t)s->cont : 0) + stp_cols(lines[i]);
        if (i + 1 < n)
            sg_buf_putc(&s->out, '\n');
    }
    if (right && *right) {
        size_t rw = stp_cols(right);
        if (last + 3 + rw <= (size_t)s->width) {
            stp_spaces(&s->out, (size_t)s->width - last - rw);
        } else if (indent + STP_CONT + rw <= (size_t)s->width) {
            sg_buf_putc(&s->out, '\n');
            stp_spaces(&s->out, (size_t)s->width - rw);
        } else {
            /* a rule longer than a line: broken at spaces, under the formula */
            char *rs, **rl;
            int rn = stp_split_lines(s, right, indent + STP_CONT, &rs, &rl), k;
            for (k = 0; k < rn; k++) {
                sg_buf_putc(&s->out, '\n');
                stp_spaces(&s->out, indent + STP_CONT + (k ? STP_CONT : 0));
                sg_buf_puts(&s->out, rl[k]);
            }
            free(rs);
            free(rl);
            right = NULL;
        }
        if (right)
            sg_buf_puts(&s->out, right);
    }
    sg_buf_putc(&s->out, '\n');
    free(store);
    free(lines);
}
