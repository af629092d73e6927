/* The Hessian of the quadratic form xᵀAx in x, A + Aᵀ, as plain C: blocks of
 * 32×32 so that both A's rows and its columns are read from the cache. */
#include "baselines.h"

int hand_quadform_hess(long n, const double *A, double *H)
{
    const long B = 32;
    long i0, j0, i, j;
    for (i0 = 0; i0 < n; i0 += B)
        for (j0 = 0; j0 < n; j0 += B) {
            long i1 = i0 + B < n ? i0 + B : n, j1 = j0 + B < n ? j0 + B : n;
            for (i = i0; i < i1; i++)
                for (j = j0; j < j1; j++)
                    H[i * n + j] = A[i * n + j] + A[j * n + i];
        }
    return 0;
}
