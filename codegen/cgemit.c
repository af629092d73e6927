/*
 * cgemit.c: printing (pass 6): P_eval's body and each loop's.
 *
 * The statements are printed in schedule order, each block under the
 * condition of cgcond.c: a kernel call, a loop over the entries of a fused
 * elementwise expression, a reduction, a factorization or a solve, a scalar
 * local, a copy into out, a row sweep (cgsweep.c), or a loop over t with its
 * own body. Every statement is preceded by a comment with the formula it
 * computes, in the names the --formulas text gives it; a loop's comment is
 * its line of that text. P_eval is printed first: printing it tells which
 * dimensions, inputs and kernels are used, and how much packing room.
 */
#include "cg.h"

static void indent(sg_buf *b, int level)
{
    int i;
    for (i = 0; i < level; i++)
        sg_buf_puts(b, "    ");
}

void cg_line(sg_buf *b, int level, const char *f, ...)
{
    va_list ap;
    indent(b, level);
    va_start(ap, f);
    sg_buf_vprintf(b, f, ap);
    va_end(ap);
    sg_buf_putc(b, '\n');
}

/* the length of the well-formed UTF-8 character at s (1 for ASCII), or 0 */
size_t cg_utf8_char(const unsigned char *s)
{
    size_t n, i;
    unsigned c = s[0];
    unsigned long cp;
    if (c < 0x80)
        return 1;
    n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (!n)
        return 0;
    cp = c & (0x7Fu >> n);
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3Fu);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0; /* overlong, a surrogate, past U+10FFFF */
    return n;
}

/*
 * Text for a comment, from anywhere (a file name, the command line, a
 * formula): whatever its bytes, it stays one line of the comment. A control
 * byte, a byte of ill-formed UTF-8 and a backslash are written \xHH (so no
 * line ends in a backslash, which would splice the next one to it), the
 * star-slash that would end the comment and the slash-star -Wcomment warns
 * of get a space between their two characters, and the second ? of ?? is
 * written \x3F (no trigraph: ??/ is a backslash where trigraphs are on).
 */
const char *cg_comment_safe(cg_state *g, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    sg_buf b;
    const char *r;
    size_t i, n;
    for (i = 0; u[i]; i += n) {
        n = cg_utf8_char(u + i);
        if (!n || u[i] < 0x20 || u[i] == 0x7F || u[i] == '\\' || (u[i] == '?' && u[i + 1] == '?') ||
            (u[i] == '*' && u[i + 1] == '/') || (u[i] == '/' && u[i + 1] == '*'))
            break;
    }
    if (!u[i])
        return s;
    sg_buf_init(&b);
    for (i = 0; u[i]; i += n) {
        n = cg_utf8_char(u + i);
        if (!n || u[i] < 0x20 || u[i] == 0x7F || u[i] == '\\') {
            sg_buf_printf(&b, "\\x%02X", u[i]);
            n = 1;
        } else if (u[i] == '?' && u[i + 1] == '?') {
            sg_buf_puts(&b, "?\\x3F");
            n = 2;
        } else {
            sg_buf_putn(&b, (const char *)u + i, n);
            if ((u[i] == '*' && u[i + 1] == '/') || (u[i] == '/' && u[i + 1] == '*'))
                sg_buf_putc(&b, ' ');
        }
    }
    r = sg_arena_strdup(g->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return r;
}

/* m×n, n, 1×n */
const char *cg_shape_text(cg_state *g, sg_shape s)
{
    const char *r = cg_dim_c(g, s.rows, NULL), *c = cg_dim_c(g, s.cols, NULL);
    const sg_diminfo *ri = sg_dim_get(g->ctx, s.rows), *ci = sg_dim_get(g->ctx, s.cols);
    r = ri->name ? ri->name : r;
    c = ci->name ? ci->name : c;
    if (sg_shape_is_scalar(s))
        return "scalar";
    if (cg_is_one(s.cols))
        return r;
    return cg_fmt(g, "%s×%s", r, c);
}

/* k as printed: T − 1, 0 */
const char *cg_index_text(cg_state *g, sg_index k)
{
    int n = sg_index_snprint(NULL, 0, g->ctx, k, 0); /* a dimension's name has no limit */
    char *s = sg_arena_alloc(g->ar, (size_t)n + 1);
    sg_index_snprint(s, (size_t)n + 1, g->ctx, k, 0);
    return s;
}

/* what a node's buffer holds: its shape, and an LU factor's pivots; a
   sequence's steps */
const char *cg_buffer_text(cg_state *g, const sg_expr *e)
{
    if ((int)e->op == OP_SEQ) {
        const sg_seq *sq = sg_seq_get(g->ctx, e->seq);
        sg_index first = cg_seq_origin(g, e->seq), count = sg_index_plus(sq->hi, 1 - first.off);
        const char *nsteps = first.dim < 0 ? cg_index_text(g, count) : "the steps";
        if (cg_scalar(e))
            return cg_fmt(g, "%s numbers", nsteps);
        return cg_fmt(g, "%s steps of %s", nsteps, cg_shape_text(g, e->shape));
    }
    if (cg_is_lu(g, e))
        return cg_fmt(g, "%s and %s pivots", cg_shape_text(g, e->shape),
                      cg_shape_text(g, sg_shape_make(e->shape.rows, SG_DIM_ONE)));
    return cg_shape_text(g, e->shape);
}

/* the name of e's buffer or local, if it has one (not out->X) */
static const char *stored_name(cg_state *g, const sg_expr *e)
{
    cg_node *n = cg_rec(g, e);
    if (!n->reach || n->out >= 0 || !(n->mat || n->local))
        return NULL;
    return n->fname;
}

static const char *namer(void *arg, const sg_expr *e)
{
    cg_state *g = arg;
    const char *s = stored_name(g, e);
    if (e->op == SG_OP_INV && g->hide_inv) /* a solve never reads the inverse */
        return NULL;
    if (!s && e->id < g->nreal && g->fac_of[e->id] >= 0 && e->name) {
        sg_buf b; /* a factored matrix lives in its factor: it keeps its name */
        sg_buf_init(&b);
        sg_fmt_name(&b, e->name, 0);
        s = sg_arena_strdup(g->ar, sg_buf_str(&b));
        sg_buf_free(&b);
    }
    return s;
}

const char *cg_formula(cg_state *g, const sg_expr *e)
{
    sg_buf b;
    const char *s;
    if ((int)e->op == OP_SEQ) { /* h[0], …, h[T] */
        const sg_seq *sq = sg_seq_get(g->ctx, e->seq);
        const char *name;
        sg_buf_init(&b);
        sg_fmt_name(&b, sq->name, 0);
        name = sg_arena_strdup(g->ar, sg_buf_str(&b));
        sg_buf_free(&b);
        return cg_fmt(g, "%s[%s], …, %s[%s]", name, cg_index_text(g, cg_seq_origin(g, e->seq)),
                      name, cg_index_text(g, sq->hi));
    }
    if (e->op == OP_FACTOR) { /* "the LU factors of K = XXᵀ + βI" */
        const sg_expr *a = e->kid[0];
        const char *what =
            cg_factor_at(g, e)->chol ? "the Cholesky factor of" : "the LU factors of";
        if (a->name && a->op != SG_OP_VAR && !stored_name(g, a))
            return cg_fmt(g, "%s %s = %s", what, namer(g, a), cg_formula(g, a));
        return cg_fmt(g, "%s %s", what, stored_name(g, a) ? stored_name(g, a) : cg_formula(g, a));
    }
    g->hide_inv = cg_rec(g, e)->plan == PL_SOLVE;
    sg_buf_init(&b);
    sg_fmt_expr_named(&b, g->ctx, e, 0, namer, g);
    s = cg_comment_safe(g, sg_arena_strdup(g->ar, sg_buf_str(&b)));
    sg_buf_free(&b);
    g->hide_inv = 0;
    return s;
}

const char *cg_result_name(cg_state *g, int r)
{
    sg_buf b;
    const char *s;
    sg_buf_init(&b);
    sg_fmt_result_name(&b, &g->p->results[r], 0);
    s = sg_arena_strdup(g->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    return s;
}

/* what bit r of the schedule being printed stands for: a result, or a piece */
const char *cg_out_name(cg_state *g, int r)
{
    if (g->sc == &g->top)
        return cg_result_name(g, r);
    return g->loops[g->sc->loop].pc[r].name;
}

/* for (…) loops over a shape; returns the level of the body */
static int open_loops(cg_state *g, sg_buf *b, int lv, sg_shape s, int flat, cg_ix *x, int brace)
{
    const char *br = brace ? " {" : "";
    if (flat) {
        cg_line(b, lv, "for (long i = 0; i < %s; i++)%s", cg_len_c(g, s), br);
        *x = cg_mkix(1, "i", "i");
        return lv + 1;
    }
    *x = cg_mkix(0, cg_is_one(s.rows) ? "0" : "i", cg_is_one(s.cols) ? "0" : "j");
    if (!cg_is_one(s.rows))
        cg_line(b, lv++, "for (long i = 0; i < %s; i++)%s", cg_dim_c(g, s.rows, g->dimused),
                cg_is_one(s.cols) ? br : "");
    if (!cg_is_one(s.cols))
        cg_line(b, lv++, "for (long j = 0; j < %s; j++)%s", cg_dim_c(g, s.cols, g->dimused), br);
    return lv;
}

/* the pointer to a ref's data */
const char *cg_ptr(cg_state *g, const sg_expr *e)
{
    const char *base, *off;
    assert(cg_stored(g, e));
    cg_stored_at(g, e, &base, &off);
    return off ? cg_fmt(g, "%s + %s", base, off) : base;
}

/* a kernel call computing node n into dest */
static void emit_kernel(cg_state *g, sg_buf *b, int lv, cg_node *n, const char *dest)
{
    const sg_expr *e = n->e;
    const cg_ref *A = &n->r[0], *B = n->nref > 1 ? &n->r[1] : NULL;
    switch (n->plan) {
    case PL_GEMV: /* op(A) x: A stored rows×cols */
        cg_use_kernel(g, K_GEMV);
        cg_line(b, lv, "sg_gemv(%s, %s, %d, %s, %s, %s);", cg_dim(g, A->e->shape.rows),
                cg_dim(g, A->e->shape.cols), A->trans, cg_ptr(g, A->e), cg_ptr(g, B->e), dest);
        return;
    case PL_GEMVT: /* a op(B) = (op(B)ᵀ aᵀ)ᵀ */
        cg_use_kernel(g, K_GEMV);
        cg_line(b, lv, "sg_gemv(%s, %s, %d, %s, %s, %s);", cg_dim(g, B->e->shape.rows),
                cg_dim(g, B->e->shape.cols), !B->trans, cg_ptr(g, B->e), cg_ptr(g, A->e), dest);
        return;
    case PL_GEMM: { /* op(A) op(B), op(A) m×k */
        const sg_dim k = A->trans ? A->e->shape.rows : A->e->shape.cols;
        cg_use_kernel(g, K_GEMM_CALL);
        cg_need_pack(g, K_GEMM, e->shape.rows, e->shape.cols, k);
        cg_line(b, lv, "sg_gemm(%s, %s, %s, %d, %s, %d, %s, %s, pack);", cg_dim(g, e->shape.rows),
                cg_dim(g, e->shape.cols), cg_dim(g, k), A->trans, cg_ptr(g, A->e), B->trans,
                cg_ptr(g, B->e), dest);
        return;
    }
    case PL_SYRK: { /* op(A) diag(d) op(A)ᵀ, op(A) n×k */
        const sg_dim k = A->trans ? A->e->shape.rows : A->e->shape.cols;
        cg_use_kernel(g, K_SYRK);
        cg_need_pack(g, K_SYRK, e->shape.rows, k, 0);
        cg_line(b, lv, "sg_syrk(%s, %s, %d, %s, %s, %s, pack);", cg_dim(g, e->shape.rows),
                cg_dim(g, k), A->trans, cg_ptr(g, A->e), B ? cg_ptr(g, B->e) : "NULL", dest);
        return;
    }
    case PL_COLSUM: /* 𝟙ᵀX: colsum of X, or rowsum of the stored Xᵀ */
        cg_use_kernel(g, A->trans ? K_ROWSUM : K_COLSUM);
        cg_line(b, lv, "sg_%s(%s, %s, %s, %s);", A->trans ? "rowsum" : "colsum",
                cg_dim(g, A->e->shape.rows), cg_dim(g, A->e->shape.cols), cg_ptr(g, A->e), dest);
        return;
    case PL_ROWSUM:
        cg_use_kernel(g, A->trans ? K_COLSUM : K_ROWSUM);
        cg_line(b, lv, "sg_%s(%s, %s, %s, %s);", A->trans ? "colsum" : "rowsum",
                cg_dim(g, A->e->shape.rows), cg_dim(g, A->e->shape.cols), cg_ptr(g, A->e), dest);
        return;
    case PL_COLWISE: {
        const sg_expr *x = e->kid[0];
        const char *fn = e->op == SG_OP_SOFTMAX      ? "softmax"
                         : e->op == SG_OP_LOGSOFTMAX ? "logsoftmax"
                                                     : "logsumexp";
        /* entry (i, j) of op(X) is X[i*rs + j*cs] */
        const char *rs = A->trans ? "1" : cg_dim(g, A->e->shape.cols);
        const char *cs = A->trans ? cg_dim(g, A->e->shape.cols) : "1";
        cg_use_kernel(g, e->op == SG_OP_SOFTMAX      ? K_SOFTMAX
                         : e->op == SG_OP_LOGSOFTMAX ? K_LOGSOFTMAX
                                                     : K_LOGSUMEXP);
        cg_line(b, lv, "sg_%s(%s, %s, %s, %s, %s, %s);", fn, cg_dim(g, x->shape.rows),
                cg_dim(g, x->shape.cols), cg_ptr(g, A->e), rs, cs, dest);
        return;
    }
    case PL_DIAGMUL: /* diag(op(A) op(B)), op(A) n×k */
        cg_use_kernel(g, K_DIAGMUL);
        cg_line(b, lv, "sg_diagmul(%s, %s, %d, %s, %d, %s, %s);", cg_dim(g, e->shape.rows),
                cg_dim(g, e->kid[0]->kid[0]->shape.cols), A->trans, cg_ptr(g, A->e), B->trans,
                cg_ptr(g, B->e), dest);
        return;
    default:
        assert(!"not a kernel");
    }
}

/* the entries of src (of I when src is NULL) into n's buffer */
static void emit_copy(cg_state *g, sg_buf *b, int lv, cg_node *n, const sg_expr *src)
{
    cg_ix x;
    int body = open_loops(g, b, lv, n->e->shape, src && cg_flat_ok(g, src), &x, 0);
    cg_cx v = src ? cg_elem(g, src, x) : cg_eye_elem(g, x);
    cg_line(b, body, "%s = %s;", cg_read_stored(g, n->e, x).s, v.s);
}

/* A's factors: a copy of A (fused with whatever computes it), factored in place */
static void emit_factor(cg_state *g, sg_buf *b, int lv, cg_node *n)
{
    const cg_factor *f = cg_factor_at(g, n->e);
    const char *fn = f->chol ? "chol" : "lu";
    cg_line(b, lv, "/* %s = %s  (%s) */", n->fname, cg_formula(g, n->e), cg_buffer_text(g, n->e));
    emit_copy(g, b, lv, n, n->e->kid[0]);
    cg_use_kernel(g, f->chol ? K_CHOL : K_LU);
    cg_need_pack(g, f->chol ? K_CHOL : K_LU, n->e->shape.rows, 0, 0);
    if (f->strict) { /* unless only det wants it for these results (in a loop: always) */
        int all = g->sc != &g->top || f->smask == cg_mask_of(g, n->e);
        const char *cond = all ? "" : cg_condition(g, f->smask, 0);
        const int paren = strstr(cond, "||") != NULL;
        cg_line(b, lv, "if (sg_%s(%s, %s, pack)%s%s%s%s)", fn, cg_dim(g, n->e->shape.rows),
                n->cname, all ? "" : " && ", paren ? "(" : "", cond, paren ? ")" : "");
        cg_line(b, lv + 1, "return %s_%s;", g->PU, f->chol ? "ENOTSPD" : "ESINGULAR");
    } else {
        cg_line(b, lv, "sg_%s(%s, %s, pack); /* only det reads it: singular is det 0, no error */",
                fn, cg_dim(g, n->e->shape.rows), n->cname);
    }
}

/* X = op(A)⁻¹B, B op(A)⁻¹ or op(A)⁻¹: B copied into X, solved in place */
static void emit_solve(cg_state *g, sg_buf *b, int lv, cg_node *n)
{
    const sg_expr *e = n->e, *fe = n->r[0].e;
    const cg_factor *f = cg_factor_at(g, fe);
    const int right = (n->var & SV_RIGHT) != 0, trans = (n->var & SV_TRANS) != 0;
    /* the right-hand sides: X's columns, or its rows for B op(A)⁻¹ */
    const sg_dim k = right ? e->shape.rows : e->shape.cols;
    cg_need_pack(g, K_TRSM, fe->shape.rows, k, 0);
    if (n->var & SV_EYE) { /* the inverse itself */
        cg_use_kernel(g, f->chol ? K_CHOL_INVERSE : K_LU_INVERSE);
        if (f->chol) /* A is symmetric: op(A)⁻¹ = A⁻¹ */
            cg_line(b, lv, "sg_chol_inverse(%s, %s, %s, pack);", cg_dim(g, fe->shape.rows),
                    cg_ptr(g, fe), n->cname);
        else
            cg_line(b, lv, "sg_lu_inverse(%s, %s, %d, %s, pack);", cg_dim(g, fe->shape.rows),
                    cg_ptr(g, fe), trans, n->cname);
        return;
    }
    cg_use_kernel(g, f->chol ? K_CHOL_SOLVE : K_LU_SOLVE);
    emit_copy(g, b, lv, n, n->r[1].e);
    if (f->chol) /* A is symmetric: op(A) = A */
        cg_line(b, lv, "sg_chol_solve(%s, %s, %d, %s, %s, pack);", cg_dim(g, fe->shape.rows),
                cg_ptr(g, fe), right, cg_dim(g, k), n->cname);
    else
        cg_line(b, lv, "sg_lu_solve(%s, %s, %d, %d, %s, %s, pack);", cg_dim(g, fe->shape.rows),
                cg_ptr(g, fe), trans, right, cg_dim(g, k), n->cname);
}

/* a stored node's name, or its formula in parentheses */
static const char *ref_name(cg_state *g, const sg_expr *e)
{
    const char *s = stored_name(g, e);
    return s ? s : cg_fmt(g, "(%s)", cg_formula(g, e));
}

/* the statement of a materialized non-scalar node */
static void emit_loop(cg_state *g, sg_buf *b, int lv, cg_node *n, const char *decl);

/* an elementwise node as s·k (s its scalar, NULL when it is k itself, the op
   unscaled): 1, or 0 when it is neither, or k is stored (then k is read, not
   built here) */
static int scaled_op(cg_state *g, const cg_node *n, const sg_expr **s, const sg_expr **k)
{
    *s = NULL;
    *k = n->e;
    if (n->var == EW_SCALE) {
        *s = cg_scalar(n->r[0].e) ? n->r[0].e : n->r[1].e;
        *k = cg_scalar(n->r[0].e) ? n->r[1].e : n->r[0].e;
        return !cg_stored(g, *k);
    }
    return n->var == EW_PLAIN;
}

/*
 * s(A ⊗ B) (s a scalar or none), A p×q and B r×c: block (a, b) of the
 * product is s·A[a][b]·B, written by loops over A's and B's entries, with no
 * division for the indices; beside I the product is mostly zeros, which are
 * set by one pass (a memset) and never computed: I ⊗ B is I's size copies of
 * sB down the diagonal, A ⊗ I is A's entries repeated down the diagonals.
 */
static int emit_kron(cg_state *g, sg_buf *b, int lv, cg_node *n)
{
    const sg_expr *e = n->e, *k, *s, *A, *B;
    const char *r, *c, *row, *col;
    cg_cx v;
    if (!scaled_op(g, n, &s, &k))
        return 0;
    if (k->op != SG_OP_KRON || (k->kid[0]->op == SG_OP_EYE && k->kid[1]->op == SG_OP_EYE))
        return 0;
    A = k->kid[0];
    B = k->kid[1];
    r = cg_dim(g, B->shape.rows);
    c = cg_dim(g, B->shape.cols);
    if (A->op == SG_OP_EYE || B->op == SG_OP_EYE) {
        cg_line(b, lv, "for (long i = 0; i < %s; i++) /* the zeros, once */", cg_len_c(g, e->shape));
        cg_line(b, lv + 1, "%s = %s;", cg_read_stored(g, e, cg_mkix(1, "i", "i")).s, cg_lit(g, 0).s);
    }
    if (A->op == SG_OP_EYE) { /* block (ib, ib) is sB */
        v = cg_elem(g, B, cg_mkix(0, "i", "j"));
        row = cg_fmt(g, "(ib*%s + i)", r);
        col = cg_fmt(g, "(ib*%s + j)", c);
        cg_line(b, lv, "for (long ib = 0; ib < %s; ib++)", cg_dim(g, A->shape.rows));
        cg_line(b, lv + 1, "for (long i = 0; i < %s; i++)", r);
        cg_line(b, lv + 2, "for (long j = 0; j < %s; j++)", c);
        lv += 3;
    } else if (B->op == SG_OP_EYE) { /* block (ib, jb) is sA[ib][jb] I */
        v = cg_elem(g, A, cg_mkix(0, "ib", "jb"));
        row = cg_fmt(g, "(ib*%s + i)", r);
        col = cg_fmt(g, "(jb*%s + i)", r);
        cg_line(b, lv, "for (long ib = 0; ib < %s; ib++)", cg_dim(g, A->shape.rows));
        cg_line(b, lv + 1, "for (long jb = 0; jb < %s; jb++)", cg_dim(g, A->shape.cols));
        cg_line(b, lv + 2, "for (long i = 0; i < %s; i++)", r);
        lv += 3;
    } else { /* row (ib, i) of the product: A[ib][jb] B[i][j] for every (jb, j) */
        v = cg_bin(g, cg_elem(g, A, cg_mkix(0, "ib", "jb")), "*", cg_elem(g, B, cg_mkix(0, "i", "j")),
                   C_MUL);
        row = cg_fmt(g, "(ib*%s + i)", r);
        col = cg_fmt(g, "(jb*%s + j)", c);
        cg_line(b, lv, "for (long ib = 0; ib < %s; ib++)", cg_dim(g, A->shape.rows));
        cg_line(b, lv + 1, "for (long i = 0; i < %s; i++)", r);
        cg_line(b, lv + 2, "for (long jb = 0; jb < %s; jb++)", cg_dim(g, A->shape.cols));
        cg_line(b, lv + 3, "for (long j = 0; j < %s; j++)", c);
        lv += 4;
    }
    if (s)
        v = s == n->r[0].e ? cg_bin(g, cg_sval(g, s), "*", v, C_MUL) : cg_bin(g, v, "*", cg_sval(g, s), C_MUL);
    cg_line(b, lv, "%s = %s;", cg_read_stored(g, e, cg_mkix(0, row, col)).s, v.s);
    return 1;
}

/* the scalings of sym_sum_of beyond which it does not look */
#define SYMADD_SCALES 4

/* s₁(…(sₖX)) + s₁(…(sₖXᵀ)), in either order, k ≤ SYMADD_SCALES, with X
   stored: X, its scalings s₁ … sₖ in s[] and k in *ns; else NULL */
static const sg_expr *sym_sum_of(cg_state *g, const sg_expr *e, const sg_expr **s, int *ns)
{
    const sg_expr *a, *t;
    if (e->op != SG_OP_ADD)
        return NULL;
    a = e->kid[0];
    t = e->kid[1];
    for (*ns = 0; a->op == SG_OP_MUL && t->op == SG_OP_MUL && cg_scalar(a->kid[0]) &&
                  a->kid[0] == t->kid[0] && !cg_scalar(a->kid[1]) && *ns < SYMADD_SCALES;
         a = a->kid[1], t = t->kid[1])
        s[(*ns)++] = a->kid[0];
    if (a->op == SG_OP_TRANSPOSE) {
        const sg_expr *x = a;
        a = t;
        t = x;
    }
    return t->op == SG_OP_TRANSPOSE && t->kid[0] == a && cg_stored(g, a) ? a : NULL;
}

/* s(X + Xᵀ) with X stored, s a product of scalars or none (½A + ½Aᵀ):
   sg_symadd, whose blocks transpose in registers */
static int emit_symadd(cg_state *g, sg_buf *b, int lv, cg_node *n, const char *d)
{
    const sg_expr *k, *X, *s[SYMADD_SCALES + 1];
    int ns, i;
    cg_cx v;
    if (!scaled_op(g, n, &s[0], &k))
        return 0;
    ns = s[0] != NULL;
    X = sym_sum_of(g, k, s + ns, &i);
    if (!X)
        return 0;
    ns += i;
    v = ns ? cg_sval(g, s[0]) : cg_lit(g, 1);
    for (i = 1; i < ns; i++)
        v = cg_bin(g, v, "*", cg_sval(g, s[i]), C_MUL);
    cg_use_kernel(g, K_SYMADD);
    cg_line(b, lv, "sg_symadd(%s, %s, %s, %s);", d, v.s, cg_ptr(g, X), n->cname);
    return 1;
}

/*
 * A provably symmetric n×n node whose entries are not a flat pass (it reads
 * a transpose, I, a Kronecker product…): its lower triangle, each entry
 * stored at (i, j) and (j, i), in 32×32 tiles so that the column writes and
 * the transposed reads stay in L1. Half the entries are computed, and the
 * result is exactly symmetric.
 */
static int emit_symmetric(cg_state *g, sg_buf *b, int lv, cg_node *n)
{
    const sg_expr *e = n->e;
    const char *d;
    cg_cx v;
    if (cg_scalar(e) || e->shape.rows != e->shape.cols || cg_is_one(e->shape.rows) ||
        cg_flat_def(g, e) || !sg_props_symmetric(g->ctx, e))
        return 0;
    d = cg_dim(g, e->shape.rows);
    if (emit_symadd(g, b, lv, n, d))
        return 1;
    v = cg_elem_def(g, e, cg_mkix(0, "i", "j"));
    cg_line(b, lv, "/* symmetric: the lower triangle, mirrored, in 32×32 tiles */");
    cg_line(b, lv, "for (long ib = 0; ib < %s; ib += 32)", d);
    cg_line(b, lv + 1, "for (long jb = 0; jb <= ib; jb += 32)");
    cg_line(b, lv + 2, "for (long i = ib; i < %s && i < ib + 32; i++)", d);
    cg_line(b, lv + 3, "for (long j = jb; j <= i && j < jb + 32; j++)");
    cg_line(b, lv + 4, "%s = %s = %s;", cg_read_stored(g, e, cg_mkix(0, "j", "i")).s,
            cg_read_stored(g, e, cg_mkix(0, "i", "j")).s, v.s);
    return 1;
}

static void emit_mat(cg_state *g, sg_buf *b, int lv, cg_node *n)
{
    const char *name = n->out >= 0 ? cg_out_name(g, n->out) : n->fname;
    if (n->plan == PL_LOOP) {
        emit_loop(g, b, lv, n, "");
        return;
    }
    if (n->plan == PL_FACTOR) {
        emit_factor(g, b, lv, n);
        return;
    }
    if ((n->plan == PL_GEMM || n->plan == PL_GEMV || n->plan == PL_GEMVT || n->plan == PL_SYRK) &&
        n->var == 1)
        cg_line(b, lv, "/* %s = %s = %s %sᵀ, the inverse being symmetric  (%s) */", name,
                cg_formula(g, n->e), ref_name(g, n->r[0].e),
                ref_name(g, n->r[n->nref - 1].e), cg_shape_text(g, n->e->shape));
    else
        cg_line(b, lv, "/* %s = %s  (%s) */", name, cg_formula(g, n->e),
                cg_shape_text(g, n->e->shape));
    if (n->plan == PL_SOLVE) {
        emit_solve(g, b, lv, n);
        return;
    }
    if (n->plan == PL_EW && (emit_kron(g, b, lv, n) || emit_symmetric(g, b, lv, n)))
        return;
    if (n->plan == PL_EW) {
        cg_ix x;
        int flat = cg_flat_def(g, n->e);
        int body = open_loops(g, b, lv, n->e->shape, flat, &x, 0);
        cg_cx v = cg_elem_def(g, n->e, x);
        cg_line(b, body, "%s = %s;", cg_read_stored(g, n->e, x).s, v.s);
        return;
    }
    emit_kernel(g, b, lv, n, n->cname);
}

/* e without its transposes, when they leave its entries in the same order
   (all: the order does not matter to a sum) */
static const sg_expr *untransposed(const sg_expr *e, int all)
{
    while (e->op == SG_OP_TRANSPOSE && (all || cg_veclike(e)))
        e = e->kid[0];
    return e;
}

/* a reduction into a scalar local */
static void emit_red(cg_state *g, sg_buf *b, int lv, cg_node *n, const char *decl)
{
    const sg_expr *a = n->r[0].e, *c = n->nref > 1 ? n->r[1].e : NULL;
    const sg_expr *sa = untransposed(a, n->var == RD_SUM || n->var == RD_NORM);
    const sg_expr *sc = c ? untransposed(c, 0) : NULL;
    const char *t = n->cname;
    cg_ix x;
    int body;
    cg_cx v;
    switch (n->var) {
    case RD_SUM:
        if (cg_stored(g, sa)) {
            cg_use_kernel(g, K_SUM);
            cg_line(b, lv, "%s%s = sg_sum(%s, %s);", decl, t, cg_len_c(g, a->shape), cg_ptr(g, sa));
            return;
        }
        break;
    case RD_DOT: case RD_INNER: case RD_NORM:
        if (cg_stored(g, sa) && (n->var == RD_NORM || cg_stored(g, sc))) {
            const char *pa = cg_ptr(g, sa), *pc = n->var == RD_NORM ? pa : cg_ptr(g, sc);
            const char *len = cg_len_c(g, a->shape);
            cg_use_kernel(g, K_DOT);
            if (n->var == RD_NORM)
                cg_line(b, lv, "%s%s = %s(sg_dot(%s, %s, %s));", decl, t, cg_mathfn(g, "sqrt"), len,
                        pa, pc);
            else
                cg_line(b, lv, "%s%s = sg_dot(%s, %s, %s);", decl, t, len, pa, pc);
            return;
        }
        break;
    case RD_DET: case RD_LOGDET: {
        int chol = cg_factor_at(g, a)->chol, det = n->var == RD_DET;
        cg_use_kernel(g, chol ? (det ? K_CHOL_DET : K_CHOL_LOGDET) : det ? K_LU_DET : K_LU_LOGDET);
        cg_line(b, lv, "%s%s = sg_%s_%s(%s, %s);", decl, t, chol ? "chol" : "lu",
                det ? "det" : "logdet", cg_dim(g, a->shape.rows), cg_ptr(g, a));
        return;
    }
    case RD_LSE:
        cg_use_kernel(g, K_LOGSUMEXP);
        cg_line(b, lv, "%s%s = %s;", decl, t, cg_lit(g, 0).s);
        cg_line(b, lv, "sg_logsumexp(%s, 1, %s, %s, %s, &%s);", cg_dim(g, n->e->kid[0]->shape.rows),
                cg_ptr(g, a), n->r[0].trans ? "1" : cg_dim(g, a->shape.cols),
                n->r[0].trans ? cg_dim(g, a->shape.cols) : "1", t);
        return;
    default:
        break;
    }
    /* a loop */
    cg_line(b, lv, "%s%s = %s;", decl, t, cg_lit(g, 0).s);
    switch (n->var) {
    case RD_TRACE:
        cg_line(b, lv, "for (long i = 0; i < %s; i++)", cg_dim(g, a->shape.rows));
        cg_line(b, lv + 1, "%s += %s;", t, cg_elem(g, a, cg_mkix(0, "i", "i")).s);
        return;
    case RD_INNER:
        cg_line(b, lv, "for (long i = 0; i < %s; i++)", cg_dim(g, a->shape.cols));
        v = cg_bin(g, cg_elem(g, a, cg_mkix(0, "0", "i")), "*", cg_elem(g, c, cg_mkix(0, "i", "0")),
                   C_MUL);
        cg_line(b, lv + 1, "%s += %s;", t, v.s);
        return;
    case RD_DIAGDOT:
        cg_line(b, lv, "for (long i = 0; i < %s; i++)", cg_dim(g, c->shape.rows));
        v = cg_bin(g, cg_vec_elem(g, &n->r[0], "i"), "*", cg_elem(g, c, cg_mkix(0, "i", "i")),
                   C_MUL);
        cg_line(b, lv + 1, "%s += %s;", t, v.s);
        return;
    case RD_TRPROD:
        body = open_loops(g, b, lv, a->shape, 0, &x, 0);
        v = cg_bin(g, cg_elem(g, a, x), "*", cg_elem(g, c, cg_swap(x)), C_MUL);
        cg_line(b, body, "%s += %s;", t, v.s);
        return;
    default:
        break;
    }
    body = open_loops(g, b, lv, a->shape, cg_flat_ok(g, a) && (!c || cg_flat_ok(g, c)), &x,
                      n->var == RD_NORM);
    switch (n->var) {
    case RD_SUM:
        cg_line(b, body, "%s += %s;", t, cg_elem(g, a, x).s);
        return;
    case RD_DOT:
        v = cg_bin(g, cg_elem(g, a, x), "*", cg_elem(g, c, x), C_MUL);
        cg_line(b, body, "%s += %s;", t, v.s);
        return;
    case RD_NORM1:
        cg_line(b, body, "%s += %s;", t, cg_call(g, cg_mathfn(g, "fabs"), cg_elem(g, a, x)).s);
        return;
    case RD_NORM:
        cg_line(b, body, "const %s %s = %s;", g->real, g->tmpname, cg_elem(g, a, x).s);
        cg_line(b, body, "%s += %s * %s;", t, g->tmpname, g->tmpname);
        cg_line(b, body - 1, "}");
        cg_line(b, lv, "%s = %s(%s);", t, cg_mathfn(g, "sqrt"), t);
        return;
    default:
        assert(!"not a reduction");
    }
}

static void emit_local(cg_state *g, sg_buf *b, int lv, cg_node *n)
{
    const char *decl = n->top ? "" : cg_fmt(g, "%s ", g->real);
    if (n->plan == PL_LOOP) {
        emit_loop(g, b, lv, n, decl);
        return;
    }
    cg_line(b, lv, "/* %s = %s */", n->fname, cg_formula(g, n->e));
    if (n->plan == PL_SRED) {
        emit_red(g, b, lv, n, decl);
        return;
    }
    cg_line(b, lv, "%s%s = %s;", decl, n->cname, cg_sval_def(g, n->e).s);
}

static void emit_output(cg_state *g, sg_buf *b, int lv, cg_item *t)
{
    const sg_expr *e = t->e;
    const char *cname = g->resname[t->res];
    if (cg_scalar(e)) {
        if (!cg_rec(g, e)->local)
            cg_line(b, lv, "/* %s = %s */", cg_result_name(g, t->res), cg_formula(g, e));
        cg_line(b, lv, "*out->%s = %s;", cname, cg_sval(g, e).s);
        return;
    }
    if (strcmp(cg_result_name(g, t->res), cg_rec(g, e)->fname ? cg_rec(g, e)->fname : "")) {
        sg_buf f;
        sg_buf_init(&f);
        sg_fmt_expr_named(&f, g->ctx, e, 0, namer, g);
        cg_line(b, lv, "/* %s = %s */", cg_result_name(g, t->res),
                cg_rec(g, e)->fname ? cg_rec(g, e)->fname : cg_comment_safe(g, sg_buf_str(&f)));
        sg_buf_free(&f);
    }
    cg_line(b, lv, "for (long i = 0; i < %s; i++)", cg_len_c(g, e->shape));
    cg_line(b, lv + 1, "out->%s[i] = %s;", cname, cg_read_stored(g, e, cg_mkix(1, "i", "i")).s);
}

/* what one step of a loop does with a piece's value: h[t] = v, δh[t] += v, Σ += v */
static void emit_piece(cg_state *g, sg_buf *b, int lv, cg_item *t)
{
    const cg_loop *lp = &g->loops[g->sc->loop];
    const cg_piece *pc = &lp->pc[t->res];
    const sg_expr *v = pc->value;
    const char *op = pc->kind == PC_STORE ? "=" : "+=", *name = pc->name, *own = NULL;
    cg_ix x;
    int body;
    if (pc->kind == PC_SUM) {
        cg_node *s = cg_rec(g, pc->sum); /* P_eval's: the sum lives outside the loop */
        name = s->out >= 0 ? cg_result_name(g, s->out) : s->fname;
    } else {
        own = cg_step_ptr(g, pc->seq, 0)->name;
    }
    cg_line(b, lv, "/* %s %s %s */", name, op, cg_formula(g, v));
    if (cg_scalar(v)) {
        if (pc->kind == PC_SUM)
            cg_line(b, lv, "%s += %s;", cg_rec(g, pc->sum)->cname, cg_sval(g, v).s);
        else
            cg_line(b, lv, "%s[0] %s %s;", own, op, cg_sval(g, v).s);
        return;
    }
    body = open_loops(g, b, lv, v->shape, cg_flat_ok(g, v), &x, 0);
    cg_line(b, body, "%s %s %s;",
            pc->kind == PC_SUM ? cg_read_stored(g, pc->sum, x).s
                               : cg_entry(g, own, NULL, v->shape, x).s,
            op, cg_elem(g, v, x).s);
}

/* the statements of the schedule being printed, at level lv0 */
static void emit_body(cg_state *g, sg_buf *b, int lv0)
{
    int pos, open = 0, lv = lv0, prev = -1;
    if (g->sc != &g->top) /* a loop's locals read across its blocks */
        for (pos = 0; pos < g->sc->nit; pos++) {
            cg_item *t = &g->sc->it[g->sc->order[pos]];
            cg_node *n = cg_rec_here(g, t->e);
            if (t->kind == IT_NODE && n->local && n->top)
                cg_line(b, lv0, "%s %s = %s; /* %s */", g->real, n->cname, cg_lit(g, 0).s,
                        cg_formula(g, t->e));
        }
    for (pos = 0; pos < g->sc->nit; pos++) {
        cg_item *t = &g->sc->it[g->sc->order[pos]];
        if (t->block != prev) {
            if (open)
                cg_line(b, lv0, "}");
            if (prev >= 0)
                sg_buf_putc(b, '\n');
            open = !cg_always(g, t->mask);
            if (open)
                cg_line(b, lv0, "if (%s) {", cg_condition(g, t->mask, 0));
            lv = open ? lv0 + 1 : lv0;
            prev = t->block;
        }
        if (t->lead >= 0) /* printed by its sweep */
            continue;
        if (t->sweep >= 0)
            cg_emit_sweep(g, b, lv, &g->sweeps[t->sweep]);
        else if (t->kind == IT_OUTPUT && g->sc == &g->top)
            emit_output(g, b, lv, t);
        else if (t->kind == IT_OUTPUT)
            emit_piece(g, b, lv, t);
        else if (cg_rec_here(g, t->e)->mat)
            emit_mat(g, b, lv, cg_rec_here(g, t->e));
        else
            emit_local(g, b, lv, cg_rec_here(g, t->e));
    }
    if (open)
        cg_line(b, lv0, "}");
}

/* the longest formula line in a comment, in bytes */
#define MAX_COMMENT 1000

/* the first n bytes of s for a comment: cut at a character boundary past
   MAX_COMMENT (--formulas has it all) */
static const char *comment_line(cg_state *g, const char *s, size_t n)
{
    size_t k = n;
    if (k > MAX_COMMENT) {
        k = MAX_COMMENT;
        while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
            k--;
    }
    return cg_fmt(g, "%s%s", cg_comment_safe(g, sg_arena_strndup(g->ar, s, k)), k < n ? " …" : "");
}

/* the line of the formulas (--formulas) that defines sequence q at its
   first step (h[0] = h₀) or at t; NULL if there is none */
static const char *seq_line(cg_state *g, int q, int at_t)
{
    const sg_fmt_line *l = sg_fmt_seq_line(&g->formulas, q, at_t);
    return l ? comment_line(g, l->text, l->len) : NULL;
}

static int by_seq_off(const void *x, const void *y)
{
    const cg_stepname *a = *(const cg_stepname *const *)x, *b = *(const cg_stepname *const *)y;
    if (a->seq != b->seq)
        return a->seq - b->seq;
    return a->off < b->off ? -1 : a->off > b->off;
}

/* h[lo − 1] = init, before the loop of h's group (a per-step sequence has none) */
static void emit_init(cg_state *g, sg_buf *b, int lv, int q)
{
    const sg_seq *sq = sg_seq_get(g->ctx, q);
    const char *c, *base = g->seqbuf[q];
    cg_ix x;
    int at;
    if (sq->kind != SG_SEQ_FORWARD || !sq->init)
        return;
    c = seq_line(g, q, 0);
    cg_line(b, lv, "/* %s */",
            c ? c
              : cg_fmt(g, "%s[%s] = %s", base, cg_index_text(g, sg_index_plus(sq->lo, -1)),
                       cg_formula(g, sq->init)));
    if (cg_scalar(sq->init)) {
        cg_line(b, lv, "%s[0] = %s;", base, cg_sval(g, sq->init).s);
    } else {
        at = open_loops(g, b, lv, sq->shape, cg_flat_ok(g, sq->init), &x, 0);
        cg_line(b, at, "%s = %s;", cg_entry(g, base, NULL, sq->shape, x).s,
                cg_elem(g, sq->init, x).s);
    }
}

/*
 * A loop over t:
 *     h[0] = init; for t = lo … hi: h[t] = body(t)
 *     for t = hi down to lo − 1: δ[t] = 0; δ[t] += each piece that runs at t
 *     Σ = 0; for t = lo … hi: Σ += body(t)
 * Its body is printed first: that tells which step pointers it reads.
 */
static void emit_loop(cg_state *g, sg_buf *b, int lv, cg_node *n, const char *decl)
{
    cg_loop *lp = &g->loops[n->loop];
    cg_scope *outer = g->sc;
    sg_index zero = sg_index_make(-1, 0);
    cg_stepname **used;
    sg_buf body;
    const char *own = NULL, *c;
    int i, k, nused = 0, at;
    cg_ix x;
    if (lp->seq >= 0) {
        const int *mem;
        int nm = sg_seqgroups_members(g->groups, lp->seq, &mem);
        for (k = 0; k < nm; k++)
            emit_init(g, b, lv, mem[k]);
        for (k = 0; k < lp->nsums; k++) { /* the Σs it sums as it goes: 0 first */
            const sg_expr *se = lp->sums[k];
            cg_node *m = cg_rec(g, se);
            int part = cg_top_mask(g, se) != cg_top_mask(g, n->e);
            cg_line(b, lv, "/* %s = %s, summed below */",
                    m->out >= 0 ? cg_result_name(g, m->out) : m->fname, cg_formula(g, se));
            if (m->local)
                continue; /* a local, declared 0 */
            if (part)
                cg_line(b, lv, "if (%s)", cg_out_cond(g, cg_top_mask(g, se), 0));
            at = open_loops(g, b, lv + part, se->shape, 1, &x, 0);
            cg_line(b, at, "%s = %s;", cg_read_stored(g, se, x).s, cg_lit(g, 0).s);
        }
        for (k = 0; k < nm; k++) {
            const sg_seq *sq = sg_seq_get(g->ctx, mem[k]);
            c = seq_line(g, mem[k], 1);
            cg_line(b, lv, "/* %s */",
                    c ? c : cg_fmt(g, "%s[t] = %s", g->seqbuf[mem[k]], cg_formula(g, sq->body)));
        }
    } else { /* Σ = 0 */
        cg_line(b, lv, "/* %s = %s */", n->out >= 0 ? cg_result_name(g, n->out) : n->fname,
                cg_formula(g, n->e));
        if (n->local) {
            cg_line(b, lv, "%s%s = %s;", decl, n->cname, cg_lit(g, 0).s);
        } else {
            at = open_loops(g, b, lv, n->e->shape, 1, &x, 0);
            cg_line(b, at, "%s = %s;", cg_read_stored(g, n->e, x).s, cg_lit(g, 0).s);
        }
    }

    /* the body, with the step it makes (in place when nothing else reads it) */
    for (i = 0; i < g->nsteps; i++)
        g->steps[i].used = g->steps[i].made = 0;
    for (k = 0; k < lp->npc; k++) { /* each member's step: written at t */
        cg_stepname *sp;
        cg_node *r = &lp->body->ni[lp->pc[k].value->id];
        if (lp->pc[k].seq < 0)
            continue;
        sp = cg_step_ptr(g, lp->pc[k].seq, 0);
        sp->used = 1;
        sp->made = 1;
        if (r->reach && !r->ext && r->out == k)
            r->cname = sp->name;
    }
    sg_buf_init(&body);
    g->sc = lp->body;
    emit_body(g, &body, lv + 1);
    g->sc = outer;

    if (lp->down)
        cg_line(b, lv, "for (long t = %s; t >= %s; t--) {", cg_lin_c(g, 0, lp->hi, zero),
                cg_lin_c(g, 0, lp->lo, zero));
    else
        cg_line(b, lv, "for (long t = %s; t <= %s; t++) {", cg_lin_c(g, 0, lp->lo, zero),
                cg_lin_c(g, 0, lp->hi, zero));
    used = sg_xmalloc((size_t)(g->nsteps + 1) * sizeof *used);
    for (i = 0; i < g->nsteps; i++)
        if (g->steps[i].used)
            used[nused++] = &g->steps[i];
    qsort(used, (size_t)nused, sizeof *used, by_seq_off);
    for (i = 0; i < nused; i++) {
        const cg_stepname *sp = used[i];
        const char *off =
            cg_scaled(g, cg_lin_c(g, 1, sg_index_make(-1, sp->off), cg_seq_origin(g, sp->seq)),
                      sg_seq_get(g->ctx, sp->seq)->shape);
        cg_line(b, lv + 1, "%s%s *const %s = %s%s%s;", sp->made ? "" : "const ", g->real,
                sp->name, cg_seq_base(g, sp->seq), off ? " + " : "", off ? off : "");
    }
    free(used);
    if (lp->down) { /* δ[t] = 0, then each piece that runs at t adds to it */
        const int *m;
        int nm = sg_seqgroups_members(g->groups, lp->seq, &m);
        for (k = 0; k < nm; k++) {
            const sg_shape sh = sg_seq_get(g->ctx, m[k])->shape;
            own = cg_step_ptr(g, m[k], 0)->name;
            if (sg_shape_is_scalar(sh)) {
                cg_line(b, lv + 1, "%s[0] = %s;", own, cg_lit(g, 0).s);
            } else {
                at = open_loops(g, b, lv + 1, sh, 1, &x, 0);
                cg_line(b, at, "%s = %s;", cg_entry(g, own, NULL, sh, x).s, cg_lit(g, 0).s);
            }
        }
    }
    sg_buf_puts(b, sg_buf_str(&body));
    sg_buf_free(&body);
    cg_line(b, lv, "}");
}

/* P_eval's dimensions as locals (dims->n, or the value fixed when generating,
   its test added to checks); whether any is read */
static int eval_dims(cg_state *g, sg_buf *out, sg_buf *checks)
{
    int d, any_dim = 0;
    for (d = 0; d < sg_dim_count(g->ctx); d++) {
        const char *f = sg_dim_get(g->ctx, d)->name ? g->dimfield[d]
                                                       : NULL;
        if (g->dimfix[d]) {
            sg_buf_printf(checks, "%sdims->%s != %ld", checks->len ? " || " : "", f,
                          g->dimfix[d]);
            any_dim = 1;
        }
        if (!g->dimused[d])
            continue;
        any_dim = 1;
        if (g->dimfix[d])
            cg_line(out, 1, "const long %s = %ld; /* fixed when generating */", g->dimname[d],
                    g->dimfix[d]);
        else
            cg_line(out, 1, "const long %s = dims->%s;", g->dimname[d], f);
    }
    return any_dim;
}

/* P_eval's inputs as locals (an absent array reads sg_empty); whether any is read */
static int eval_inputs(cg_state *g, sg_buf *out)
{
    int s, any_sym = 0, any_array = 0;
    for (s = 0; s < sg_sym_count(g->ctx); s++) {
        if (!g->symused[s])
            continue;
        any_sym = 1;
        if (!sg_shape_is_scalar(sg_sym_get(g->ctx, s)->shape) || sg_sym_get(g->ctx, s)->seq >= 0)
            any_array = 1;
    }
    if (any_array || g->sc->nslots || g->npacks)
        cg_line(out, 1, "static %s sg_empty[1]; /* for a NULL pointer to an empty array */",
                g->real);
    for (s = 0; s < sg_sym_count(g->ctx); s++) {
        if (!g->symused[s])
            continue;
        if (sg_shape_is_scalar(sg_sym_get(g->ctx, s)->shape) && sg_sym_get(g->ctx, s)->seq < 0)
            cg_line(out, 1, "const %s %s = *in->%s;", g->real, g->symname[s], g->fieldname[s]);
        else
            cg_line(out, 1, "const %s *%s = in->%s ? in->%s : sg_empty;", g->real, g->symname[s],
                    g->fieldname[s], g->fieldname[s]);
    }
    return any_sym;
}

/* the scalar locals declared at the top of P_eval, set to 0 */
static void eval_locals(cg_state *g, sg_buf *out)
{
    int pos, i;
    for (pos = 0; pos < g->sc->nit; pos++) {
        cg_item *t = &g->sc->it[g->sc->order[pos]];
        cg_node *n = cg_rec(g, t->e);
        if (t->kind == IT_NODE && n->local && n->top)
            cg_line(out, 1, "%s %s = %s; /* %s */", g->real, n->cname, cg_lit(g, 0).s,
                    cg_formula(g, t->e));
        if (t->kind == IT_NODE && n->plan == PL_LOOP) /* the Σs an adjoint's loop sums */
            for (i = 0; i < g->loops[n->loop].nsums; i++) {
                const sg_expr *se = g->loops[n->loop].sums[i];
                if (cg_rec(g, se)->local)
                    cg_line(out, 1, "%s %s = %s; /* %s */", g->real, cg_rec(g, se)->cname,
                            cg_lit(g, 0).s, cg_formula(g, se));
            }
    }
}

void cg_eval_fn(cg_state *g, sg_buf *out)
{
    sg_buf body, bufs, checks;
    int i, any_dim, any_sym, any_full = 0;

    cg_need_names(g);
    sg_buf_init(&body);
    emit_body(g, &body, 1);

    /* the function's comment: what it computes */
    sg_buf_puts(out, "/*\n");
    for (i = 0; i < g->formulas.n; i++)
        sg_buf_printf(out, " *   %s\n",
                      comment_line(g, g->formulas.line[i].text, g->formulas.line[i].len));
    sg_buf_puts(out, " */\n");
    sg_buf_printf(out, "int %s_eval(const %s_dims *dims, const %s_in *in, %s_out *out, "
                       "void *work)\n{\n",
                  g->P, g->P, g->P, g->P);

    /* the buffers, printed first since their offsets may use dimensions too */
    sg_buf_init(&bufs);
    cg_buffer_decls(g, &bufs);

    /* dimensions, inputs, the scratch memory, then the buffers in it */
    sg_buf_init(&checks);
    any_dim = eval_dims(g, out, &checks);
    any_sym = eval_inputs(g, out);
    if (g->sc->nslots || g->npacks)
        cg_line(out, 1, "%s *const scratch = work ? (%s *)work : sg_empty;", g->real, g->real);
    sg_buf_puts(out, sg_buf_str(&bufs));
    if (g->npacks) { /* after every buffer: P_work_size adds its size last */
        cg_poly o = {NULL, 0, 0};
        cg_slots_before(&g->top, g->top.nslots, &o);
        cg_line(out, 1, "%s *const pack = scratch%s%s; /* room for the kernels to pack blocks */",
                g->real, o.n ? " + " : "", o.n ? cg_poly_c(g, &o, g->dimused) : "");
        free(o.m);
    }
    eval_locals(g, out);
    for (i = 0; i < g->sc->nit; i++)
        if (g->sc->it[i].mask == g->sc->full)
            any_full = 1;

    if (!any_dim || !any_sym || !(g->sc->nslots || g->npacks)) {
        sg_buf_putc(out, '\n');
        if (!any_dim)
            cg_line(out, 1, "(void)dims;");
        if (!any_sym)
            cg_line(out, 1, "(void)in;");
        if (!(g->sc->nslots || g->npacks))
            cg_line(out, 1, "(void)work;");
    }
    if (checks.len) { /* the dimensions fixed when generating */
        sg_buf_putc(out, '\n');
        cg_line(out, 1, "if (%s)", sg_buf_str(&checks));
        cg_line(out, 2, "return %s_EDIMS;", g->PU);
    }
    cg_need_decls(g, out);
    if (any_full) {
        sg_buf_putc(out, '\n');
        cg_line(out, 1, "if (%s)", cg_condition(g, g->sc->full, 1));
        cg_line(out, 2, "return %s_OK;", g->PU);
    }
    sg_buf_putc(out, '\n');
    sg_buf_puts(out, sg_buf_str(&body));
    cg_line(out, 1, "return %s_OK;", g->PU);
    sg_buf_puts(out, "}\n");
    sg_buf_free(&body);
    sg_buf_free(&bufs);
    sg_buf_free(&checks);
}
