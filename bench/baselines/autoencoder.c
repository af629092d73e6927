/* L = ½‖WᵀWx − x‖²; ∂L/∂W = (Wr)xᵀ + (Wx)rᵀ, ∂L/∂x = WᵀWr − r, r = WᵀWx − x */
#include "baselines.h"

size_t hand_autoencoder_work(long m, long n)
{
    return (size_t)(2 * m + n);
}

int hand_autoencoder(long m, long n, const double *W, const double *x,
                     double *L, double *dL_dW, double *dL_dx, double *work)
{
    double *Wx = work;          /* m */
    double *r = work + m;       /* n */
    double *Wr = work + m + n;  /* m */
    double s;
    long i, j;

    for (i = 0; i < m; i++) {
        s = 0;
        for (j = 0; j < n; j++)
            s += W[i * n + j] * x[j];
        Wx[i] = s;
    }
    for (j = 0; j < n; j++)
        r[j] = -x[j];
    for (i = 0; i < m; i++)
        for (j = 0; j < n; j++)
            r[j] += W[i * n + j] * Wx[i];
    s = 0;
    for (j = 0; j < n; j++)
        s += r[j] * r[j];
    *L = 0.5 * s;

    if (!dL_dW && !dL_dx)
        return 0;
    for (i = 0; i < m; i++) {
        s = 0;
        for (j = 0; j < n; j++)
            s += W[i * n + j] * r[j];
        Wr[i] = s;
    }
    if (dL_dW)
        for (i = 0; i < m; i++)
            for (j = 0; j < n; j++)
                dL_dW[i * n + j] = Wr[i] * x[j] + Wx[i] * r[j];
    if (dL_dx) {
        for (j = 0; j < n; j++)
            dL_dx[j] = -r[j];
        for (i = 0; i < m; i++)
            for (j = 0; j < n; j++)
                dL_dx[j] += W[i * n + j] * Wr[i];
    }
    return 0;
}
