/*
 * The benchmark formulas on OpenBLAS: the matrix work in cblas_dgemv/dgemm/
 * dger/dsyrk/dsymm/dtrsm, the Cholesky factor and inverse in OpenBLAS's LAPACK
 * (dpotrf, dpotri); elementwise work in plain loops. Same conventions as
 * bench/baselines/baselines.h. Single-threaded: the harness calls
 * openblas_set_num_threads(1) and runs with OPENBLAS_NUM_THREADS=1.
 */
#ifndef BENCH_BLAS_IMPL_H
#define BENCH_BLAS_IMPL_H

#include <stddef.h>

size_t blas_autoencoder_work(long m, long n);
int blas_autoencoder(long m, long n, const double *W, const double *x,
                     double *L, double *dL_dW, double *dL_dx, double *work);

size_t blas_mlp_work(long D, long H, long C);
int blas_mlp(long D, long H, long C, const double *x, const double *W1, const double *b1,
             const double *W2, const double *b2, const double *y, double *L,
             double *dL_dW1, double *dL_db1, double *dL_dW2, double *dL_db2, double *work);

size_t blas_mlp_batch_work(long D, long H, long C, long N);
int blas_mlp_batch(long D, long H, long C, long N, const double *X, const double *Y,
                   const double *W1, const double *b1, const double *W2, const double *b2,
                   double *L, double *dL_dW1, double *dL_db1, double *dL_dW2, double *dL_db2,
                   double *work);

size_t blas_gp_work(long N, long Q, long D);
int blas_gp(long N, long Q, long D, const double *X, const double *Y, double beta,
            double *L, double *dL_dX, double *dL_dbeta, double *work);

/* Hessians (blas/hessians.c): H = Xᵀdiag(p ⊙ (𝟙 − p))X/N + λI, p = σ(Xw), X N×D */
size_t blas_logreg_hess_work(long N, long D);
int blas_logreg_hess(long N, long D, const double *X, const double *w, double lambda,
                     double *H, double *work);
/* H = 2(I_m ⊗ VᵀV), V n×k, H (mk)×(mk) */
size_t blas_mf_hess_work(long m, long n, long k);
int blas_mf_hess(long m, long n, long k, const double *V, double *H, double *work);
/* P = op(A) op(B) by cblas_dgemm (ta, tb: transposed) */
int blas_gemm(long m, long n, long k, int ta, const double *A, int tb, const double *B,
              double *P);

void blas_single_thread(void);

#endif
