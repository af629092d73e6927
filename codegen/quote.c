/*
 * quote.c: a definition as the user wrote it, in LaTeX, Unicode or ASCII
 * (see quote.h).
 *
 * A recursive printer over the syntax tree with the usual levels (a sum, a
 * negation, a product, a fraction, a postfix, an atom): a subtree gets
 * parentheses where its level is below what its place needs, or where the
 * user wrote them, except in a place that delimits it already (a fraction's
 * numerator, a function's argument, a norm, a superscript), where they
 * would only repeat the delimiter. A chain of one operator (a + b + c, a b c)
 * is the parser's left-nested tree, as deep as it is long; it is walked
 * with a loop, so only real nesting recurses, which the parser bounds
 * (SG_PARSE_MAX_DEPTH).
 */
#include "quote.h"

#include <stdlib.h>
#include <string.h>

#include "../base/arena.h"
#include "../base/grow.h"
#include "formula.h"

/* how tightly the printed text binds, loosest first */
enum { Q_SUM = 1, Q_NEG, Q_PROD, Q_FRAC, Q_POST, Q_ATOM };

typedef struct {
    const sg_quote_opts *o;
    int tex, ascii; /* the alphabet: LaTeX, ASCII, else Unicode */
} quoter;

static int pr(quoter *q, sg_buf *b, const sg_ast *e, int need, int slot, int top);

static int known(quoter *q, const char *s, size_t n)
{
    return !q->o->known || q->o->known(q->o->arg, s, n);
}

/*
 * The cut after the first part of the name's split into known names
 * (0 when the name is known or has no split). The checker accepted the
 * program, so the split it found is the only one among the names known
 * there; any split found here is that one. Memoised over suffixes: at most
 * len² questions whatever the name.
 */
static size_t first_cut(quoter *q, const char *name, signed char *memo, size_t at, size_t len)
{
    size_t j;
    for (j = len; j > at; j--) {
        if (at == 0 && j == len)
            continue; /* the whole name is one part: not a split */
        if (!known(q, name + at, j - at))
            continue;
        if (j == len)
            return j;
        if (memo[j] == 0)
            memo[j] = first_cut(q, name, memo, j, len) ? 1 : -1;
        if (memo[j] > 0)
            return j;
    }
    return 0;
}

/* the parts of a split name, as cut offsets into cuts[0..n] (n parts); 0
   when the name is one value (or cannot be split) */
static int split(quoter *q, const char *name, size_t **cuts)
{
    size_t len = strlen(name), at = 0, c;
    signed char *memo;
    int n = 0;
    *cuts = NULL;
    if (len < 2 || known(q, name, len))
        return 0;
    memo = sg_xmalloc(len + 1);
    memset(memo, 0, len + 1);
    *cuts = sg_xmalloc((len + 2) * sizeof **cuts);
    (*cuts)[0] = 0;
    while (at < len && (c = first_cut(q, name, memo, at, len)) > at) {
        (*cuts)[++n] = c;
        at = c;
    }
    free(memo);
    if (at != len || n < 2) {
        free(*cuts);
        *cuts = NULL;
        return 0;
    }
    return n;
}

/* a name as a value: 𝟙, I, W_q, \beta (ones, I, W_q, beta in ASCII) */
static void name_tex(quoter *q, sg_buf *b, const char *s, size_t n)
{
    char buf[256];
    if (n >= sizeof buf)
        n = sizeof buf - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (!strcmp(buf, "ones") && !q->ascii)
        sg_buf_puts(b, q->tex ? "\\mathbf{1}" : "𝟙");
    else
        sg_fmt_name(b, buf, q->tex ? SG_FMT_LATEX : q->ascii ? SG_FMT_ASCII : SG_FMT_UNICODE);
}

/* a juxtaposition, b then r. LaTeX: a space where two letters would run
   together (\\mu x, not \\mux); the text alphabets as --formulas writes a
   product (sg_fmt_juxtapose: Wx and 2x, y softplus(z); ASCII " * ") */
static void juxt(quoter *q, sg_buf *b, const char *r)
{
    const char *s = sg_buf_str(b);
    size_t n = strlen(s);
    char last = n ? s[n - 1] : ' ';
    int lalpha = (last >= 'a' && last <= 'z') || (last >= 'A' && last <= 'Z');
    int ralpha = (r[0] >= 'a' && r[0] <= 'z') || (r[0] >= 'A' && r[0] <= 'Z');
    int ldigit = last >= '0' && last <= '9', rdigit = r[0] >= '0' && r[0] <= '9';
    if (n > 0 && !q->tex) {
        if (!q->ascii && (rdigit || r[0] == '.')) {
            /* a number after a factor: (x ⊙ x) · 2, x · 2 */
            sg_buf_puts(b, " · ");
            sg_buf_puts(b, r);
            return;
        }
        sg_fmt_juxtapose(b, r, q->ascii ? SG_FMT_ASCII : SG_FMT_UNICODE);
        return;
    }
    if (ldigit && (rdigit || r[0] == '.'))
        sg_buf_puts(b, " \\cdot ");
    else if (lalpha && ralpha)
        sg_buf_putc(b, ' ');
    sg_buf_puts(b, r);
}

/* a number as written: ½ → \tfrac{1}{2}, 1e-3 → 10^{-3} */
static int num_tex(quoter *q, sg_buf *b, const sg_ast *e)
{
    static const struct {
        const char *glyph, *tex;
    } vulgar[] = {
        {"½", "\\tfrac{1}{2}"}, {"⅓", "\\tfrac{1}{3}"}, {"⅔", "\\tfrac{2}{3}"},
        {"¼", "\\tfrac{1}{4}"}, {"¾", "\\tfrac{3}{4}"}, {"⅕", "\\tfrac{1}{5}"},
        {"⅙", "\\tfrac{1}{6}"}, {"⅛", "\\tfrac{1}{8}"},
    };
    const char *s = q->o->text ? q->o->text + e->span.begin : NULL;
    size_t n = q->o->text ? e->span.end - e->span.begin : 0, i, m;
    char buf[64];
    /* the span of a grouped number includes its parentheses */
    while (s && n > 0 && (*s == '(' || *s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (s && n > 0 && (s[n - 1] == ')' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    for (i = 0; s && i < sizeof vulgar / sizeof vulgar[0]; i++)
        if (strlen(vulgar[i].glyph) == n && !strncmp(s, vulgar[i].glyph, n)) {
            if (q->tex) {
                sg_buf_puts(b, vulgar[i].tex);
                return Q_ATOM;
            }
            if (!q->ascii) {
                sg_buf_puts(b, vulgar[i].glyph);
                return Q_ATOM;
            }
            /* ASCII: ½ is 1/2, a quotient (x/(1/2)) */
            sg_buf_putn(b, vulgar[i].tex + 7, 1);
            sg_buf_putc(b, '/');
            sg_buf_putn(b, vulgar[i].tex + 10, 1);
            return Q_PROD;
        }
    for (i = 0; s && i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == 'e' || s[i] == 'E' ||
              s[i] == '-' || s[i] == '+'))
            s = NULL;
    if (!s || n == 0 || n >= sizeof buf) {
        snprintf(buf, sizeof buf, "%.17g", e->num);
        s = buf;
        n = strlen(buf);
    }
    for (m = 0; m < n && s[m] != 'e' && s[m] != 'E'; m++)
        ;
    if (m == n || !q->tex) { /* the text alphabets: 1e-3 as written */
        sg_buf_putn(b, s, n);
        return Q_ATOM;
    }
    /* 1e-3 → 10^{-3}, 2.5e4 → 2.5 \cdot 10^{4} */
    if (!(m == 1 && s[0] == '1')) {
        sg_buf_putn(b, s, m);
        sg_buf_puts(b, " \\cdot ");
    }
    sg_buf_puts(b, "10^{");
    i = m + 1;
    if (i < n && s[i] == '+')
        i++;
    sg_buf_putn(b, s + i, n - i);
    sg_buf_putc(b, '}');
    return Q_POST;
}

/* the text of e in a buffer of its own, and its level */
static const char *sub(quoter *q, sg_buf *t, const sg_ast *e, int need, int slot, int *lvl)
{
    sg_buf_init(t);
    *lvl = pr(q, t, e, need, slot, 0);
    return sg_buf_str(t);
}

/* e in a delimited place (an argument, a fraction's part) */
static void inner(quoter *q, sg_buf *b, const sg_ast *e)
{
    pr(q, b, e, Q_SUM, 1, 0);
}

static int tall(const char *s)
{
    return strstr(s, "\\frac") || strstr(s, "\\sum") || strstr(s, "\\left");
}

static void paren(quoter *q, sg_buf *b, const char *s)
{
    int t = q->tex && tall(s);
    sg_buf_puts(b, t ? "\\left(" : "(");
    sg_buf_puts(b, s);
    sg_buf_puts(b, t ? "\\right)" : ")");
}

/* how a function is written: its TeX, and whether it takes (…) or {…} */
static const char *func_tex(const char *f, int *braces)
{
    static const struct {
        const char *name, *tex;
    } fs[] = {
        {"exp", "\\exp"},       {"log", "\\log"},       {"log2", "\\log_2"},
        {"sin", "\\sin"},       {"cos", "\\cos"},       {"tan", "\\tan"},
        {"arcsin", "\\arcsin"}, {"arccos", "\\arccos"}, {"arctan", "\\arctan"},
        {"sinh", "\\sinh"},     {"cosh", "\\cosh"},     {"tanh", "\\tanh"},
        {"sigma", "\\sigma"},   {"sigmoid", "\\sigma"}, {"det", "\\det"},
        {"logdet", "\\log\\det"}, {"tr", "\\operatorname{tr}"},
        {"trace", "\\operatorname{tr}"}, {"max", "\\max"}, {"min", "\\min"},
    };
    size_t i;
    *braces = 0;
    if (!strcmp(f, "sqrt")) {
        *braces = 1;
        return "\\sqrt";
    }
    for (i = 0; i < sizeof fs / sizeof fs[0]; i++)
        if (!strcmp(fs[i].name, f))
            return fs[i].tex;
    return NULL;
}

/* ‖a‖, ‖a‖₁, |a| (ASCII: norm(a), norm1(a), |a|) */
static void bars(quoter *q, sg_buf *b, const sg_ast *a, sg_ast_kind k)
{
    if (q->ascii && k != SG_AST_BARS) {
        sg_buf_puts(b, k == SG_AST_NORM1 ? "norm1(" : "norm(");
        inner(q, b, a);
        sg_buf_putc(b, ')');
        return;
    }
    if (q->tex)
        sg_buf_puts(b, k == SG_AST_BARS ? "\\lvert " : "\\lVert ");
    else
        sg_buf_puts(b, k == SG_AST_BARS ? "|" : "‖");
    inner(q, b, a);
    if (q->tex)
        sg_buf_puts(b, k == SG_AST_BARS ? "\\rvert" : "\\rVert");
    else
        sg_buf_puts(b, k == SG_AST_BARS ? "|" : "‖");
    if (k == SG_AST_NORM1)
        sg_buf_puts(b, q->tex ? "_1" : "₁");
}

/* ⟨a, c⟩ (ASCII: dot(a, c)) */
static void angles(quoter *q, sg_buf *b, const sg_ast *a, const sg_ast *c)
{
    sg_buf_puts(b, q->tex ? "\\langle " : q->ascii ? "dot(" : "⟨");
    inner(q, b, a);
    sg_buf_puts(b, ", ");
    inner(q, b, c);
    sg_buf_puts(b, q->tex ? "\\rangle" : q->ascii ? ")" : "⟩");
}

static int call_tex(quoter *q, sg_buf *b, const sg_ast *e)
{
    const char *f = e->name, *t;
    int braces, i, bare;
    if (q->tex && e->nargs == 1 && (!strcmp(f, "eye") || !strcmp(f, "I") || !strcmp(f, "ones"))) {
        sg_buf_puts(b, strcmp(f, "ones") ? "I_{" : "\\mathbf{1}_{");
        inner(q, b, e->args[0]);
        sg_buf_putc(b, '}');
        return Q_ATOM;
    }
    size_t *cuts = NULL;
    int n = known(q, f, strlen(f)) ? 0 : split(q, f, &cuts);
    if (known(q, f, strlen(f)) || n > 0) {
        /* a value before ( … ): a product, as the checker read it */
        int k;
        sg_buf g;
        if (n == 0) {
            name_tex(q, b, f, strlen(f));
        } else {
            for (k = 0; k < n; k++) {
                sg_buf_init(&g);
                name_tex(q, &g, f + cuts[k], cuts[k + 1] - cuts[k]);
                juxt(q, b, sg_buf_str(&g));
                sg_buf_free(&g);
            }
            free(cuts);
        }
        for (i = 0; i < e->nargs; i++) {
            sg_buf_init(&g);
            inner(q, &g, e->args[i]);
            paren(q, b, sg_buf_str(&g));
            sg_buf_free(&g);
        }
        return Q_PROD;
    }
    if (!q->ascii && e->nargs == 1 &&
        (!strcmp(f, "norm") || !strcmp(f, "norm1") || !strcmp(f, "abs"))) {
        bars(q, b, e->args[0], strcmp(f, "abs") ? (strcmp(f, "norm") ? SG_AST_NORM1 : SG_AST_NORM)
                                                : SG_AST_BARS);
        return Q_ATOM;
    }
    if (!q->ascii && e->nargs == 2 && !strcmp(f, "dot")) {
        angles(q, b, e->args[0], e->args[1]);
        return Q_ATOM;
    }
    if (!q->ascii && e->nargs == 1 && !strcmp(f, "inv")) {
        sg_buf g;
        int lvl;
        const char *s = sub(q, &g, e->args[0], Q_ATOM, 0, &lvl);
        if (lvl < Q_ATOM)
            paren(q, b, s);
        else
            sg_buf_puts(b, s);
        sg_buf_free(&g);
        sg_buf_puts(b, q->tex ? "^{-1}" : "⁻¹");
        return Q_POST;
    }
    if (!q->tex && !q->ascii && e->nargs == 1 && !strcmp(f, "sqrt")) { /* √k, √(…) */
        sg_buf g;
        int lvl;
        const char *a = sub(q, &g, e->args[0], Q_ATOM, 1, &lvl);
        sg_buf_puts(b, "√");
        if (lvl < Q_ATOM)
            paren(q, b, a);
        else
            sg_buf_puts(b, a);
        sg_buf_free(&g);
        return Q_ATOM;
    }
    t = q->tex ? func_tex(f, &braces) : NULL;
    braces = q->tex && braces;
    if (t) {
        sg_buf_puts(b, t);
    } else if (!q->tex) {
        /* σ (ASCII: sigmoid), any other function as written (expm1, not expm₁) */
        sg_buf_puts(b, strcmp(f, "sigma") ? f : q->ascii ? "sigmoid" : "σ");
    } else {
        /* a function's name is a word: upright, as written */
        const char *c;
        sg_buf_puts(b, "\\operatorname{");
        for (c = f; *c; c++) {
            if (*c == '_')
                sg_buf_putc(b, '\\');
            sg_buf_putc(b, *c);
        }
        sg_buf_putc(b, '}');
    }
    if (braces) {
        sg_buf_putc(b, '{');
        inner(q, b, e->args[0]);
        sg_buf_putc(b, '}');
        return Q_ATOM;
    }
    /* f|A| and f‖x‖ as written, without parentheses (not in ASCII, whose
       norm is a call) */
    bare = !q->ascii && e->nargs == 1 && q->o->text && q->o->text[e->name_span.end] != '(' &&
           (e->args[0]->kind == SG_AST_BARS || e->args[0]->kind == SG_AST_NORM ||
            e->args[0]->kind == SG_AST_NORM1);
    if (bare) {
        pr(q, b, e->args[0], Q_ATOM, 1, 0);
        return Q_ATOM;
    }
    {
        sg_buf g;
        sg_buf_init(&g);
        for (i = 0; i < e->nargs; i++) {
            if (i > 0)
                sg_buf_puts(&g, ", ");
            inner(q, &g, e->args[i]);
        }
        paren(q, b, sg_buf_str(&g));
        sg_buf_free(&g);
    }
    return Q_ATOM;
}

/* a split name's parts but the last into b; returns the last part's cut */
static size_t leading_parts(quoter *q, sg_buf *b, const char *name, const size_t *cuts, int n)
{
    int k;
    sg_buf g;
    for (k = 0; k + 1 < n; k++) {
        sg_buf_init(&g);
        name_tex(q, &g, name + cuts[k], cuts[k + 1] - cuts[k]);
        juxt(q, b, sg_buf_str(&g));
        sg_buf_free(&g);
    }
    return cuts[n - 1];
}

/* an integer exponent as written, in superscript digits (x², x⁻¹⁰); 0
   when it is not one */
static int superscript(quoter *q, sg_buf *b, const sg_ast *e)
{
    static const char *const sup[] = {"⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"};
    sg_buf t;
    const char *c;
    int ok = 1;
    if (e->kind == SG_AST_NEG && !e->grouped && e->a->kind == SG_AST_NUM && !e->a->grouped) {
        sg_buf_init(&t);
        if (superscript(q, &t, e->a)) {
            sg_buf_puts(b, "⁻");
            sg_buf_puts(b, sg_buf_str(&t));
        } else {
            ok = 0;
        }
        sg_buf_free(&t);
        return ok;
    }
    if (e->kind != SG_AST_NUM || e->grouped)
        return 0;
    sg_buf_init(&t);
    num_tex(q, &t, e);
    for (c = sg_buf_str(&t); *c; c++)
        if (*c < '0' || *c > '9')
            ok = 0;
    if (ok && *sg_buf_str(&t))
        for (c = sg_buf_str(&t); *c; c++)
            sg_buf_puts(b, sup[*c - '0']);
    ok = ok && *sg_buf_str(&t);
    sg_buf_free(&t);
    return ok;
}

/* a postfix on e: aᵀ, a², a⁻¹, a^{∘p} (ASCII: a', a^2, inv(a), a.^p) */
static int postfix(quoter *q, sg_buf *b, const sg_ast *e)
{
    const sg_ast *x = e->a;
    sg_buf t, sup;
    int lvl;
    size_t *cuts = NULL;
    int n = 0;
    if (q->ascii && e->kind == SG_AST_INVERSE) { /* ASCII: inv(A) */
        sg_buf_puts(b, "inv(");
        inner(q, b, x);
        sg_buf_putc(b, ')');
        return Q_ATOM;
    }
    sg_buf_init(&sup);
    switch (e->kind) {
    case SG_AST_TRANSPOSE:
        sg_buf_puts(&sup, q->tex ? "^\\top" : q->ascii ? "'" : "ᵀ");
        break;
    case SG_AST_INVERSE:
        sg_buf_puts(&sup, q->tex ? "^{-1}" : "⁻¹");
        break;
    case SG_AST_POW:
    case SG_AST_EPOW:
        if (q->tex) {
            sg_buf_puts(&sup, e->kind == SG_AST_EPOW ? "^{\\circ " : "^{");
            inner(q, &sup, e->b);
            sg_buf_putc(&sup, '}');
        } else if (!(e->kind == SG_AST_POW && !q->ascii && superscript(q, &sup, e->b))) {
            sg_buf_puts(&sup, e->kind == SG_AST_EPOW ? ".^" : "^");
            pr(q, &sup, e->b, Q_ATOM, 0, 0);
        }
        break;
    default:
        break;
    }
    sg_buf_init(&t);
    if (x->kind == SG_AST_NAME && !x->grouped && (n = split(q, x->name, &cuts)) > 0) {
        /* YYᵀ is Y Yᵀ: the postfix binds to the last part */
        size_t c = leading_parts(q, &t, x->name, cuts, n);
        sg_buf g;
        sg_buf_init(&g);
        name_tex(q, &g, x->name + c, strlen(x->name) - c);
        sg_buf_puts(&g, sg_buf_str(&sup));
        juxt(q, &t, sg_buf_str(&g));
        sg_buf_free(&g);
        free(cuts);
        sg_buf_puts(b, sg_buf_str(&t));
        sg_buf_free(&t);
        sg_buf_free(&sup);
        return Q_PROD;
    }
    lvl = pr(q, &t, x, Q_ATOM, 0, 0);
    /* a name with a subscript takes the superscript beside it (W_q^\top);
       a postfix on a postfix needs parentheses ((A^\top)^{-1}) */
    if (lvl < Q_ATOM)
        paren(q, b, sg_buf_str(&t));
    else
        sg_buf_puts(b, sg_buf_str(&t));
    sg_buf_puts(b, sg_buf_str(&sup));
    sg_buf_free(&t);
    sg_buf_free(&sup);
    return Q_POST;
}

/* the operator a chain kind prints between its operands */
static const char *op_tex(quoter *q, sg_ast_kind k)
{
    switch (k) {
    case SG_AST_ADD:
        return " + ";
    case SG_AST_SUB:
        return q->tex || q->ascii ? " - " : " − ";
    case SG_AST_HADAMARD:
        return q->tex ? " \\odot " : q->ascii ? " .* " : " ⊙ ";
    case SG_AST_HDIV:
        return q->tex ? " \\oslash " : q->ascii ? " ./ " : " ⊘ ";
    default:
        return ""; /* a product: juxtaposition */
    }
}

static int is_sum(sg_ast_kind k)
{
    return k == SG_AST_ADD || k == SG_AST_SUB;
}

static int is_product(sg_ast_kind k)
{
    return k == SG_AST_MUL || k == SG_AST_JUX || k == SG_AST_HADAMARD || k == SG_AST_HDIV;
}

/* a chain a ∘ b ∘ c of sums or of products, left to right, with a loop */
static int chain_tex(quoter *q, sg_buf *out, const sg_ast *e, int top)
{
    sg_buf acc, *b = &acc;
    int sum = is_sum(e->kind), n = 0, cap = 0, i;
    const sg_ast **spine = NULL, *x;
    sg_buf_init(&acc);
    /* the left spine: e, e->a, … while the same kind of chain, unparenthesized */
    for (x = e; (sum ? is_sum(x->kind) : is_product(x->kind)) && (x == e || !x->grouped);
         x = x->a) {
        SG_GROW(spine, n, cap, SG_GROW_MAX, "terms in a chain");
        spine[n++] = x;
    }
    /* x is the leftmost operand */
    {
        sg_buf t;
        int lvl;
        const char *s = sub(q, &t, x, sum ? Q_SUM : Q_NEG, 0, &lvl);
        sg_buf_puts(b, s);
        sg_buf_free(&t);
    }
    for (i = n - 1; i >= 0; i--) {
        const sg_ast *op = spine[i];
        sg_buf t;
        int lvl;
        /* the right operand: a product inside a sum needs nothing; a
           different product kind inside a product does (a ⊙ (b c)) */
        const char *s = sub(q, &t, op->b, Q_SUM, 0, &lvl);
        int need = lvl < Q_PROD || (!sum && lvl == Q_PROD && op->kind != SG_AST_MUL &&
                                    op->kind != SG_AST_JUX);
        if (sum && top && q->o->breaks)
            sg_buf_putc(b, SG_FMT_BREAK);
        if (!sum && i < n - 1 && spine[i + 1]->kind != op->kind &&
            (op->kind == SG_AST_HADAMARD || op->kind == SG_AST_HDIV ||
             spine[i + 1]->kind == SG_AST_HADAMARD || spine[i + 1]->kind == SG_AST_HDIV)) {
            /* (a ⊙ b) c: a change between ⊙ and a product groups what came before */
            sg_buf all;
            sg_buf_init(&all);
            paren(q, &all, sg_buf_str(&acc));
            sg_buf_free(&acc);
            acc = all;
        }
        if (op->kind == SG_AST_MUL || op->kind == SG_AST_JUX) {
            if (need) {
                sg_buf g;
                sg_buf_init(&g);
                paren(q, &g, s);
                juxt(q, b, sg_buf_str(&g));
                sg_buf_free(&g);
            } else {
                juxt(q, b, s);
            }
        } else {
            sg_buf_puts(b, op_tex(q, op->kind));
            if (need)
                paren(q, b, s);
            else
                sg_buf_puts(b, s);
        }
        sg_buf_free(&t);
    }
    free(spine);
    sg_buf_puts(out, sg_buf_str(&acc));
    sg_buf_free(&acc);
    return sum ? Q_SUM : Q_PROD;
}

/* a / b in the text alphabets: the numerator in parentheses below a
   product, the denominator below a postfix (x/(2n)); −D/2 as written */
static int quotient(quoter *q, sg_buf *b, const sg_ast *e)
{
    const sg_ast *num = e->a;
    int neg = num->kind == SG_AST_NEG && !num->grouped;
    if (neg) {
        sg_buf_puts(b, q->ascii ? "-" : "−");
        num = num->a;
    }
    pr(q, b, num, Q_PROD, 0, 0);
    sg_buf_putc(b, '/');
    pr(q, b, e->b, Q_POST, 0, 0);
    return neg ? Q_NEG : Q_PROD;
}

/* a name, split into the parts that read as a product (αx) */
static int name_part_tex(quoter *q, sg_buf *b, const sg_ast *e)
{
    size_t *cuts;
    int n = split(q, e->name, &cuts);
    sg_buf g;
    if (n == 0) {
        name_tex(q, b, e->name, strlen(e->name));
        return Q_ATOM;
    }
    leading_parts(q, b, e->name, cuts, n);
    sg_buf_init(&g);
    name_tex(q, &g, e->name + cuts[n - 1], cuts[n] - cuts[n - 1]);
    juxt(q, b, sg_buf_str(&g));
    sg_buf_free(&g);
    free(cuts);
    return Q_PROD;
}

/* h[t−1]: in text the index without spaces as on paper, in TeX h_{t-1} */
static int index_tex(quoter *q, sg_buf *b, const sg_ast *e)
{
    sg_buf t;
    sg_buf_init(&t);
    if (!q->tex) {
        const char *c;
        name_tex(q, b, e->name, strlen(e->name));
        sg_buf_putc(b, '[');
        inner(q, &t, e->args[0]);
        for (c = sg_buf_str(&t); *c; c++)
            if (*c != ' ' && *c != SG_FMT_BREAK)
                sg_buf_putc(b, *c);
        sg_buf_free(&t);
        sg_buf_putc(b, ']');
        return Q_ATOM;
    }
    name_tex(q, &t, e->name, strlen(e->name));
    if (strchr(sg_buf_str(&t), '_')) {
        sg_buf_putc(b, '{');
        sg_buf_puts(b, sg_buf_str(&t));
        sg_buf_putc(b, '}');
    } else {
        sg_buf_puts(b, sg_buf_str(&t));
    }
    sg_buf_free(&t);
    sg_buf_puts(b, "_{");
    inner(q, b, e->args[0]);
    sg_buf_putc(b, '}');
    return Q_ATOM;
}

/* a/b: a/b in text, \frac in TeX (−D/2 with the sign before the bar) */
static int div_tex(quoter *q, sg_buf *b, const sg_ast *e)
{
    int neg = e->a->kind == SG_AST_NEG && !e->a->grouped;
    if (!q->tex)
        return quotient(q, b, e);
    /* −D/2 reads (−D)/2 and is written −D/2: the sign before the bar */
    sg_buf_puts(b, neg ? "-\\frac{" : "\\frac{");
    inner(q, b, neg ? e->a->a : e->a);
    sg_buf_puts(b, "}{");
    inner(q, b, e->b);
    sg_buf_putc(b, '}');
    return neg ? Q_NEG : Q_FRAC;
}

/* s, parenthesized when its level lvl is below min */
static void put_at_least(quoter *q, sg_buf *b, const char *s, int lvl, int min)
{
    if (lvl < min)
        paren(q, b, s);
    else
        sg_buf_puts(b, s);
}

/* Σ_{t=1}^{T} e, or sum(t = 1..T, e) in ASCII */
static int sumover_tex(quoter *q, sg_buf *b, const sg_ast *e)
{
    sg_buf t;
    int lvl;
    const char *s;
    if (q->ascii) {
        sg_buf_puts(b, "sum(");
        name_tex(q, b, e->name, strlen(e->name));
        sg_buf_puts(b, " = ");
        inner(q, b, e->args[0]);
        sg_buf_puts(b, "..");
        inner(q, b, e->args[1]);
        sg_buf_puts(b, ", ");
        inner(q, b, e->a);
        sg_buf_putc(b, ')');
        return Q_ATOM;
    }
    sg_buf_puts(b, q->tex ? "\\sum_{" : "Σ_{");
    name_tex(q, b, e->name, strlen(e->name));
    sg_buf_putc(b, '=');
    inner(q, b, e->args[0]);
    sg_buf_puts(b, "}^{");
    inner(q, b, e->args[1]);
    sg_buf_puts(b, "} ");
    s = sub(q, &t, e->a, Q_PROD, 0, &lvl);
    put_at_least(q, b, s, lvl, Q_NEG);
    sg_buf_free(&t);
    return Q_SUM;
}

/* e into b, without the parentheses its place may need; returns its level */
static int pr_body(quoter *q, sg_buf *b, const sg_ast *e, int top)
{
    sg_buf t;
    int lvl;
    const char *s;
    switch (e->kind) {
    case SG_AST_NUM:
        return num_tex(q, b, e);
    case SG_AST_NAME:
        return name_part_tex(q, b, e);
    case SG_AST_CALL:
        return call_tex(q, b, e);
    case SG_AST_INDEX:
        return index_tex(q, b, e);
    case SG_AST_NEG:
    case SG_AST_POS:
        sg_buf_puts(b, e->kind == SG_AST_POS ? "+" : q->tex || q->ascii ? "-" : "−");
        s = sub(q, &t, e->a, Q_PROD, 0, &lvl);
        put_at_least(q, b, s, lvl, Q_PROD);
        sg_buf_free(&t);
        return Q_NEG;
    case SG_AST_ADD:
    case SG_AST_SUB:
    case SG_AST_MUL:
    case SG_AST_JUX:
    case SG_AST_HADAMARD:
    case SG_AST_HDIV:
        return chain_tex(q, b, e, top);
    case SG_AST_DIV:
        return div_tex(q, b, e);
    case SG_AST_EPOW:
    case SG_AST_POW:
    case SG_AST_TRANSPOSE:
    case SG_AST_INVERSE:
        return postfix(q, b, e);
    case SG_AST_NORM:
    case SG_AST_NORM1:
    case SG_AST_BARS:
        bars(q, b, e->a, e->kind);
        return Q_ATOM;
    case SG_AST_INNER:
        angles(q, b, e->a ? e->a : e->args[0], e->b ? e->b : e->args[1]);
        return Q_ATOM;
    case SG_AST_SUMOVER:
        return sumover_tex(q, b, e);
    }
    return Q_ATOM;
}

/* e where its place needs level need; slot: the place delimits it already */
static int pr(quoter *q, sg_buf *b, const sg_ast *e, int need, int slot, int top)
{
    sg_buf t;
    int lvl;
    sg_buf_init(&t);
    lvl = pr_body(q, &t, e, top);
    if (!slot && (lvl < need || e->grouped)) {
        paren(q, b, sg_buf_str(&t));
        lvl = Q_ATOM;
    } else {
        sg_buf_puts(b, sg_buf_str(&t));
    }
    sg_buf_free(&t);
    return lvl;
}

void sg_quote(sg_buf *out, const sg_ast *e, const sg_quote_opts *o)
{
    quoter q;
    q.o = o;
    q.tex = o->alphabet == SG_FMT_LATEX;
    q.ascii = o->alphabet == SG_FMT_ASCII;
    if (q.tex) {
        pr(&q, out, e, Q_SUM, 1, 1);
    } else {
        /* the text without the marks where factors ran together */
        sg_buf t;
        const char *c;
        sg_buf_init(&t);
        pr(&q, &t, e, Q_SUM, 1, 1);
        for (c = sg_buf_str(&t); *c; c++)
            if (*c != SG_FMT_JOIN)
                sg_buf_putc(out, *c);
        sg_buf_free(&t);
    }
}
