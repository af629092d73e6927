/*
 * Plain hand-written C of the benchmark formulas: straightforward loops in a
 * cache-friendly order, no blocking, no unrolling, no intrinsics — what a
 * competent engineer writes first.
 *
 * Conventions (shared with bench/blas/): arrays are row-major as in the
 * generated code; L is always computed; the gradients are computed when
 * their pointers are not NULL (the harness passes all of them or none);
 * work holds at least *_work(...) doubles. Each returns 0, or nonzero when
 * the numbers make the result undefined.
 */
#ifndef BENCH_BASELINES_H
#define BENCH_BASELINES_H

#include <stddef.h>

/* L = ½‖WᵀWx − x‖², W m×n */
size_t hand_autoencoder_work(long m, long n);
int hand_autoencoder(long m, long n, const double *W, const double *x,
                     double *L, double *dL_dW, double *dL_dx, double *work);

/* z₁ = W₁x + b₁, h₁ = swish(z₁), z₂ = W₂h₁ + b₂, L = −yᵀ log softmax(z₂) */
size_t hand_mlp_work(long D, long H, long C);
int hand_mlp(long D, long H, long C, const double *x, const double *W1, const double *b1,
             const double *W2, const double *b2, const double *y, double *L,
             double *dL_dW1, double *dL_db1, double *dL_dW2, double *dL_db2, double *work);

/* Z₁ = W₁X + b₁𝟙ᵀ, H₁ = swish(Z₁), Z₂ = W₂H₁ + b₂𝟙ᵀ, L = −sum(Y ⊙ logsoftmax(Z₂))/N;
 * X D×N, Y C×N (examples are columns) */
size_t hand_mlp_batch_work(long D, long H, long C, long N);
int hand_mlp_batch(long D, long H, long C, long N, const double *X, const double *Y,
                   const double *W1, const double *b1, const double *W2, const double *b2,
                   double *L, double *dL_dW1, double *dL_db1, double *dL_dW2, double *dL_db2,
                   double *work);

/* K = XXᵀ + βI, L = −D/2 log|K| − ½ tr(K⁻¹YYᵀ); X N×Q, Y N×D */
size_t hand_gp_work(long N, long Q, long D);
int hand_gp(long N, long Q, long D, const double *X, const double *Y, double beta,
            double *L, double *dL_dX, double *dL_dbeta, double *work);

/* the Hessian of xᵀAx in x: H = A + Aᵀ, A n×n (blocked, no work memory) */
int hand_quadform_hess(long n, const double *A, double *H);

#endif
