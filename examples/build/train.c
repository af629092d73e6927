/*
 * train.c: gradient descent on the linear autoencoder, with the gradient
 * symgrad generated from ../autoencoder.sg (L = ½‖WᵀWx − x‖²).
 *
 * The data are points near a 2-dimensional subspace of ℝ⁵; an autoencoder
 * with a 2×5 W learns to reconstruct them, and the average loss falls.
 */
#include <stdio.h>
#include <stdlib.h>

#include "autoencoder.h"

enum { M = 2, N = 5, SAMPLES = 64, EPOCHS = 300 };

static unsigned long long state = 0x9E3779B97F4A7C15ull;

static double uniform(void) /* in [-1, 1) */
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (double)(state >> 11) / 4503599627370496.0 - 1.0;
}

int main(void)
{
    static double data[SAMPLES][N], W[M * N], grad[M * N], gsum[M * N];
    autoencoder_dims dims = {M, N};
    void *work = malloc(autoencoder_work_size(&dims) + 1);
    double rate = 0.05, first = 0, last = 0;
    int s, e, i;

    /* x = a·u + b·v + noise for two fixed directions u, v */
    for (s = 0; s < SAMPLES; s++) {
        double a = uniform(), b = uniform();
        for (i = 0; i < N; i++)
            data[s][i] = a * (i + 1) / N + b * (i % 2 ? 1 : -1) * 0.5 + 0.01 * uniform();
    }
    for (i = 0; i < M * N; i++)
        W[i] = 0.3 * uniform();

    for (e = 0; e < EPOCHS; e++) {
        double loss = 0;
        for (i = 0; i < M * N; i++)
            gsum[i] = 0;
        for (s = 0; s < SAMPLES; s++) {
            double L;
            autoencoder_in in = {W, data[s]};
            autoencoder_out out = {&L, grad, NULL}; /* ∂L/∂x is not needed */
            if (autoencoder_eval(&dims, &in, &out, work) != AUTOENCODER_OK)
                return 1;
            loss += L / SAMPLES;
            for (i = 0; i < M * N; i++)
                gsum[i] += grad[i] / SAMPLES;
        }
        for (i = 0; i < M * N; i++)
            W[i] -= rate * gsum[i];
        if (e == 0)
            first = loss;
        last = loss;
        if (e % 50 == 0 || e == EPOCHS - 1)
            printf("epoch %3d  loss %.6f\n", e, loss);
    }
    free(work);
    if (!(last < 0.1 * first)) {
        fprintf(stderr, "train: the loss did not fall (%g → %g)\n", first, last);
        return 1;
    }
    return 0;
}
