/* examples/gp_loglik.sg: K = XXᵀ + βI, L = −D/2 log|K| − ½ tr(K⁻¹YYᵀ), ∂L/∂X, ∂L/∂β */
#include "gp_loglik.h"
#define PFX gp
#define DIMS(F) F(N) F(Q) F(D)
#define INPUTS(F) F(X, MAT, N, Q, RND) F(Y, MAT, N, D, RND) F(beta, SCALAR, 1, 1, POS)
#define OUTPUTS(F) F(L, 1) F(dL_dX, N * Q) F(dL_dbeta, 1)
#define DIM_SETS {4, 2, 3}, {1, 1, 1}, {3, 5, 2}, {100, 40, 3}
#include "harness.h"

/* K is factored by LU: a NaN or an infinity in X or β makes a pivot NaN,
   which sg_lu documents as singular; one in Y just propagates */
static int nonfinite_rc(int input)
{
    return input == IN_Y ? 0 : GP_ESINGULAR;
}

static void problem_checks(void)
{
    struct values v;
    long dv[NDIM];
    size_t j;
    double beta, yy;
    /* N = 0: K is 0×0, log|K| = 0, tr = 0: L = 0, ∂L/∂β = ½ tr(r) = 0 */
    dv[DIM_N] = 0, dv[DIM_Q] = 2, dv[DIM_D] = 3;
    values_init(&v, dv, 1);
    set_context(dv, "N = 0");
    check(run(&v, ALL) == 0, "returns 0");
    check_value(v.out[OUT_L], 0, 0, "L");
    check_value(v.out[OUT_dL_dbeta], 0, 0, "dL_dbeta");
    values_free(&v);
    /* Q = 0: K = βI, L = −(DN/2) log β − ‖Y‖²/(2β),
       ∂L/∂β = −DN/(2β) + ‖Y‖²/(2β²) */
    dv[DIM_N] = 3, dv[DIM_Q] = 0, dv[DIM_D] = 2;
    values_init(&v, dv, 2);
    set_context(dv, "Q = 0");
    check(run(&v, ALL) == 0, "returns 0");
    beta = v.in[IN_beta][0];
    for (yy = 0, j = 0; j < 6; j++)
        yy += v.in[IN_Y][j] * v.in[IN_Y][j];
    check_value(v.out[OUT_L], 0, -3.0 * log(beta) - yy / (2 * beta), "L");
    check_value(v.out[OUT_dL_dbeta], 0, -3.0 / beta + yy / (2 * beta * beta), "dL_dbeta");
    values_free(&v);
    /* D = 0: no draws, L = 0 and every gradient 0 (K is still factored: β > 0) */
    dv[DIM_N] = 4, dv[DIM_Q] = 2, dv[DIM_D] = 0;
    values_init(&v, dv, 3);
    set_context(dv, "D = 0");
    check(run(&v, ALL) == 0, "returns 0");
    check_value(v.out[OUT_L], 0, 0, "L");
    for (j = 0; j < 8; j++)
        check_value(v.out[OUT_dL_dX], j, 0, "dL_dX");
    check_value(v.out[OUT_dL_dbeta], 0, 0, "dL_dbeta");
    values_free(&v);
    /* β = 0 with N > Q: K = XXᵀ has rank Q, singular */
    dv[DIM_N] = 4, dv[DIM_Q] = 2, dv[DIM_D] = 3;
    values_init(&v, dv, 4);
    v.in[IN_beta][0] = 0;
    set_context(dv, "beta = 0, rank-deficient K");
    check(run(&v, ALL) == GP_ESINGULAR, "returns GP_ESINGULAR");
    check(run(&v, 1u << OUT_L) == GP_ESINGULAR, "L alone returns GP_ESINGULAR");
    check(run(&v, 1u << OUT_dL_dbeta) == GP_ESINGULAR, "dL_dbeta alone returns GP_ESINGULAR");
    /* X = 0, β = 0: K = 0 */
    for (j = 0; j < 8; j++)
        v.in[IN_X][j] = 0;
    set_context(dv, "K = 0");
    check(run(&v, ALL) == GP_ESINGULAR, "returns GP_ESINGULAR");
    /* N = 0 is never singular, whatever β */
    dv[DIM_N] = 0;
    values_free(&v);
    values_init(&v, dv, 4);
    v.in[IN_beta][0] = 0;
    set_context(dv, "N = 0, beta = 0");
    check(run(&v, ALL) == 0, "returns 0");
    check_value(v.out[OUT_L], 0, 0, "L");
    values_free(&v);
    /* Q = 0, β = 0: K = 0 (N×N), singular */
    dv[DIM_N] = 2, dv[DIM_Q] = 0, dv[DIM_D] = 1;
    values_init(&v, dv, 4);
    v.in[IN_beta][0] = 0;
    set_context(dv, "Q = 0, beta = 0");
    check(run(&v, ALL) == GP_ESINGULAR, "returns GP_ESINGULAR");
    values_free(&v);
    /* an infinity in Y: tr(K⁻¹YYᵀ) = +∞ (K is positive definite), L = −∞ */
    dv[DIM_N] = 3, dv[DIM_Q] = 2, dv[DIM_D] = 2;
    values_init(&v, dv, 5);
    v.in[IN_Y][0] = HUGE_VAL;
    set_context(dv, "Y[0] = inf");
    check(run(&v, 1u << OUT_L) == 0, "returns 0");
    check(isinf(v.out[OUT_L][0]) || isnan(v.out[OUT_L][0]), "L is not finite");
    values_free(&v);
}
