/* The swish perceptron on one example, on OpenBLAS: dgemv for the layers and
 * the backward product W₂ᵀg, rank-1 dgemm (β = 0) for the weight gradients. */
#include <math.h>
#include <string.h>
#include <cblas.h>
#include "blas_impl.h"

static double sigmoid(double z)
{
    return 1.0 / (1.0 + exp(-z));
}

size_t blas_mlp_work(long D, long H, long C)
{
    (void)D;
    return (size_t)(3 * H + 2 * C);
}

int blas_mlp(long D, long H, long C, const double *x, const double *W1, const double *b1,
             const double *W2, const double *b2, const double *y, double *L,
             double *dL_dW1, double *dL_db1, double *dL_dW2, double *dL_db2, double *work)
{
    double *z1 = work;              /* H */
    double *h1 = work + H;          /* H */
    double *g1 = work + 2 * H;      /* H */
    double *z2 = work + 3 * H;      /* C */
    double *g2 = work + 3 * H + C;  /* C */
    double s, mx, lse;
    long i, c;

    memcpy(z1, b1, sizeof(double) * H);
    cblas_dgemv(CblasRowMajor, CblasNoTrans, H, D, 1.0, W1, D, x, 1, 1.0, z1, 1);
    for (i = 0; i < H; i++)
        h1[i] = z1[i] * sigmoid(z1[i]);
    memcpy(z2, b2, sizeof(double) * C);
    cblas_dgemv(CblasRowMajor, CblasNoTrans, C, H, 1.0, W2, H, h1, 1, 1.0, z2, 1);
    mx = z2[0];
    for (c = 1; c < C; c++)
        if (z2[c] > mx)
            mx = z2[c];
    s = 0;
    for (c = 0; c < C; c++)
        s += exp(z2[c] - mx);
    lse = mx + log(s);
    s = 0;
    for (c = 0; c < C; c++)
        s += y[c] * (z2[c] - lse);
    *L = -s;

    if (!dL_dW1 && !dL_db1 && !dL_dW2 && !dL_db2)
        return 0;
    for (c = 0; c < C; c++)
        g2[c] = exp(z2[c] - lse) - y[c];
    if (dL_db2)
        memcpy(dL_db2, g2, sizeof(double) * C);
    if (dL_dW2)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, C, H, 1, 1.0, g2, 1, h1, H,
                    0.0, dL_dW2, H);
    cblas_dgemv(CblasRowMajor, CblasTrans, C, H, 1.0, W2, H, g2, 1, 0.0, g1, 1);
    for (i = 0; i < H; i++) {
        double sg = sigmoid(z1[i]);
        g1[i] *= sg + z1[i] * sg * (1.0 - sg);
    }
    if (dL_db1)
        memcpy(dL_db1, g1, sizeof(double) * H);
    if (dL_dW1)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, H, D, 1, 1.0, g1, 1, x, D,
                    0.0, dL_dW1, D);
    return 0;
}
