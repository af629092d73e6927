/*
 * cblas_shim.c: the four CBLAS routines --blas calls, row-major only, as
 * plain loops: the generated code is built and checked against them without
 * a BLAS installed. Each call is counted in cblas_calls.txt (in the current
 * directory, written at exit), so that a test can tell the library was used.
 */
#include <stdio.h>
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
