/*
 * The GP log-likelihood on OpenBLAS + its LAPACK: K = XXᵀ + βI by dsyrk,
 * K = LLᵀ by dpotrf, A = K⁻¹Y by two dtrsm, K⁻¹ by dpotri,
 * R = ½(AAᵀ − D K⁻¹) by dsyrk, ∂L/∂X = 2RX by dsymm, ∂L/∂β = tr R.
 * Row-major lower = LAPACK's column-major upper, hence uplo 'U' below.
 */
#include <math.h>
#include <string.h>
#include <cblas.h>
#include "blas_impl.h"

/* LAPACK in libopenblas (Fortran ABI: trailing hidden string lengths) */
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t);
void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t);
void openblas_set_num_threads(int);

void blas_single_thread(void)
{
    openblas_set_num_threads(1);
}

size_t blas_gp_work(long N, long Q, long D)
{
    (void)Q;
    return (size_t)(N * N + N * D);
}

int blas_gp(long N, long Q, long D, const double *X, const double *Y, double beta,
            double *L, double *dL_dX, double *dL_dbeta, double *work)
{
    double *K = work;           /* N×N, lower triangle: K, L, K⁻¹, R */
    double *A = work + N * N;   /* N×D */
    int n = (int)N, info = 0;
    double s, logdet;
    long i;

    cblas_dsyrk(CblasRowMajor, CblasLower, CblasNoTrans, N, Q, 1.0, X, Q, 0.0, K, N);
    for (i = 0; i < N; i++)
        K[i * N + i] += beta;
    dpotrf_("U", &n, K, &n, &info, 1);
    if (info != 0)
        return 1;
    logdet = 0;
    for (i = 0; i < N; i++)
        logdet += 2.0 * log(K[i * N + i]);
    memcpy(A, Y, sizeof(double) * N * D);
    cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, N, D, 1.0,
                K, N, A, D);
    cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, N, D, 1.0,
                K, N, A, D);
    s = 0;
    for (i = 0; i < N * D; i++)
        s += Y[i] * A[i];
    *L = -0.5 * (double)D * logdet - 0.5 * s;

    if (!dL_dX && !dL_dbeta)
        return 0;
    dpotri_("U", &n, K, &n, &info, 1);
    if (info != 0)
        return 1;
    cblas_dsyrk(CblasRowMajor, CblasLower, CblasNoTrans, N, D, 0.5, A, D, -0.5 * (double)D,
                K, N);
    if (dL_dbeta) {
        s = 0;
        for (i = 0; i < N; i++)
            s += K[i * N + i];
        *dL_dbeta = s;
    }
    if (dL_dX)
        cblas_dsymm(CblasRowMajor, CblasLeft, CblasLower, N, Q, 2.0, K, N, X, Q, 0.0, dL_dX, Q);
    return 0;
}
