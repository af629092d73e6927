/*
 * Gaussian-process log-likelihood with a linear kernel, by Cholesky:
 * K = XXᵀ + βI = LLᵀ, A = K⁻¹Y, L = −D/2 log|K| − ½ sum(Y ⊙ A) (= −½ tr(K⁻¹YYᵀ)).
 * ∂L/∂K = R = ½(AAᵀ − D K⁻¹) (symmetric), ∂L/∂X = 2RX, ∂L/∂β = tr R.
 * K⁻¹ is formed by solving with the identity; the solves are row-oriented
 * triangular substitutions on a right-hand side of several columns.
 */
#include <math.h>
#include "baselines.h"

/* K ← its Cholesky factor (lower triangle; the upper is left alone) */
static int cholesky(long n, double *K)
{
    long i, j, k;
    for (j = 0; j < n; j++) {
        double s = K[j * n + j];
        for (k = 0; k < j; k++)
            s -= K[j * n + k] * K[j * n + k];
        if (!(s > 0))
            return 1;
        s = sqrt(s);
        K[j * n + j] = s;
        for (i = j + 1; i < n; i++) {
            double t = K[i * n + j];
            for (k = 0; k < j; k++)
                t -= K[i * n + k] * K[j * n + k];
            K[i * n + j] = t / s;
        }
    }
    return 0;
}

/* B (n×r) ← (LLᵀ)⁻¹B */
static void cholesky_solve(long n, const double *Lf, long r, double *B)
{
    long i, k, j;
    for (i = 0; i < n; i++) {           /* L z = b */
        for (k = 0; k < i; k++) {
            double a = Lf[i * n + k];
            for (j = 0; j < r; j++)
                B[i * r + j] -= a * B[k * r + j];
        }
        for (j = 0; j < r; j++)
            B[i * r + j] /= Lf[i * n + i];
    }
    for (i = n - 1; i >= 0; i--) {      /* Lᵀ w = z */
        for (k = i + 1; k < n; k++) {
            double a = Lf[k * n + i];
            for (j = 0; j < r; j++)
                B[i * r + j] -= a * B[k * r + j];
        }
        for (j = 0; j < r; j++)
            B[i * r + j] /= Lf[i * n + i];
    }
}

size_t hand_gp_work(long N, long Q, long D)
{
    (void)Q;
    return (size_t)(2 * N * N + N * D);
}

int hand_gp(long N, long Q, long D, const double *X, const double *Y, double beta,
            double *L, double *dL_dX, double *dL_dbeta, double *work)
{
    double *K = work;               /* N×N: K, then its Cholesky factor */
    double *R = work + N * N;       /* N×N: K⁻¹, then ∂L/∂K */
    double *A = work + 2 * N * N;   /* N×D: K⁻¹Y */
    double s, logdet;
    long i, j, k;

    for (i = 0; i < N; i++)
        for (j = 0; j <= i; j++) {
            s = 0;
            for (k = 0; k < Q; k++)
                s += X[i * Q + k] * X[j * Q + k];
            K[i * N + j] = s + (i == j ? beta : 0.0);
        }
    if (cholesky(N, K))
        return 1;
    logdet = 0;
    for (i = 0; i < N; i++)
        logdet += 2.0 * log(K[i * N + i]);
    for (i = 0; i < N * D; i++)
        A[i] = Y[i];
    cholesky_solve(N, K, D, A);
    s = 0;
    for (i = 0; i < N * D; i++)
        s += Y[i] * A[i];
    *L = -0.5 * (double)D * logdet - 0.5 * s;

    if (!dL_dX && !dL_dbeta)
        return 0;
    for (i = 0; i < N; i++)
        for (j = 0; j < N; j++)
            R[i * N + j] = (i == j ? 1.0 : 0.0);
    cholesky_solve(N, K, N, R);
    for (i = 0; i < N; i++)
        for (j = 0; j < N; j++) {
            s = 0;
            for (k = 0; k < D; k++)
                s += A[i * D + k] * A[j * D + k];
            R[i * N + j] = 0.5 * (s - (double)D * R[i * N + j]);
        }
    if (dL_dbeta) {
        s = 0;
        for (i = 0; i < N; i++)
            s += R[i * N + i];
        *dL_dbeta = s;
    }
    if (dL_dX) {
        for (i = 0; i < N * Q; i++)
            dL_dX[i] = 0;
        for (i = 0; i < N; i++)
            for (k = 0; k < N; k++) {
                double a = 2.0 * R[i * N + k];
                for (j = 0; j < Q; j++)
                    dL_dX[i * Q + j] += a * X[k * Q + j];
            }
    }
    return 0;
}
