/* tests/gencode/spd.sg: A ∈ 𝕊₊₊^n by Cholesky, L = logdet(A) + xᵀA⁻¹x, ∂L/∂A, ∂L/∂x */
#include "spd.h"
#define PFX spd
#define DIMS(F) F(n)
#define INPUTS(F) F(A, MAT, n, n, SPDGEN) F(x, VEC, n, 1, RND)
#define OUTPUTS(F) F(L, 1) F(dL_dA, n * n) F(dL_dx, n)
#define DIM_SETS {3}, {1}, {100}
#include "harness.h"

/* the Cholesky factorization documents a NaN as not positive definite (it
   reads the lower triangle only: the harness puts its NaN on the diagonal) */
static int nonfinite_rc(int input)
{
    return input == IN_A ? SPD_ENOTSPD : 0;
}

static void not_spd(const double *a, long n, const char *what)
{
    struct values v;
    long dv[1];
    unsigned o;
    dv[0] = n;
    values_init(&v, dv, 9);
    memcpy(v.in[IN_A], a, (size_t)(n * n) * sizeof(double));
    set_context(dv, what);
    check(run(&v, ALL) == SPD_ENOTSPD, "returns SPD_ENOTSPD");
    for (o = 0; o < NOUT; o++)
        check(run(&v, 1u << o) == SPD_ENOTSPD, "returns SPD_ENOTSPD for one result alone");
    values_free(&v);
}

static void problem_checks(void)
{
    static const double indefinite[4] = {1, 2, 2, 1}, semidefinite[4] = {1, 1, 1, 1},
                        zero[4] = {0, 0, 0, 0}, negative[4] = {-1, 0, 0, -1},
                        late[9] = {4, 2, 0, 2, 2, 1, 0, 1, 0.5}; /* the last pivot is 0 */
    static double big[100 * 100];
    struct values v;
    long dv[1];
    double a, x;
    int i;
    /* n = 0: logdet of a 0×0 matrix is 0, xᵀA⁻¹x is a sum over nothing */
    dv[0] = 0;
    values_init(&v, dv, 1);
    set_context(dv, "n = 0");
    check(run(&v, ALL) == 0, "returns 0");
    check_value(v.out[OUT_L], 0, 0, "L");
    values_free(&v);
    /* n = 1: L = log a + x²/a, ∂L/∂A = 1/a − x²/a², ∂L/∂x = 2x/a */
    dv[0] = 1;
    values_init(&v, dv, 2);
    set_context(dv, "n = 1");
    check(run(&v, ALL) == 0, "returns 0");
    a = v.in[IN_A][0], x = v.in[IN_x][0];
    check_value(v.out[OUT_L], 0, log(a) + x * x / a, "L");
    check_value(v.out[OUT_dL_dA], 0, 1 / a - x * x / (a * a), "dL_dA");
    check_value(v.out[OUT_dL_dx], 0, 2 * x / a, "dL_dx");
    values_free(&v);
    not_spd(indefinite, 2, "indefinite A");
    not_spd(semidefinite, 2, "semidefinite A");
    not_spd(zero, 2, "A = 0");
    not_spd(negative, 2, "A = -I");
    not_spd(late, 3, "the last pivot 0");
    /* 100×100, past the blocked factorization's first panel: −1 at (99, 99) of I */
    for (i = 0; i < 100; i++)
        big[i * 100 + i] = i == 99 ? -1 : 1;
    not_spd(big, 100, "100x100, the last pivot negative");
    /* A = 2I (n = 2), x = (1, −1): L = 2 log 2 + 1, ∂L/∂A = I/2 − xxᵀ/4, ∂L/∂x = x */
    dv[0] = 2;
    values_init(&v, dv, 3);
    v.in[IN_A][0] = v.in[IN_A][3] = 2, v.in[IN_A][1] = v.in[IN_A][2] = 0;
    v.in[IN_x][0] = 1, v.in[IN_x][1] = -1;
    set_context(dv, "A = 2I");
    check(run(&v, ALL) == 0, "returns 0");
    check_value(v.out[OUT_L], 0, 2 * log(2.0) + 1, "L");
    check_value(v.out[OUT_dL_dA], 0, 0.25, "dL_dA");
    check_value(v.out[OUT_dL_dA], 1, 0.25, "dL_dA");
    check_value(v.out[OUT_dL_dA], 3, 0.25, "dL_dA");
    check_value(v.out[OUT_dL_dx], 0, 1, "dL_dx");
    check_value(v.out[OUT_dL_dx], 1, -1, "dL_dx");
    values_free(&v);
}
