/*
 * fmt_rewrite.c: the identities the stability rewrites apply, as the
 * documents show them (log σ(z) = −softplus(−z)), and which of a range of
 * rewrites a document shows.
 *
 * Each identity is a template per alphabet, with its operand printed by
 * formula.c where the template says: as an argument, or as a factor (in
 * parentheses below a product).
 */
#include "formula.h"

#include <string.h>

/* an operand of an identity: as an argument, or as a factor (parenthesized
   below a product) */
static void rw_operand(sg_buf *out, const sg_ctx *ctx, const sg_expr *e, int alphabet, int factor)
{
    sg_fmt_style st;
    sg_buf t;
    int lvl;
    memset(&st, 0, sizeof st);
    st.alphabet = alphabet;
    st.named_root = 1; /* z, when the user named it */
    sg_buf_init(&t);
    lvl = sg_fmt_expr_style(&t, ctx, e, &st);
    if (factor && (lvl < SG_FMT_PROD || lvl == SG_FMT_NEG)) {
        sg_buf_putc(out, '(');
        sg_buf_puts(out, sg_buf_str(&t));
        sg_buf_putc(out, ')');
    } else {
        sg_buf_puts(out, sg_buf_str(&t));
    }
    sg_buf_free(&t);
}

void sg_fmt_rewrite(sg_buf *out, const sg_ctx *ctx, const sg_rewrite *r, int alphabet)
{
    /* per kind, in LaTeX, Unicode and ASCII: @a the operand, @f the operand
       as a factor, @1 the ones of its shape */
    static const char *const forms[SG_RW_COUNT][3] = {
        [SG_RW_LOG_SIGMOID] = {"\\log\\sigma(@a) = -\\operatorname{softplus}(-@f)",
                               "log σ(@a) = −softplus(−@f)",
                               "log(sigmoid(@a)) = -softplus(-@f)"},
        [SG_RW_LOG_1M_SIGMOID] = {"\\log(@1 - \\sigma(@a)) = -\\operatorname{softplus}(@a)",
                                  "log(@1 − σ(@a)) = −softplus(@a)",
                                  "log(@1 - sigmoid(@a)) = -softplus(@a)"},
        [SG_RW_LOG_1P_EXP] = {"\\log(@1 + \\exp(@a)) = \\operatorname{softplus}(@a)",
                              "log(@1 + exp(@a)) = softplus(@a)",
                              "log(@1 + exp(@a)) = softplus(@a)"},
        [SG_RW_LOG1P] = {"\\log(@1 + @a) = \\operatorname{log1p}(@a)",
                         "log(@1 + @a) = log1p(@a)", "log(@1 + @a) = log1p(@a)"},
        [SG_RW_LOG_SUM_EXP] = {"\\log \\mathbf{1}^\\top\\exp(@a) = \\operatorname{logsumexp}(@a)",
                               "log 𝟙ᵀexp(@a) = logsumexp(@a)",
                               "log(sum(exp(@a))) = logsumexp(@a)"},
        [SG_RW_LOG_SOFTMAX] = {"\\log\\operatorname{softmax}(@a) = \\operatorname{logsoftmax}(@a)",
                               "log softmax(@a) = logsoftmax(@a)",
                               "log(softmax(@a)) = logsoftmax(@a)"},
        [SG_RW_EXPM1] = {"\\exp(@a) - @1 = \\operatorname{expm1}(@a)",
                         "exp(@a) − @1 = expm1(@a)", "exp(@a) - @1 = expm1(@a)"},
        [SG_RW_LOGSOFTMAX] = {"@a - \\mathbf{1}\\operatorname{logsumexp}(@a) = "
                              "\\operatorname{logsoftmax}(@a)",
                              "@a − 𝟙 logsumexp(@a) = logsoftmax(@a)",
                              "@a - ones*logsumexp(@a) = logsoftmax(@a)"},
        [SG_RW_SOFTMAX] = {"\\frac{\\exp(@a)}{\\mathbf{1}^\\top\\exp(@a)} = "
                           "\\operatorname{softmax}(@a)",
                           "exp(@a)/(𝟙ᵀexp(@a)) = softmax(@a)",
                           "exp(@a)/sum(exp(@a)) = softmax(@a)"},
        [SG_RW_SIGMOID_NEG] = {"\\sigma(-@f) = @1 - \\sigma(@a)", "σ(−@f) = @1 − σ(@a)",
                               "sigmoid(-@f) = @1 - sigmoid(@a)"},
        [SG_RW_LOGISTIC] = {"\\operatorname{softplus}(-@f) = \\operatorname{softplus}(@a) - @f",
                            "softplus(−@f) = softplus(@a) − @f",
                            "softplus(-@f) = softplus(@a) - @f"},
        [SG_RW_SOFTPLUS_DIFF] = {"\\operatorname{softplus}(@a) - \\operatorname{softplus}(-@f) = @a",
                                 "softplus(@a) − softplus(−@f) = @a",
                                 "softplus(@a) - softplus(-@f) = @a"},
    };
    int col = alphabet == SG_FMT_LATEX ? 0 : alphabet == SG_FMT_ASCII ? 2 : 1;
    int scalar = sg_shape_is_scalar(r->a->shape);
    const char *one = scalar ? "1" : col == 0 ? "\\mathbf{1}" : col == 1 ? "𝟙" : "ones";
    const char *c;
    if ((int)r->kind < 0 || r->kind >= SG_RW_COUNT || !forms[r->kind][col])
        return;
    for (c = forms[r->kind][col]; *c; c++) {
        if (c[0] == '@' && (c[1] == 'a' || c[1] == 'f')) {
            rw_operand(out, ctx, r->a, alphabet, c[1] == 'f');
            c++;
        } else if (c[0] == '@' && c[1] == '1') {
            sg_buf_puts(out, one);
            c++;
        } else {
            sg_buf_putc(out, *c);
        }
    }
}

int sg_fmt_rewrite_reason(sg_rewrite_kind k)
{
    return k == SG_RW_SIGMOID_NEG ? 1 : k == SG_RW_LOGISTIC || k == SG_RW_SOFTPLUS_DIFF ? 2 : 0;
}

int sg_fmt_rewrites_shown(const sg_ctx *ctx, int from, int to, const unsigned char *pick,
                          const sg_rewrite **seen)
{
    int i, j, n = 0;
    for (i = from; i < to; i++) {
        const sg_rewrite *w = sg_rewrite_get(ctx, i);
        /* logsoftmax is written log softmax: on paper nothing changed */
        if ((pick && !pick[i]) || w->kind == SG_RW_LOG_SOFTMAX)
            continue;
        for (j = 0; j < n; j++)
            if (seen[j]->kind == w->kind && seen[j]->a == w->a && seen[j]->b == w->b)
                break;
        if (j == n)
            seen[n++] = w;
    }
    return n;
}
