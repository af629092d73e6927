/*
 * The two-layer swish perceptron over a batch of N examples (the columns of X
 * and Y): Z₁ = W₁X + b₁𝟙ᵀ, H₁ = swish(Z₁), Z₂ = W₂H₁ + b₂𝟙ᵀ,
 * L = −sum(Y ⊙ logsoftmax(Z₂))/N. Y is any C×N matrix, so
 * ∂L/∂Z₂ = (softmax(Z₂) ⊙ 𝟙(𝟙ᵀY) − Y)/N (column sums of Y; 1 for one-hot labels).
 * Matrix products are plain triple loops in the i-k-j order (contiguous inner loop).
 */
#include <math.h>
#include "baselines.h"

static double sigmoid(double z)
{
    return 1.0 / (1.0 + exp(-z));
}

size_t hand_mlp_batch_work(long D, long H, long C, long N)
{
    (void)D;
    return (size_t)(3 * H * N + 2 * C * N + N);
}

int hand_mlp_batch(long D, long H, long C, long N, const double *X, const double *Y,
                   const double *W1, const double *b1, const double *W2, const double *b2,
                   double *L, double *dL_dW1, double *dL_db1, double *dL_dW2, double *dL_db2,
                   double *work)
{
    double *Z1 = work;                          /* H×N */
    double *H1 = work + H * N;                  /* H×N */
    double *G1 = work + 2 * H * N;              /* H×N: ∂L/∂H₁, then ∂L/∂Z₁ */
    double *Z2 = work + 3 * H * N;              /* C×N: Z₂, then logsoftmax(Z₂) */
    double *G2 = work + 3 * H * N + C * N;      /* C×N: ∂L/∂Z₂ */
    double *lse = work + 3 * H * N + 2 * C * N; /* N */
    double s, a;
    long i, j, k, c;

    /* Z₁ = W₁X + b₁𝟙ᵀ, H₁ = swish(Z₁) */
    for (i = 0; i < H; i++)
        for (j = 0; j < N; j++)
            Z1[i * N + j] = b1[i];
    for (i = 0; i < H; i++)
        for (k = 0; k < D; k++) {
            a = W1[i * D + k];
            for (j = 0; j < N; j++)
                Z1[i * N + j] += a * X[k * N + j];
        }
    for (i = 0; i < H * N; i++)
        H1[i] = Z1[i] * sigmoid(Z1[i]);
    /* Z₂ = W₂H₁ + b₂𝟙ᵀ */
    for (c = 0; c < C; c++)
        for (j = 0; j < N; j++)
            Z2[c * N + j] = b2[c];
    for (c = 0; c < C; c++)
        for (k = 0; k < H; k++) {
            a = W2[c * H + k];
            for (j = 0; j < N; j++)
                Z2[c * N + j] += a * H1[k * N + j];
        }
    /* log-sum-exp of each column, L */
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
    /* G₂ = (softmax(Z₂) ⊙ 𝟙(𝟙ᵀY) − Y)/N */
    for (j = 0; j < N; j++) {
        s = 0;
        for (c = 0; c < C; c++)
            s += Y[c * N + j];
        for (c = 0; c < C; c++)
            G2[c * N + j] = (exp(Z2[c * N + j] - lse[j]) * s - Y[c * N + j]) / (double)N;
    }
    /* ∂L/∂b₂ = G₂𝟙, ∂L/∂W₂ = G₂H₁ᵀ */
    for (c = 0; c < C; c++) {
        if (dL_db2) {
            s = 0;
            for (j = 0; j < N; j++)
                s += G2[c * N + j];
            dL_db2[c] = s;
        }
        if (dL_dW2)
            for (k = 0; k < H; k++) {
                s = 0;
                for (j = 0; j < N; j++)
                    s += G2[c * N + j] * H1[k * N + j];
                dL_dW2[c * H + k] = s;
            }
    }
    /* G₁ = W₂ᵀG₂ ⊙ swish'(Z₁) */
    for (i = 0; i < H * N; i++)
        G1[i] = 0;
    for (c = 0; c < C; c++)
        for (k = 0; k < H; k++) {
            a = W2[c * H + k];
            for (j = 0; j < N; j++)
                G1[k * N + j] += a * G2[c * N + j];
        }
    for (i = 0; i < H * N; i++) {
        double sg = sigmoid(Z1[i]);
        G1[i] *= sg + Z1[i] * sg * (1.0 - sg);
    }
    /* ∂L/∂b₁ = G₁𝟙, ∂L/∂W₁ = G₁Xᵀ */
    for (i = 0; i < H; i++) {
        if (dL_db1) {
            s = 0;
            for (j = 0; j < N; j++)
                s += G1[i * N + j];
            dL_db1[i] = s;
        }
        if (dL_dW1)
            for (k = 0; k < D; k++) {
                s = 0;
                for (j = 0; j < N; j++)
                    s += G1[i * N + j] * X[k * N + j];
                dL_dW1[i * D + k] = s;
            }
    }
    return 0;
}
