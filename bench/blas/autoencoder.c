/* L = ½‖WᵀWx − x‖² on OpenBLAS: four dgemv, and ∂L/∂W = (Wr)xᵀ + (Wx)rᵀ as one
 * rank-2 dgemm ([Wr Wx] times [x r]ᵀ, β = 0) so that ∂L/∂W is written once. */
#include <string.h>
#include <cblas.h>
#include "blas_impl.h"

size_t blas_autoencoder_work(long m, long n)
{
    return (size_t)(4 * m + 3 * n);
}

int blas_autoencoder(long m, long n, const double *W, const double *x,
                     double *L, double *dL_dW, double *dL_dx, double *work)
{
    double *Wx = work;              /* m */
    double *r = work + m;           /* n */
    double *Wr = work + m + n;      /* m */
    double *U = work + 2 * m + n;   /* m×2: [Wr Wx] */
    double *V = work + 4 * m + n;   /* 2×n: [x; r] */
    long i;

    cblas_dgemv(CblasRowMajor, CblasNoTrans, m, n, 1.0, W, n, x, 1, 0.0, Wx, 1);
    memcpy(r, x, sizeof(double) * n);
    cblas_dgemv(CblasRowMajor, CblasTrans, m, n, 1.0, W, n, Wx, 1, -1.0, r, 1);
    *L = 0.5 * cblas_ddot(n, r, 1, r, 1);

    if (!dL_dW && !dL_dx)
        return 0;
    cblas_dgemv(CblasRowMajor, CblasNoTrans, m, n, 1.0, W, n, r, 1, 0.0, Wr, 1);
    if (dL_dx) {
        memcpy(dL_dx, r, sizeof(double) * n);
        cblas_dgemv(CblasRowMajor, CblasTrans, m, n, 1.0, W, n, Wr, 1, -1.0, dL_dx, 1);
    }
    if (dL_dW) {
        for (i = 0; i < m; i++) {
            U[2 * i] = Wr[i];
            U[2 * i + 1] = Wx[i];
        }
        memcpy(V, x, sizeof(double) * n);
        memcpy(V + n, r, sizeof(double) * n);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, 2, 1.0, U, 2, V, n,
                    0.0, dL_dW, n);
    }
    return 0;
}
