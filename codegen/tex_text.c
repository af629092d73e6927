/*
 * tex_text.c: text and rules: what is said in words and cited.
 *
 * Text from outside the problem (a file name, the problem's leading
 * comment) is escaped for TeX, never copied, and the language's Unicode
 * set as math. Each op has its LaTeX (sg_latex_op) and its local rule
 * (reverse mode), made from the rule table's entries (symbolic/rules.h);
 * the printer adds two rules of its own, a scaling sA (TEX_R_SCALE) and
 * ‖A‖² = ⟨A, A⟩ (TEX_R_SQNORM). A line cites the rules it used by number, in
 * order of first use, and each matrix identity its equation in The Matrix
 * Cookbook, which the references then list.
 */
#include "tex.h"

#include <math.h>
#include <string.h>

/* ---- text ------------------------------------------------------------------ */

/* an ASCII letter (a TeX command's name is made of them) */
int tex_is_alpha_c(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * Text from outside the problem (a file name) as TeX text: every byte that
 * means something to TeX is escaped, and what pdflatex without inputenc
 * options cannot set (control bytes, a newline among them, and anything
 * beyond ASCII) becomes '?', one per UTF-8 character. Nothing in s can end
 * the group, the comment or the line it is put in, or start a command.
 */
void sg_latex_escape(sg_buf *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned char c = *p++;
        switch (c) {
        case '\\': sg_buf_puts(out, "\\textbackslash{}"); break;
        case '{': case '}': case '$': case '&': case '#': case '_': case '%':
            sg_buf_putc(out, '\\');
            sg_buf_putc(out, (char)c);
            break;
        case '^': sg_buf_puts(out, "\\textasciicircum{}"); break;
        case '~': sg_buf_puts(out, "\\textasciitilde{}"); break;
        default:
            if (c >= 0xC2 && c <= 0xF4) { /* a UTF-8 lead byte: its continuation bytes too */
                int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
                while (more-- > 0 && (*p & 0xC0) == 0x80)
                    p++;
            }
            sg_buf_putc(out, c < 0x20 || c >= 0x7F ? '?' : (char)c);
            break;
        }
    }
}

/* the Unicode a problem's comments are written in, as TeX math: what the
   language itself spells (LANGUAGE.md) and the punctuation of prose */
static const char *const uni_tex[][2] = {
    {"α", "\\alpha"}, {"β", "\\beta"}, {"γ", "\\gamma"}, {"δ", "\\delta"},
    {"ε", "\\varepsilon"}, {"ϵ", "\\epsilon"}, {"ζ", "\\zeta"}, {"η", "\\eta"},
    {"θ", "\\theta"}, {"ϑ", "\\vartheta"}, {"ι", "\\iota"}, {"κ", "\\kappa"},
    {"λ", "\\lambda"}, {"μ", "\\mu"}, {"ν", "\\nu"}, {"ξ", "\\xi"}, {"ο", "o"}, {"π", "\\pi"},
    {"ρ", "\\rho"}, {"ϱ", "\\varrho"}, {"σ", "\\sigma"}, {"τ", "\\tau"}, {"υ", "\\upsilon"},
    {"φ", "\\varphi"}, {"ϕ", "\\phi"}, {"χ", "\\chi"}, {"ψ", "\\psi"}, {"ω", "\\omega"},
    {"Γ", "\\Gamma"}, {"Δ", "\\Delta"}, {"Θ", "\\Theta"}, {"Λ", "\\Lambda"}, {"Ξ", "\\Xi"},
    {"Π", "\\Pi"}, {"Σ", "\\Sigma"}, {"Υ", "\\Upsilon"}, {"Φ", "\\Phi"}, {"Ψ", "\\Psi"},
    {"Ω", "\\Omega"}, {"ᵀ", "^\\top"}, {"⁻", "^-"}, {"⁺", "^+"}, {"⁰", "^0"}, {"¹", "^1"},
    {"²", "^2"}, {"³", "^3"}, {"⁴", "^4"}, {"⁵", "^5"}, {"⁶", "^6"}, {"⁷", "^7"}, {"⁸", "^8"},
    {"⁹", "^9"}, {"₀", "_0"}, {"₁", "_1"}, {"₂", "_2"}, {"₃", "_3"}, {"₄", "_4"}, {"₅", "_5"},
    {"₆", "_6"}, {"₇", "_7"}, {"₈", "_8"}, {"₉", "_9"}, {"₊", "_+"}, {"−", "-"},
    {"×", "\\times"}, {"·", "\\cdot"}, {"⋅", "\\cdot"}, {"⊙", "\\odot"}, {"⊘", "\\oslash"},
    {"∘", "\\circ"}, {"⊗", "\\otimes"}, {"∈", "\\in"}, {"ℝ", "\\mathbb{R}"},
    {"𝕊", "\\mathbb{S}"}, {"𝟙", "\\mathbf{1}"}, {"‖", "\\|"}, {"⟨", "\\langle"},
    {"⟩", "\\rangle"}, {"½", "\\tfrac{1}{2}"}, {"∇", "\\nabla"}, {"∂", "\\partial"},
    {"∑", "\\sum"}, {"∏", "\\prod"}, {"√", "\\surd"}, {"≤", "\\le"}, {"≥", "\\ge"},
    {"≠", "\\ne"}, {"≈", "\\approx"}, {"→", "\\to"}, {"↦", "\\mapsto"}, {"∞", "\\infty"},
    {"ℓ", "\\ell"}, {"′", "'"}, {"…", "\\dots"}, {"⋯", "\\cdots"},
};

/* prose punctuation beyond ASCII, as TeX text */
static const char *const uni_text[][2] = {
    {"–", "--"}, {"—", "---"}, {"‘", "`"}, {"’", "'"}, {"“", "``"}, {"”", "''"},
    {"\xC2\xA0", "~"},
};

/*
 * A problem's prose (its leading comment) as TeX text: like
 * sg_latex_escape(), with what the language writes in Unicode (Wᵀ, β, ‖r‖²,
 * 𝟙, −) set as math, and |, <, > (which the default font sets as other
 * glyphs) too; any other character beyond ASCII is '?'. A long run with no
 * space may break after its punctuation.
 */
void sg_latex_text(sg_buf *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t i, n;
        int done = 0;
        if (*p == '|' || *p == '<' || *p == '>') {
            sg_buf_printf(out, "$%c$", (char)*p);
            p++;
            continue;
        }
        if (*p < 0x80) {
            char one[2];
            one[0] = *p == '\t' ? ' ' : (char)*p; /* a tab between words is a space */
            p++;
            one[1] = '\0';
            sg_latex_escape(out, one);
            /* a line may break after a , ; = / ] ) that no space follows:
               "x=[1,2];y=[3,4]" is one word to TeX, and would run off the
               page */
            if (strchr(",;=/])", one[0]) && *p && *p != ' ' && *p != '\t')
                sg_buf_puts(out, "\\allowbreak{}");
            continue;
        }
        for (i = 0; i < sizeof uni_tex / sizeof uni_tex[0] && !done; i++) {
            n = strlen(uni_tex[i][0]);
            if (!strncmp((const char *)p, uni_tex[i][0], n)) {
                sg_buf_printf(out, "$%s$", uni_tex[i][1]);
                p += n;
                done = 1;
            }
        }
        for (i = 0; i < sizeof uni_text / sizeof uni_text[0] && !done; i++) {
            n = strlen(uni_text[i][0]);
            if (!strncmp((const char *)p, uni_text[i][0], n)) {
                sg_buf_puts(out, uni_text[i][1]);
                p += n;
                done = 1;
            }
        }
        if (!done) { /* one '?' for the character (its continuation bytes too) */
            unsigned char c = *p++;
            if (c >= 0xC2 && c <= 0xF4) {
                int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
                while (more-- > 0 && (*p & 0xC0) == 0x80)
                    p++;
            }
            sg_buf_putc(out, '?');
        }
    }
}

/*
 * The leading comment of a problem's text: the comment lines before its
 * first statement (blank lines before them skipped), each without its '#'
 * and the blanks around it, joined by single spaces. A blank line, an empty
 * comment line or a statement ends it. Returns the bytes appended to out.
 */
size_t sg_latex_leading_comment(sg_buf *out, const char *text)
{
    const char *p = text;
    size_t start = out->len;
    int any = 0;
    while (p && *p) {
        const char *eol = strchr(p, '\n'), *q = p, *end;
        if (!eol)
            eol = p + strlen(p);
        while (q < eol && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\f' || *q == '\v'))
            q++;
        if (q == eol) { /* a blank line */
            if (any)
                break;
            p = *eol ? eol + 1 : eol;
            continue;
        }
        if (*q != '#')
            break;
        q++;
        end = eol;
        while (q < end && (*q == ' ' || *q == '\t'))
            q++;
        while (end > q && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
            end--;
        if (q == end) /* an empty comment line ends the paragraph */
            break;
        if (any)
            sg_buf_putc(out, ' ');
        sg_buf_putn(out, q, (size_t)(end - q));
        any = 1;
        p = *eol ? eol + 1 : eol;
    }
    return out->len - start;
}

/* text in a TeX comment: a newline (or any control byte) would end it, so
   those become '?', as does what is not ASCII; TeX reads nothing else of a
   comment */
void tex_comment_text(sg_buf *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    for (; *p; p++)
        sg_buf_putc(out, *p < 0x20 || *p >= 0x7F ? '?' : (char)*p);
}

static const char *const number_words[] = {"no", "one", "two", "three", "four", "five",
                                           "six", "seven", "eight", "nine", "ten"};

const char *tex_count_word(tex_doc *x, int n)
{
    if (n >= 0 && n < (int)(sizeof number_words / sizeof number_words[0]))
        return number_words[n];
    return sg_arena_printf(x->ar, "%d", n);
}

/* LaTeX that stands taller than a line: its parentheses grow with it */
int tex_tall(const char *s)
{
    return strstr(s, "\\frac{") || strstr(s, "\\sum") || strstr(s, "\\left(");
}

/* ---- ops and rules ------------------------------------------------------------ */

const char *sg_latex_op(sg_op op)
{
    static const char *const tex[SG_OP_COUNT] = {
        [SG_OP_VAR] = "X",                   [SG_OP_CONST] = "c",
        [SG_OP_DIMVAL] = "n",                [SG_OP_ZERO] = "0",
        [SG_OP_ONES] = "\\mathbf{1}",         [SG_OP_EYE] = "I",
        [SG_OP_ADD] = "+",                   [SG_OP_MUL] = "AB",
        [SG_OP_TRANSPOSE] = "^\\top",         [SG_OP_FILL] = "s\\mathbf{1}\\mathbf{1}^\\top",
        [SG_OP_SUM] = "\\operatorname{sum}",  [SG_OP_TRACE] = "\\operatorname{tr}",
        [SG_OP_DOT] = "\\langle\\cdot,\\cdot\\rangle", [SG_OP_DIAG] = "\\operatorname{diag}",
        [SG_OP_DIAGV] = "\\operatorname{diag}", [SG_OP_HADAMARD] = "\\odot",
        [SG_OP_HDIV] = "\\oslash",            [SG_OP_POW] = "^{\\circ p}",
        [SG_OP_EXP] = "\\exp",                [SG_OP_LOG] = "\\log",
        [SG_OP_SQRT] = "\\sqrt{\\cdot}",      [SG_OP_ABS] = "\\lvert\\cdot\\rvert",
        [SG_OP_SIN] = "\\sin",                [SG_OP_COS] = "\\cos",
        [SG_OP_TANH] = "\\tanh",              [SG_OP_SIGMOID] = "\\sigma",
        [SG_OP_RELU] = "\\operatorname{relu}", [SG_OP_SWISH] = "\\operatorname{swish}",
        [SG_OP_SOFTPLUS] = "\\operatorname{softplus}", [SG_OP_LOG1P] = "\\operatorname{log1p}",
        [SG_OP_EXPM1] = "\\operatorname{expm1}", [SG_OP_TAN] = "\\tan",
        [SG_OP_ARCSIN] = "\\arcsin",          [SG_OP_ARCCOS] = "\\arccos",
        [SG_OP_ARCTAN] = "\\arctan",          [SG_OP_SINH] = "\\sinh",
        [SG_OP_COSH] = "\\cosh",              [SG_OP_LOG2] = "\\log_2",
        [SG_OP_ERF] = "\\operatorname{erf}",  [SG_OP_SIGN] = "\\operatorname{sign}",
        [SG_OP_STEP] = "\\operatorname{step}", [SG_OP_NORM] = "\\lVert\\cdot\\rVert",
        [SG_OP_NORM1] = "\\lVert\\cdot\\rVert_{1}", [SG_OP_SOFTMAX] = "\\operatorname{softmax}",
        [SG_OP_LOGSOFTMAX] = "\\log\\operatorname{softmax}",
        [SG_OP_LOGSUMEXP] = "\\operatorname{logsumexp}",
        [SG_OP_INV] = "^{-1}",                [SG_OP_DET] = "\\det",
        [SG_OP_LOGDET] = "\\log\\lvert\\cdot\\rvert", [SG_OP_SEQSTEP] = "h_{t}",
        [SG_OP_AT] = "h_{k}",                 [SG_OP_SEQSUM] = "\\sum_{t}",
        [SG_OP_KRON] = "\\otimes",           [SG_OP_VEC] = "\\operatorname{vec}",
        [SG_OP_COMMUTE] = "K",
    };
    return (int)op >= 0 && op < SG_OP_COUNT && tex[op] ? tex[op] : NULL;
}

#define TO " \\;\\Rightarrow\\; "
#define YB "\\bar Y"

/* what a leaf is to the backward pass: no rule of the table, a sentence */
static const char *const leaves[SG_OP_COUNT] = {
    [SG_OP_VAR] = "X \\text{ an input:}\\quad \\nabla_X L = \\bar X, \\text{ summed over its paths}",
    [SG_OP_CONST] = "c \\text{ a number: nothing to propagate}",
    [SG_OP_DIMVAL] = "n \\text{ a dimension: a number}",
    [SG_OP_ZERO] = "0 \\text{: nothing to propagate}",
    [SG_OP_ONES] = "\\mathbf{1} \\text{: nothing to propagate}",
    [SG_OP_EYE] = "I \\text{: nothing to propagate}",
    /* made by Jacobians only, which nothing differentiates again */
    [SG_OP_KRON] = "A \\otimes B \\text{, a Jacobian's factor: nothing to propagate}",
    [SG_OP_VEC] = "\\operatorname{vec}(A) \\text{, a Jacobian's factor: nothing to propagate}",
    [SG_OP_COMMUTE] = "K \\text{, the commutation matrix: nothing to propagate}",
};

/* what a course adds to a rule: the scalar derivative of an elementwise
   function, and that softmax's rule acts column by column */
static const char *const remark[SG_OP_COUNT] = {
    [SG_OP_EXP] = ",\\quad \\exp'(z) = \\exp(z)",
    [SG_OP_LOG] = ",\\quad \\log'(z) = 1/z",
    [SG_OP_SQRT] = ",\\quad (\\sqrt{z})' = \\frac{1}{2\\sqrt{z}}",
    [SG_OP_ABS] = ",\\quad \\lvert z\\rvert' = \\operatorname{sign}(z)",
    [SG_OP_SIN] = ",\\quad \\sin'(z) = \\cos(z)",
    [SG_OP_COS] = ",\\quad \\cos'(z) = -\\sin(z)",
    [SG_OP_TANH] = ",\\quad \\tanh'(z) = 1 - \\tanh^2(z)",
    [SG_OP_SIGMOID] = ",\\quad \\sigma'(z) = \\sigma(z)(1 - \\sigma(z))",
    [SG_OP_RELU] = ",\\quad \\operatorname{relu}'(z) = [z > 0]",
    [SG_OP_SWISH] = ",\\quad \\operatorname{swish}'(z) = \\sigma(z) + z\\sigma(z)(1 - \\sigma(z))",
    [SG_OP_SOFTPLUS] = ",\\quad \\operatorname{softplus}'(z) = \\sigma(z)",
    [SG_OP_TAN] = ",\\quad \\tan'(z) = 1 + \\tan^2(z)",
    [SG_OP_ARCSIN] = ",\\quad \\arcsin'(z) = \\frac{1}{\\sqrt{1 - z^2}}",
    [SG_OP_ARCCOS] = ",\\quad \\arccos'(z) = -\\frac{1}{\\sqrt{1 - z^2}}",
    [SG_OP_ARCTAN] = ",\\quad \\arctan'(z) = \\frac{1}{1 + z^2}",
    [SG_OP_SINH] = ",\\quad \\sinh'(z) = \\cosh(z)",
    [SG_OP_COSH] = ",\\quad \\cosh'(z) = \\sinh(z)",
    [SG_OP_LOG2] = ",\\quad \\log_2'(z) = \\frac{1}{z \\ln 2}",
    [SG_OP_ERF] = ",\\quad \\operatorname{erf}'(z) = \\tfrac{2}{\\sqrt{\\pi}} e^{-z^2}",
    [SG_OP_SIGN] = " \\text{ (taken as 0 at the jump)}",
    [SG_OP_STEP] = " \\text{ (taken as 0 at the jump)}",
    [SG_OP_SOFTMAX] = " \\text{ (per column)}",
};

/*
 * The local rule r (an op, TEX_R_SCALE or TEX_R_SQNORM) in the adjoint notation
 * \bar Y = ∂L/∂Y, from the rule table's entries (symbolic/rules.c), the
 * ones diff.c applied: their common left side, then each kid's part, with
 * = for the table's += (a line shows a contribution), and the remark a
 * course adds. Into out; 0 when r has no rule.
 */
static int rule_tex_into(sg_buf *out, int r)
{
    static const char to[] = " \\;\\Rightarrow\\; ", pe[] = " \\mathrel{+}= ";
    int id, n = 0;
    if (r >= 0 && r < SG_OP_COUNT && leaves[r]) {
        sg_buf_puts(out, leaves[r]);
        return 1;
    }
    if (r == SG_OP_SEQSUM || r == SG_OP_SEQSTEP || r == SG_OP_AT) { /* through time */
        sg_buf_puts(out, sg_rule_get(r == SG_OP_SEQSUM    ? SG_RULE_SEQ_SUM
                                     : r == SG_OP_SEQSTEP ? SG_RULE_SEQ_REC
                                                          : SG_RULE_SEQ_TERM_AT)->tex);
        return 1;
    }
    for (id = SG_RULE_NONE + 1; id < SG_RULE_COUNT; id++) {
        const sg_rule *e = sg_rule_get((sg_rule_id)id);
        const char *arrow, *plus;
        int mine;
        if (!e || e->kind != SG_RULE_REVERSE)
            continue;
        if (r == TEX_R_SCALE)
            mine = id == SG_RULE_SCALE_S || id == SG_RULE_SCALE_A;
        else if (r == TEX_R_SQNORM)
            mine = id == SG_RULE_SQNORM;
        else
            mine = (int)e->op == r && id != SG_RULE_SCALE_S && id != SG_RULE_SCALE_A &&
                   id != SG_RULE_SQNORM;
        if (!mine || !(arrow = strstr(e->tex, to)))
            continue;
        if (n++ == 0)
            sg_buf_putn(out, e->tex, (size_t)(arrow - e->tex) + strlen(to));
        else
            sg_buf_puts(out, ",\\ ");
        arrow += strlen(to);
        if ((plus = strstr(arrow, pe)) != NULL) {
            sg_buf_putn(out, arrow, (size_t)(plus - arrow));
            sg_buf_puts(out, " = ");
            sg_buf_puts(out, plus + strlen(pe));
        } else {
            sg_buf_puts(out, arrow);
        }
    }
    if (n && r < SG_OP_COUNT && remark[r])
        sg_buf_puts(out, remark[r]);
    return n > 0;
}

/* the same in the document's arena, made once per rule */
const char *tex_rule_tex(tex_doc *x, int r)
{
    if (!x->rtex[r]) {
        sg_buf b;
        sg_buf_init(&b);
        x->rtex[r] = rule_tex_into(&b, r) ? sg_arena_strdup(x->ar, sg_buf_str(&b)) : "";
        sg_buf_free(&b);
    }
    return x->rtex[r];
}

int sg_latex_rule(sg_buf *out, sg_op op)
{
    return (int)op >= 0 && op < SG_OP_COUNT && rule_tex_into(out, op);
}

/* cites rule r: its number in the list of rules used */
int tex_cite(tex_doc *x, int r)
{
    if (!x->cite[r]) {
        x->cited[x->ncited++] = r;
        x->cite[r] = x->ncited;
    }
    return x->cite[r];
}

/* the rule a log step used */
int tex_rule_of(const sg_expr *node, int merged)
{
    if (merged)
        return TEX_R_SQNORM;
    if (node->op == SG_OP_MUL && sg_shape_is_scalar(node->kid[0]->shape))
        return TEX_R_SCALE;
    return node->op;
}

/* ---- the Matrix Cookbook ------------------------------------------------------------ */

/* The Matrix Cookbook's equation for the identity of the printer's rule r
   (an op, TEX_R_SCALE or TEX_R_SQNORM): the rule table's entry for that op */
const char *tex_cookbook_of(int r)
{
    int id;
    if (r == TEX_R_SCALE)
        return sg_rule_get(SG_RULE_SCALE_A)->cookbook;
    if (r == TEX_R_SQNORM)
        return sg_rule_get(SG_RULE_SQNORM)->cookbook;
    for (id = SG_RULE_NONE + 1; id < SG_RULE_COUNT; id++) {
        const sg_rule *e = sg_rule_get((sg_rule_id)id);
        if (e && e->kind == SG_RULE_REVERSE && (int)e->op == r && e->cookbook)
            return e->cookbook;
    }
    return NULL;
}

/* the tag of a rule in a list of rules: "(R4)", with its Cookbook equation
   when it has one, "Cookbook (37)\quad (R4)" */
const char *tex_rule_tag(tex_doc *x, const char *cookbook, const char *label)
{
    if (!cookbook)
        return label;
    x->cookbook = 1;
    return sg_arena_printf(x->ar, "\\textrm{Cookbook %s}\\quad %s", cookbook, label);
}

/* the bibliography, when a Cookbook equation was cited */
void tex_doc_references(tex_doc *x)
{
    if (!x->cookbook)
        return;
    sg_buf_puts(x->out, "\\subsection*{References}\n"
                        "K.~B. Petersen and M.~S. Pedersen, \\emph{The Matrix Cookbook}, version of "
                        "November 15, 2012. ``Cookbook ($n$)'' at a rule cites its equation "
                        "($n$).\n\n");
}

/* "K = XXᵀ + βI is symmetric", "S is declared symmetric": why a is */
