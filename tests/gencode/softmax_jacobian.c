/* examples/softmax_jacobian.sg: s = softmax(z), ∂s/∂z = diag(s) − ssᵀ */
#include "softmax_jacobian.h"
#define PFX smax
#define DIMS(F) F(n)
#define INPUTS(F) F(z, VEC, n, 1, RND)
#define OUTPUTS(F) F(s, n) F(ds_dz, n * n)
#define DIM_SETS {3}, {1}, {100}
#include "harness.h"

static int nonfinite_rc(int input)
{
    (void)input;
    return 0;
}

static void problem_checks(void)
{
    struct values v;
    long dv[1];
    size_t j;
    /* n = 1: s = 1, ∂s/∂z = 0, whatever z (a finite one) */
    dv[0] = 1;
    values_init(&v, dv, 1);
    v.in[IN_z][0] = 1e300;
    set_context(dv, "z = 1e300");
    check(run(&v, ALL) == 0, "returns 0");
    check_value(v.out[OUT_s], 0, 1, "s");
    check_value(v.out[OUT_ds_dz], 0, 0, "ds_dz");
    values_free(&v);
    /* a −∞ logit is a class of probability 0, exactly */
    dv[0] = 3;
    values_init(&v, dv, 2);
    v.in[IN_z][0] = -HUGE_VAL, v.in[IN_z][1] = 0, v.in[IN_z][2] = 0;
    set_context(dv, "z = (-inf, 0, 0)");
    check(run(&v, ALL) == 0, "returns 0");
    check_value(v.out[OUT_s], 0, 0, "s");
    check_value(v.out[OUT_s], 1, 0.5, "s");
    check_value(v.out[OUT_s], 2, 0.5, "s");
    for (j = 0; j < 3; j++)
        check_value(v.out[OUT_ds_dz], j, 0, "ds_dz");
    check_value(v.out[OUT_ds_dz], 4, 0.25, "ds_dz");
    check_value(v.out[OUT_ds_dz], 5, -0.25, "ds_dz");
    values_free(&v);
    /* logits in the thousands: the max is subtracted first */
    values_init(&v, dv, 3);
    v.in[IN_z][0] = 1000, v.in[IN_z][1] = 1000, v.in[IN_z][2] = -1000;
    set_context(dv, "z = (1000, 1000, -1000)");
    check(run(&v, ALL) == 0, "returns 0");
    check_value(v.out[OUT_s], 0, 0.5, "s");
    check_value(v.out[OUT_s], 1, 0.5, "s");
    check_value(v.out[OUT_s], 2, 0, "s");
    values_free(&v);
    /* a NaN logit makes every probability NaN */
    values_init(&v, dv, 4);
    v.in[IN_z][1] = NAN;
    set_context(dv, "z[1] = NaN");
    check(run(&v, ALL) == 0, "returns 0");
    for (j = 0; j < 3; j++)
        check(isnan(v.out[OUT_s][j]), "s is NaN");
    values_free(&v);
}
