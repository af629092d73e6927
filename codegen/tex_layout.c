/*
 * tex_layout.c: the lines on the page: widths, breaking, equations.
 *
 * Every equation is a line of an align* with the rules and the shape in
 * its \tag*. The formula printer marks where a sum or ⊙ may break; a line
 * wider than TEX_LINE_EMS (estimated by tex_width(), calibrated against
 * TeX) breaks at the shallowest usable mark, and a long boxed result
 * becomes a boxed aligned block. The left column stays narrow (labels go
 * right of the alignment point) so that no column pushes a line off the
 * page. The width is an estimate, made generous: TeX is not run.
 */
#include "tex.h"

#include <stdlib.h>
#include <string.h>

#include "../base/grow.h"

/* ---- equations --------------------------------------------------------------- */

/* the width of LaTeX math, in ems, roughly: enough to decide where to break */
static double width_of(const char *s, size_t n);

static double group_width(const char **ps, const char *end)
{
    const char *s = *ps;
    int depth = 0;
    const char *start;
    double w;
    if (s >= end || *s != '{') { /* a single token */
        if (s < end && *s == '\\') {
            const char *t = s + 1;
            while (t < end && ((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z')))
                t++;
            if (t == s + 1 && t < end)
                t++;
            w = width_of(s, (size_t)(t - s));
            *ps = t;
            return w;
        }
        *ps = s < end ? s + 1 : s;
        return s < end ? width_of(s, 1) : 0;
    }
    start = s + 1;
    for (; s < end; s++) {
        if (*s == '{')
            depth++;
        else if (*s == '}' && --depth == 0)
            break;
    }
    w = width_of(start, (size_t)(s - start));
    *ps = s < end ? s + 1 : s;
    return w;
}

/* the width of the command s..t (\frac, \sum, \odot, …) with what it
   takes of the text up to end; *next: where the text goes on */
static double command_width(const char *s, const char *t, const char *end, const char **next)
{
    size_t len = (size_t)(t - s);
    const char *u = t;
    double w;
    *next = t;
#define IS(word) (len == sizeof(word) - 1 && strncmp(s, word, len) == 0)
    if (IS("\\frac") || IS("\\tfrac")) {
        double a, b;
        a = group_width(&u, end);
        b = group_width(&u, end);
        *next = u;
        return (IS("\\tfrac") ? 0.7 : 1.0) * (a > b ? a : b) + 0.3;
    }
    if (IS("\\operatorname") || IS("\\mathit") || IS("\\text") || IS("\\mathrm")) {
        const char *g = u;
        double inner;
        while (g < end && *g != '}')
            g++;
        inner = (double)(g - u) * (IS("\\text") ? 0.5 : 0.5);
        (void)group_width(&u, end);
        *next = u;
        return inner + 0.2;
    }
    if (IS("\\mathbf") || IS("\\mathbb") || IS("\\bar") || IS("\\boxed")) {
        w = group_width(&u, end) + (IS("\\boxed") ? 0.8 : 0.1);
        *next = u;
        return w;
    }
    if (IS("\\sum")) { /* display style: its limits stack */
        double lim = 1.44;
        while (u < end && (*u == '_' || *u == '^')) {
            double g;
            u++;
            g = 0.7 * group_width(&u, end);
            if (g > lim)
                lim = g;
        }
        *next = u;
        return lim + 0.2;
    }
    if (IS("\\left") || IS("\\right") || IS("\\!") || IS("\\limits"))
        w = 0;
    else if (IS("\\,"))
        w = 0.17;
    else if (IS("\\;") || IS("\\ "))
        w = 0.28;
    else if (IS("\\quad"))
        w = 1;
    else if (IS("\\qquad"))
        w = 2;
    else if (IS("\\odot") || IS("\\oslash") || IS("\\Rightarrow") || IS("\\cdot") ||
             IS("\\times") || IS("\\in") || IS("\\ne") || IS("\\le"))
        w = 1.3;
    else if (IS("\\log") || IS("\\exp") || IS("\\sin") || IS("\\cos") || IS("\\tan"))
        w = 1.6;
    else if (IS("\\tanh") || IS("\\sinh") || IS("\\cosh"))
        w = 2.1;
    else if (IS("\\arcsin") || IS("\\arccos") || IS("\\arctan"))
        w = 2.9;
    else if (IS("\\top"))
        w = 0.6;
    else if (IS("\\partial"))
        w = 0.55;
    else if (IS("\\nabla"))
        w = 0.85;
    else
        w = 0.8;
#undef IS
    return w;
}

static double width_of(const char *s, size_t n)
{
    const char *end = s + n;
    double w = 0;
    while (s < end) {
        if (*s == '\\') {
            const char *t = s + 1;
            while (t < end && ((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z')))
                t++;
            if (t == s + 1 && t < end)
                t++; /* \, \; \{ */
            w += command_width(s, t, end, &s);
            continue;
        }
        if (*s == '^' || *s == '_') {
            const char *u = s + 1;
            w += 0.7 * group_width(&u, end);
            s = u;
            continue;
        }
        if (*s == '{' || *s == '}' || *s == ' ' || *s == '&' || *s == SG_FMT_BREAK) {
            s++;
            continue;
        }
        if (*s == '+' || *s == '-' || *s == '=' || *s == '<' || *s == '>')
            w += 1.3;
        else if (*s == '(' || *s == ')' || *s == '[' || *s == ']' || *s == ',' || *s == '|')
            w += 0.4;
        else if (*s >= 'A' && *s <= 'Z')
            w += 0.75;
        else
            w += 0.52;
        s++;
    }
    return w;
}

double tex_width(const char *s)
{
    return width_of(s, strlen(s));
}

#define LHS_EMS 6.5

/* s without its break marks */
void tex_put_unbroken(sg_buf *b, const char *s)
{
    for (; *s; s++)
        if (*s != SG_FMT_BREAK)
            sg_buf_putc(b, *s);
}

static void put_unbroken_n(sg_buf *b, const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (s[i] != SG_FMT_BREAK)
            sg_buf_putc(b, s[i]);
}

/* the break marks of s that TeX can break at: outside braces and \left…\right */
static void usable_marks(const char *s, unsigned char *ok)
{
    int depth = 0, left = 0;
    size_t i;
    for (i = 0; s[i]; i++) {
        ok[i] = 0;
        if (s[i] == '{')
            depth++;
        else if (s[i] == '}')
            depth--;
        else if (s[i] == '\\' && !strncmp(s + i, "\\left", 5) && !tex_is_alpha_c(s[i + 5]))
            left++;
        else if (s[i] == '\\' && !strncmp(s + i, "\\right", 6) && !tex_is_alpha_c(s[i + 6]))
            left--;
        else if (s[i] == SG_FMT_BREAK && depth == 0 && left == 0)
            ok[i] = 1;
    }
}

/*
 * s after "&= " on a line already indent ems wide: broken before a + or −
 * where the line would run over, each continuation indented (sep starts
 * each new line: "\\\\\n  &\\qquad " in an align).
 */
static void put_broken_sep(sg_buf *b, const char *s, double indent, double avail, const char *sep)
{
    size_t n = strlen(s), i, start = 0, *marks;
    unsigned char *ok = sg_xmalloc(n + 1);
    int *depth, nm = 0, d = 0, k;
    double used = indent;
    usable_marks(s, ok);
    marks = sg_xmalloc((n + 2) * sizeof *marks);
    depth = sg_xmalloc((n + 2) * sizeof *depth);
    /* the marks, with how deep in parentheses each lies */
    for (i = 0; i < n; i++) {
        if (s[i] == '(' || !strncmp(s + i, "\\Bigl(", 6))
            d++;
        else if (s[i] == ')' && d > 0)
            d--;
        if (ok[i]) {
            marks[nm] = i;
            depth[nm++] = d;
        }
    }
    marks[nm] = n;
    depth[nm] = -1;
    /* each line ends at the shallowest mark that fits, the last such */
    k = 0;
    while (start < n) {
        int best = -1, j;
        for (j = k; j <= nm; j++) {
            double w = width_of(s + start, marks[j] - start);
            if (used + w > avail && j > k)
                break;
            if (best < 0 || depth[j] <= depth[best] || j == nm)
                best = j;
            if (used + w > avail)
                break;
        }
        if (best < 0)
            best = nm;
        put_unbroken_n(b, s + start, marks[best] - start);
        if (best == nm)
            break;
        sg_buf_puts(b, sep);
        used = 4;
        start = marks[best] + 1;
        k = best + 1;
    }
    free(ok);
    free(marks);
    free(depth);
}

static void put_broken(tex_doc *x, sg_buf *b, const char *s, double indent)
{
    put_broken_sep(b, s, indent, TEX_LINE_EMS(x), "\\\\*\n  &\\qquad ");
}

/* a boxed result; a long one boxed over several lines */
const char *tex_boxed(tex_doc *x, const char *s, double avail)
{
    sg_buf b;
    const char *r;
    if (tex_width(s) <= avail || !strchr(s, SG_FMT_BREAK))
        return sg_arena_printf(x->ar, "\\boxed{%s}", s);
    sg_buf_init(&b);
    sg_buf_puts(&b, "\\boxed{\\begin{aligned}[t]&");
    put_broken_sep(&b, s, 0, avail, "\\\\ &\\qquad ");
    sg_buf_puts(&b, "\\end{aligned}}");
    r = sg_arena_strdup(x->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return r;
}

/*
 * One equation of an align*: lhs &= parts[0] = parts[1] …, with tag at the
 * right margin. Parts that do not fit go on lines of their own, "&= part";
 * a part that alone is too wide breaks inside its outermost sum. lead
 * (may be "") is written after the & instead of "= " before the first part.
 */
void tex_equation(tex_doc *x, sg_buf *b, const char *lhs, const char *lead, const char **parts, int nparts,
                     const char *tag)
{
    double used;
    int i;
    if (!*lhs) { /* a labelled line: all of it right of the alignment point */
        sg_buf_printf(b, "  &%s", lead);
        used = tex_width(lead);
    } else if (tex_width(lhs) > LHS_EMS) { /* a long left side on a line of its own */
        sg_buf_printf(b, "  &%s\\\\*\n  &\\qquad %s", lhs, lead);
        used = 2 + tex_width(lead);
    } else {
        sg_buf_printf(b, "  %s &%s", lhs, lead);
        used = tex_width(lead);
    }
    for (i = 0; i < nparts; i++) {
        double w = tex_width(parts[i]);
        if (i > 0 && used + w + 1.5 > TEX_LINE_EMS(x)) {
            /* under a labelled line's formula, not under its label */
            sg_buf_puts(b, *lhs ? "\\\\*\n  &" : "\\\\*\n  &\\qquad\\qquad ");
            used = *lhs ? 1.5 : 5.5;
        }
        if (i > 0 || !*lead)
            sg_buf_puts(b, "= ");
        if (used + w + 1.5 > TEX_LINE_EMS(x))
            put_broken(x, b, parts[i], used + 1.5);
        else
            tex_put_unbroken(b, parts[i]);
        used += w + 1.5;
        if (i + 1 < nparts)
            sg_buf_putc(b, ' ');
    }
    if (tag && *tag)
        sg_buf_printf(b, " \\tag*{%s}", tag);
    sg_buf_puts(b, "\\\\\n");
}

#define GLUED_ROWS 6 /* rows held together at most, by \\* (a page holds more) */

/*
 * Ends an align* body: the last \\ removed. The document allows page breaks
 * between display lines (\allowdisplaybreaks), but not everywhere: a line
 * that continues an equation (\\* in tex_equation() and put_broken()) stays with
 * it, and no equation is left alone at a page foot or head: the first row
 * of the body stays with the second, and the last with the one before (the
 * first \\ and the last become \\*). TeX breaks no page just before a
 * display, so the text that introduces it stays with its first lines. A run
 * of more than GLUED_ROWS rows may break, so that no block outgrows a page.
 */
void tex_end_align(sg_buf *b, size_t start)
{
    size_t n = b->len, i, *at = NULL;
    unsigned char *star = NULL;
    int nsep = 0, cap = 0, k, run;
    sg_buf t;
    if (n >= start + 3 && strncmp(b->data + n - 3, "\\\\\n", 3) == 0) {
        b->len -= 3;
        b->data[b->len] = '\0';
        sg_buf_putc(b, '\n');
    }
    /* the row ends at the top level: "\\\n" and "\\*\n" (aligned inside
       \boxed breaks with "\\ ") */
    for (i = start; i + 2 < b->len; i++) {
        int st = b->data[i + 2] == '*' && i + 3 < b->len && b->data[i + 3] == '\n';
        if (b->data[i] == '\\' && b->data[i + 1] == '\\' && (b->data[i + 2] == '\n' || st) &&
            (i == start || b->data[i - 1] != '\\')) {
            if (nsep == cap) {
                SG_GROW(at, nsep, cap, SG_GROW_MAX, "rows in an equation block");
                star = sg_xrealloc(star, (size_t)cap); /* the same size */
            }
            at[nsep] = i;
            star[nsep++] = (unsigned char)st;
            i += 2;
        }
    }
    if (nsep == 0) {
        sg_buf_puts(b, "\\end{align*}\n");
        return;
    }
    star[0] = star[nsep - 1] = 1;
    /* but no run of rows so long that it cannot go on one page: a break
       may come after every GLUED_ROWS rows, inside a long equation too */
    for (k = 0, run = 0; k < nsep; k++) {
        run = star[k] ? run + 1 : 0;
        if (run >= GLUED_ROWS && k > 0 && k + 1 < nsep) {
            star[k] = 0;
            run = 0;
        }
    }
    sg_buf_init(&t);
    sg_buf_putn(&t, b->data + start, b->len - start);
    b->len = start;
    for (i = 0, k = 0; i < t.len; i++) {
        if (k < nsep && i + start == at[k]) {
            int was = t.data[i + 2] == '*';
            sg_buf_puts(b, star[k] ? "\\\\*" : "\\\\");
            i += was ? 2 : 1; /* past the \\ and its star */
            k++;
            continue;
        }
        sg_buf_putc(b, t.data[i]);
    }
    sg_buf_free(&t);
    free(at);
    free(star);
    sg_buf_puts(b, "\\end{align*}\n");
}

/* a rule instantiated, or NULL when it is too wide and cannot break (its
   citation says which rule it was; the value follows) */
const char *tex_fits(tex_doc *x, const char *s)
{
    size_t n, i;
    unsigned char *ok;
    int any = 0;
    if (!s || tex_width(s) <= TEX_LINE_EMS(x))
        return s;
    n = strlen(s);
    ok = sg_xmalloc(n + 1);
    usable_marks(s, ok);
    for (i = 0; i < n; i++)
        any |= ok[i];
    free(ok);
    return any ? s : NULL;
}

/* the tag of a line: the rules it used, and the shape at the margin */
const char *tex_tag_of(tex_doc *x, const int *rs, int nrs, sg_shape shape)
{
    sg_buf b;
    const char *s;
    int i, j;
    int no[TEX_NRULES], n = 0; /* distinct rules: at most TEX_NRULES */
    sg_buf_init(&b);
    for (i = 0; i < nrs; i++) {
        int c = tex_cite(x, rs[i]), at;
        for (j = 0; j < n && no[j] != c; j++)
            ;
        if (j < n)
            continue;
        for (at = n++; at > 0 && no[at - 1] > c; at--)
            no[at] = no[at - 1];
        no[at] = c;
    }
    if (n > 0) {
        sg_buf_puts(&b, "(");
        for (i = 0; i < n; i++)
            sg_buf_printf(&b, "%sR%d", i ? ", " : "", no[i]);
        sg_buf_puts(&b, ")\\quad ");
    }
    sg_buf_printf(&b, "$[\\in %s]$", tex_shape(x, shape));
    s = sg_arena_strdup(x->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return s;
}
