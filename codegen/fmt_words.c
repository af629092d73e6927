/*
 * fmt_words.c: the spelling of the words a formula is made of, for every
 * alphabet of the printer: names (W1 → W₁, beta → β, W_hh → W_{hh} in
 * LaTeX), numbers (the shortest text that reads back), superscript digits,
 * and the spacing between juxtaposed factors (Wx, but y softplus(z)).
 *
 * These work on text alone, not on expressions: the structure, and so the
 * parentheses, are formula.c's. The juxtaposition reads the words at the
 * ends of the two factors as printed, so that it needs to know nothing of
 * the nodes they came from.
 */
#include "fmt_words.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* marks where two factors were run together (Wx), so that the next
   juxtaposition sees x, not Wx, as the last word; removed before output */
#define JOIN SG_FMT_JOIN

/* ---- names ------------------------------------------------------------------ */

static const char *const greek[][3] = {
    {"alpha", "α", "\\alpha"},       {"beta", "β", "\\beta"},       {"gamma", "γ", "\\gamma"},
    {"delta", "δ", "\\delta"},       {"epsilon", "ε", "\\varepsilon"}, {"zeta", "ζ", "\\zeta"},
    {"eta", "η", "\\eta"},           {"theta", "θ", "\\theta"},     {"iota", "ι", "\\iota"},
    {"kappa", "κ", "\\kappa"},       {"lambda", "λ", "\\lambda"},   {"mu", "μ", "\\mu"},
    {"nu", "ν", "\\nu"},             {"xi", "ξ", "\\xi"},           {"omicron", "ο", "o"},
    {"pi", "π", "\\pi"},             {"rho", "ρ", "\\rho"},         {"sigma", "σ", "\\sigma"},
    {"tau", "τ", "\\tau"},           {"upsilon", "υ", "\\upsilon"}, {"phi", "φ", "\\phi"},
    {"chi", "χ", "\\chi"},           {"psi", "ψ", "\\psi"},         {"omega", "ω", "\\omega"},
    {"Gamma", "Γ", "\\Gamma"},       {"Delta", "Δ", "\\Delta"},     {"Theta", "Θ", "\\Theta"},
    {"Lambda", "Λ", "\\Lambda"},     {"Xi", "Ξ", "\\Xi"},           {"Pi", "Π", "\\Pi"},
    {"Sigma", "Σ", "\\Sigma"},       {"Upsilon", "Υ", "\\Upsilon"}, {"Phi", "Φ", "\\Phi"},
    {"Psi", "Ψ", "\\Psi"},           {"Omega", "Ω", "\\Omega"},
    {"ell", "ℓ", "\\ell"}, /* not Greek, but a letter the lexer names so too */
};

#define NGREEK (sizeof greek / sizeof greek[0])

static const char *const subdigit[10] = {"₀", "₁", "₂", "₃", "₄", "₅", "₆", "₇", "₈", "₉"};
static const char *const supdigit[10] = {"⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"};

/* the accents a name may end with (h_tilde is h̃): its word, combining
   character and LaTeX command */
static const char *const accents[][3] = {
    {"hat", "\xCC\x82", "\\hat"}, {"tilde", "\xCC\x83", "\\tilde"}, {"bar", "\xCC\x84", "\\bar"},
    {"dot", "\xCC\x87", "\\dot"}, {"ddot", "\xCC\x88", "\\ddot"},
};

/* the index of the Greek letter spelled by the n bytes at s, or −1 */
static int greek_index(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < NGREEK; i++)
        if (strlen(greek[i][0]) == n && strncmp(s, greek[i][0], n) == 0)
            return (int)i;
    return -1;
}

/* one word of a LaTeX name: a Greek letter, a letter, or a longer word in
   \mathrm (so that "hh" in W_{hh} stays a label, not h times h, and Whh is
   one symbol) */
static void tex_word(sg_buf *out, const char *s, size_t n, int in_sub)
{
    int g = greek_index(s, n);
    if (g >= 0)
        sg_buf_puts(out, greek[g][2]);
    else if (n == 1 || in_sub)
        sg_buf_putn(out, s, n);
    else {
        sg_buf_puts(out, "\\mathit{");
        sg_buf_putn(out, s, n);
        sg_buf_putc(out, '}');
    }
}

/* h_tilde, y_hat, mu_bar: one letter (or a Greek one) with an accent; the
   accent's index, and *stem the letter's length; −1 when name is not one */
static int accented(const char *name, size_t *stem)
{
    const char *us = strchr(name, '_');
    size_t i, n;
    if (!us || us == name)
        return -1;
    n = (size_t)(us - name);
    if (n > 1 && greek_index(name, n) < 0)
        return -1;
    for (i = 0; i < sizeof accents / sizeof accents[0]; i++)
        if (!strcmp(us + 1, accents[i][0])) {
            *stem = n;
            return (int)i;
        }
    return -1;
}

/*
 * A name in LaTeX: W1 → W_1, W12 → W_{12}, W_hh → W_{hh}, beta → \beta,
 * beta_2 → \beta_2, x_in_1 → x_{in,1}. What follows the first _ (or the
 * trailing digits) is the subscript; further _ separate its parts.
 */
static void tex_name(sg_buf *out, const char *name)
{
    size_t n = strlen(name), stem = n, i, start;
    const char *us = strchr(name, '_');
    int a = accented(name, &stem);
    sg_buf sub;
    if (a >= 0) { /* h_tilde → \tilde{h} */
        sg_buf_printf(out, "%s{", accents[a][2]);
        tex_word(out, name, stem, 0);
        sg_buf_putc(out, '}');
        return;
    }
    stem = n;
    if (us && us != name) {
        stem = (size_t)(us - name);
    } else {
        while (stem > 0 && name[stem - 1] >= '0' && name[stem - 1] <= '9')
            stem--;
        if (stem == 0)
            stem = n;
    }
    tex_word(out, name, stem, 0);
    if (stem == n)
        return;
    sg_buf_init(&sub);
    start = name[stem] == '_' ? stem + 1 : stem;
    for (i = start; i <= n; i++)
        if (i == n || name[i] == '_') {
            if (i > start) {
                if (sg_buf_str(&sub)[0])
                    sg_buf_putc(&sub, ',');
                tex_word(&sub, name + start, i - start, 1);
            }
            start = i + 1;
        }
    if (sg_buf_str(&sub)[0]) {
        const char *s = sg_buf_str(&sub);
        if (strlen(s) == 1)
            sg_buf_printf(out, "_%s", s);
        else
            sg_buf_printf(out, "_{%s}", s);
    }
    sg_buf_free(&sub);
}

void sg_fmt_name(sg_buf *out, const char *name, int ascii)
{
    size_t n = strlen(name), stem = n, i;
    int g;
    if (ascii == SG_FMT_ASCII) {
        sg_buf_puts(out, name);
        return;
    }
    if (ascii == SG_FMT_LATEX) {
        tex_name(out, name);
        return;
    }
    if ((g = accented(name, &stem)) >= 0) { /* h_tilde → h̃ */
        int l = greek_index(name, stem);
        if (l >= 0)
            sg_buf_puts(out, greek[l][1]);
        else
            sg_buf_putn(out, name, stem);
        sg_buf_puts(out, accents[g][1]);
        return;
    }
    stem = n;
    /* a run of digits after letters is a subscript: W1 → W₁ */
    while (stem > 0 && name[stem - 1] >= '0' && name[stem - 1] <= '9')
        stem--;
    if (stem == 0 || name[stem - 1] == '_')
        stem = n;
    g = greek_index(name, stem);
    if (g >= 0)
        sg_buf_puts(out, greek[g][1]);
    else
        sg_buf_putn(out, name, stem);
    for (i = stem; i < n; i++)
        sg_buf_puts(out, subdigit[name[i] - '0']);
}

/* ---- numbers ---------------------------------------------------------------- */

void fmt_num_text(char *s, size_t size, double v)
{
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(s, size, "%.*g", prec, v);
        if (strtod(s, NULL) == v)
            break;
    }
    for (; strchr(s, 'e') && prec < 17; prec++)
        snprintf(s, size, "%.*g", prec + 1, v);
    if (strchr(s, 'e')) /* too large or too small for digits alone */
        for (prec = 1; prec <= 17; prec++) {
            snprintf(s, size, "%.*g", prec, v);
            if (strtod(s, NULL) == v)
                break;
        }
}

int fmt_superscript(sg_buf *b, double p)
{
    int k;
    if (p != floor(p) || p < -9 || p > 9 || p == 0 || p == 1)
        return 0;
    k = (int)p;
    if (k < 0) {
        sg_buf_puts(b, "⁻");
        k = -k;
    }
    sg_buf_puts(b, supdigit[k]);
    return 1;
}

void fmt_sup_digits(sg_buf *b, int k)
{
    char digits[3 * sizeof k + 2]; /* an int's digits, NUL */
    int d;
    snprintf(digits, sizeof digits, "%d", k);
    for (d = 0; digits[d]; d++)
        sg_buf_puts(b, supdigit[digits[d] - '0']);
}

/* ---- juxtaposition ------------------------------------------------------------- */

/* is the UTF-8 sequence at s a letter that may be part of a name? */
static int name_char(const unsigned char *s, int *len)
{
    if ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
        (s[0] >= '0' && s[0] <= '9') || s[0] == '_' || s[0] == '.') {
        *len = 1;
        return 1;
    }
    if ((s[0] == 0xCE && s[1] >= 0x91) || (s[0] == 0xCF && s[1] <= 0x89)) { /* Greek */
        *len = 2;
        return 1;
    }
    return 0;
}

/* the characters of the word that starts s (digits and letters) */
static int lead_word(const char *s, int *is_number)
{
    int n = 0, len;
    *is_number = s[0] >= '0' && s[0] <= '9';
    while (*s && name_char((const unsigned char *)s, &len)) {
        if (!((*s >= '0' && *s <= '9') || *s == '.'))
            *is_number = 0;
        s += len;
        n++;
    }
    return n;
}

/* a sub- or superscript that ends a factor: ᵀ ² ³ ¹ ⁻ ⁴…⁹ ₀…₉ */
static int is_mark(const unsigned char *s, size_t n)
{
    if (n == 2 && s[0] == 0xC2 && (s[1] == 0xB2 || s[1] == 0xB3 || s[1] == 0xB9))
        return 1;
    if (n == 3 && s[0] == 0xE2 && (s[1] == 0x81 || s[1] == 0x82))
        return 1;
    return n == 3 && s[0] == 0xE1 && s[1] == 0xB5 && s[2] == 0x80;
}

/* the characters of the word that ends s, after its sub- and superscripts */
static int tail_word(const char *s, size_t n, int *is_number)
{
    int count = 0, len;
    size_t i = n, j;
    *is_number = 0;
    for (;;) { /* skip the trailing marks */
        if (i == 0 || !((unsigned char)s[i - 1] & 0x80))
            break;
        j = i - 1;
        while (j > 0 && ((unsigned char)s[j] & 0xC0) == 0x80)
            j--;
        if (name_char((const unsigned char *)s + j, &len))
            break;
        if ((i - j == 2 && (!strncmp(s + j, "½", 2) || !strncmp(s + j, "¼", 2) ||
                            !strncmp(s + j, "¾", 2)))) {
            *is_number = 1;
            return 1;
        }
        if (!is_mark((const unsigned char *)s + j, i - j))
            return 0; /* ) ‖ ⟩ | or a symbol: no word */
        i = j;
    }
    *is_number = 1;
    while (i > 0) {
        j = i - 1;
        while (j > 0 && ((unsigned char)s[j] & 0xC0) == 0x80)
            j--;
        if (!name_char((const unsigned char *)s + j, &len))
            break;
        if (!((s[j] >= '0' && s[j] <= '9') || s[j] == '.'))
            *is_number = 0;
        count++;
        i = j;
    }
    if (count == 0)
        *is_number = 0;
    return count;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* does the LaTeX text end with a control word (\top, \lambda)? */
static int ends_in_control_word(const char *s, size_t n)
{
    size_t i = n;
    while (i > 0 && is_alpha(s[i - 1]))
        i--;
    return i < n && i > 0 && s[i - 1] == '\\';
}

/*
 * Juxtaposes two printed factors. On paper single letters run together (Wx,
 * Wᵀ(Wx), 2x, ½‖r‖²) and longer names stand apart (yᵀ log(s), W_hh h). In
 * LaTeX the spacing is TeX's: a space only where a control word would run
 * into a letter (x^\top y), and a \cdot between two numbers.
 */
void sg_fmt_juxtapose(sg_buf *b, const char *r, int alphabet)
{
    const char *l = sg_buf_str(b);
    int lnum, rnum, lw, rw;
    if (alphabet == SG_FMT_ASCII) {
        sg_buf_puts(b, " * ");
    } else if (alphabet == SG_FMT_LATEX) {
        size_t n = strlen(l);
        while (n > 0 && l[n - 1] == JOIN)
            n--;
        if (n > 0 && (is_digit(l[n - 1]) || l[n - 1] == '}') && is_digit(r[0]))
            sg_buf_puts(b, " \\cdot ");
        else if (ends_in_control_word(l, n) && (is_alpha(r[0]) || is_digit(r[0])))
            sg_buf_putc(b, ' ');
    } else {
        lw = tail_word(l, strlen(l), &lnum);
        rw = lead_word(r, &rnum);
        /* a JOIN between run-together factors ends a word; the printer's finish() drops it */
        sg_buf_putc(b, (lw > 1 && !lnum) || rw > 1 || (lnum && rnum) ? ' ' : JOIN);
    }
    sg_buf_puts(b, r);
}
