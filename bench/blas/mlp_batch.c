/* The batched swish perceptron on OpenBLAS: every matrix product is a dgemm;
 * the bias broadcasts, activations, softmax and row sums are plain loops. */
#include <math.h>
#include <cblas.h>
#include "blas_impl.h"

static double sigmoid(double z)
{
    return 1.0 / (1.0 + exp(-z));
}

size_t blas_mlp_batch_work(long D, long H, long C, long N)
{
    (void)D;
    return (size_t)(3 * H * N + 2 * C * N + N);
}

int blas_mlp_batch(long D, long H, long C, long N, const double *X, const double *Y,
                   const double *W1, const double *b1, const double *W2, const double *b2,
                   double *L, double *dL_dW1, double *dL_db1, double *dL_dW2, double *dL_db2,
                   double *work)
{
    double *Z1 = work;                          /* H×N */
    double *H1 = work + H * N;                  /* H×N */
    double *G1 = work + 2 * H * N;              /* H×N */
    double *Z2 = work + 3 * H * N;              /* C×N */
    double *G2 = work + 3 * H * N + C * N;      /* C×N */
    double *lse = work + 3 * H * N + 2 * C * N; /* N */
    double s;
    long i, j, c;

    for (i = 0; i < H; i++)
        for (j = 0; j < N; j++)
            Z1[i * N + j] = b1[i];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, H, N, D, 1.0, W1, D, X, N,
                1.0, Z1, N);
    for (i = 0; i < H * N; i++)
        H1[i] = Z1[i] * sigmoid(Z1[i]);
    for (c = 0; c < C; c++)
        for (j = 0; j < N; j++)
            Z2[c * N + j] = b2[c];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, C, N, H, 1.0, W2, H, H1, N,
                1.0, Z2, N);
    for (j = 0; j < N; j++) {
        double mx = Z2[j];
        for (c = 1; c < C; c++)
            if (Z2[c * N + j] > mx)
                mx = Z2[c * N + j];
        s = 0;
        for (c = 0; c < C; c++)
            s += exp(Z2[c * N + j] - mx);
        lse[j] = mx + log(s);
    }
    s = 0;
    for (c = 0; c < C; c++)
        for (j = 0; j < N; j++)
            s += Y[c * N + j] * (Z2[c * N + j] - lse[j]);
    *L = -s / (double)N;

    if (!dL_dW1 && !dL_db1 && !dL_dW2 && !dL_db2)
        return 0;
    for (j = 0; j < N; j++) {
        s = 0;
        for (c = 0; c < C; c++)
            s += Y[c * N + j];
        for (c = 0; c < C; c++)
            G2[c * N + j] = (exp(Z2[c * N + j] - lse[j]) * s - Y[c * N + j]) / (double)N;
    }
    if (dL_db2)
        for (c = 0; c < C; c++) {
            s = 0;
            for (j = 0; j < N; j++)
                s += G2[c * N + j];
            dL_db2[c] = s;
        }
    if (dL_dW2)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, C, H, N, 1.0, G2, N, H1, N,
                    0.0, dL_dW2, H);
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, H, N, C, 1.0, W2, H, G2, N,
                0.0, G1, N);
    for (i = 0; i < H * N; i++) {
        double sg = sigmoid(Z1[i]);
        G1[i] *= sg + Z1[i] * sg * (1.0 - sg);
    }
    if (dL_db1)
        for (i = 0; i < H; i++) {
            s = 0;
            for (j = 0; j < N; j++)
                s += G1[i * N + j];
            dL_db1[i] = s;
        }
    if (dL_dW1)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, H, D, N, 1.0, G1, N, X, N,
                    0.0, dL_dW1, D);
    return 0;
}
