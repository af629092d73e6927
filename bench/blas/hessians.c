/* The Hessians of Laue, Mitterreiter and Giesen (NeurIPS 2018) on OpenBLAS,
 * the closed forms the generated code computes, with the BLAS operation that
 * fits each:
 *   logistic regression: Xᵀdiag(d)X/N + λI with d = p ⊙ (𝟙 − p) ≥ 0, p = σ(Xw):
 *     Xw by dgemv, the scaled copy S = √(d/N) ⊙ X (rows), SᵀS by dsyrk (upper
 *     triangle), mirrored, λ added to the diagonal;
 *   matrix factorisation ‖T − UVᵀ‖² in U: 2(I ⊗ VᵀV), VᵀV by dsyrk (α = 2),
 *     mirrored, then the Kronecker fill: the (mk)×(mk) result set to zero and
 *     the k×k block copied onto its m diagonal blocks.
 * The quadratic form's A + Aᵀ is no BLAS operation (none adds a matrix to its
 * transpose): it has no OpenBLAS version, only the hand C's. */
#include <math.h>
#include <string.h>
#include <cblas.h>
#include "blas_impl.h"

size_t blas_logreg_hess_work(long N, long D)
{
    return (size_t)(N * D + N);
}

int blas_logreg_hess(long N, long D, const double *X, const double *w, double lambda,
                     double *H, double *work)
{
    double *S = work;         /* N×D */
    double *z = work + N * D; /* N */
    long i, j;

    cblas_dgemv(CblasRowMajor, CblasNoTrans, N, D, 1.0, X, D, w, 1, 0.0, z, 1);
    for (i = 0; i < N; i++) {
        double p = 1.0 / (1.0 + exp(-z[i]));
        double s = sqrt(p * (1.0 - p) / (double)N);
        for (j = 0; j < D; j++)
            S[i * D + j] = s * X[i * D + j];
    }
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, D, N, 1.0, S, D, 0.0, H, D);
    for (i = 0; i < D; i++) {
        H[i * D + i] += lambda;
        for (j = i + 1; j < D; j++)
            H[j * D + i] = H[i * D + j];
    }
    return 0;
}

size_t blas_mf_hess_work(long m, long n, long k)
{
    (void)m;
    (void)n;
    return (size_t)(k * k);
}

int blas_mf_hess(long m, long n, long k, const double *V, double *H, double *work)
{
    double *G = work; /* k×k: 2VᵀV */
    const long mk = m * k;
    long i, a, b;

    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, k, n, 2.0, V, k, 0.0, G, k);
    for (a = 0; a < k; a++)
        for (b = a + 1; b < k; b++)
            G[b * k + a] = G[a * k + b];
    memset(H, 0, sizeof(double) * (size_t)mk * (size_t)mk);
    for (i = 0; i < m; i++)
        for (a = 0; a < k; a++)
            memcpy(H + (i * k + a) * mk + i * k, G + a * k, sizeof(double) * (size_t)k);
    return 0;
}

/* P = op(A) op(B), A m×k (k×m when ta), B k×n (n×k when tb): one cblas_dgemm */
int blas_gemm(long m, long n, long k, int ta, const double *A, int tb, const double *B,
              double *P)
{
    cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                m, n, k, 1.0, A, ta ? m : k, B, tb ? k : n, 0.0, P, n);
    return 0;
}
