/* examples/lstm.sg: gates f, i, o, g read h[t−1]; c[t] = f[t] ⊙ c[t−1] + i[t] ⊙ g[t];
   h[t] = o[t] ⊙ tanh(c[t]); L = Σ_t ½‖V h[t] − y[t]‖² */
#include "lstm.h"
#define PFX lstm
#define DIMS(F) F(k) F(T) F(p) F(n)
#define INPUTS(F)                                                                                 \
    F(x, SEQ, T, k, RND) F(y, SEQ, T, p, RND) F(h0, VEC, n, 1, RND) F(c0, VEC, n, 1, RND)          \
    F(W_f, MAT, n, k, RND) F(W_i, MAT, n, k, RND) F(W_o, MAT, n, k, RND) F(W_g, MAT, n, k, RND)    \
    F(U_f, MAT, n, n, RND) F(U_i, MAT, n, n, RND) F(U_o, MAT, n, n, RND) F(U_g, MAT, n, n, RND)    \
    F(b_f, VEC, n, 1, RND) F(b_i, VEC, n, 1, RND) F(b_o, VEC, n, 1, RND) F(b_g, VEC, n, 1, RND)    \
    F(V, MAT, p, n, RND)
#define OUTPUTS(F)                                                                                \
    F(L, 1) F(dL_dW_f, n * k) F(dL_dU_f, n * n) F(dL_db_f, n) F(dL_dW_i, n * k) F(dL_dU_i, n * n)  \
    F(dL_db_i, n) F(dL_dW_o, n * k) F(dL_dU_o, n * n) F(dL_db_o, n) F(dL_dW_g, n * k)             \
    F(dL_dU_g, n * n) F(dL_db_g, n) F(dL_dV, p * n) F(dL_dh0, n) F(dL_dc0, n)
#define DIM_SETS {2, 3, 1, 2}, {1, 1, 1, 1}, {3, 2, 2, 4}, {3, 7, 2, 3}, {10, 30, 5, 40}
#include "harness.h"

static int nonfinite_rc(int input)
{
    (void)input;
    return 0;
}

static double sigmoid(double z)
{
    return 1 / (1 + exp(-z));
}

/* every entry of result o is 0 */
static void all_zero(const struct values *v, int o, size_t n, const char *name)
{
    size_t j;
    for (j = 0; j < n; j++)
        check_value(v->out[o], j, 0, name);
}

static void problem_checks(void)
{
    struct values v;
    long dv[NDIM];
    /* T = 0: no steps, L = 0 and every gradient 0 (c₀ and h₀ reach nothing) */
    dv[DIM_k] = 2, dv[DIM_T] = 0, dv[DIM_p] = 2, dv[DIM_n] = 3;
    values_init(&v, dv, 1);
    set_context(dv, "T = 0");
    check(run(&v, ALL) == 0, "returns 0");
    check_value(v.out[OUT_L], 0, 0, "L");
    all_zero(&v, OUT_dL_dU_f, 9, "dL_dU_f");
    all_zero(&v, OUT_dL_dW_g, 6, "dL_dW_g");
    all_zero(&v, OUT_dL_dh0, 3, "dL_dh0");
    all_zero(&v, OUT_dL_dc0, 3, "dL_dc0");
    values_free(&v);
    /* p = 0: nothing observed, L = 0, every gradient 0 */
    dv[DIM_k] = 2, dv[DIM_T] = 3, dv[DIM_p] = 0, dv[DIM_n] = 2;
    values_init(&v, dv, 2);
    set_context(dv, "p = 0");
    check(run(&v, ALL) == 0, "returns 0");
    check_value(v.out[OUT_L], 0, 0, "L");
    all_zero(&v, OUT_dL_dU_o, 4, "dL_dU_o");
    all_zero(&v, OUT_dL_dc0, 2, "dL_dc0");
    values_free(&v);
    /* T = 1 by hand, every size 1: c₁ = f c₀ + i g, h₁ = o tanh(c₁), L = ½(V h₁ − y₁)² */
    dv[DIM_k] = 1, dv[DIM_T] = 1, dv[DIM_p] = 1, dv[DIM_n] = 1;
    values_init(&v, dv, 3);
    set_context(dv, "T = 1 by hand");
    check(run(&v, ALL) == 0, "returns 0");
    {
        const double x = v.in[IN_x][0], h0 = v.in[IN_h0][0], c0 = v.in[IN_c0][0];
        const double f = sigmoid(v.in[IN_W_f][0] * x + v.in[IN_U_f][0] * h0 + v.in[IN_b_f][0]);
        const double i = sigmoid(v.in[IN_W_i][0] * x + v.in[IN_U_i][0] * h0 + v.in[IN_b_i][0]);
        const double o = sigmoid(v.in[IN_W_o][0] * x + v.in[IN_U_o][0] * h0 + v.in[IN_b_o][0]);
        const double g = tanh(v.in[IN_W_g][0] * x + v.in[IN_U_g][0] * h0 + v.in[IN_b_g][0]);
        const double c1 = f * c0 + i * g, h1 = o * tanh(c1);
        const double r = v.in[IN_V][0] * h1 - v.in[IN_y][0];
        const double dh = r * v.in[IN_V][0], dc = dh * o * (1 - tanh(c1) * tanh(c1));
        check_value(v.out[OUT_L], 0, 0.5 * r * r, "L");
        check(close_to(v.out[OUT_dL_dV][0], r * h1, 1e-14), "dL_dV = r h1");
        check(close_to(v.out[OUT_dL_dc0][0], dc * f, 1e-14), "dL_dc0 = δc f");
        check(close_to(v.out[OUT_dL_db_f][0], dc * c0 * f * (1 - f), 1e-14), "dL_db_f");
        check(close_to(v.out[OUT_dL_db_o][0], dh * tanh(c1) * o * (1 - o), 1e-14), "dL_db_o");
        check(close_to(v.out[OUT_dL_dW_g][0], dc * i * (1 - g * g) * x, 1e-14), "dL_dW_g");
    }
    values_free(&v);
    /* x = ±∞ saturates every gate: c and h stay finite, so L does */
    dv[DIM_k] = 2, dv[DIM_T] = 3, dv[DIM_p] = 2, dv[DIM_n] = 2;
    values_init(&v, dv, 4);
    v.in[IN_x][0] = HUGE_VAL;
    set_context(dv, "x[1][0] = inf");
    check(run(&v, 1u << OUT_L) == 0, "returns 0");
    check(isfinite(v.out[OUT_L][0]), "L is finite");
    values_free(&v);
}
