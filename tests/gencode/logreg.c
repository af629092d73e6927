/* examples/logreg.sg: L = −(yᵀlog p + (𝟙 − y)ᵀlog(𝟙 − p))/N + λ/2‖w‖², p = σ(Xw) */
#include "logreg.h"
#define PFX logreg
#define DIMS(F) F(N) F(D)
#define INPUTS(F) F(X, MAT, N, D, RND) F(y, VEC, N, 1, U01) F(w, VEC, D, 1, RND) F(lambda, SCALAR, 1, 1, POS)
#define OUTPUTS(F) F(L, 1) F(dL_dw, D) F(d2L_dw2, D * D)
#define DIM_SETS {5, 3}, {1, 1}, {2, 7}, {200, 50}
#include "harness.h"

static int nonfinite_rc(int input)
{
    (void)input;
    return 0;
}

/* the generic checks run N = 0 too, which must be NaN-free: it is not (0/0),
   so the generic run at N = 0 only checks for no undefined behaviour */

static void problem_checks(void)
{
    struct values v;
    long dv[NDIM];
    size_t j;
    double ww = 0, lambda;
    /* D = 0: Xw = 0, p = ½: L = −Σ(y log ½ + (1 − y) log ½)/N = log 2 */
    dv[DIM_N] = 4, dv[DIM_D] = 0;
    values_init(&v, dv, 1);
    set_context(dv, "D = 0");
    check(run(&v, ALL) == 0, "returns 0");
    check(close_to(v.out[OUT_L][0], log(2.0), 1e-15), "L = log 2");
    values_free(&v);
    /* N = 0: a mean over no examples is 0/0: L and ∂²L/∂w² are NaN
       (IEEE arithmetic, no trap, no undefined behaviour) */
    dv[DIM_N] = 0, dv[DIM_D] = 2;
    values_init(&v, dv, 2);
    set_context(dv, "N = 0");
    check(run(&v, ALL) == 0, "returns 0");
    check(isnan(v.out[OUT_L][0]), "L is NaN (0/0)");
    for (j = 0; j < 4; j++)
        check(isnan(v.out[OUT_d2L_dw2][j]), "d2L_dw2 is NaN (0/0)");
    /* ∂L/∂w = Xᵀ(p − y)/N + λw: the generated code divides inside the sum
       (Σ over nothing of (p − y)/N = 0), so it gives λw where the formula
       gives 0/0; either is accepted, nothing else */
    lambda = v.in[IN_lambda][0];
    for (j = 0; j < 2; j++)
        check(isnan(v.out[OUT_dL_dw][j]) || close_to(v.out[OUT_dL_dw][j], lambda * v.in[IN_w][j], 1e-15),
              "dL_dw is NaN or λw");
    values_free(&v);
    /* X = 0: p = ½, L = log 2 + λ/2‖w‖², ∂L/∂w = λw, ∂²L/∂w² = λI */
    dv[DIM_N] = 3, dv[DIM_D] = 2;
    values_init(&v, dv, 3);
    for (j = 0; j < 6; j++)
        v.in[IN_X][j] = 0;
    set_context(dv, "X = 0");
    check(run(&v, ALL) == 0, "returns 0");
    lambda = v.in[IN_lambda][0];
    for (j = 0; j < 2; j++)
        ww += v.in[IN_w][j] * v.in[IN_w][j];
    check(close_to(v.out[OUT_L][0], log(2.0) + lambda / 2 * ww, 1e-14), "L = log 2 + λ/2‖w‖²");
    for (j = 0; j < 2; j++)
        check_value(v.out[OUT_dL_dw], j, lambda * v.in[IN_w][j], "dL_dw");
    for (j = 0; j < 4; j++)
        check_value(v.out[OUT_d2L_dw2], j, j % 3 == 0 ? lambda : 0, "d2L_dw2");
    values_free(&v);
    /* logits of ±1e4 (σ saturates; softplus is used, not log σ): all finite */
    values_init(&v, dv, 4);
    for (j = 0; j < 6; j++)
        v.in[IN_X][j] = j % 2 ? -1e4 : 1e4;
    set_context(dv, "huge logits");
    check(run(&v, ALL) == 0, "returns 0");
    check(isfinite(v.out[OUT_L][0]), "L is finite");
    for (j = 0; j < 2; j++)
        check(isfinite(v.out[OUT_dL_dw][j]), "dL_dw is finite");
    values_free(&v);
    /* λ = +∞: L = +∞ */
    values_init(&v, dv, 5);
    v.in[IN_lambda][0] = HUGE_VAL;
    set_context(dv, "lambda = inf");
    check(run(&v, ALL) == 0, "returns 0");
    check_value(v.out[OUT_L], 0, HUGE_VAL, "L");
    values_free(&v);
}
