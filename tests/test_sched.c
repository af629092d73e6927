/*
 * test_sched.c: the C printer's decisions, read through its internal header.
 *
 * test_cgen.c and the golden files pin the generated text; these tests pin
 * what the text comes from, in a plan (sg_cgen_plan_new, then cg.h's state):
 * which factorization each matrix gets (Cholesky for a declared or built
 * SPD matrix, LU otherwise, and whether a singular one is an error), which
 * nodes are materialised and which fused into their reader, which work slot
 * each buffer takes (one freed by liveness is reused), which results each
 * node is computed for (its mask), and the loops over t a recurrence makes.
 * And that one plan prints what the one-plan wrappers print, in any order,
 * and says why it cannot be printed. Each problem is .sg text, read by the
 * parser and the checker as a user's file is.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "codegen/cg.h"
#include "parser/parser.h"

typedef struct {
    sg_src *src;
    sg_arena *ar;
    sg_problem *p;
    sg_cgen_opts o;
    sg_dimfix fix[1];
    sg_cgen_plan *pl;
    cg_state *g;
} fixture;

/* plans text (with dim fixed to v by --dim when dim is set; the .c to
   include header when it is set) */
static void plan_text(fixture *f, const char *text, const char *dim, long v, const char *header)
{
    memset(f, 0, sizeof *f);
    f->src = sg_src_new("t.sg", text, strlen(text));
    f->ar = sg_arena_new();
    f->p = sg_check(f->src, sg_parse(f->src, f->ar));
    assert_non_null(f->p);
    f->o.prefix = "t";
    f->o.header = header;
    if (dim) {
        f->fix[0].name = dim;
        f->fix[0].value = v;
        f->o.fixed = f->fix;
        f->o.nfixed = 1;
    }
    f->pl = sg_cgen_plan_new(f->p, &f->o);
    f->g = cg_plan_state(f->pl);
}

static void unplan(fixture *f)
{
    sg_cgen_plan_free(f->pl);
    sg_problem_free(f->p);
    sg_arena_free(f->ar);
    sg_src_free(f->src);
}

/* the record of the k-th node of P_eval (in its order of dependencies) with
   plan pl, or NULL */
static cg_node *nth(cg_state *g, int pl, int k)
{
    unsigned i;
    for (i = 0; i < g->top.ntopo; i++) {
        cg_node *n = &g->top.ni[g->top.topo[i]->id];
        if (n->plan == pl && k-- == 0)
            return n;
    }
    return NULL;
}

/* the same, which must be there */
static cg_node *must(cg_state *g, int pl, int k)
{
    cg_node *n = nth(g, pl, k);
    return n;
}

/* the results a node is computed for: "01" for results 0 and 1 */
static const char *mask_text(cg_state *g, const cg_node *n)
{
    static char s[32];
    const sg_mask *m = g->top.masks[n->e->id];
    int r, k = 0;
    for (r = sg_mask_next(m, 0); r >= 0 && k < 30; r = sg_mask_next(m, r + 1))
        s[k++] = (char)('0' + r);
    s[k] = '\0';
    return s;
}

/* ---- factorizations ---------------------------------------------------------- */

/* plans text and asserts its one factorization: Cholesky (chol) or LU, and
   whether a singular or indefinite matrix is an error (strict; -1: either) */
static void assert_factor(const char *text, int chol, int strict)
{
    fixture f;
    plan_text(&f, text, NULL, 0, NULL);
    assert_null(sg_cgen_plan_why(f.pl));
    assert_int_equal(f.g->nfac, 1);
    assert_int_equal(!!f.g->fac[0].chol, chol);
    if (strict >= 0)
        assert_int_equal(!!f.g->fac[0].strict, strict);
    unplan(&f);
}

static const char spd_text[] = "A ∈ 𝕊₊₊^n\nB ∈ ℝ^{n×n}\nx ∈ ℝ^n\n"
                               "L = logdet(A) + xᵀA⁻¹x + tr(A⁻¹B)\ngrad L wrt A, x, B\n";

/* a declared SPD matrix: one Cholesky factor for its logdet and its solves,
   a node of the schedule with a buffer of its own */
static void test_cholesky_for_spd(void **state)
{
    fixture f;
    cg_node *n;
    (void)state;
    assert_factor(spd_text, 1, 1);
    plan_text(&f, spd_text, NULL, 0, NULL);
    n = must(f.g, PL_FACTOR, 0);
    assert_true(n->mat);
    assert_true(n->slot >= 0);
    assert_null(nth(f.g, PL_FACTOR, 1));
    unplan(&f);
}

/* a matrix with nothing known of it: LU; a solve makes a singular one an
   error, a determinant alone does not (a singular matrix has det 0) */
static void test_lu_otherwise(void **state)
{
    (void)state;
    assert_factor("A ∈ ℝ^{n×n}\nx ∈ ℝ^n\nL = xᵀA⁻¹x\ngrad L wrt x\n", 0, 1);
    assert_factor("A ∈ ℝ^{n×n}\nd = det(A)\noutput d\n", 0, 0);
}

/* XXᵀ + I is provably SPD (Cholesky); XXᵀ + βI with β of any sign is not (LU) */
static void test_cholesky_for_gram(void **state)
{
    (void)state;
    assert_factor("X ∈ ℝ^{n×q}\nK = XXᵀ + I\nL = logdet(K)\ngrad L wrt X\n", 1, 1);
    assert_factor("X ∈ ℝ^{n×q}\nβ ∈ ℝ\nK = XXᵀ + βI\nL = logdet(K)\ngrad L wrt X\n", 0, -1);
}

/* ---- storage ---------------------------------------------------------------- */

/* tanh(Wx) + x: Wx is a product (a kernel: materialised, but read by the
   row sweep alone, at row i, so it takes no slot); tanh is read once and
   fused into the sum's loop; the sum is read twice by the norm, so it gets
   a buffer; the norm is a scalar local */
static void test_fused_and_materialised(void **state)
{
    fixture f;
    cg_node *gemv, *ew0, *ew1, *red;
    (void)state;
    plan_text(&f, "W ∈ ℝ^{n×n}\nx ∈ ℝ^n\nf = ‖tanh(W x) + x‖²\noutput f\n", NULL, 0, NULL);
    gemv = must(f.g, PL_GEMV, 0);
    ew0 = must(f.g, PL_EW, 0);
    ew1 = must(f.g, PL_EW, 1);
    red = must(f.g, PL_SRED, 0);
    assert_int_equal(ew0->e->op, SG_OP_TANH);
    assert_true(gemv->mat);
    assert_true(gemv->rowvar);
    assert_int_equal(gemv->slot, -1);
    assert_false(ew0->mat);
    assert_int_equal(ew0->uses, 1);
    assert_true(ew1->mat);
    assert_int_equal(ew1->uses, 2);
    assert_int_equal(ew1->slot, 0);
    assert_true(red->local);
    assert_int_equal(f.g->nsweeps, 1);
    assert_int_equal(f.g->top.nslots, 1);
    unplan(&f);
}

/* the Kronecker structure of matrix Jacobians is written entry by entry:
   (B + Bᵀ) ⊗ I from B, (Dᵀ ⊗ A)K with K a permutation of the columns; no
   product, no buffer but the results' */
static void test_kronecker(void **state)
{
    fixture f;
    cg_node *n;
    unsigned i;
    (void)state;
    plan_text(&f, "X ∈ ℝ^{m×n}\nB ∈ ℝ^{m×m}\nA ∈ ℝ^{p×m}\nD ∈ ℝ^{n×q}\nf = tr(XᵀBX)\n"
                  "Z = (AXD)ᵀ\nhessian f wrt X\njacobian Z wrt X\n",
              NULL, 0, NULL);
    assert_null(sg_cgen_plan_why(f.pl));
    for (i = 0; i < f.g->top.ntopo; i++) {
        n = &f.g->top.ni[f.g->top.topo[i]->id];
        if (n->e->op == SG_OP_KRON || n->e->op == SG_OP_COMMUTE) {
            assert_int_equal(n->plan, PL_EW);
            assert_true(n->mat == n->root); /* a result's own buffer, else fused */
        }
        if (n->e->op == SG_OP_MUL && n->e->kid[1]->op == SG_OP_COMMUTE) {
            assert_int_equal(n->plan, PL_EW);
            assert_int_equal(n->var, EW_PERMCOLS);
        }
        if (n->plan == PL_GEMM) /* the values' products only */
            assert_true(n->e->kid[0]->op != SG_OP_KRON && n->e->kid[1]->op != SG_OP_KRON &&
                        n->e->kid[1]->op != SG_OP_COMMUTE);
    }
    unplan(&f);
}

/* A(A(Ax)): the first product is dead once the second is made, so the
   third takes its slot: two slots for three buffers */
static void test_slots_reused(void **state)
{
    fixture f;
    cg_node *a, *b, *c;
    (void)state;
    plan_text(&f, "A ∈ ℝ^{n×n}\nx ∈ ℝ^n\nf = ‖A(A(A x))‖²\noutput f\n", NULL, 0, NULL);
    a = must(f.g, PL_GEMV, 0);
    b = must(f.g, PL_GEMV, 1);
    c = must(f.g, PL_GEMV, 2);
    assert_int_equal(a->slot, 0);
    assert_int_equal(b->slot, 1);
    assert_int_equal(c->slot, 0);
    assert_int_equal(f.g->top.nslots, 2);
    unplan(&f);
}

/* ---- masks and loops ---------------------------------------------------------- */

static const char lsq_text[] = "A ∈ ℝ^{m×n}\nb ∈ ℝ^m\nx ∈ ℝ^n\nf = ‖Ax − b‖²\n"
                               "grad f wrt x\nhessian f wrt x\n";

/* least squares: the residual Ax − b is for f and ∇f, not the Hessian 2AᵀA;
   AᵀA (one symmetric pass, PL_SYRK) is for the Hessian alone; ∇f is computed
   in place, into out */
static void test_masks(void **state)
{
    fixture f;
    cg_node *gemm, *r;
    unsigned i;
    (void)state;
    plan_text(&f, lsq_text, NULL, 0, NULL);
    gemm = must(f.g, PL_SYRK, 0);
    assert_string_equal(mask_text(f.g, gemm), "2");
    assert_int_equal(gemm->nref, 1); /* A, read transposed; no diag(d) */
    assert_true(gemm->r[0].trans);
    for (i = 0, r = NULL; i < f.g->top.ntopo && !r; i++) {
        cg_node *n = &f.g->top.ni[f.g->top.topo[i]->id];
        if (n->plan == PL_EW && n->mat && n->out < 0)
            r = n;
    }
    assert_non_null(r);
    assert_int_equal(r->e->op, SG_OP_ADD); /* Ax + (−1)b */
    assert_string_equal(mask_text(f.g, r), "01");
    assert_string_equal(mask_text(f.g, must(f.g, PL_GEMV, 1)), "1");
    for (i = 0; i < f.g->top.ntopo; i++) {
        cg_node *n = &f.g->top.ni[f.g->top.topo[i]->id];
        if (n->out >= 0)
            assert_true(n->out == 1 || n->out == 2);
    }
    unplan(&f);
}

static const char rnn_text[] =
    "x[t] ∈ ℝ^k for t = 1..T\ny[t] ∈ ℝ^p for t = 1..T\nh0 ∈ ℝ^n\nW_hh ∈ ℝ^{n×n}\n"
    "W_xh ∈ ℝ^{n×k}\nW_y ∈ ℝ^{p×n}\nh[0] = h0\n"
    "h[t] = tanh(W_hh h[t−1] + W_xh x[t]) for t = 1..T\n"
    "L = Σ_{t=1}^{T} ½‖W_y h[t] − y[t]‖²\ngrad L wrt W_hh, W_xh, W_y, h0\n";

/* an RNN: the forward loop stores h; the adjoint's loop runs down and sums
   ∇W_hh and ∇W_xh as it goes (two fused Σs); the loss and ∇W_y are Σs of
   their own, never unrolled */
static void test_loops(void **state)
{
    fixture f;
    int k, fwd = 0, adj = 0, sums = 0;
    (void)state;
    plan_text(&f, rnn_text, NULL, 0, NULL);
    assert_null(sg_cgen_plan_why(f.pl));
    assert_int_equal(f.g->nloops, 4);
    for (k = 0; k < f.g->nloops; k++) {
        const cg_loop *lp = &f.g->loops[k];
        if (lp->seq >= 0 && !lp->down) {
            fwd++;
            assert_int_equal(lp->npc, 1);
        } else if (lp->seq >= 0) {
            adj++;
            assert_int_equal(lp->nsums, 2);
        } else {
            sums++;
            assert_int_equal(lp->npc, 1);
        }
        assert_non_null(lp->body);
    }
    assert_int_equal(fwd, 1);
    assert_int_equal(adj, 1);
    assert_int_equal(sums, 2);
    unplan(&f);
}

/* ---- one plan, printed ------------------------------------------------------ */

static const char gp_text[] = "X ∈ ℝ^{N×Q}\nY ∈ ℝ^{N×D}\nβ ∈ ℝ\nK = XXᵀ + βI\n"
                              "L = −D/2 log|K| − ½ tr(K⁻¹YYᵀ)\ngrad L wrt X, β\n";

/* the source and the header of one plan are what two plans print, asked
   for in either order and more than once */
static void test_plan_once(void **state)
{
    fixture f;
    char *src, *hdr, *src2, *hdr2, *wsrc, *whdr;
    size_t n1, n2;
    (void)state;
    plan_text(&f, gp_text, NULL, 0, "gp.h");
    wsrc = sg_cgen_source(f.p, &f.o, NULL);
    whdr = sg_cgen_header(f.p, &f.o, NULL);
    assert_non_null(wsrc);
    assert_non_null(whdr);
    unplan(&f);

    plan_text(&f, gp_text, NULL, 0, "gp.h");
    src = sg_cgen_plan_source(f.pl, &n1);
    hdr = sg_cgen_plan_header(f.pl, &n2);
    assert_int_equal(n1, strlen(src));
    assert_int_equal(n2, strlen(hdr));
    src2 = sg_cgen_plan_source(f.pl, NULL);
    hdr2 = sg_cgen_plan_header(f.pl, NULL);
    assert_string_equal(src, wsrc);
    assert_string_equal(hdr, whdr);
    assert_string_equal(src2, wsrc);
    assert_string_equal(hdr2, whdr);
    free(src);
    free(hdr);
    free(src2);
    free(hdr2);
    unplan(&f);

    plan_text(&f, gp_text, NULL, 0, "gp.h"); /* the header first */
    hdr = sg_cgen_plan_header(f.pl, NULL);
    src = sg_cgen_plan_source(f.pl, NULL);
    assert_string_equal(src, wsrc);
    assert_string_equal(hdr, whdr);
    free(src);
    free(hdr);
    unplan(&f);
    free(wsrc);
    free(whdr);
}

/* why a plan cannot be printed: then neither text is */
static void test_why(void **state)
{
    fixture f;
    (void)state;
    plan_text(&f, gp_text, "N", 2147483647L, NULL);
    assert_non_null(sg_cgen_plan_why(f.pl));
    assert_non_null(strstr(sg_cgen_plan_why(f.pl), "more bytes than a size_t counts"));
    assert_null(sg_cgen_plan_source(f.pl, NULL));
    assert_null(sg_cgen_plan_header(f.pl, NULL));
    unplan(&f);

    plan_text(&f, gp_text, NULL, 0, "a\"b.h");
    assert_non_null(strstr(sg_cgen_plan_why(f.pl), "header name"));
    assert_null(sg_cgen_plan_source(f.pl, NULL));
    unplan(&f);

    plan_text(&f, gp_text, "N", 512, NULL);
    assert_null(sg_cgen_plan_why(f.pl));
    unplan(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cholesky_for_spd),
        cmocka_unit_test(test_lu_otherwise),
        cmocka_unit_test(test_cholesky_for_gram),
        cmocka_unit_test(test_fused_and_materialised),
        cmocka_unit_test(test_slots_reused),
        cmocka_unit_test(test_kronecker),
        cmocka_unit_test(test_masks),
        cmocka_unit_test(test_loops),
        cmocka_unit_test(test_plan_once),
        cmocka_unit_test(test_why),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
