/*
 * One example through a two-layer swish perceptron with a softmax output and
 * the cross-entropy loss: z₁ = W₁x + b₁, h₁ = swish(z₁), z₂ = W₂h₁ + b₂,
 * L = −yᵀ log softmax(z₂). y sums to 1 (y ∈ Δ^C), so ∂L/∂z₂ = softmax(z₂) − y.
 */
#include <math.h>
#include "baselines.h"

static double sigmoid(double z)
{
    return 1.0 / (1.0 + exp(-z));
}

size_t hand_mlp_work(long D, long H, long C)
{
    (void)D;
    return (size_t)(3 * H + 2 * C);
}

int hand_mlp(long D, long H, long C, const double *x, const double *W1, const double *b1,
             const double *W2, const double *b2, const double *y, double *L,
             double *dL_dW1, double *dL_db1, double *dL_dW2, double *dL_db2, double *work)
{
    double *z1 = work;              /* H */
    double *h1 = work + H;          /* H */
    double *g1 = work + 2 * H;      /* H: ∂L/∂h₁, then ∂L/∂z₁ */
    double *z2 = work + 3 * H;      /* C */
    double *g2 = work + 3 * H + C;  /* C: ∂L/∂z₂ */
    double s, mx, lse;
    long i, j, c;

    for (i = 0; i < H; i++) {
        s = b1[i];
        for (j = 0; j < D; j++)
            s += W1[i * D + j] * x[j];
        z1[i] = s;
        h1[i] = s * sigmoid(s);
    }
    for (c = 0; c < C; c++) {
        s = b2[c];
        for (i = 0; i < H; i++)
            s += W2[c * H + i] * h1[i];
        z2[c] = s;
    }
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
    for (c = 0; c < C; c++) {
        if (dL_db2)
            dL_db2[c] = g2[c];
        if (dL_dW2)
            for (i = 0; i < H; i++)
                dL_dW2[c * H + i] = g2[c] * h1[i];
    }
    for (i = 0; i < H; i++)
        g1[i] = 0;
    for (c = 0; c < C; c++)
        for (i = 0; i < H; i++)
            g1[i] += W2[c * H + i] * g2[c];
    for (i = 0; i < H; i++) {
        double sg = sigmoid(z1[i]);
        g1[i] *= sg + z1[i] * sg * (1.0 - sg);
        if (dL_db1)
            dL_db1[i] = g1[i];
        if (dL_dW1)
            for (j = 0; j < D; j++)
                dL_dW1[i * D + j] = g1[i] * x[j];
    }
    return 0;
}
