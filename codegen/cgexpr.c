/*
 * cgexpr.c: C expressions.
 *
 * An expression is built as text with its precedence (cg_cx), so that it is
 * parenthesized only where C needs it. A non-scalar node's entry x (cg_ix: a
 * flat index, or a row and a column) is read from memory when the node is
 * stored, else computed from its operands' entries (fused); a scalar node's
 * value is its local, or its expression. Sequences in C: a step of a stored
 * sequence is read through a pointer into its buffer (h_prev = h + (t −
 * 1)*n) named once per loop, and a fixed step (h[T]) at its offset.
 *
 * The Kronecker structure of matrix Jacobians is indices, not arithmetic:
 * entry (i, j) of A ⊗ B reads A at (i/r, j/s) and B at (i%r, j%s), an
 * identity factor is a test on the indices, vec(A) reads A's k-th entry,
 * and a product with the commutation matrix K reads its other factor at a
 * permuted row or column. None of them is formed.
 */
#include "cg.h"
#include <ctype.h>

static cg_cx mkcx(const char *s, int p)
{
    cg_cx c;
    c.s = s;
    c.p = p;
    return c;
}

const char *cg_par(cg_state *g, cg_cx c, int min)
{
    return c.p < min ? cg_fmt(g, "(%s)", c.s) : c.s;
}

cg_cx cg_bin(cg_state *g, cg_cx a, const char *op, cg_cx b, int p)
{
    return mkcx(cg_fmt(g, "%s %s %s", cg_par(g, a, p), op, cg_par(g, b, p + 1)), p);
}

cg_cx cg_neg(cg_state *g, cg_cx a)
{
    const char *s = cg_par(g, a, C_UNARY);
    return mkcx(s[0] == '-' ? cg_fmt(g, "-(%s)", s) : cg_fmt(g, "-%s", s), C_UNARY);
}

cg_cx cg_call(cg_state *g, const char *fn, cg_cx a)
{
    return mkcx(cg_fmt(g, "%s(%s)", fn, a.s), C_ATOM);
}

/* a math.h function: exp, or expf for float */
const char *cg_mathfn(cg_state *g, const char *fn)
{
    return cg_fmt(g, "%s%s", fn, g->fsuf);
}

/* the shortest decimal that reads back as v (in the output's precision) */
static const char *lit_text(cg_state *g, double v)
{
    char s[48];
    int prec;
    if (isnan(v))
        return "NAN";
    if (isinf(v))
        return g->o->use_float ? "HUGE_VALF" : "HUGE_VAL";
    for (prec = 1; prec <= 17; prec++) {
        snprintf(s, sizeof s, "%.*g", prec, v);
        if (g->o->use_float ? (float)strtod(s, NULL) == (float)v : strtod(s, NULL) == v)
            break;
    }
    /* 10.0, not 1e+01: more digits when they avoid the exponent */
    if (strchr(s, 'e') && fabs(v) >= 1 && fabs(v) < 1e16) {
        char t[48];
        snprintf(t, sizeof t, "%.17g", v);
        if (!strchr(t, 'e')) {
            for (; prec <= 17; prec++) {
                snprintf(s, sizeof s, "%.*g", prec, v);
                if (!strchr(s, 'e'))
                    break;
            }
        }
    }
    if (!strpbrk(s, ".e"))
        strcat(s, ".0");
    return cg_fmt(g, "%s%s", s, g->fsuf);
}

cg_cx cg_lit(cg_state *g, double v)
{
    if (v < 0 && !isnan(v))
        return mkcx(cg_fmt(g, "-%s", lit_text(g, -v)), C_UNARY);
    return mkcx(lit_text(g, v), C_ATOM);
}

const char *cg_dim_c(cg_state *g, sg_dim d, unsigned char *used)
{
    const sg_diminfo *di = sg_dim_get(g->ctx, d);
    if (di->factor[0] >= 0) /* the length of a matrix's vec */
        return cg_fmt(g, "(%s*%s)", cg_dim_c(g, di->factor[0], used),
                      cg_dim_c(g, di->factor[1], used));
    if (!di->name)
        return cg_fmt(g, "%ld", di->value);
    if (used)
        used[d] = 1;
    return g->dimname[d];
}

const char *cg_dim(cg_state *g, sg_dim d)
{
    return cg_dim_c(g, d, g->dimused);
}

/* the number of entries of a shape, as a C expression: m*n, n, 3*n */
const char *cg_len_c(cg_state *g, sg_shape s)
{
    const sg_diminfo *r = sg_dim_get(g->ctx, s.rows), *c = sg_dim_get(g->ctx, s.cols);
    if (r->value && c->value) /* two numbers */
        return cg_fmt(g, "%ld", r->value * c->value);
    if (cg_is_one(s.rows) || cg_is_one(s.cols))
        return cg_dim(g, cg_is_one(s.rows) ? s.cols : s.rows);
    return cg_fmt(g, "%s*%s", cg_dim(g, s.rows), cg_dim(g, s.cols));
}

cg_ix cg_mkix(int flat, const char *i, const char *j)
{
    cg_ix x;
    x.flat = flat;
    x.i = i;
    x.j = j;
    return x;
}

cg_ix cg_swap(cg_ix x)
{
    return x.flat ? x : cg_mkix(0, x.j, x.i);
}

/* ---- sequences in C ---- */

/* (t) + a − b as C: "t - 1", "T", "T - 1", "0" */
const char *cg_lin_c(cg_state *g, int t, sg_index a, sg_index b)
{
    sg_buf s;
    const char *r;
    long c = a.off - b.off;
    int da = a.dim >= 0, db = b.dim >= 0;
    if (da && db && a.dim == b.dim)
        da = db = 0;
    sg_buf_init(&s);
    if (t)
        sg_buf_putc(&s, 't');
    if (da)
        sg_buf_printf(&s, "%s%s", s.len ? " + " : "", cg_dim(g, a.dim));
    if (db)
        sg_buf_printf(&s, "%s%s", s.len ? " - " : "-", cg_dim(g, b.dim));
    if (c != 0 || !s.len) {
        if (!s.len)
            sg_buf_printf(&s, "%ld", c);
        else
            sg_buf_printf(&s, " %c %ld", c < 0 ? '-' : '+', c < 0 ? -c : c);
    }
    r = sg_arena_strdup(g->ar, sg_buf_str(&s));
    sg_buf_free(&s);
    return r;
}

/* a step index k as an offset into a buffer of steps of shape sh: k*n, (t - 1)*n;
   NULL for 0 */
const char *cg_scaled(cg_state *g, const char *k, sg_shape sh)
{
    const char *len = cg_len_c(g, sh);
    if (!strcmp(k, "0"))
        return NULL;
    if (!strcmp(len, "1"))
        return k;
    if (!strchr(k, ' ') && k[0] != '-')
        return cg_fmt(g, "%s*%s", k, len);
    return cg_fmt(g, "(%s)*%s", k, len);
}

/* the step sequence q's array starts at: an input's first; lo − 1 for the
   others, even a per-step sequence (its first step is lo: one step is left
   unused, so that a group's steps all start at one t and its adjoint's
   loop may clear δ[lo − 1] in bounds) */
sg_index cg_seq_origin(cg_state *g, int q)
{
    const sg_seq *sq = sg_seq_get(g->ctx, q);
    if (sq->kind == SG_SEQ_BACKWARD && sq->of >= 0)
        sq = sg_seq_get(g->ctx, sq->of);
    return sq->kind == SG_SEQ_INPUT ? sq->lo : sg_index_plus(sq->lo, -1);
}

/* the C name of sequence q's steps: the input, or its buffer */
const char *cg_seq_base(cg_state *g, int q)
{
    const sg_seq *sq = sg_seq_get(g->ctx, q);
    if (sq->kind == SG_SEQ_INPUT) {
        g->symused[sq->sym] = 1;
        return g->symname[sq->sym];
    }
    return g->seqbuf[q];
}

/* the pointer to step t + off of sequence q in a loop: x_t, h_prev, dh_next */
cg_stepname *cg_step_ptr(cg_state *g, int q, long off)
{
    const char *base = cg_seq_base(g, q), *name;
    int i;
    for (i = 0; i < g->nsteps; i++)
        if (g->steps[i].seq == q && g->steps[i].off == off)
            return &g->steps[i];
    if (off == 0)
        name = cg_fmt(g, "%s_t", base);
    else if (off == -1 || off == 1)
        name = cg_fmt(g, "%s_%s", base, off < 0 ? "prev" : "next");
    else
        name = cg_fmt(g, "%s_t%c%ld", base, off < 0 ? 'm' : 'p', off < 0 ? -off : off);
    SG_GROW(g->steps, g->nsteps, g->capsteps, SG_GROW_MAX, "pointers to sequence steps");
    g->steps[g->nsteps].seq = q;
    g->steps[g->nsteps].off = off;
    g->steps[g->nsteps].name = cg_claim(g, name);
    g->steps[g->nsteps].used = 0;
    g->steps[g->nsteps].made = 0;
    return &g->steps[g->nsteps++];
}

/* can step t + off of q be pointed at for every t of the loop? (a pointer
   may not even be formed outside its buffer, one past its end aside) */
static int ptr_ok(cg_state *g, const cg_loop *lp, int q, long off)
{
    const sg_seq *sq = sg_seq_get(g->ctx, q);
    return sg_index_provably_le(cg_seq_origin(g, q), sg_index_plus(lp->lo, off)) &&
           sg_index_provably_le(sg_index_plus(lp->hi, off), sg_index_plus(sq->hi, 1));
}

/* where a stored node's entries are: *base, from entry *off (NULL: 0) on */
void cg_stored_at(cg_state *g, const sg_expr *e, const char **base, const char **off)
{
    cg_node *n = cg_rec(g, e);
    *off = NULL;
    if (n->plan == PL_INPUT) {
        g->symused[e->sym] = 1;
        *base = g->symname[e->sym];
    } else if (n->plan == PL_AT) {
        *base = cg_seq_base(g, e->seq);
        *off = cg_scaled(g, cg_lin_c(g, 0, e->at, cg_seq_origin(g, e->seq)), e->shape);
    } else if (n->plan == PL_STEP) {
        const cg_loop *lp = &g->loops[g->sc->loop];
        if (ptr_ok(g, lp, e->seq, e->off)) {
            cg_stepname *sp = cg_step_ptr(g, e->seq, e->off);
            sp->used = 1;
            *base = sp->name;
        } else { /* indexed from the start at every use */
            *base = cg_seq_base(g, e->seq);
            *off = cg_scaled(
                g, cg_lin_c(g, 1, sg_index_make(-1, e->off), cg_seq_origin(g, e->seq)),
                e->shape);
        }
    } else {
        *base = n->cname;
    }
}

/* entry x of a row-major array of shape s that starts at entry off of base */
cg_cx cg_entry(cg_state *g, const char *base, const char *off, sg_shape s, cg_ix x)
{
    const char *idx;
    if (x.flat)
        idx = x.i;
    else if (cg_is_one(s.rows) && cg_is_one(s.cols))
        idx = "0";
    else if (cg_is_one(s.cols))
        idx = x.i;
    else if (cg_is_one(s.rows))
        idx = x.j;
    else if (!strcmp(x.i, "0"))
        idx = x.j;
    else if (!strcmp(x.j, "0"))
        idx = cg_fmt(g, "%s*%s", x.i, cg_dim_c(g, s.cols, g->dimused));
    else
        idx = cg_fmt(g, "%s*%s + %s", x.i, cg_dim_c(g, s.cols, g->dimused), x.j);
    if (off)
        idx = strcmp(idx, "0") ? cg_fmt(g, "%s + %s", off, idx) : off;
    return mkcx(cg_fmt(g, "%s[%s]", base, idx), C_ATOM);
}

/* the entry x of a node that lives in memory */
cg_cx cg_read_stored(cg_state *g, const sg_expr *e, cg_ix x)
{
    const char *base, *off;
    if (cg_rec(g, e)->rowvar) /* entry i, in its sweep's loop */
        return mkcx(cg_rec(g, e)->cname, C_ATOM);
    cg_stored_at(g, e, &base, &off);
    return cg_entry(g, base, off, e->shape, x);
}

/* a ref's entry, through the transpose it was read with */
static cg_cx ref_elem(cg_state *g, const cg_ref *r, cg_ix x)
{
    return cg_elem(g, r->e, r->trans ? cg_swap(x) : x);
}

/* entry k of a vector-like ref (a column or a row) */
cg_cx cg_vec_elem(cg_state *g, const cg_ref *r, const char *k)
{
    int col = r->trans ? cg_is_one(r->e->shape.rows) : cg_is_one(r->e->shape.cols);
    return ref_elem(g, r, col ? cg_mkix(0, k, "0") : cg_mkix(0, "0", k));
}

/* c·x with c < 0 not stored: x is what to subtract (scaled by −c) */
static int negated(cg_state *g, const sg_expr *e, double *c, const sg_expr **x)
{
    cg_node *n = cg_rec(g, e);
    if (n->mat || n->local)
        return 0;
    if (e->op == SG_OP_CONST && e->value < 0) {
        *c = -e->value;
        *x = NULL;
        return 1;
    }
    if (e->op == SG_OP_MUL && e->kid[0]->op == SG_OP_CONST && e->kid[0]->value < 0 &&
        (n->plan == PL_SEXPR || (n->plan == PL_EW && n->var == EW_SCALE))) {
        *c = -e->kid[0]->value;
        *x = e->kid[1];
        return 1;
    }
    return 0;
}

static int simple(cg_cx c)
{
    return c.p == C_ATOM && !strchr(c.s, '(');
}

static cg_cx power(cg_state *g, cg_cx a, const sg_expr *p)
{
    if (p->op == SG_OP_CONST) {
        double v = p->value;
        if (v == 1)
            return a;
        if (v == 2 && simple(a))
            return cg_bin(g, a, "*", a, C_MUL);
        if (v == 3 && simple(a))
            return cg_bin(g, cg_bin(g, a, "*", a, C_MUL), "*", a, C_MUL);
        if (v == -1)
            return cg_bin(g, cg_lit(g, 1), "/", a, C_MUL);
        if (v == -2 && simple(a))
            return cg_bin(g, cg_lit(g, 1), "/", cg_bin(g, a, "*", a, C_MUL), C_MUL);
        if (v == 0.5)
            return cg_call(g, cg_mathfn(g, "sqrt"), a);
        if (v == -0.5)
            return cg_bin(g, cg_lit(g, 1), "/", cg_call(g, cg_mathfn(g, "sqrt"), a), C_MUL);
    }
    return mkcx(cg_fmt(g, "%s(%s, %s)", cg_mathfn(g, "pow"), a.s, cg_sval(g, p).s), C_ATOM);
}

static cg_cx unary(cg_state *g, sg_op op, cg_cx a)
{
    switch (op) {
    case SG_OP_EXP: return cg_call(g, cg_mathfn(g, "exp"), a);
    case SG_OP_LOG: return cg_call(g, cg_mathfn(g, "log"), a);
    case SG_OP_SQRT: return cg_call(g, cg_mathfn(g, "sqrt"), a);
    case SG_OP_ABS: return cg_call(g, cg_mathfn(g, "fabs"), a);
    case SG_OP_SIN: return cg_call(g, cg_mathfn(g, "sin"), a);
    case SG_OP_COS: return cg_call(g, cg_mathfn(g, "cos"), a);
    case SG_OP_TANH: return cg_call(g, cg_mathfn(g, "tanh"), a);
    case SG_OP_LOG1P: return cg_call(g, cg_mathfn(g, "log1p"), a);
    case SG_OP_EXPM1: return cg_call(g, cg_mathfn(g, "expm1"), a);
    case SG_OP_TAN: return cg_call(g, cg_mathfn(g, "tan"), a);
    case SG_OP_ARCSIN: return cg_call(g, cg_mathfn(g, "asin"), a);
    case SG_OP_ARCCOS: return cg_call(g, cg_mathfn(g, "acos"), a);
    case SG_OP_ARCTAN: return cg_call(g, cg_mathfn(g, "atan"), a);
    case SG_OP_SINH: return cg_call(g, cg_mathfn(g, "sinh"), a);
    case SG_OP_COSH: return cg_call(g, cg_mathfn(g, "cosh"), a);
    case SG_OP_LOG2: return cg_call(g, cg_mathfn(g, "log2"), a);
    case SG_OP_ERF: return cg_call(g, cg_mathfn(g, "erf"), a);
    case SG_OP_SIGMOID: cg_use_kernel(g, K_SIGMOID); return cg_call(g, "sg_sigmoid", a);
    case SG_OP_SWISH: cg_use_kernel(g, K_SWISH); return cg_call(g, "sg_swish", a);
    case SG_OP_SOFTPLUS: cg_use_kernel(g, K_SOFTPLUS); return cg_call(g, "sg_softplus", a);
    case SG_OP_RELU: cg_use_kernel(g, K_RELU); return cg_call(g, "sg_relu", a);
    case SG_OP_STEP: cg_use_kernel(g, K_STEP); return cg_call(g, "sg_step", a);
    case SG_OP_SIGN: cg_use_kernel(g, K_SIGN); return cg_call(g, "sg_sign", a);
    default:
        assert(!"not an elementwise function");
        return a;
    }
}

/* a + b, or a − |c|x when b is a negated term */
static cg_cx add_terms(cg_state *g, cg_cx a, const sg_expr *b,
                       cg_cx (*get)(cg_state *, const sg_expr *, cg_ix), cg_ix x)
{
    double c;
    const sg_expr *t;
    if (negated(g, b, &c, &t)) {
        cg_cx rhs = t ? get(g, t, x) : cg_lit(g, c);
        if (t && c != 1)
            rhs = cg_bin(g, cg_lit(g, c), "*", rhs, C_MUL);
        return cg_bin(g, a, "-", rhs, C_ADD);
    }
    return cg_bin(g, a, "+", get(g, b, x), C_ADD);
}

static cg_cx elem_x(cg_state *g, const sg_expr *e, cg_ix x)
{
    return cg_elem(g, e, x);
}

static cg_cx sval_x(cg_state *g, const sg_expr *e, cg_ix x)
{
    (void)x;
    return cg_sval(g, e);
}

/* the value of a scalar node: its local, or its expression */
cg_cx cg_sval(cg_state *g, const sg_expr *e)
{
    if (cg_rec(g, e)->local)
        return mkcx(cg_rec(g, e)->cname, C_ATOM);
    return cg_sval_def(g, e);
}

/* the expression that computes a scalar node */
cg_cx cg_sval_def(cg_state *g, const sg_expr *e)
{
    cg_node *n = cg_rec(g, e);
    const sg_expr *a = e->nkids ? e->kid[0] : NULL, *b = e->nkids > 1 ? e->kid[1] : NULL;
    cg_ix none = cg_mkix(1, "0", "0");
    switch (e->op) {
    case SG_OP_CONST:
        return cg_lit(g, e->value);
    case SG_OP_DIMVAL:
        return mkcx(cg_fmt(g, "(%s)%s", g->real, cg_dim_c(g, e->dim, g->dimused)), C_UNARY);
    case SG_OP_VAR:
        g->symused[e->sym] = 1;
        return mkcx(g->symname[e->sym], C_ATOM);
    case SG_OP_ZERO:
        return cg_lit(g, 0);
    case SG_OP_ONES: case SG_OP_EYE:
        return cg_lit(g, 1);
    default:
        break;
    }
    if (n->plan == PL_AT || n->plan == PL_STEP) /* one step of a scalar sequence */
        return cg_read_stored(g, e, cg_mkix(1, "0", "0"));
    assert(n->plan == PL_SEXPR);
    if (n->var == EW_SCALEDIV) /* (1/s) b */
        return cg_bin(g, cg_sval(g, n->r[1].e), "/", cg_sval(g, n->r[0].e), C_MUL);
    switch (e->op) {
    case SG_OP_ADD:
        return add_terms(g, cg_sval(g, a), b, sval_x, none);
    case SG_OP_MUL: case SG_OP_HADAMARD: case SG_OP_DOT:
        if (a->op == SG_OP_CONST && a->value == -1)
            return cg_neg(g, cg_sval(g, b));
        return cg_bin(g, cg_sval(g, a), "*", cg_sval(g, b), C_MUL);
    case SG_OP_HDIV:
        return cg_bin(g, cg_sval(g, a), "/", cg_sval(g, b), C_MUL);
    case SG_OP_POW:
        return power(g, cg_sval(g, a), b);
    case SG_OP_TRANSPOSE: case SG_OP_FILL: case SG_OP_SUM: case SG_OP_TRACE: case SG_OP_DIAG:
    case SG_OP_DIAGV: case SG_OP_LOGSUMEXP: case SG_OP_DET:
        return cg_sval(g, a);
    case SG_OP_NORM: case SG_OP_NORM1:
        return cg_call(g, cg_mathfn(g, "fabs"), cg_sval(g, a));
    case SG_OP_SOFTMAX:
        return cg_lit(g, 1);
    case SG_OP_LOGSOFTMAX:
        return cg_lit(g, 0);
    case SG_OP_INV:
        return cg_bin(g, cg_lit(g, 1), "/", cg_sval(g, a), C_MUL);
    case SG_OP_LOGDET:
        return cg_call(g, cg_mathfn(g, "log"), cg_call(g, cg_mathfn(g, "fabs"), cg_sval(g, a)));
    default:
        return unary(g, e->op, cg_sval(g, a));
    }
}

/* entry x of I */
cg_cx cg_eye_elem(cg_state *g, cg_ix x)
{
    if (!strcmp(x.i, x.j)) /* read on the diagonal, as by tr or diag */
        return cg_lit(g, 1);
    return mkcx(cg_fmt(g, "(%s == %s ? %s : %s)", x.i, x.j, cg_lit(g, 1).s, cg_lit(g, 0).s),
                C_ATOM);
}

/* "i/n" of an index and a dimension (the index in parentheses unless a name
   or in parentheses already) */
static const char *idx_op(cg_state *g, const char *i, const char *op, const char *n)
{
    size_t k;
    int depth = 0, atom = 1;
    for (k = 0; i[k] && atom; k++) {
        depth += (i[k] == '(') - (i[k] == ')');
        atom = i[0] == '(' ? depth > 0 || !i[k + 1] : isalnum((unsigned char)i[k]) || i[k] == '_';
    }
    return cg_fmt(g, atom ? "%s%s%s" : "(%s)%s%s", i, op, n);
}

/*
 * Entry (i, j) of A ⊗ B, B r×s: A's (i/r, j/s) times B's (i%r, j%s). An
 * identity factor is a test, not a product: (A ⊗ I) is A's entry where
 * i%r == j%s and 0 elsewhere, so (B + Bᵀ) ⊗ I is written from B + Bᵀ alone.
 */
static cg_cx kron_elem(cg_state *g, const sg_expr *e, cg_ix x)
{
    const sg_expr *a = e->kid[0], *b = e->kid[1];
    const char *r = cg_dim(g, b->shape.rows), *s = cg_dim(g, b->shape.cols);
    int r1 = cg_is_one(b->shape.rows), s1 = cg_is_one(b->shape.cols); /* b a vector */
    cg_ix ia = cg_mkix(0, r1 ? x.i : idx_op(g, x.i, "/", r), s1 ? x.j : idx_op(g, x.j, "/", s));
    cg_ix ib = cg_mkix(0, r1 ? "0" : idx_op(g, x.i, "%", r), s1 ? "0" : idx_op(g, x.j, "%", s));
    if (a->op == SG_OP_EYE || b->op == SG_OP_EYE) {
        cg_ix t = a->op == SG_OP_EYE ? ia : ib; /* the identity's entry: the test */
        cg_cx v = a->op == SG_OP_EYE ? cg_elem(g, b, ib) : cg_elem(g, a, ia);
        return mkcx(cg_fmt(g, "(%s == %s ? %s : %s)", t.i, t.j, v.s, cg_lit(g, 0).s), C_ATOM);
    }
    return cg_bin(g, cg_elem(g, a, ia), "*", cg_elem(g, b, ib), C_MUL);
}

/*
 * Entry x of K_{m,n} M (rows) or M K_{m,n} (not rows), K a permutation: row r
 * of K M is row (r%m)·n + r/m of M, column c of M K is column (c%n)·m + c/n.
 */
static cg_cx permuted_elem(cg_state *g, const sg_expr *K, const sg_expr *M, cg_ix x, int rows)
{
    const char *m = cg_dim(g, K->dim), *n = cg_dim(g, (sg_dim)K->off);
    const char *k = rows ? x.i : x.j, *p;
    p = rows ? cg_fmt(g, "(%s*%s + %s)", idx_op(g, k, "%", m), n, idx_op(g, k, "/", m))
             : cg_fmt(g, "(%s*%s + %s)", idx_op(g, k, "%", n), m, idx_op(g, k, "/", n));
    return cg_elem(g, M, rows ? cg_mkix(0, p, x.j) : cg_mkix(0, x.i, p));
}

/* the entry x of a non-scalar node, computed from its refs (not read from its buffer) */
/* does cg_elem() write e as its own sum, a + b, in place (not read, not a scalar,
   not one of elem_def's special forms)? */
static int inline_add(cg_state *g, const sg_expr *e)
{
    if (e->op != SG_OP_ADD || cg_scalar(e) || cg_stored(g, e))
        return 0;
    switch (cg_rec(g, e)->var) {
    case EW_SCALE: case EW_SCALEDIV: case EW_OUTER: case EW_ROWSCALE: case EW_COLSCALE:
    case EW_IDENT: case EW_ZERO: case EW_PERMROWS: case EW_PERMCOLS:
        return 0;
    default:
        return 1;
    }
}

/*
 * a + b + c + …, a left-deep chain of sums written in place, in one buffer.
 * Term by term (add_terms(), cg_bin()) each prefix would be a new string: a sum
 * of 10,000 terms made 10,000 prefixes, gigabytes. The text is the same.
 */
static cg_cx add_chain(cg_state *g, const sg_expr *e, cg_ix x)
{
    const sg_expr **spine = NULL, *cur = e;
    int n = 0, cap = 0, k;
    sg_buf b;
    cg_cx acc;
    for (;;) {
        SG_GROW(spine, n, cap, SG_GROW_MAX, "terms in one sum");
        spine[n++] = cur;
        if (!inline_add(g, cur->kid[0]))
            break;
        cur = cur->kid[0];
    }
    acc = cg_elem(g, cur->kid[0], x);
    if (n == 1) {
        free((void *)spine);
        return add_terms(g, acc, e->kid[1], elem_x, x);
    }
    sg_buf_init(&b);
    sg_buf_puts(&b, cg_par(g, acc, C_ADD));
    for (k = n - 1; k >= 0; k--) { /* as add_terms() */
        const sg_expr *bk = spine[k]->kid[1], *t;
        double c;
        if (negated(g, bk, &c, &t)) {
            cg_cx rhs = t ? cg_elem(g, t, x) : cg_lit(g, c);
            if (t && c != 1)
                rhs = cg_bin(g, cg_lit(g, c), "*", rhs, C_MUL);
            sg_buf_printf(&b, " - %s", cg_par(g, rhs, C_ADD + 1));
        } else {
            sg_buf_printf(&b, " + %s", cg_par(g, cg_elem(g, bk, x), C_ADD + 1));
        }
    }
    acc = mkcx(sg_arena_strdup(g->ar, sg_buf_str(&b)), C_ADD);
    sg_buf_free(&b);
    free((void *)spine);
    return acc;
}

cg_cx cg_elem_def(cg_state *g, const sg_expr *e, cg_ix x)
{
    cg_node *n = cg_rec(g, e);
    const sg_expr *a = e->nkids ? e->kid[0] : NULL, *b = e->nkids > 1 ? e->kid[1] : NULL;
    switch (n->var) {
    case EW_SCALE: {
        const sg_expr *s = cg_scalar(a) ? a : b, *m = cg_scalar(a) ? b : a;
        if (s->op == SG_OP_CONST && s->value == -1)
            return cg_neg(g, cg_elem(g, m, x));
        if (s == a)
            return cg_bin(g, cg_sval(g, s), "*", cg_elem(g, m, x), C_MUL);
        return cg_bin(g, cg_elem(g, m, x), "*", cg_sval(g, s), C_MUL);
    }
    case EW_SCALEDIV:
        return cg_bin(g, cg_elem(g, n->r[1].e, x), "/", cg_sval(g, n->r[0].e), C_MUL);
    case EW_OUTER: {
        cg_cx u = ref_elem(g, &n->r[0], cg_mkix(0, x.i, "0"));
        cg_cx v = ref_elem(g, &n->r[1], cg_mkix(0, "0", x.j));
        if (n->r[0].e->op == SG_OP_ONES)
            return v;
        if (n->r[1].e->op == SG_OP_ONES)
            return u;
        return cg_bin(g, u, "*", v, C_MUL);
    }
    case EW_ROWSCALE:
        return cg_bin(g, cg_vec_elem(g, &n->r[0], x.i), "*", cg_elem(g, n->r[1].e, x), C_MUL);
    case EW_COLSCALE:
        return cg_bin(g, cg_elem(g, n->r[0].e, x), "*", cg_vec_elem(g, &n->r[1], x.j), C_MUL);
    case EW_IDENT:
        return cg_elem(g, n->r[0].e, x);
    case EW_ZERO:
        return cg_lit(g, 0);
    case EW_PERMROWS: case EW_PERMCOLS:
        return permuted_elem(g, n->var == EW_PERMROWS ? a : b, n->r[0].e, x,
                             n->var == EW_PERMROWS);
    default:
        break;
    }
    switch (e->op) {
    case SG_OP_ZERO:
        return cg_lit(g, 0);
    case SG_OP_ONES:
        return cg_lit(g, 1);
    case SG_OP_EYE:
        return cg_eye_elem(g, x);
    case SG_OP_FILL:
        return cg_sval(g, a);
    case SG_OP_ADD:
        return add_chain(g, e, x);
    case SG_OP_HADAMARD:
        return cg_bin(g, cg_elem(g, a, x), "*", cg_elem(g, b, x), C_MUL);
    case SG_OP_HDIV:
        return cg_bin(g, cg_elem(g, a, x), "/", cg_elem(g, b, x), C_MUL);
    case SG_OP_POW:
        return power(g, cg_elem(g, a, x), b);
    case SG_OP_TRANSPOSE:
        return cg_elem(g, a, cg_swap(x));
    case SG_OP_DIAG:
        if (!strcmp(x.i, x.j))
            return cg_vec_elem(g, &n->r[0], x.i);
        return mkcx(cg_fmt(g, "(%s == %s ? %s : %s)", x.i, x.j, cg_vec_elem(g, &n->r[0], x.i).s,
                           cg_lit(g, 0).s),
                    C_ATOM);
    case SG_OP_DIAGV:
        return cg_elem(g, a, cg_mkix(0, x.i, x.i));
    case SG_OP_KRON:
        return kron_elem(g, e, x);
    case SG_OP_VEC: /* entry k of vec(A) is A's k-th entry, row by row */
        if (cg_flat_ok(g, a))
            return cg_elem(g, a, cg_mkix(1, x.i, x.i));
        return cg_elem(g, a, cg_mkix(0, idx_op(g, x.i, "/", cg_dim(g, a->shape.cols)),
                                     idx_op(g, x.i, "%", cg_dim(g, a->shape.cols))));
    case SG_OP_COMMUTE: { /* K_{m,n}: 1 at (j·m + i, i·n + j) */
        const char *rows = cg_dim(g, e->dim), *cols = cg_dim(g, (sg_dim)e->off);
        return mkcx(cg_fmt(g, "(%s == %s*%s + %s ? %s : %s)", x.i, idx_op(g, x.j, "%", cols),
                           rows, idx_op(g, x.j, "/", cols), cg_lit(g, 1).s, cg_lit(g, 0).s),
                    C_ATOM);
    }
    default:
        return unary(g, e->op, cg_elem(g, a, x));
    }
}

cg_cx cg_elem(cg_state *g, const sg_expr *e, cg_ix x)
{
    if (cg_scalar(e))
        return cg_sval(g, e);
    if (cg_stored(g, e))
        return cg_read_stored(g, e, x);
    return cg_elem_def(g, e, x);
}

int cg_flat_ok(cg_state *g, const sg_expr *e)
{
    if (cg_scalar(e) || cg_stored(g, e))
        return 1;
    return cg_flat_def(g, e);
}

int cg_flat_def(cg_state *g, const sg_expr *e)
{
    cg_node *n = cg_rec(g, e);
    int i;
    if (n->plan != PL_EW)
        return 1;
    switch (n->var) {
    case EW_OUTER: case EW_ROWSCALE: case EW_COLSCALE: case EW_PERMROWS: case EW_PERMCOLS:
        return 0;
    default:
        break;
    }
    if (n->var == EW_PLAIN) {
        switch (e->op) {
        case SG_OP_EYE: case SG_OP_DIAG: case SG_OP_DIAGV: case SG_OP_KRON: case SG_OP_COMMUTE:
            return 0;
        case SG_OP_TRANSPOSE:
            if (!cg_veclike(e))
                return 0;
            break;
        default:
            break;
        }
    }
    for (i = 0; i < n->nref; i++)
        if (!cg_flat_ok(g, n->r[i].e))
            return 0;
    return 1;
}
