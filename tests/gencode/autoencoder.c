/* examples/autoencoder.sg: L = ½‖WᵀWx − x‖², ∂L/∂W, ∂L/∂x (see harness.h) */
#include "autoencoder.h"
#ifndef PFX
#define PFX autoencoder
#endif
#define DIMS(F) F(m) F(n)
#define INPUTS(F) F(W, MAT, m, n, RND) F(x, VEC, n, 1, RND)
#define OUTPUTS(F) F(L, 1) F(dL_dW, m * n) F(dL_dx, n)
#define DIM_SETS {2, 3}, {5, 4}, {1, 1}, {40, 70}
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
    double sq = 0;
    /* m = 0: r = −x, L = ½‖x‖², ∂L/∂x = WᵀWr − r = x */
    dv[DIM_m] = 0, dv[DIM_n] = 3;
    values_init(&v, dv, 3);
    set_context(dv, "empty W");
    check(run(&v, ALL) == 0, "returns 0");
    for (j = 0; j < 3; j++)
        sq += v.in[IN_x][j] * v.in[IN_x][j];
    check_value(v.out[OUT_L], 0, 0.5 * sq, "L");
    for (j = 0; j < 3; j++)
        check_value(v.out[OUT_dL_dx], j, v.in[IN_x][j], "dL_dx");
    values_free(&v);
    /* n = 0, and both: everything is a sum over nothing */
    for (dv[DIM_m] = 0; dv[DIM_m] <= 4; dv[DIM_m] += 4) {
        dv[DIM_n] = 0;
        values_init(&v, dv, 3);
        set_context(dv, "empty x");
        check(run(&v, ALL) == 0, "returns 0");
        check_value(v.out[OUT_L], 0, 0, "L");
        values_free(&v);
    }
    /* an infinity in x: r has ∞ − ∞ or ±∞, L is not finite */
    dv[DIM_m] = 2, dv[DIM_n] = 2;
    values_init(&v, dv, 5);
    v.in[IN_x][1] = HUGE_VAL;
    set_context(dv, "x[1] = inf");
    check(run(&v, ALL) == 0 && !isfinite(v.out[OUT_L][0]), "L is not finite");
    values_free(&v);
    /* W = 0: r = −x exactly, L = ½‖x‖², ∂L/∂W = 0 */
    dv[DIM_m] = 3, dv[DIM_n] = 2;
    values_init(&v, dv, 5);
    for (j = 0; j < 6; j++)
        v.in[IN_W][j] = 0;
    v.in[IN_x][0] = 3, v.in[IN_x][1] = -4;
    set_context(dv, "W = 0");
    check(run(&v, ALL) == 0, "returns 0");
    check_value(v.out[OUT_L], 0, 12.5, "L");
    for (j = 0; j < 6; j++)
        check_value(v.out[OUT_dL_dW], j, 0, "dL_dW");
    check_value(v.out[OUT_dL_dx], 0, 3, "dL_dx");
    check_value(v.out[OUT_dL_dx], 1, -4, "dL_dx");
    values_free(&v);
}
