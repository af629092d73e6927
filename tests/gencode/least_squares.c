/* examples/least_squares.sg: f = ‖Ax − b‖², ∂f/∂x = 2Aᵀ(Ax − b), ∂²f/∂x² = 2AᵀA */
#include "least_squares.h"
#define PFX lsq
#define DIMS(F) F(m) F(n)
#define INPUTS(F) F(A, MAT, m, n, RND) F(b, VEC, m, 1, RND) F(x, VEC, n, 1, RND)
#define OUTPUTS(F) F(f, 1) F(df_dx, n) F(d2f_dx2, n * n)
#define DIM_SETS {3, 2}, {1, 1}, {2, 5}, {90, 60}
#include "harness.h"

static int nonfinite_rc(int input)
{
    (void)input;
    return 0;
}

static void problem_checks(void)
{
    struct values v;
    long dv[NDIM];
    size_t j;
    double bb = 0;
    /* m = 0: no residuals: f = 0, ∂f/∂x = 0, ∂²f/∂x² = 0 (written, all of it) */
    dv[DIM_m] = 0, dv[DIM_n] = 3;
    values_init(&v, dv, 1);
    set_context(dv, "m = 0");
    check(run(&v, ALL) == 0, "returns 0");
    check_value(v.out[OUT_f], 0, 0, "f");
    for (j = 0; j < 3; j++)
        check_value(v.out[OUT_df_dx], j, 0, "df_dx");
    for (j = 0; j < 9; j++)
        check_value(v.out[OUT_d2f_dx2], j, 0, "d2f_dx2");
    values_free(&v);
    /* n = 0: Ax = 0, f = ‖b‖² */
    dv[DIM_m] = 4, dv[DIM_n] = 0;
    values_init(&v, dv, 2);
    set_context(dv, "n = 0");
    check(run(&v, ALL) == 0, "returns 0");
    for (j = 0; j < 4; j++)
        bb += v.in[IN_b][j] * v.in[IN_b][j];
    check_value(v.out[OUT_f], 0, bb, "f");
    values_free(&v);
    /* an infinity in b: f = +∞ exactly (a square), ∂f/∂x not finite */
    dv[DIM_m] = 3, dv[DIM_n] = 2;
    values_init(&v, dv, 3);
    v.in[IN_b][1] = -HUGE_VAL;
    set_context(dv, "b[1] = -inf");
    check(run(&v, ALL) == 0, "returns 0");
    check_value(v.out[OUT_f], 0, HUGE_VAL, "f");
    for (j = 0; j < 2; j++)
        check(!isfinite(v.out[OUT_df_dx][j]), "df_dx is not finite");
    /* the Hessian does not depend on b */
    for (j = 0; j < 4; j++)
        check(isfinite(v.out[OUT_d2f_dx2][j]), "d2f_dx2 stays finite");
    values_free(&v);
}
