/* tests/gencode/lu.sg: A ∈ ℝ^{n×n} by LU, L = log|A| + bᵀA⁻¹b, ∂L/∂A, ∂L/∂b */
#include "lu.h"
#define PFX lu
#define DIMS(F) F(n)
#define INPUTS(F) F(A, MAT, n, n, DIAGDOM) F(b, VEC, n, 1, RND)
#define OUTPUTS(F) F(L, 1) F(dL_dA, n * n) F(dL_db, n)
#define DIM_SETS {3}, {1}, {100}
#include "harness.h"

/* a NaN pivot counts as singular (sg_lu), an infinity may make one NaN */
static int nonfinite_rc(int input)
{
    return input == IN_A ? LU_ESINGULAR : 0;
}

static void singular(const double *a, long n, const char *what)
{
    struct values v;
    long dv[1];
    unsigned o;
    dv[0] = n;
    values_init(&v, dv, 9);
    memcpy(v.in[IN_A], a, (size_t)(n * n) * sizeof(double));
    set_context(dv, what);
    check(run(&v, ALL) == LU_ESINGULAR, "returns LU_ESINGULAR");
    for (o = 0; o < NOUT; o++)
        check(run(&v, 1u << o) == LU_ESINGULAR, "returns LU_ESINGULAR for one result alone");
    values_free(&v);
}

static void problem_checks(void)
{
    static const double rank1[4] = {1, 2, 2, 4}, zero[4] = {0, 0, 0, 0},
                        tiny[4] = {1, 1, 1, 1 + 1e-17}, /* 1 + 1e-17 rounds to 1 */
                        col[9] = {1, 0, 3, 2, 0, 5, 7, 0, 1};
    static double big[100 * 100];
    struct values v;
    long dv[1];
    double a, b;
    int i, j;
    /* n = 0: log|A| of a 0×0 matrix is 0 (its determinant is 1), bᵀA⁻¹b = 0 */
    dv[0] = 0;
    values_init(&v, dv, 1);
    set_context(dv, "n = 0");
    check(run(&v, ALL) == 0, "returns 0");
    check_value(v.out[OUT_L], 0, 0, "L");
    values_free(&v);
    /* n = 1: L = log|a| + b²/a, ∂L/∂A = 1/a − b²/a², ∂L/∂b = 2b/a; a < 0 too */
    dv[0] = 1;
    values_init(&v, dv, 2);
    v.in[IN_A][0] = -1.5;
    set_context(dv, "n = 1, a = -1.5");
    check(run(&v, ALL) == 0, "returns 0");
    a = v.in[IN_A][0], b = v.in[IN_b][0];
    check_value(v.out[OUT_L], 0, log(fabs(a)) + b * b / a, "L");
    check_value(v.out[OUT_dL_dA], 0, 1 / a - b * b / (a * a), "dL_dA");
    check_value(v.out[OUT_dL_db], 0, 2 * b / a, "dL_db");
    values_free(&v);
    singular(rank1, 2, "rank-1 A");
    singular(zero, 2, "A = 0");
    singular(tiny, 2, "A singular in floating point");
    singular(col, 3, "a zero column");
    /* 100×100 with row 99 = row 0 + row 1: past the first blocked panel */
    for (i = 0; i < 100; i++)
        for (j = 0; j < 100; j++)
            big[i * 100 + j] = i == 99 ? big[j] + big[100 + j] : (i == j ? 4 : 0) + (double)((i * 7 + j * 3) % 5) / 5;
    singular(big, 100, "100x100 with a dependent row");
    /* a permutation, det −1: log|A| = 0, A⁻¹ = A, bᵀA⁻¹b = 2 b₀b₁ */
    dv[0] = 2;
    values_init(&v, dv, 3);
    v.in[IN_A][0] = v.in[IN_A][3] = 0, v.in[IN_A][1] = v.in[IN_A][2] = 1;
    v.in[IN_b][0] = 1, v.in[IN_b][1] = 2;
    set_context(dv, "A a swap");
    check(run(&v, ALL) == 0, "returns 0");
    check_value(v.out[OUT_L], 0, 4, "L");
    check_value(v.out[OUT_dL_db], 0, 4, "dL_db");
    check_value(v.out[OUT_dL_db], 1, 2, "dL_db");
    values_free(&v);
}
