/*
 * cblas_shim.c: the six CBLAS routines --blas calls, row-major only, as
 * plain loops: the generated code is built and checked against them without
 * a BLAS installed. Each call is counted in cblas_calls.txt (in the current
 * directory, written at exit), so that a test can tell the library was used.
 */
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include "cblas.h"

static long calls;

static void done(void)
{
    FILE *f = fopen("cblas_calls.txt", "w");
    if (f) {
        fprintf(f, "%ld\n", calls);
        fclose(f);
    }
}

static void count(enum CBLAS_ORDER o)
{
    if (o != CblasRowMajor)
        abort();
    if (calls++ == 0)
        atexit(done);
}

#define GEMM(NAME, T)                                                                    \
    void NAME(enum CBLAS_ORDER o, enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb, int m, \
              int n, int k, T alpha, const T *A, int lda, const T *B, int ldb, T beta,     \
              T *C, int ldc)                                                               \
    {                                                                                      \
        int i, j, p;                                                                       \
        count(o);                                                                          \
        for (i = 0; i < m; i++)                                                            \
            for (j = 0; j < n; j++) {                                                      \
                double s = 0;                                                              \
                for (p = 0; p < k; p++)                                                    \
                    s += (double)(ta == CblasNoTrans ? A[i * lda + p] : A[p * lda + i]) *  \
                         (double)(tb == CblasNoTrans ? B[p * ldb + j] : B[j * ldb + p]);   \
                C[i * ldc + j] = (T)(alpha * s + (beta == 0 ? 0 : beta * C[i * ldc + j])); \
            }                                                                              \
    }
GEMM(cblas_dgemm, double)
GEMM(cblas_sgemm, float)

#define GEMV(NAME, T)                                                                      \
    void NAME(enum CBLAS_ORDER o, enum CBLAS_TRANSPOSE t, int m, int n, T alpha, const T *A, \
              int lda, const T *x, int incx, T beta, T *y, int incy)                         \
    {                                                                                        \
        int i, j, len = t == CblasNoTrans ? m : n, inner = t == CblasNoTrans ? n : m;        \
        count(o);                                                                            \
        for (i = 0; i < len; i++) {                                                          \
            double s = 0;                                                                    \
            for (j = 0; j < inner; j++)                                                      \
                s += (double)(t == CblasNoTrans ? A[i * lda + j] : A[j * lda + i]) *         \
                     x[j * incx];                                                            \
            y[i * incy] = (T)(alpha * s + (beta == 0 ? 0 : beta * y[i * incy]));             \
        }                                                                                    \
    }
GEMV(cblas_dgemv, double)
GEMV(cblas_sgemv, float)

/* the lower triangle of C = α op(A) op(A)ᵀ + β C, op(A) n×k; the upper one is
   filled with NaN, so that code reading it (instead of mirroring) fails */
#define SYRK(NAME, T)                                                                        \
    void NAME(enum CBLAS_ORDER o, enum CBLAS_UPLO u, enum CBLAS_TRANSPOSE t, int n, int k,   \
              T alpha, const T *A, int lda, T beta, T *C, int ldc)                           \
    {                                                                                        \
        int i, j, p;                                                                         \
        count(o);                                                                            \
        if (u != CblasLower)                                                                 \
            abort();                                                                         \
        for (i = 0; i < n; i++)                                                              \
            for (j = 0; j < n; j++) {                                                        \
                double s = 0;                                                                \
                if (j > i) {                                                                 \
                    C[i * ldc + j] = (T)NAN;                                                 \
                    continue;                                                                \
                }                                                                            \
                for (p = 0; p < k; p++)                                                      \
                    s += (double)(t == CblasNoTrans ? A[i * lda + p] : A[p * lda + i]) *     \
                         (double)(t == CblasNoTrans ? A[j * lda + p] : A[p * lda + j]);      \
                C[i * ldc + j] = (T)(alpha * s + (beta == 0 ? 0 : beta * C[i * ldc + j]));   \
            }                                                                                \
    }
SYRK(cblas_dsyrk, double)
SYRK(cblas_ssyrk, float)
